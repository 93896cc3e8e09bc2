// GatherElements along one dim (quilt_rt_gather_elements): the dim is whole
// in the input on every rank; along the others, each output position reads
// the input at its own global position, which the rank holds (the compiler
// splits input and indices alike there). Kernel: gather_elements_kernels.h.
#include "context.h"
#include "error.h"
#include "gather_elements_kernels.h"
#include "layout.h"

namespace quilt {
namespace {

void gatherElements(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  OpParams op = decodeParams(*ctx, params);
  expectTensorCount(op, 3, 3);
  int64_t axis = op.attrs.next();
  const TensorView &x = op.tensors[0], &indices = op.tensors[1], &y = op.tensors[2];
  int rank = x.rank();
  if (axis < 0 || axis >= rank)
    raise("axis ", axis, " is out of range for rank ", rank);
  if (indices.rank() != rank || y.rank() != rank || indices.extent != y.extent)
    raise("the output must have the indices' extents and the input's rank");
  if (x.extent[axis] != x.dims[axis].globalSize)
    raise("axis ", axis, " of the input must be whole on every rank");
  GatherElementsKernel kernel{static_cast<const float *>(buffers[0]),
                              static_cast<const float *>(buffers[1]),
                              static_cast<float *>(buffers[2]),
                              rank,
                              static_cast<int>(axis),
                              x.extent[axis],
                              {},
                              {},
                              {},
                              y.numElements()};
  std::vector<int64_t> strides = denseStrides(x.extent);
  for (int d = 0; d < rank; ++d) {
    kernel.extent[d] = y.extent[d];
    kernel.xStride[d] = strides[d];
    kernel.shift[d] = y.start[d] - x.start[d];
    bool inside = kernel.shift[d] >= 0 && kernel.shift[d] + y.extent[d] <= x.extent[d];
    if (d != axis && y.extent[d] > 0 && !inside)
      raise("dim ", d, ": output positions [", y.start[d], ", ", y.start[d] + y.extent[d],
            ") are not all in the input's [", x.start[d], ", ", x.start[d] + x.extent[d], ")");
  }
  if (kernel.threads() > 0)
    ctx->device.launch(kernel);
}

} // namespace
} // namespace quilt

extern "C" void quilt_rt_gather_elements(quilt_rt_ctx *ctx, const int64_t *params,
                                         void **buffers) {
  quilt::runEntry(ctx, quilt::Phase::Compute, "gather_elements",
                  [&] { quilt::gatherElements(ctx, params, buffers); });
}
