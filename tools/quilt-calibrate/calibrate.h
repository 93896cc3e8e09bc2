//===- calibrate.h - what quilt-calibrate's parts share ---------*- C++ -*-===//
//
// quilt-calibrate measures the machine it runs on: the network by MPI
// ping-pong and by the collectives the runtime calls (network.cpp), one
// node's compute by kernels on rank 0 (compute.cpp), and writes a topology
// file (quilt-calibrate.cpp, format in include/quilt/Analysis/Topology.h).
//
//===----------------------------------------------------------------------===//
#ifndef QUILT_CALIBRATE_CALIBRATE_H
#define QUILT_CALIBRATE_CALIBRATE_H

#include "fit.h"

#include <mpi.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace quilt::calibrate {

struct Options {
  std::string output;
  std::string name, description;
  bool quick = false;
  /// Largest message or buffer measured, bytes.
  int64_t maxBytes = 0;
  /// Bytes of other memory swept before each timed collective, as a
  /// model's kernels leave the caches full of other tensors (0: none).
  int64_t evictBytes = int64_t(32) << 20;
};

/// Where and how the measurements were taken, for every `source` string.
struct RunInfo {
  std::string host, date, timestamp, command;
  /// /proc/loadavg when the run started: other work skews every number.
  std::string loadAverage;
  int ranks = 0, ranksOnNode = 0, cores = 0;
};

/// Bytes x one rank sends and the time (seconds, max over ranks, median
/// over repetitions) of one measured size.
struct Curve {
  std::string kind;
  int ranks = 0;
  /// The collective algorithm timed: "library" (MPI's own collective), or
  /// one of Quilt's schedules (quilt/collective_algorithms.h).
  std::string algorithm = "library";
  std::vector<Point> points;
  AlphaBetaFit fit;
};

/// The collective kinds measured, as the topology file names them.
const std::vector<std::string> &collectiveKinds();

/// Waits for every rank of `comm` without spinning, so that a rank left out
/// of a measurement gives its core to the ranks taking it.
void sleepyBarrier(MPI_Comm comm);

/// Half round trip of MPI_Send/MPI_Recv between ranks 0 and 1 of
/// MPI_COMM_WORLD; other ranks wait. Collective over the world; the curve
/// is complete on rank 0.
Curve measurePingPong(const Options &options);

/// Every collective kind over groups of 2..size ranks (ranks 0..g-1): MPI's
/// own collective, and each of Quilt's schedules that serves the kind and
/// group (collective_schedules.h, run over the transport the runtime uses).
/// Collective over the world; the curves are complete on rank 0.
std::vector<Curve> measureCollectives(const Options &options);

/// One rank's copy of a contiguous buffer (memcpy, as the runtime's copyBox
/// copies a halo exchange's block or a concat's operands) while every rank
/// copies at once, each size after the caches were swept and the source
/// rewritten, as a kernel leaves it: kind "copy", points (bytes copied,
/// seconds, max over ranks). Collective over the world; complete on rank 0.
Curve measureCopies(const Options &options);

/// What a copy call costs one rank beyond its bytes while every rank copies,
/// us: one-float runs that follow each other in memory, one memcpy each (as
/// the runtime's box copies make them; an all-to-all packing the blocks of
/// a minor dim), against one memcpy of the same bytes. On rank 0.
double measureCopyRun(const Options &options);

/// What each row of the runtime's index map (kernels/pad_kernels.h, which
/// pads and slices run) costs one rank beyond its bytes while every rank
/// copies, us: a pad of rows of 2 floats (the FNO's complex pairs) to 4,
/// half of each output row copied, half filled, against one memcpy of the
/// output's bytes. On rank 0.
double measureIndexRow(const Options &options);

/// The node's compute, measured on rank 0 with all cores while the other
/// ranks wait. Only meaningful on rank 0.
struct DeviceMeasurement {
  std::string cpuName, isa;
  double memoryGB = 0;
  double peakGflops = 0;
  double memoryBandwidthGBps = 0;
  double packBandwidthGBps = 0;
  /// measureCopyRun's, taken with the network (every rank bound).
  double copyRunUs = 0, indexRowUs = 0;
  double launchUs = 0;
  int cores = 0;
  /// Per roofline figure (peak, memory, pack, launch): how it was measured.
  std::map<std::string, std::string> rooflineDetail;
  /// Per op class: efficiency and what it was measured on.
  std::map<std::string, double> efficiency;
  std::map<std::string, std::string> efficiencyDetail;
  /// Per op class whose bytes are timed apart from its FLOPs (pool): the
  /// fraction of the memory bandwidth its kernel streams at.
  std::map<std::string, double> memoryEfficiency;
  std::map<std::string, std::string> memoryEfficiencyDetail;
  /// The strided FFT sweep (plane bytes, us per transform) and the plane
  /// where it leaves the cache (cachedPlaneBytes).
  std::vector<Point> fftPlanes;
  double fftCachedPlaneBytes = 0;
};
DeviceMeasurement measureDevice(const Options &options);

/// Median and best of repeated runs of one kernel.
struct Timing {
  double median = 0, best = 0;
  int reps = 0;
};
/// Runs `kernel` once to warm up, then repeatedly for at least `seconds`
/// and at least 3 times (at most 10,000).
Timing timeKernel(const std::function<void()> &kernel, double seconds);

/// Seconds of repetitions per compute kernel.
inline double kernelSeconds(const Options &options) { return options.quick ? 0.08 : 1.0; }

/// Efficiency of each op class on this node (op_classes.cpp): roofline time
/// max(flops / peak, bytes / memory bandwidth) over the measured median,
/// clamped to (0, 1]. Rank 0 only, all cores.
void measureOpClasses(const Options &options, DeviceMeasurement &device);

/// Seconds since an arbitrary epoch.
inline double now() { return MPI_Wtime(); }

} // namespace quilt::calibrate

#endif // QUILT_CALIBRATE_CALIBRATE_H
