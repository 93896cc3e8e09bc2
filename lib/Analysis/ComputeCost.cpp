//===- ComputeCost.cpp - the work of one kernel on one rank ----------------===//
//
// One formula per op kind. FLOPs count a multiply-add as 2; an FFT of
// length n costs 5 n log2 n per complex signal (the usual FFTW convention),
// half that per real one;
// elementwise ops count one FLOP per result element (their time is the
// bytes they stream anyway).
//
//===----------------------------------------------------------------------===//
#include "quilt/Analysis/ComputeCost.h"

#include "Quilt/IR/LocalBuffers.h"
#include "quilt/partition_math.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace quilt;

namespace {

double product(ArrayRef<int64_t> extents, size_t begin = 0, size_t end = SIZE_MAX) {
  double n = 1;
  for (size_t i = begin; i < std::min(end, extents.size()); ++i)
    n *= extents[i];
  return n;
}

double elementBytes(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.getElementType().isIntOrFloat())
    return 4;
  return std::max<unsigned>(tensor.getElementType().getIntOrFloatBitWidth() / 8, 1);
}

/// Local extents and bytes of every operand and result of an op on one rank.
struct LocalShapes {
  SmallVector<SmallVector<int64_t>, 4> operands, results;
  double bytes = 0;

  LocalShapes(Operation *op, const MeshGrid &grid, ArrayRef<int64_t> coords) {
    auto add = [&](Value v, SmallVector<SmallVector<int64_t>, 4> &into) {
      auto type = dyn_cast<RankedTensorType>(v.getType());
      if (!type) {
        into.emplace_back();
        return;
      }
      into.push_back(grid.localExtents(type, coords));
      bytes += product(into.back()) * elementBytes(type);
    };
    for (Value v : op->getOperands())
      add(v, operands);
    for (Value v : op->getResults())
      add(v, results);
  }
  double resultElements() const { return results.empty() ? 0 : product(results.front()); }
};

KernelWork work(const char *opClass, double flops, const LocalShapes &s) {
  return {opClass, flops, s.bytes, true};
}

/// A box copy: the result's bytes read from the operands and written once
/// (a pad also writes its border, as part of the result), in the runs the
/// runtime makes: a concat's and a shard_slice's box copies fold trailing
/// dims that are whole (quilt::boxRuns); a pad and a slice map indices row
/// by row of the last dim (IndexMapKernel: indexRows); a reshape out of
/// place is one copy.
KernelWork copyWork(const LocalShapes &s, Operation *op, bool launches = true) {
  KernelWork copy = work("copy", 0, s);
  copy.launches = launches;
  ArrayRef<int64_t> result = s.results.front();
  copy.copyBytes = product(result) * elementBytes(op->getResult(0).getType());
  int rank = static_cast<int>(result.size());
  copy.copyRuns = llvm::TypeSwitch<Operation *, double>(op)
                      .Case([&](ConcatOp) {
                        double runs = 0;
                        for (ArrayRef<int64_t> operand : s.operands)
                          runs += boxRuns(operand.data(), operand.data(), result.data(), rank);
                        return runs;
                      })
                      .Case([&](ShardSliceOp) {
                        return double(boxRuns(result.data(), s.operands[0].data(), result.data(),
                                              rank));
                      })
                      .Default([](Operation *) { return 1.0; });
  if (isa<PadOp, SliceOp>(op)) {
    copy.copyRuns = 1;
    copy.indexRows = rank > 0 && result.back() > 0 ? product(result) / result.back() : 1.0;
  }
  return copy;
}

/// Attention of local queries against `keyTokens` keys: the products q k^T
/// and p v (2 FLOPs per query, key and feature each), then the runtime's
/// online softmax over every score as a loop of its own.
KernelWork attentionWork(ArrayRef<int64_t> q, ArrayRef<int64_t> v, double keyTokens,
                         const LocalShapes &s) {
  double scores = product(q, 0, q.size() - 1) * keyTokens;
  KernelWork work = {"attention", scores * (2.0 * q.back() + 2.0 * v.back()), s.bytes, true};
  work.loop = KernelLoop{"softmax", scores * kSoftmaxFlopsPerElement,
                         scores * kSoftmaxBytesPerScore};
  return work;
}

/// Spatial dims of a convolution or pool ([batch, channels, spatial...]):
/// volumetric kernels are classes of their own (baseOpClass).
size_t spatialDims(const LocalShapes &s) {
  return s.operands[0].size() > 2 ? s.operands[0].size() - 2 : 0;
}

/// Keys in the ring (every rank's block in turn): the global token count.
double globalKeyTokens(RankedTensorType k, int64_t tokenDims) {
  LocalAttr local = getLocalEncoding(k);
  ArrayRef<int64_t> shape = local ? local.getGlobal() : k.getShape();
  return product(shape, shape.size() - 1 - tokenDims, shape.size() - 1);
}

} // namespace

