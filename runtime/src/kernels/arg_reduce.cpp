// ArgMax and ArgMin along one dim (quilt_rt_arg_reduce): the winner's index
// when the dim is whole; over a split dim, each rank's (value, global index)
// candidate, and after the compiler's all-gather of every block's candidate
// (in rank order), the selection among them. Kernel: arg_reduce_kernels.h.
#include "arg_reduce_kernels.h"
#include "context.h"
#include "error.h"
#include "layout.h"

namespace quilt {
namespace {

void argReduce(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  OpParams op = decodeParams(*ctx, params);
  expectTensorCount(op, 2, 2);
  int64_t axis = op.attrs.next();
  bool min = op.attrs.next() != 0, selectLast = op.attrs.next() != 0;
  int64_t mode = op.attrs.next();
  const TensorView &x = op.tensors[0], &y = op.tensors[1];
  if (mode != QUILT_ARG_INDEX && mode != QUILT_ARG_CANDIDATES && mode != QUILT_ARG_SELECT)
    raise("unknown arg_reduce mode ", mode);
  // Candidates and selections carry (value, index) pairs in a trailing dim:
  // `plain` is the tensor without it, `other` the one with it (or the index).
  bool pairs = mode != QUILT_ARG_INDEX;
  const TensorView &plain = mode == QUILT_ARG_SELECT ? y : x;
  const TensorView &other = mode == QUILT_ARG_SELECT ? x : y;
  int rank = plain.rank();
  if (axis < 0 || axis >= rank)
    raise("axis ", axis, " is out of range for rank ", rank);
  if (other.rank() != rank + (pairs ? 1 : 0) || (pairs && other.extent[rank] != 2))
    raise("the (value, index) pairs need the rank of the values plus a trailing dim of 2");
  for (int d = 0; d < rank; ++d)
    if (d != axis && plain.extent[d] != other.extent[d])
      raise("dim ", d, " has extent ", y.extent[d], " in the output and ", x.extent[d],
            " in the input");
  if (y.extent[axis] != 1)
    raise("the output keeps axis ", axis, " with extent 1");
  int a = static_cast<int>(axis);
  ArgReduceKernel kernel{static_cast<const float *>(buffers[0]),
                         static_cast<float *>(buffers[1]),
                         x.product(0, a),
                         x.extent[a],
                         x.product(a + 1, rank),
                         mode == QUILT_ARG_CANDIDATES ? x.start[a] : 0,
                         mode,
                         min,
                         selectLast};
  if (kernel.threads() > 0)
    ctx->device.launch(kernel);
}

} // namespace
} // namespace quilt

extern "C" void quilt_rt_arg_reduce(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  quilt::runEntry(ctx, quilt::Phase::Compute, "arg_reduce",
                  [&] { quilt::argReduce(ctx, params, buffers); });
}
