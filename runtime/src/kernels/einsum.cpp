// Two-operand einsum as a batched sgemm: letters split into batch (both
// operands and the result), left-free, right-free and contracted ones. The
// operands are packed to [batch, left, contracted] and [batch, contracted,
// right], multiplied per batch position, and the [batch, left, right]
// product is permuted into the result's letter order.
#include "context.h"
#include "error.h"
#include "layout.h"

#include <dnnl.hpp>

#include <algorithm>
#include <vector>

namespace quilt {
namespace {

/// dst (dense over `order` of src's dims) = src permuted; `extent` is src's.
void permuteCopy(const float *src, const std::vector<int64_t> &extent,
                 const std::vector<int> &order, float *dst) {
  int rank = static_cast<int>(order.size());
  std::vector<int64_t> srcStrides = denseStrides(extent);
  std::vector<int64_t> dstExtent(rank), readStrides(rank);
  int64_t total = 1;
  for (int k = 0; k < rank; ++k) {
    dstExtent[k] = extent[order[k]];
    readStrides[k] = srcStrides[order[k]];
    total *= dstExtent[k];
  }
  std::vector<int64_t> index(rank, 0);
  int64_t offset = 0;
  for (int64_t i = 0; i < total; ++i) {
    dst[i] = src[offset];
    for (int k = rank - 1; k >= 0; --k) {
      if (++index[k] < dstExtent[k]) {
        offset += readStrides[k];
        break;
      }
      offset -= readStrides[k] * (dstExtent[k] - 1);
      index[k] = 0;
    }
  }
}

class EinsumPlan : public KernelPlan {
public:
  std::vector<float> a, b, c;
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
  size_t words = op.attrs.position() - params;
  auto *plan = ctx->findPlan<EinsumPlan>(params, words);
  if (!plan)
    plan = &ctx->storePlan(params, words, std::make_unique<EinsumPlan>());
  plan->a.resize(nb * m * k);
  plan->b.resize(nb * k * n);
  plan->c.resize(nb * m * n);
  auto orderOf = [&](const std::vector<int64_t> &term,
                     std::initializer_list<const std::vector<int64_t> *> groups) {
    std::vector<int> order;
    for (const auto *g : groups)
      for (int64_t l : *g)
        order.push_back(position(term, l));
    return order;
  };
  permuteCopy(static_cast<const float *>(buffers[0]), views[0]->extent,
              orderOf(terms[0], {&batch, &left, &contracted}), plan->a.data());
  permuteCopy(static_cast<const float *>(buffers[1]), views[1]->extent,
              orderOf(terms[1], {&batch, &contracted, &right}), plan->b.data());
  for (int64_t i = 0; i < nb; ++i) {
    float *c = plan->c.data() + i * m * n;
    if (k == 0) {
      std::fill(c, c + m * n, 0.f);
      continue;
    }
    dnnl::status status = dnnl::sgemm('N', 'N', m, n, k, 1.f, plan->a.data() + i * m * k, k,
                                      plan->b.data() + i * k * n, n, 0.f, c, n);
    if (status != dnnl::status::success)
      raise("oneDNN sgemm failed with status ", static_cast<int>(status));
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
  permuteCopy(plan->c.data(), productExtent, order, out);
}

} // namespace
} // namespace quilt

extern "C" void quilt_rt_einsum(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  quilt::runEntry(ctx, quilt::Phase::Compute, "einsum",
                  [&] { quilt::einsum(ctx, params, buffers); });
}