std::optional<KernelWork> quilt::kernelWork(Operation *op, const MeshGrid &grid,
                                            ArrayRef<int64_t> coords,
                                            double fftCachedPlaneBytes) {
  // A constant, or a rank's block of one, is computed once before the first
  // step (LocalBuffers.h): no time per step.
  if (isa<func::ReturnOp, AnnotateOp, MeshOp>(op) || computedOnceAtStart(op))
    return std::nullopt;
  // Communication without arithmetic: its time is the network's.
  if (isa<HaloExchangeOp, AllGatherOp, AllToAllOp, CollectivePermuteOp>(op))
    return std::nullopt;
  LocalShapes s(op, grid, coords);
  double out = s.resultElements();
  return llvm::TypeSwitch<Operation *, KernelWork>(op)
      .Case([&](ConvOp) {
        // Each output element: Cin/groups x kernel multiply-adds.
        return work(spatialDims(s) == 3 ? "conv3d" : "conv", 2.0 * out * product(s.operands[1], 1),
                    s);
      })
      .Case([&](ConvTransposeOp) {
        // Each input element scatters into Cout/groups x kernel outputs.
        return work("conv_transpose", 2.0 * product(s.operands[0]) * product(s.operands[1], 1), s);
      })
      .Case([&](GemmOp gemm) {
        ArrayRef<int64_t> a = s.operands[0];
        int64_t k = gemm.getTransA() ? a[0] : a[1];
        return work("gemm", 2.0 * out * k, s);
      })
      .Case([&](EinsumOp einsum) {
        // Every distinct letter once: the loop nest of the contraction.
        auto letters = einsum.parseEquation();
        double iterations = 1;
        if (succeeded(letters)) {
          std::string seen;
          for (int side = 0; side < 2; ++side)
            for (auto [d, c] : llvm::enumerate((*letters)[side]))
              if (seen.find(c) == std::string::npos) {
                seen.push_back(c);
                iterations *= s.operands[side][d];
              }
        }
        return work("gemm", 2.0 * iterations, s);
      })
      .Case([&](AttentionOp attention) {
        double keys = product(s.operands[1], s.operands[1].size() - 1 - attention.getTokenDims(),
                              s.operands[1].size() - 1);
        // Prefix keys (operand 3, [batch..., Tp, d]) are attended to as well.
        if (attention.getPrefixK())
          keys += s.operands[3][s.operands[3].size() - 2];
        return attentionWork(s.operands[0], s.operands[2], keys, s);
      })
      .Case([&](RingAttentionOp ring) {
        double keys = globalKeyTokens(ring.getK().getType(), ring.getTokenDims());
        if (ring.getPrefixK())
          keys += s.operands[3][s.operands[3].size() - 2];
        return attentionWork(s.operands[0], s.operands[2], keys, s);
      })
      .Case<MaxPoolOp, AvgPoolOp>([&](auto pool) {
        return work(spatialDims(s) == 3 ? "pool3d" : "pool", out * product(pool.getKernelShape()),
                    s);
      })
      .Case([&](DftOp dft) {
        // ONNX's layout: the last dim holds (real) or (real, imaginary).
        ArrayRef<int64_t> x = s.operands[0];
        double n = x[dft.getAxis()];
        bool real = x.back() == 1;
        double signals = product(x, 0, x.size() - 1) / std::max(1.0, n);
        // FFTW's real-input transform does about half a complex one's work.
        double perPoint = real ? 2.5 : 5.0;
        // Along a strided axis the runtime's plan walks planes of n x inner
        // points (libraries/host_fft.cpp); planes that leave the cache (the
        // topology's fft_cached_plane_bytes) run ~3x slower (class
        // fft_strided); narrow ones (the FNO's transforms over its retained
        // modes) run like contiguous transforms.
        double inner = product(x, dft.getAxis() + 1, x.size() - 1);
        double planeBytes = n * inner * 2 * sizeof(float);
        const char *opClass = inner > 1 && planeBytes > fftCachedPlaneBytes ? "fft_strided" : "fft";
        return work(opClass, perPoint * signals * n * std::log2(std::max(2.0, n)), s);
      })
      .Case([&](ResizeOp resize) {
        // A cubic output blends 4 taps per resampled dim, linear 2.
        bool cubic = resize.getSampling() == ResizeSampling::Cubic;
        return work("resize", (cubic ? 32.0 : 8.0) * out, s);
      })
      // One pass over the input along the axis.
      .Case<ArgReduceOp, ArgCandidatesOp, ArgSelectOp, CumSumOp, BlockSumOp>(
          [&](auto) { return work("reduction", product(s.operands[0]), s); })
      .Case([&](GatherElementsOp) { return work("data_movement", 0, s); })
      .Case<ReduceSumOp, ReduceMaxOp, ReduceMeanOp, ReduceProdOp>(
          [&](auto) { return work("reduction", product(s.operands[0]), s); })
      .Case<SoftmaxOp, LogSoftmaxOp>(
          [&](auto) { return work("softmax", kSoftmaxFlopsPerElement * out, s); })
      .Case<GroupNormOp, LayerNormOp>(
          [&](auto) { return work("normalization", 8.0 * out, s); })
      .Case([&](MomentsOp) { return work("normalization", 3.0 * product(s.operands[0]), s); })
      .Case([&](NormalizeOp) { return work("normalization", 4.0 * out, s); })
      .Case([&](AllReduceOp) {
        // The reduction arithmetic of the collective: one FLOP per element.
        return work("elementwise", out, s);
      })
      .Case([&](ReduceScatterOp) { return work("elementwise", product(s.operands[0]), s); })
      .Case([&](ReshapeOp) {
        // Over its operand's buffer (the memory plan's rule, LocalBuffers.h)
        // a reshape is no kernel at all; otherwise a copy.
        bool inPlace = operandReusedInPlace(*op, grid.mesh(), [](Value v) {
          return !isa_and_nonnull<ConstantOp>(v.getDefiningOp());
        }) != nullptr;
        return copyWork(s, op, !inPlace);
      })
      .Case([&](SliceOp slice) {
        // Steps other than 1 gather single elements, not runs.
        bool contiguous = llvm::all_of(slice.getSteps(), [](int64_t step) { return step == 1; });
        return contiguous ? copyWork(s, op) : work("data_movement", 0, s);
      })
      .Case<PadOp, ConcatOp, ShardSliceOp>([&](auto) { return copyWork(s, op); })
      .Case([&](TransposeOp) { return work("data_movement", 0, s); })
      .Default([&](Operation *) { return work("elementwise", out, s); });
}
