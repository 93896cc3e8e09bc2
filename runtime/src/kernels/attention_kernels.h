// Attention's own steps around the backend's products (kernels/attention.cpp):
// the per-query (max, sum, output) state of an online softmax, a bias added
// to a block of scores, the merge of the block into the state, and the final
// normalisation. One body for
// every device (device/kernel_list.h).
#ifndef QUILT_RUNTIME_ATTENTION_KERNELS_H
#define QUILT_RUNTIME_ATTENTION_KERNELS_H

#include "device/kernel_qualifiers.h"
#include "kernels/fast_exp.h"
#include "kernels/lane_reduce.h"

#include <cmath>
#include <cstdint>

namespace quilt {

/// Empty state for `rows` queries: max -inf, sum 0 (the output rows are
/// written by the first block merged, see AttentionMergeKernel::first). One
/// query per index.
struct AttentionStartKernel {
  float *rowMax, *rowSum;
  int64_t rows;

  QUILT_HD int64_t threads() const { return rows; }
  QUILT_HD void operator()(int64_t r) const {
    rowMax[r] = -INFINITY;
    rowSum[r] = 0.f;
  }
};

/// Merges a block of scores [rows, tk] (q k^T of the block's keys) into the
/// state: the new max m' = max(m, max_j s_j), the scores replaced by
/// p_j = exp(s_j - m'), sum = sum exp(m - m') + sum_j p_j, the output row
/// scaled by exp(m - m'). The caller then adds p v to the output rows; on
/// the `first` block it writes them (nothing to scale or add to). One query
/// per index. The max and the sum run in interleaved partial results
/// (lane_reduce.h) so the host compiler vectorizes them; the exp pass stores
/// and sums nothing.
struct AttentionMergeKernel {
  float *scores, *rowMax, *rowSum, *acc;
  int64_t rows, tk, dv;
  bool first;

  QUILT_HD int64_t threads() const { return rows; }
  QUILT_HD void operator()(int64_t r) const {
    float *row = scores + r * tk;
    float blockMax = laneMax(row);
    float m = rowMax[r];
    float newMax = m < blockMax ? blockMax : m;
    float rescale = fastExp(m - newMax);
    for (int64_t j = 0; j < tk; ++j)
      row[j] = fastExp(row[j] - newMax);
    rowSum[r] = rowSum[r] * rescale + laneSum(row);
    rowMax[r] = newMax;
    if (first)
      return;
    float *out = acc + r * dv;
    for (int64_t c = 0; c < dv; ++c)
      out[c] *= rescale;
  }

private:
  QUILT_HD float laneMax(const float *row) const {
    return laneReduce(
        tk, -INFINITY, [&](int64_t j) { return row[j]; },
        [](float a, float b) { return a < b ? b : a; });
  }
  QUILT_HD float laneSum(const float *row) const {
    return laneReduce(
        tk, 0.f, [&](int64_t j) { return row[j]; }, [](float a, float b) { return a + b; });
  }
};

/// Adds a bias to a block of scores [rows, tk] before the merge: row r is
/// query r + firstRow of the op, numbered over the queries' batch and token
/// dims (`rowDims`, extents `rowExtent`); key j is numbered over the block's
/// tile of the key grid (`keyDims`, extents `keyExtent`) whose global
/// position is j's index plus `keyOffset`. The bias element is the sum of
/// index times stride (stride 0: broadcast). One score per index.
struct AttentionBiasKernel {
  static constexpr int kMaxDims = 8;
  float *scores;
  const float *bias;
  int64_t rows, tk, firstRow;
  int rowDims, keyDims;
  int64_t rowExtent[kMaxDims], rowStride[kMaxDims];
  int64_t keyExtent[kMaxDims], keyOffset[kMaxDims], keyStride[kMaxDims];

  QUILT_HD int64_t rowOffset(int64_t r) const {
    int64_t at = r + firstRow, offset = 0;
    for (int d = rowDims; d-- > 0;) {
      offset += (at % rowExtent[d]) * rowStride[d];
      at /= rowExtent[d];
    }
    return offset;
  }
  QUILT_HD int64_t keyOffsetOf(int64_t j) const {
    int64_t offset = 0;
    for (int d = keyDims; d-- > 0;) {
      offset += (j % keyExtent[d] + keyOffset[d]) * keyStride[d];
      j /= keyExtent[d];
    }
    return offset;
  }
  QUILT_HD int64_t threads() const { return rows * tk; }
  QUILT_HD void operator()(int64_t i) const {
    scores[i] += bias[rowOffset(i / tk) + keyOffsetOf(i % tk)];
  }
  /// The host's loop: a row's offset once, then its keys walked as an
  /// odometer over the key tile (no division per score).
  void runOnHost() const {
    if (tk == 0)
      return;
    int64_t first = keyOffsetOf(0);
    int last = keyDims - 1;
    int64_t step = keyStride[last], extent = keyExtent[last];
    for (int64_t r = 0; r < rows; ++r) {
      const float *row = bias + rowOffset(r) + first;
      float *out = scores + r * tk;
      int64_t index[kMaxDims] = {};
      int64_t offset = 0;
      for (int64_t j = 0; j < tk;) {
        // One run along the minor key dim, then carry into the others.
        for (int64_t i = 0; i < extent; ++i)
          out[j + i] += row[offset + i * step];
        j += extent;
        for (int d = last - 1; d >= 0; --d) {
          offset += keyStride[d];
          if (++index[d] < keyExtent[d])
            break;
          offset -= keyExtent[d] * keyStride[d];
          index[d] = 0;
        }
      }
    }
  }
};

/// y [rows, dv] = the output rows divided by their sums (in place when acc
/// is y). One element per index.
struct AttentionFinishKernel {
  const float *acc, *rowSum;
  float *y;
  int64_t rows, dv;

  QUILT_HD int64_t threads() const { return rows * dv; }
  QUILT_HD void operator()(int64_t i) const { y[i] = acc[i] / rowSum[i / dv]; }
  /// The host's loop: a row at a time (no division per element index).
  void runOnHost() const {
    for (int64_t r = 0; r < rows; ++r) {
      float l = rowSum[r];
      for (int64_t c = 0; c < dv; ++c)
        y[r * dv + c] = acc[r * dv + c] / l;
    }
  }
};

} // namespace quilt

#endif // QUILT_RUNTIME_ATTENTION_KERNELS_H
