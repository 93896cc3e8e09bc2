//===- CostFormulas.h - alpha-beta time of collectives and kernels -*- C++ -*-===//
//
// The formulas of the plan cost model, as plain functions of numbers so that
// each is tested against hand-worked values (test/unit/CostFormulasTest.cpp).
// Time in microseconds, bytes in bytes, bandwidth in GB/s (1e9 bytes/s), so
// that bytes / (bandwidth * 1e3) is microseconds.
//
// Sources (../shared/research/topology.md): Thakur, Rabenseifner & Gropp
// 2005 and MPICH's coll/ comments for ring, recursive doubling, Rabenseifner,
// Bruck and pairwise algorithms; NCCL's tuning.cc for NVLS (an in-switch
// all-reduce whose bus bandwidth a topology gives) and the two-level shape.
//
//===----------------------------------------------------------------------===//
#ifndef QUILT_ANALYSIS_COSTFORMULAS_H
#define QUILT_ANALYSIS_COSTFORMULAS_H

#include "quilt/collective_algorithms.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace quilt {

/// Latency and bandwidth of the links one step of an algorithm crosses.
struct LinkCost {
  double alphaUs = 0;
  double bandwidthGBps = 1;
  /// Microseconds to move `bytes` at this bandwidth.
  double transferUs(double bytes) const { return bytes / (bandwidthGBps * 1e3); }
};

/// A collective algorithm and its predicted time.
struct AlgorithmTime {
  std::string algorithm;
  double us = 0;
};

/// ceil(log2(p)) and whether p is a power of two.
int64_t ceilLog2(int64_t p);
bool isPowerOfTwo(int64_t p);

// All-reduce of a `bytes` buffer on each of `p` ranks.
/// Ring: 2(p-1) alpha + 2 (p-1)/p n beta.
double ringAllReduceUs(int64_t p, double bytes, LinkCost link);
/// Recursive doubling: lg p (alpha + n beta); latency-bound buffers. Other
/// p: the extra ranks fold in and get the result back, floor(lg p) + 2 steps.
double recursiveDoublingAllReduceUs(int64_t p, double bytes, LinkCost link);
/// Rabenseifner (reduce-scatter by halving, all-gather by doubling):
/// 2 lg p alpha + 2 (p-1)/p n beta; a non-power of two first folds the
/// extra ranks in and returns them the result: with q = 2^floor(lg p),
/// (2 lg q + 2) alpha + (2 (q-1)/q + 2) n beta.
double rabenseifnerAllReduceUs(int64_t p, double bytes, LinkCost link);
/// In-switch reduction (NVLS): alpha + 2 (p-1)/p n / busBandwidth.
double switchAllReduceUs(int64_t p, double bytes, double alphaUs, double busBandwidthGBps);
/// Two levels: ring reduce-scatter inside each of `nodes` groups of `g`,
/// an all-reduce of n/g between nodes (`interAllReduceUs`, the cheapest of
/// the flat ones over `nodes` ranks), then a ring all-gather inside.
double twoLevelAllReduceUs(int64_t g, int64_t nodes, double bytes, LinkCost intra,
                           LinkCost inter);

// All-gather producing `gatheredBytes` on each of `p` ranks (n = gathered).
/// Ring: (p-1) alpha + (p-1)/p N beta.
double ringAllGatherUs(int64_t p, double gatheredBytes, LinkCost link);
/// Recursive doubling / Bruck: ceil(lg p) alpha + (p-1)/p N beta.
double bruckAllGatherUs(int64_t p, double gatheredBytes, LinkCost link);

// Reduce-scatter of a `bytes` buffer on each of `p` ranks.
/// Ring: (p-1) alpha + (p-1)/p n beta.
double ringReduceScatterUs(int64_t p, double bytes, LinkCost link);
/// Recursive halving: ceil(lg p) alpha + (p-1)/p n beta.
double halvingReduceScatterUs(int64_t p, double bytes, LinkCost link);

