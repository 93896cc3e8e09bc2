// Features split over ranks and contracted by a matrix: each rank holds
// partial sums, which the add needs split like the input again, so the
// partitioner reduce-scatters them.
func.func @main(%x: tensor<1x6x16xf32> {quilt.name = "input"}, %w: tensor<16x16xf32> {quilt.name = "w"}) -> tensor<1x6x16xf32> {
  %y = quilt.einsum %x, %w {equation = "bte,ef->btf"} : tensor<1x6x16xf32>, tensor<16x16xf32> -> tensor<1x6x16xf32>
  %z = quilt.add %y, %x : tensor<1x6x16xf32>, tensor<1x6x16xf32> -> tensor<1x6x16xf32>
  return %z : tensor<1x6x16xf32>
}
