// RUN: quilt-opt %s --quilt-annotate-inputs="mesh-shape=1" --quilt-propagate-sharding --quilt-partition --quilt-lower-to-runtime | FileCheck %s
// quiltc --tf32 records quilt.math = "tf32" on the module; the model info
// carries it to the runtime, whose CUDA backend then lets cuBLAS and cuDNN
// use tensor cores (without it the model info says fp32: test/quiltc/target.test).

module attributes {quilt.math = "tf32"} {
func.func @main(%a: tensor<4x8xf32> {quilt.name = "a"}, %b: tensor<8x2xf32> {quilt.name = "b"}) -> tensor<4x2xf32> {
  %y = quilt.gemm %a, %b : tensor<4x8xf32>, tensor<8x2xf32> -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}
}
// CHECK: module attributes {{{.*}}quilt.math = "tf32"
// CHECK: @quilt_model_info("{{.*}}\22math\22:\22tf32\22
