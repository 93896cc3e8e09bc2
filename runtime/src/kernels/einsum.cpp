// Two-operand einsum as a strided-batched sgemm (the backend's Blas):
// letters split into batch (both operands and the result), left-free,
// right-free and contracted ones. Operands not already laid out [batch,
// left, contracted] and [batch, contracted, right] (or with the last two
// swapped, read transposed) are packed by a transpose kernel; the [batch,
// left, right] product is permuted into the result's letter order unless it
// already is it. Scratch is device memory kept in the op's plan.
#include "box.h"
#include "context.h"
#include "error.h"
#include "layout.h"
#include "libraries/blas.h"
#include "transpose_kernels.h"

#include <algorithm>
#include <vector>

namespace quilt {
namespace {

/// dst (dense over `order` of src's dims) = src permuted; `extent` is src's.
/// A transpose kernel over dst's dims, folded like quilt_rt_transpose's.
void permuteCopy(Device &device, const float *src, const std::vector<int64_t> &extent,
                 const std::vector<int> &order, float *dst) {
  int rank = static_cast<int>(order.size());
  std::vector<int64_t> srcStrides = denseStrides(extent);
  TransposeKernel kernel{src, dst, 0, {}, {}, 1};
  for (int k = 0; k < rank; ++k) {
    int64_t e = extent[order[k]], stride = srcStrides[order[k]];
    kernel.total *= e;
    if (e == 1)
      continue;
    int last = kernel.dims - 1;
    if (last >= 0 && kernel.readStride[last] == stride * e) {
      kernel.extent[last] *= e;
      kernel.readStride[last] = stride;
      continue;
    }
    kernel.extent[kernel.dims] = e;
    kernel.readStride[kernel.dims] = stride;
    ++kernel.dims;
  }
  if (kernel.total > 0)
    device.launch(kernel);
}

bool isIdentity(const std::vector<int> &order) {
  for (size_t i = 0; i < order.size(); ++i)
    if (order[i] != static_cast<int>(i))
      return false;
  return true;
}

/// Packed operands and product (device memory), kept between calls.
class EinsumPlan : public KernelPlan {
public:
  DeviceBuffer a, b, c;
};

void einsum(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  OpParams op = decodeParams(*ctx, params);
  expectTensorCount(op, 3, 3);
  std::vector<int64_t> terms[3];
  for (auto &term : terms)
    term = op.attrs.nextList(op.attrs.next());
  const TensorView *views[3] = {&op.tensors[0], &op.tensors[1], &op.tensors[2]};
  int64_t extentOf[26];
  std::fill(std::begin(extentOf), std::end(extentOf), -1);
  for (int t = 0; t < 3; ++t) {
    if (static_cast<int>(terms[t].size()) != views[t]->rank())
      raise("equation term ", t, " has ", terms[t].size(), " letters for rank ",
            views[t]->rank());
    for (size_t d = 0; d < terms[t].size(); ++d) {
      int64_t letter = terms[t][d];
      if (letter < 0 || letter >= 26)
        raise("letter index ", letter, " out of range");
      int64_t e = views[t]->extent[d];
      if (extentOf[letter] >= 0 && extentOf[letter] != e)
        raise("letter ", char('a' + letter), " has local extents ", extentOf[letter], " and ", e);
      extentOf[letter] = e;
    }
  }
  auto has = [](const std::vector<int64_t> &term, int64_t letter) {
    return std::find(term.begin(), term.end(), letter) != term.end();
  };
  auto position = [](const std::vector<int64_t> &term, int64_t letter) {
    return static_cast<int>(std::find(term.begin(), term.end(), letter) - term.begin());
  };
  std::vector<int64_t> batch, left, right, contracted;
  for (int64_t l : terms[0])
    (has(terms[1], l) ? (has(terms[2], l) ? batch : contracted) : left).push_back(l);
  for (int64_t l : terms[1])
    if (!has(terms[0], l))
      right.push_back(l);
  auto product = [&](const std::vector<int64_t> &letters) {
    int64_t n = 1;
    for (int64_t l : letters)
      n *= extentOf[l];
    return n;
  };
  int64_t nb = product(batch), m = product(left), n = product(right), k = product(contracted);
  float *out = static_cast<float *>(buffers[2]);
  if (nb * m * n == 0)
    return;
  Device &device = ctx->device;
  if (k == 0) {
    // No sum: every product is 0.
    std::vector<int64_t> shape = views[2]->extent;
    device.fillBox(out, BoxRef{&shape, std::vector<int64_t>(shape.size(), 0)}, shape, 0.f);
    return;
  }
  Blas &blas = requireBlas(ctx->libraries, "einsum");
  size_t words = op.attrs.position() - params;
  auto *plan = ctx->findPlan<EinsumPlan>(params, words);
  if (!plan)
    plan = &ctx->storePlan(params, words, std::make_unique<EinsumPlan>());
  auto orderOf = [&](const std::vector<int64_t> &term,
                     std::initializer_list<const std::vector<int64_t> *> groups) {
    std::vector<int> order;
    for (const auto *g : groups)
      for (int64_t l : *g)
        order.push_back(position(term, l));
    return order;
  };
  // An operand already laid out [batch, left, contracted] (or [batch,
  // contracted, left], read transposed) goes to the product as it is;
  // otherwise it is packed.
  const float *a = static_cast<const float *>(buffers[0]);
  bool transA = false;
  if (!isIdentity(orderOf(terms[0], {&batch, &left, &contracted}))) {
    if (isIdentity(orderOf(terms[0], {&batch, &contracted, &left}))) {
      transA = true;
    } else {
      plan->a.reserve(device, nb * m * k * sizeof(float));
      permuteCopy(device, a, views[0]->extent, orderOf(terms[0], {&batch, &left, &contracted}),
                  plan->a.floats());
      a = plan->a.floats();
    }
  }
  const float *b = static_cast<const float *>(buffers[1]);
  bool transB = false;
  if (!isIdentity(orderOf(terms[1], {&batch, &contracted, &right}))) {
    if (isIdentity(orderOf(terms[1], {&batch, &right, &contracted}))) {
      transB = true;
    } else {
      plan->b.reserve(device, nb * k * n * sizeof(float));
      permuteCopy(device, b, views[1]->extent, orderOf(terms[1], {&batch, &contracted, &right}),
                  plan->b.floats());
      b = plan->b.floats();
    }
  }
  // [batch, left, right] -> the result's letter order.
  std::vector<int64_t> productTerm, productExtent;
  for (const auto *g : {&batch, &left, &right})
    for (int64_t l : *g) {
      productTerm.push_back(l);
      productExtent.push_back(extentOf[l]);
    }
  std::vector<int> order;
  for (int64_t l : terms[2])
    order.push_back(position(productTerm, l));
  bool direct = isIdentity(order);
  float *c = out;
  if (!direct) {
    plan->c.reserve(device, nb * m * n * sizeof(float));
    c = plan->c.floats();
  }
  blas.sgemm(transA, transB, m, n, k, 1.f, a, transA ? m : k, m * k, b, transB ? k : n, k * n,
             0.f, c, n, m * n, nb);
  if (!direct)
    permuteCopy(device, c, productExtent, order, out);
}

} // namespace
} // namespace quilt

extern "C" void quilt_rt_einsum(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  quilt::runEntry(ctx, quilt::Phase::Compute, "einsum",
                  [&] { quilt::einsum(ctx, params, buffers); });
}
