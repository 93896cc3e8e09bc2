// The mean of a field split over H: an all-reduce over the mesh.
func.func @main(%x: tensor<1x4x16x16xf32> {quilt.name = "x"}) -> tensor<1x4x1x1xf32> {
  %m = quilt.reduce_mean %x dims [2, 3] : tensor<1x4x16x16xf32> -> tensor<1x4x1x1xf32>
  return %m : tensor<1x4x1x1xf32>
}
