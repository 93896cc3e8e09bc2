//===- Topology.h - the machine a plan runs on ------------------*- C++ -*-===//
//
// A topology file (docs/topology-format.md) describes a machine: the levels
// of its network, innermost first (NVLink inside a node, InfiniBand between
// nodes, a dragonfly's global links), each with a latency and an *effective*
// bandwidth, and one device's compute model. The plan cost model
// (PlanCost.h) turns a partitioned program's exact per-rank bytes, message
// counts and FLOPs into time with it; quilt-calibrate writes one for the
// machine at hand.
//
//===----------------------------------------------------------------------===//
#ifndef QUILT_ANALYSIS_TOPOLOGY_H
#define QUILT_ANALYSIS_TOPOLOGY_H

#include "quilt/collective_algorithms.h"

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/StringRef.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace quilt {

/// One level of the network: devices inside one unit of it (a node, a
/// dragonfly group) talk over its links.
struct NetworkLevel {
  std::string name;
  /// "shared-memory", "switch" (NVSwitch), "fat-tree", "dragonfly", "torus".
  std::string kind;
  /// Devices one unit of this level holds (e.g. 8 GPUs in a node); 0 on the
  /// last level only: the whole machine.
  int64_t devices = 0;
  /// Latency of one message crossing this level, microseconds.
  double alphaUs = 0;
  /// Effective point-to-point / ring bandwidth per device and direction,
  /// GB/s (1e9 bytes/s): what nccl-tests' bus bandwidth shows, not a datasheet.
  double bandwidthGBps = 0;
  /// Bus bandwidth of an in-fabric all-reduce (NVLink SHARP, NVLS) where the
  /// fabric has one; 0: none.
  double allReduceBandwidthGBps = 0;
  /// Inter-node levels: NICs per node and GB/s per NIC; the ranks of a node
  /// sending across this level at once share them. 0: not shared.
  int64_t nicsPerNode = 0;
  double nicBandwidthGBps = 0;
  /// Fraction of injection bandwidth the level's links carry for traffic
  /// spread over it (dragonfly global links); 1: full bisection.
  double taper = 1.0;
  std::string source;
};

/// A measured profile point: an op class at one local shape.
struct ProfilePoint {
  std::string opClass;
  std::vector<int64_t> shape;
  double us = 0;
};

/// A collective measured on the machine (quilt-calibrate), by the bytes a
/// rank sends (Quilt's exact accounting, ring counts): its measured points
/// where the file lists them, else alpha + bytes / bandwidth. Used instead
/// of the algorithm formulas for that kind, algorithm and group size,
/// whatever the reduction and element type (quilt-calibrate measures float
/// sums; a moments all-reduce combines at a higher cost).
struct MeasuredCollective {
  /// "all_reduce", "all_gather", "reduce_scatter", "all_to_all",
  /// "halo_exchange", "collective_permute", "ring_attention".
  std::string kind;
  int64_t ranks = 0;
  double alphaUs = 0;
  double bandwidthGBps = 0;
  /// How it ran: the library's own collective (the default, and the only
  /// one for the point-to-point kinds) or one of Quilt's schedules.
  CollectiveAlgorithm algorithm = CollectiveAlgorithm::Library;
  /// Measured (bytes sent, microseconds), bytes increasing; may be empty.
  std::vector<std::pair<double, double>> points;

  /// Microseconds of one call in which a rank sends `sentBytes`
  /// (measuredCurveUs at the fitted bandwidth; the fitted line misses small
  /// sizes by up to 4x: latency does not grow linearly). Without points,
  /// the fit.
  double us(double sentBytes) const;
};

/// Microseconds at `bytes` on a measured curve of (bytes, microseconds)
/// points, bytes increasing, not empty: between two measured sizes, the
/// straight line between them on log-log axes; below the smallest, its
/// time; past the largest, its time plus the rest at `tailGBps`.
double measuredCurveUs(llvm::ArrayRef<std::pair<double, double>> points, double bytes,
                       double tailGBps);

/// One device's compute model: a roofline per op class.
struct DeviceModel {
  std::string name;
  double memoryBytes = 0;
  /// Peak GFLOP/s per dtype ("f32", "tf32", "f16", "bf16").
  std::map<std::string, double> peakGflops;
  double memoryBandwidthGBps = 0;
  /// Fixed cost of one kernel (launch, dispatch), microseconds.
  double launchUs = 0;
  /// Strided pack/unpack of halo slabs, GB/s (defaults to memory bandwidth).
  double packBandwidthGBps = 0;
  /// What each run of a copy past the first costs one rank while every rank
  /// copies, us (one-float runs that follow each other, a memcpy call
  /// each): an all-to-all's packing of a minor dim's blocks, an index map's
  /// rows. Without one (hasCopyRun false), the pack bandwidth's per-run
  /// cost.
  double copyRunUs = 0;
  bool hasCopyRun = false;
  /// The same for each row of the runtime's index map (a pad's or a
  /// slice's rows of the last dim), us; without one, copyRunUs.
  double indexRowUs = 0;
  bool hasIndexRow = false;
  /// The largest plane of a strided FFT (n x inner complex points, bytes)
  /// that runs like a contiguous transform (class "fft"); wider planes
  /// leave the cache (class "fft_strided"). quilt-calibrate finds it by
  /// sweeping the plane; the default is half the 512 KiB L2 of current
  /// server cores (AMD Zen 2-4).
  double fftCachedPlaneBytes = kDefaultFftCachedPlaneBytes;
  static constexpr double kDefaultFftCachedPlaneBytes = 256.0 * 1024;
  /// CPU machines: cores per node (0: a GPU, one device per rank). With
  /// cores, peak and memory bandwidth are the node's, shared evenly by the
  /// ranks on it (each rank's kernels run on cores / ranks threads); more
  /// ranks than cores time-slice, and the plan is labelled oversubscribed.
  int64_t cores = 0;
  /// Fraction of peak reached per op class: "conv", "conv3d", "gemm", "fft",
  /// "fft_strided", "elementwise", "reduction", "normalization", "attention",
  /// "data_movement", "pool", "pool3d", "resize", "conv_transpose",
  /// "softmax". A variant class a file does not name takes its base class's
  /// figures (baseOpClass).
  std::map<std::string, double> efficiency;
  /// Optional, per op class: the fraction of the memory bandwidth its
  /// kernels stream at. A class named here takes `efficiency` for its FLOPs
  /// only (compute-bound at a small fraction of peak, streaming at full
  /// bandwidth: one efficiency cannot fit a 2x2 pool and a 3x3x3 one).
  std::map<std::string, double> memoryEfficiency;
  /// Optional, measured: (bytes, microseconds) of one rank copying `bytes`
  /// (read once, written once, one thread, contiguous) while every rank of
  /// the node copies at once, the source just written and the destination
  /// not cached, as a halo exchange copies its block or a concat its
  /// operands. Small copies run at cache speed (a 2 MiB copy on the 2-core
  /// VM: 72 us against 150 at its share of the STREAM bandwidth). Empty:
  /// copies stream at the memory bandwidth.
  std::vector<std::pair<double, double>> copyPoints;
  std::vector<ProfilePoint> profile;
  /// CPU machines: the op classes whose kernels use every thread of a rank
  /// (library kernels); the others run on one core. Empty: all of them.
  std::vector<std::string> threadedClasses;
  std::string source;

  /// Whether kernels of `opClass` use all of a rank's cores (a variant not
  /// listed: as its base class).
  bool threaded(llvm::StringRef opClass) const;
};

/// The class a variant refines, which times it in a topology that does not
/// tell the two apart: fft_strided -> fft (a transform along a wide strided
/// axis), conv3d -> conv and pool3d -> pool (three spatial dims: oneDNN's and
/// the runtime's 3-D kernels run 1.7-2.4x slower per FLOP than the 2-D ones
/// on the 2-core VM). Empty for a base class.
llvm::StringRef baseOpClass(llvm::StringRef opClass);

struct Topology {
  int64_t version = 1;
  std::string name, description;
  /// Innermost first; the last one spans the machine.
  std::vector<NetworkLevel> levels;
  DeviceModel device;
  std::vector<MeasuredCollective> measured;
  /// Where the file came from, for messages.
  std::string path;

  /// Devices in one node: the first level's unit (all of them when the first
  /// level spans the machine, as on one CPU box), at most `totalDevices`.
  int64_t devicesPerNode(int64_t totalDevices) const;
  /// The innermost level whose unit holds both devices (placement: device d
  /// sits in unit d / devices of each level).
  size_t levelBetween(int64_t a, int64_t b) const;
  /// Efficiency of `opClass` (1 if the file names none).
  double efficiencyOf(llvm::StringRef opClass) const;
  /// Efficiency of `opClass`'s memory traffic: its memory_efficiency (a
  /// variant's, else its base class's), else efficiencyOf.
  double memoryEfficiencyOf(llvm::StringRef opClass) const;
  /// The measured curve for `kind` by `algorithm` over `ranks` ranks, if
  /// calibrated.
  const MeasuredCollective *
  measuredFor(llvm::StringRef kind, int64_t ranks,
              CollectiveAlgorithm algorithm = CollectiveAlgorithm::Library) const;
};

/// Parses a topology file's text; `fileName` prefixes errors. Fails with one
/// line in `error` naming the field: a missing or unknown field, a
/// non-positive bandwidth, an unknown level kind, levels not nested.
mlir::FailureOr<Topology> parseTopology(llvm::StringRef json, llvm::StringRef fileName,
                                        std::string &error);

/// `--topology=` lookup: a path to a file, or NAME, a file shipped in
/// topologies/ (NAME.json).
mlir::FailureOr<Topology> loadTopology(llvm::StringRef nameOrPath, std::string &error);

/// The directory of shipped topology files (QUILT_TOPOLOGY_DIR in the
/// environment overrides the built-in one).
std::string shippedTopologyDir();

/// The names `loadTopology` finds there: each NAME.json's NAME, sorted.
std::vector<std::string> shippedTopologyNames();

} // namespace quilt

#endif // QUILT_ANALYSIS_TOPOLOGY_H