// All-to-all where each rank sends `sentBytes` in all to the others.
/// Pairwise exchange: (p-1) alpha + n beta.
double pairwiseAllToAllUs(int64_t p, double sentBytes, LinkCost link);
/// Bruck: ceil(lg p) alpha + (n p/(p-1)) / 2 ceil(lg p) beta (every step
/// forwards half the buffer).
double bruckAllToAllUs(int64_t p, double sentBytes, LinkCost link);

/// Point to point (a halo exchange, a permute): `messages` messages carrying
/// `bytes` in all, posted at once: they overlap in flight, so one alpha, and
/// the bytes serialize on the rank's port (the k = 1 of a shared injection
/// port; a calibrated halo curve replaces this where measured). 0 messages: 0.
double exchangeUs(int64_t messages, double bytes, LinkCost link);

/// The time of the runtime's own schedule `algorithm` (collective_algorithms.h)
/// for `kind` over `p` ranks; `bytes` as the formulas above take them: the
/// all-reduce's buffer, the all-gather's gathered result, the reduce-scatter's
/// input, the all-to-all's bytes sent. None for the library's collectives
/// and for a schedule that does not run `kind` over `p` ranks.
std::optional<double> scheduleUs(CollectiveKind kind, CollectiveAlgorithm algorithm, int64_t p,
                                 double bytes, LinkCost link);
/// Bytes of memory traffic (read plus written) the schedule makes on its
/// busiest member besides the messages, `bytes` as scheduleUs takes them:
/// each combine reads two partials and writes one (ring all-reduce (p-1)/p
/// of the buffer, recursive doubling lg p buffers, Rabenseifner (p-1)/p,
/// plus one buffer where the extra ranks fold in), a reduce-scatter works on
/// a copy of its input, Bruck rotates its gathered row into place.
double scheduleMemoryBytes(CollectiveKind kind, CollectiveAlgorithm algorithm, int64_t p,
                           double bytes);
/// scheduleUs plus scheduleMemoryBytes at `memoryGBps` (0: messages only);
/// none where scheduleUs has none.
std::optional<double> scheduleWithMemoryUs(CollectiveKind kind, CollectiveAlgorithm algorithm,
                                           int64_t p, double bytes, LinkCost link,
                                           double memoryGBps);
/// The cheapest of the runtime's own schedules for `kind` over `p` ranks by
/// scheduleWithMemoryUs (ties: the lower ABI number); none if no schedule
/// serves it.
std::optional<std::pair<CollectiveAlgorithm, double>>
cheapestSchedule(CollectiveKind kind, int64_t p, double bytes, LinkCost link,
                 double memoryGBps = 0);

/// The cheapest of the algorithms for each kind (ties: the first listed): the
/// model of a library that picks among them itself.
AlgorithmTime cheapestAllReduce(int64_t p, double bytes, LinkCost link,
                                double switchBusBandwidthGBps = 0);
AlgorithmTime cheapestAllGather(int64_t p, double gatheredBytes, LinkCost link);
AlgorithmTime cheapestReduceScatter(int64_t p, double bytes, LinkCost link);
AlgorithmTime cheapestAllToAll(int64_t p, double sentBytes, LinkCost link);

/// nccl-tests' bus bandwidth of a collective that took `us` (GB/s):
/// algbw = S / t with S the buffer (all-reduce) or the gathered result
/// (all-gather, reduce-scatter input), times 2(p-1)/p (all-reduce) or
/// (p-1)/p (all-gather, reduce-scatter, all-to-all).
double busBandwidthGBps(const std::string &kind, int64_t p, double bytes, double us);

/// Roofline time of a kernel: launch + max(flops / (peak eff),
/// bytes / (memory bandwidth eff)). GFLOP/s and GB/s.
double rooflineUs(double flops, double bytes, double peakGflops, double memoryGBps,
                  double efficiency, double launchUs);
/// The same with one efficiency for the FLOPs and another for the bytes (a
/// class whose kernels are compute-bound at a small fraction of peak while
/// streaming at full bandwidth, such as the runtime's pooling loops).
double rooflineUs(double flops, double bytes, double peakGflops, double memoryGBps,
                  double computeEfficiency, double memoryEfficiency, double launchUs);

} // namespace quilt

#endif // QUILT_ANALYSIS_COSTFORMULAS_H
