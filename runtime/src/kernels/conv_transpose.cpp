// Transposed convolution in global coordinates: input position i (global)
// feeds output positions i * stride - pad_lo + j * dilation. Each kernel tap
// is one sgemm (filter tap x input block) followed by a scatter-add into the
// output positions that tap reaches on this rank. Input positions outside the
// global domain (a zero halo) contribute nothing and are skipped.
#include "context.h"
#include "error.h"
#include "layout.h"

#include <dnnl.hpp>

#include <algorithm>
#include <vector>

namespace quilt {
namespace {

void convTranspose(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  OpParams op = decodeParams(*ctx, params);
  bool hasBias = op.attrs.next() != 0;
  int64_t spatial = op.attrs.next(), group = op.attrs.next();
  expectTensorCount(op, hasBias ? 4 : 3, hasBias ? 4 : 3);
  const TensorView &x = op.tensors[0], &w = op.tensors[1], &y = op.tensors.back();
  if (spatial < 1 || spatial > 3 || x.rank() != spatial + 2 || y.rank() != x.rank() ||
      w.rank() != x.rank())
    raise("spatial rank ", spatial, " does not match tensors of rank ", x.rank());
  std::vector<int64_t> strides = op.attrs.nextList(spatial);
  std::vector<int64_t> dilations = op.attrs.nextList(spatial);
  std::vector<int64_t> padsLo = op.attrs.nextList(spatial);
  int64_t batch = x.extent[0], channels = x.extent[1], outChannels = y.extent[1];
  if (group < 1 || channels != w.extent[0] || channels % group != 0 ||
      outChannels != w.extent[1] * group || y.extent[0] != batch)
    raise("channels: input ", channels, ", filter ", w.extent[0], "x", w.extent[1], ", output ",
          outChannels, ", group ", group);
  int64_t cg = channels / group, mg = outChannels / group;
  int64_t pin = x.product(2, x.rank()), pout = y.product(2, y.rank());
  int64_t taps = w.product(2, w.rank());

  const float *in = static_cast<const float *>(buffers[0]);
  const float *filter = static_cast<const float *>(buffers[1]);
  float *out = static_cast<float *>(buffers[op.tensors.size() - 1]);
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t m = 0; m < outChannels; ++m) {
      float b = hasBias ? static_cast<const float *>(buffers[2])[m] : 0.f;
      std::fill(out + (n * outChannels + m) * pout, out + (n * outChannels + m + 1) * pout, b);
    }
  if (pin == 0 || pout == 0 || cg == 0)
    return;

  // Per tap and spatial dim: the local output index each local input index
  // feeds, or -1 (outside this rank's outputs, or a padding input).
  std::vector<int64_t> outStride(spatial, 1);
  for (int64_t d = spatial - 2; d >= 0; --d)
    outStride[d] = outStride[d + 1] * y.extent[2 + d + 1];
  std::vector<float> packed(mg * cg), product(mg * pin);
  std::vector<std::vector<int64_t>> target(spatial);
  std::vector<int64_t> tap(spatial, 0), index(spatial, 0);
  for (int64_t t = 0; t < taps; ++t) {
    int64_t rest = t;
    for (int64_t d = spatial - 1; d >= 0; --d) {
      tap[d] = rest % w.extent[2 + d];
      rest /= w.extent[2 + d];
    }
    bool any = true;
    for (int64_t d = 0; d < spatial; ++d) {
      const int dim = static_cast<int>(2 + d);
      target[d].assign(x.extent[dim], -1);
      bool hit = false;
      for (int64_t i = 0; i < x.extent[dim]; ++i) {
        int64_t global = x.start[dim] + i;
        if (global < 0 || global >= x.dims[dim].globalSize)
          continue;
        int64_t o = global * strides[d] - padsLo[d] + tap[d] * dilations[d] - y.start[dim];
        if (o >= 0 && o < y.extent[dim]) {
          target[d][i] = o;
          hit = true;
        }
      }
      any = any && hit;
    }
    if (!any)
      continue;
    for (int64_t g = 0; g < group; ++g) {
      for (int64_t m = 0; m < mg; ++m)
        for (int64_t c = 0; c < cg; ++c)
          packed[m * cg + c] = filter[((g * cg + c) * mg + m) * taps + t];
      for (int64_t n = 0; n < batch; ++n) {
        const float *block = in + (n * channels + g * cg) * pin;
        dnnl::status status = dnnl::sgemm('N', 'N', mg, pin, cg, 1.f, packed.data(), cg, block,
                                          pin, 0.f, product.data(), pin);
        if (status != dnnl::status::success)
          raise("oneDNN sgemm failed with status ", static_cast<int>(status));
        float *dst = out + (n * outChannels + g * mg) * pout;
        std::fill(index.begin(), index.end(), 0);
        for (int64_t p = 0; p < pin; ++p) {
          int64_t offset = 0;
          bool inside = true;
          for (int64_t d = 0; d < spatial && inside; ++d) {
            int64_t o = target[d][index[d]];
            inside = o >= 0;
            offset += o * outStride[d];
          }
          if (inside)
            for (int64_t m = 0; m < mg; ++m)
              dst[m * pout + offset] += product[m * pin + p];
          for (int64_t d = spatial - 1; d >= 0; --d) {
            if (++index[d] < x.extent[2 + d])
              break;
            index[d] = 0;
          }
        }
      }
    }
  }
}

} // namespace
} // namespace quilt

extern "C" void quilt_rt_conv_transpose(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  quilt::runEntry(ctx, quilt::Phase::Compute, "conv_transpose",
                  [&] { quilt::convTranspose(ctx, params, buffers); });
}
