#include "driver.h"
#include "backend.h"
#include "communicator.h"
#include "context.h"
#include "error.h"
#include "flags.h"
#include "model_info.h"
#include "npy.h"
#include "signature.h"
#include "weights_file.h"

#include <chrono>
#include <sys/resource.h>
#include <cstdlib>
#include <omp.h>
#include <sched.h>
#include <thread>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

namespace quilt {
namespace {

/// Runs steps that can fail on some ranks only: after each step every rank
/// learns whether any failed, the lowest failing rank prints its message, and
/// all ranks leave together instead of hanging in the next collective.
class Job {
public:
  explicit Job(Communicator &comm) : comm(comm) {}

  bool agree(const std::function<void()> &step) {
    std::string message;
    try {
      step();
    } catch (const std::exception &e) {
      message = e.what();
    }
    int64_t firstFailing = message.empty() ? comm.size() : comm.rank();
    comm.allReduceInPlace(&firstFailing, 1, ElemType::I64, ReduceOp::Min, kAllRanks);
    if (firstFailing == comm.rank()) {
      std::string who = comm.rank() == 0 ? "" : strCat("rank ", comm.rank(), ": ");
      std::fprintf(stderr, "quilt: error: %s%s\n", who.c_str(), message.c_str());
      std::fflush(stderr);
    }
    return firstFailing == comm.size();
  }

  bool isRoot() const { return comm.rank() == 0; }

  Communicator &comm;
};

void checkJob(const ModelInfo &info, const Options &o, const Communicator &comm) {
  if (info.target != backendTarget())
    raise("the model was compiled with --target=", info.target, " but linked with the ",
          backendTarget(), " runtime; recompile with --target=", backendTarget());
  if (info.meshSize() != comm.size())
    raise("the model was compiled for a mesh of ", info.meshSize(), " ranks (",
          info.meshString(), ") but MPI started ", comm.size(), " ranks; run with mpirun -n ",
          info.meshSize());
  if (o.inputs.size() != info.inputs.size())
    raise("the model has ", info.inputs.size(), " input(s), ", o.inputs.size(),
          " --input flag(s) given");
  if (o.outputs.size() > info.outputs.size())
    raise("the model has ", info.outputs.size(), " output(s), ", o.outputs.size(),
          " --output flags given");
  if (o.expected.size() > info.outputs.size())
    raise("the model has ", info.outputs.size(), " output(s), ", o.expected.size(),
          " --expected_output flags given");
}

TensorView viewOf(const IoSpec &io, const quilt_rt_ctx &ctx) {
  return makeView(io.layout, ctx.mesh, ctx.coords);
}

Slab slabOf(const TensorView &view) { return Slab{view.start, view.extent}; }

float *bufferOf(const IoSpec &io, const TensorView &view, const quilt_rt_ctx &ctx,
                const char *kind) {
  int64_t bytes = view.numElements() * static_cast<int64_t>(sizeof(float));
  if (io.arenaOffset < 0 || io.arenaOffset % alignof(float) != 0 ||
      io.arenaOffset + bytes > static_cast<int64_t>(ctx.arenaBytes))
    raise("model info: ", kind, " '", io.name, "' at arena offset ", io.arenaOffset, " (", bytes,
          " bytes) does not fit the ", ctx.arenaBytes, "-byte arena");
  return reinterpret_cast<float *>(static_cast<char *>(ctx.arena) + io.arenaOffset);
}

/// A replicated copy is written by one rank only: the one at coordinate 0 on
/// every mesh axis that does not split the tensor.
bool ownsCopy(const IoSpec &io, const quilt_rt_ctx &ctx) {
  for (size_t axis = 0; axis < ctx.mesh.size(); ++axis) {
    bool splits = false;
    for (const DimLayout &d : io.layout)
      for (int64_t a : d.axes())
        splits = splits || a == static_cast<int64_t>(axis);
    if (!splits && ctx.coords[axis] != 0)
      return false;
  }
  return true;
}

void checkNpyHeader(const NpyHeader &h, const IoSpec &io, const std::string &path,
                    const char *kind) {
  if (h.descr != npyDescr(io.dtype))
    raise(kind, " '", io.name, "': ", path, " has dtype '", h.descr, "', expected '",
          npyDescr(io.dtype), "' (", dtypeName(io.dtype), ")");
  if (h.fortranOrder)
    raise(kind, " '", io.name, "': ", path, " is in Fortran order, expected C order");
  if (h.shape != io.globalShape())
    raise(kind, " '", io.name, "': ", path, " has shape ", shapeString(h.shape), ", expected ",
          shapeString(io.globalShape()));
}

/// Slabs move between files and device memory through one host buffer when
/// the host cannot address the device's memory.
class Staging {
public:
  explicit Staging(Device &device) : device_(device) {}
  ~Staging() {
    if (host_)
      device_.releaseHost(host_);
  }
  Staging(const Staging &) = delete;
  Staging &operator=(const Staging &) = delete;
  /// Where to read `count` floats destined for `deviceData`; then commit().
  float *forWrite(float *deviceData, int64_t count) {
    return device_.hostAddressable() ? deviceData : hostBuffer(count);
  }
  void commit(float *deviceData, int64_t count) {
    if (!device_.hostAddressable()) {
      device_.copy(deviceData, host_, count * sizeof(float), CopyKind::HostToDevice);
      device_.synchronize(); // the buffer is reused by the next slab
    }
  }
  /// `count` floats of device memory, readable on the host.
  const float *read(const float *deviceData, int64_t count) {
    if (device_.hostAddressable())
      return deviceData;
    float *host = hostBuffer(count);
    device_.copy(host, deviceData, count * sizeof(float), CopyKind::DeviceToHost);
    device_.synchronize();
    return host;
  }

private:
  /// One buffer of the device's host memory (pinned on CUDA), grown to the
  /// largest slab.
  float *hostBuffer(int64_t count) {
    size_t bytes = static_cast<size_t>(count) * sizeof(float);
    if (!host_ || bytes > bytes_) {
      if (host_)
        device_.releaseHost(host_);
      host_ = static_cast<float *>(device_.allocateHost(bytes));
      bytes_ = bytes;
    }
    return host_;
  }
  Device &device_;
  float *host_ = nullptr;
  size_t bytes_ = 0;
};

void readInputs(const ModelInfo &info, const Options &o, quilt_rt_ctx &ctx) {
  Staging staging(ctx.device);
  for (size_t i = 0; i < info.inputs.size(); ++i) {
    const IoSpec &io = info.inputs[i];
    NpyHeader header = readNpyHeader(o.inputs[i]);
    checkNpyHeader(header, io, o.inputs[i], "input");
    TensorView view = viewOf(io, ctx);
    float *data = bufferOf(io, view, ctx, "input");
    try {
      readNpySlab(o.inputs[i], header, slabOf(view), staging.forWrite(data, view.numElements()),
                  io.dtype);
    } catch (const Error &e) { // an integer float32 cannot hold: name the input too
      raise("input '", io.name, "': ", e.what());
    }
    staging.commit(data, view.numElements());
  }
  ctx.device.synchronize();
}

bool writeOutputs(Job &job, const ModelInfo &info, const Options &o, quilt_rt_ctx &ctx) {
  // The root creates each file before anyone writes a slab into it; agree()
  // synchronizes the ranks in between.
  bool created = job.agree([&] {
    for (size_t i = 0; job.isRoot() && i < o.outputs.size(); ++i)
      createNpyFile(o.outputs[i], info.outputs[i].globalShape(), info.outputs[i].dtype);
  });
  Staging staging(ctx.device);
  return created && job.agree([&] {
    for (size_t i = 0; i < o.outputs.size(); ++i) {
      const IoSpec &io = info.outputs[i];
      TensorView view = viewOf(io, ctx);
      const float *data =
          staging.read(bufferOf(io, view, ctx, "output"), view.numElements());
      if (ownsCopy(io, ctx))
        writeNpySlab(o.outputs[i], io.globalShape(), slabOf(view), data, io.dtype);
    }
  });
}

/// Max |y - r|, max |r|, and whether a NaN appears in one but not the other.
struct Deviation {
  double maxAbsError = 0, maxAbsRef = 0, nanMismatch = 0;
};

Deviation localDeviation(const float *y, const float *ref, int64_t n) {
  Deviation d;
  for (int64_t i = 0; i < n; ++i) {
    if (std::isnan(y[i]) || std::isnan(ref[i])) {
      d.nanMismatch = std::max(d.nanMismatch, std::isnan(y[i]) != std::isnan(ref[i]) ? 1.0 : 0.0);
      continue;
    }
    d.maxAbsError = std::max(d.maxAbsError, std::fabs(double(y[i]) - double(ref[i])));
    d.maxAbsRef = std::max(d.maxAbsRef, std::fabs(double(ref[i])));
  }
  return d;
}

Deviation outputDeviation(const IoSpec &io, const std::string &path, quilt_rt_ctx &ctx) {
  NpyHeader header = readNpyHeader(path);
  checkNpyHeader(header, io, path, "expected output");
  TensorView view = viewOf(io, ctx);
  std::vector<float> ref(view.numElements());
  readNpySlab(path, header, slabOf(view), ref.data(), io.dtype);
  Staging staging(ctx.device);
  const float *out = staging.read(bufferOf(io, view, ctx, "output"), view.numElements());
  if (io.dtype == NpyDtype::Float32 || io.dtype == NpyDtype::Float64)
    return localDeviation(out, ref.data(), view.numElements());
  // Integer, bool and float16 outputs compare as they are written: rounded
  // (integers wrapped into their type).
  std::vector<float> written(out, out + view.numElements());
  for (float &v : written)
    v = storeAs(io.dtype, v);
  return localDeviation(written.data(), ref.data(), view.numElements());
}

/// Returns false when a reference cannot be read; `ok` says whether every
/// compared output is within the threshold.
bool compareOutputs(Job &job, const ModelInfo &info, const Options &o, quilt_rt_ctx &ctx,
                    bool &ok) {
  std::vector<Deviation> local(o.expected.size());
  if (!job.agree([&] {
        for (size_t i = 0; i < o.expected.size(); ++i)
          local[i] = outputDeviation(info.outputs[i], o.expected[i], ctx);
      }))
    return false;
  ok = true;
  for (size_t i = 0; i < local.size(); ++i) {
    Deviation &d = local[i];
    job.comm.allReduceInPlace(&d, 3, ElemType::F64, ReduceOp::Max, kAllRanks);
    double rel = d.maxAbsError / std::max(d.maxAbsRef, 1e-30);
    bool pass = rel <= o.threshold && d.nanMismatch == 0;
    ok = ok && pass;
    if (job.isRoot())
      std::printf("output %zu '%s': max abs error %.3e, max rel error %.3e (threshold %.1e)%s: %s\n",
                  i, info.outputs[i].name.c_str(), d.maxAbsError, rel, o.threshold,
                  d.nanMismatch ? ", NaN mismatch" : "", pass ? "ok" : "MISMATCH");
  }
  return true;
}

void printTimes(Job &job, const quilt_rt_ctx &ctx, const ModelInfo &info, int64_t iterations,
                double total, uint64_t bytes) {
  Communicator &comm = job.comm;
  double t[5] = {total, ctx.times.compute, ctx.times.halo, ctx.times.collectives,
                 ctx.times.wait};
  comm.allReduceInPlace(t, 5, ElemType::F64, ReduceOp::Max, kAllRanks);
  std::vector<double> perRank(comm.size(), 0.0);
  perRank[comm.rank()] = static_cast<double>(bytes) / iterations;
  comm.allReduceInPlace(perRank.data(), perRank.size(), ElemType::F64, ReduceOp::Sum, kAllRanks);
  if (!job.isRoot())
    return;
  double ms = 1e3 / iterations;
  std::printf("quilt: %lld iterations on %d ranks, mesh %s\n", (long long)iterations,
              comm.size(), info.meshString().c_str());
  std::printf("  per iteration (mean over iterations, max over ranks):\n");
  const char *names[5] = {"total", "compute", "halo", "collectives", "wait"};
  for (int i = 0; i < (ctx.syncPhases ? 5 : 4); ++i)
    std::printf("    %-12s %10.3f ms\n", names[i], t[i] * ms);
  std::printf("  bytes sent per rank per iteration:");
  for (int r = 0; r < comm.size(); ++r)
    std::printf("%s %d: %.0f", r ? "," : "", r, perRank[r]);
  std::printf("\n");
}

/// Every rank's peak resident memory so far (the kernel's high-water mark),
/// printed by the root: what the arena plan and kernel scratch really cost.
void printPeakMemory(Job &job) {
  Communicator &comm = job.comm;
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  std::vector<double> peak(comm.size(), 0.0);
  peak[comm.rank()] = usage.ru_maxrss / 1024.0; // KiB on Linux
  comm.allReduceInPlace(peak.data(), peak.size(), ElemType::F64, ReduceOp::Sum, kAllRanks);
  if (!job.isRoot())
    return;
  std::printf("  peak resident memory per rank (MiB):");
  for (int r = 0; r < comm.size(); ++r)
    std::printf("%s %d: %.1f", r ? "," : "", r, peak[r]);
  std::printf("\n");
}

/// --profile-ops: per entry point, calls and time per iteration, the slowest
/// rank's (every rank calls the same entry points: one SPMD program).
void printOpProfile(Job &job, const std::map<std::string, OpProfile> &profile,
                    int64_t iterations) {
  std::vector<double> seconds, calls;
  for (const auto &[name, line] : profile) {
    seconds.push_back(line.seconds);
    calls.push_back(line.calls);
  }
  job.comm.allReduceInPlace(seconds.data(), seconds.size(), ElemType::F64, ReduceOp::Max, kAllRanks);
  if (!job.isRoot())
    return;
  std::printf("  per runtime entry point (mean over iterations, max over ranks):\n");
  size_t i = 0;
  for (const auto &[name, line] : profile) {
    std::printf("    %-22s %10.3f ms  %6.0f calls\n", name.c_str(), seconds[i] * 1e3 / iterations,
                calls[i] / iterations);
    ++i;
  }
}

/// --profile-ops: per communication op in program order (op i of quiltc's
/// --report and the i-th halo or collective op of its --simulate-json), the
/// bytes a rank sends and the time per iteration, the slowest rank's; under
/// --sync-phases that time holds the transfer alone.
void printCommOpProfile(Job &job, const std::vector<CommOpProfile> &profile,
                        int64_t iterations) {
  std::vector<double> seconds, bytes;
  for (const CommOpProfile &op : profile) {
    seconds.push_back(op.seconds);
    bytes.push_back(double(op.bytes));
  }
  job.comm.allReduceInPlace(seconds.data(), seconds.size(), ElemType::F64, ReduceOp::Max, kAllRanks);
  job.comm.allReduceInPlace(bytes.data(), bytes.size(), ElemType::F64, ReduceOp::Max, kAllRanks);
  if (!job.isRoot() || profile.empty())
    return;
  std::printf("  per communication op (program order; mean over iterations, max over ranks):\n");
  for (size_t i = 0; i < profile.size(); ++i)
    std::printf("    #%-4zu %-22s %12.0f B %10.4f ms\n", i, profile[i].kind.c_str(),
                bytes[i] / iterations, seconds[i] * 1e3 / iterations);
}

void timeIterations(Job &job, quilt_rt_ctx &ctx, const ModelInfo &info, int64_t iterations,
                    bool syncPhases, bool profileOps, void (*modelRun)(quilt_rt_ctx *)) {
  job.comm.barrier();
  ctx.device.synchronize();
  takeDevicePhaseTimes(ctx); // drops what the device timed before
  ctx.times = PhaseTimes{};
  uint64_t bytesBefore = ctx.comm.bytesSent();
  ctx.syncPhases = syncPhases;
  std::map<std::string, OpProfile> profile;
  std::vector<CommOpProfile> commProfile;
  if (profileOps) {
    ctx.opProfile = &profile;
    ctx.commProfile = &commProfile;
  }
  auto start = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < iterations; ++i) {
    ctx.commCallIndex = 0;
    modelRun(&ctx);
  }
  ctx.device.synchronize();
  takeDevicePhaseTimes(ctx);
  double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  printTimes(job, ctx, info, iterations, total, ctx.comm.bytesSent() - bytesBefore);
  printPeakMemory(job);
  ctx.syncPhases = false;
  ctx.opProfile = nullptr;
  ctx.commProfile = nullptr;
  if (profileOps) {
    printOpProfile(job, profile, iterations);
    printCommOpProfile(job, commProfile, iterations);
  }
}

/// What this rank sent in one forward pass: one record per communication
/// call, and the total over the whole pass (which would also count bytes sent
/// outside the recorded entry points).
struct Traffic {
  std::vector<OpTraffic> ops;
  uint64_t total = 0;
  /// Device memory the kernels' plans and libraries held at most beside the
  /// arena (the pack region, scratch, workspaces; the weights' copy not
  /// counted).
  uint64_t scratchBytes = 0;
  /// The most of the pack region one op used.
  uint64_t packBytes = 0;
};

Traffic runRecorded(quilt_rt_ctx &ctx, void (*modelRun)(quilt_rt_ctx *)) {
  Communicator &comm = ctx.comm;
  Traffic traffic;
  uint64_t before = comm.bytesSent();
  comm.attachTrafficLog(&traffic.ops);
  modelRun(&ctx);
  ctx.device.synchronize();
  takeDevicePhaseTimes(ctx);
  comm.attachTrafficLog(nullptr);
  traffic.total = comm.bytesSent() - before;
  traffic.scratchBytes = ctx.device.peakBufferBytes() - ctx.deviceWeights.bytes();
  traffic.packBytes = ctx.packBytesUsed;
  return traffic;
}

/// The --report JSON, in the shape of `quiltc --report` (docs/user-guide.md):
/// `table` holds one row of per-rank bytes per op, then the totals, the peak
/// scratch beside the arena and the pack region used.
std::string reportJson(const ModelInfo &info, const std::vector<OpTraffic> &ops,
                       const std::vector<int64_t> &table, int64_t ranks) {
  auto row = [&](size_t i) {
    return nlohmann::json(std::vector<int64_t>(table.begin() + i * ranks,
                                               table.begin() + (i + 1) * ranks));
  };
  std::string text = strCat("{\"mesh\": ", nlohmann::json(info.axisSizes).dump(),
                            ", \"axes\": ", nlohmann::json(info.axisNames).dump(),
                            ",\n \"ranks\": ", ranks, ", \"peak_arena_bytes\": ", info.arenaBytes,
                            ", \"pack_scratch_bytes\": ", info.packScratchBytes,
                            ",\n \"ops\": [");
  for (size_t i = 0; i < ops.size(); ++i) {
    nlohmann::ordered_json op = {
        {"index", i}, {"kind", ops[i].kind}, {"bytes_sent_per_rank", row(i)}};
    text += strCat(i ? "," : "", "\n  ", op.dump());
  }
  return text + strCat("\n ],\n \"total_bytes_sent_per_rank\": ", row(ops.size()).dump(),
                       ",\n \"peak_scratch_bytes_per_rank\": ", row(ops.size() + 1).dump(),
                       ",\n \"pack_scratch_bytes_per_rank\": ", row(ops.size() + 2).dump(), "}\n");
}

/// Gathers every rank's traffic to rank 0, which writes the --report file.
bool writeReport(Job &job, const ModelInfo &info, const std::string &path,
                 const Traffic &traffic) {
  Communicator &comm = job.comm;
  int64_t calls = static_cast<int64_t>(traffic.ops.size()), most = calls, least = calls;
  comm.allReduceInPlace(&most, 1, ElemType::I64, ReduceOp::Max, kAllRanks);
  comm.allReduceInPlace(&least, 1, ElemType::I64, ReduceOp::Min, kAllRanks);
  if (!job.agree([&] {
        if (most != least)
          raise("--report: ranks made between ", least, " and ", most, " communication calls");
      }))
    return false;
  int64_t ranks = comm.size();
  std::vector<int64_t> table((calls + 3) * ranks, 0);
  for (int64_t i = 0; i < calls; ++i)
    table[i * ranks + comm.rank()] = static_cast<int64_t>(traffic.ops[i].bytes);
  table[calls * ranks + comm.rank()] = static_cast<int64_t>(traffic.total);
  table[(calls + 1) * ranks + comm.rank()] = static_cast<int64_t>(traffic.scratchBytes);
  table[(calls + 2) * ranks + comm.rank()] = static_cast<int64_t>(traffic.packBytes);
  comm.allReduceInPlace(table.data(), table.size(), ElemType::I64, ReduceOp::Sum, kAllRanks);
  return job.agree([&] {
    if (!job.isRoot())
      return;
    std::ofstream out(path);
    out << reportJson(info, traffic.ops, table, ranks);
    if (!out)
      raise("--report: cannot write ", path);
  });
}

bool fileExists(const std::string &path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0;
}

/// A model without weights runs without a weights file.
std::unique_ptr<MappedWeights> loadWeights(const ModelInfo &info, const Options &o) {
  if (info.weightsBytes == 0 && !fileExists(o.weightsPath))
    return nullptr;
  return std::make_unique<MappedWeights>(o.weightsPath, info.weightsBytes, info.weightsChecksum);
}

int runModel(Job &job, const ModelInfo &info, const Options &o, const CompiledModel &model) {
  std::unique_ptr<Backend> backend;
  std::unique_ptr<MappedWeights> weights;
  std::unique_ptr<quilt_rt_ctx> ctx;
  bool ready = job.agree([&] { job.comm.setMesh(info.axisSizes); }) &&
               job.agree([&] { backend = createBackend(job.comm, info.axisSizes, info.tf32); });
  ready = ready && job.agree([&] {
    Communicator &data = backend->dataComm ? *backend->dataComm : job.comm;
    ctx = std::make_unique<quilt_rt_ctx>(data, info.axisSizes, info.arenaBytes,
                                         info.arenaAlignment, *backend->device);
    ctx->fixPackRegion(static_cast<size_t>(info.packScratchBytes));
    ctx->libraries = backend->libraries;
    weights = loadWeights(info, o);
    ctx->weights = weights ? weights->data() : nullptr;
    ctx->weightsBytes = weights ? weights->size() : 0;
    // A device the host cannot address gets its own copy, made once.
    if (weights && !ctx->device.hostAddressable()) {
      ctx->deviceWeights = DeviceBuffer(ctx->device, weights->size());
      ctx->device.copy(ctx->deviceWeights.data(), weights->data(), weights->size(),
                       CopyKind::HostToDevice);
      ctx->device.synchronize();
      ctx->weights = ctx->deviceWeights.data();
    }
  });
  if (!ready || !job.agree([&] { readInputs(info, o, *ctx); }))
    return 1;
  // The rank's blocks of the weights and the filled splats: computed once,
  // outside the recorded and the timed runs (they send nothing).
  model.init(ctx.get());
  Traffic traffic = runRecorded(*ctx, model.run);
  if (o.iterations > 0)
    timeIterations(job, *ctx, info, o.iterations, o.syncPhases, o.profileOps, model.run);
  if (!o.reportPath.empty() && !writeReport(job, info, o.reportPath, traffic))
    return 1;
  bool matches = true;
  if (!writeOutputs(job, info, o, *ctx) || !compareOutputs(job, info, o, *ctx, matches))
    return 1;
  return matches ? 0 : 1;
}

} // namespace

/// Ranks on one node split its cores between their kernel threads, unless
/// OMP_NUM_THREADS says otherwise: oversubscribed threads spin against each
/// other. A rank the launcher bound to fewer cores (Open MPI binds each of
/// one or two ranks to one core) runs no more threads than it may use.
static void shareCores(const Communicator &comm) {
  if (std::getenv("OMP_NUM_THREADS"))
    return;
  int cores = static_cast<int>(std::thread::hardware_concurrency());
  int share = std::max(1, cores / std::max(1, comm.localSize()));
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0) {
    omp_set_num_threads(share);
    return;
  }
  // A launcher that bound this rank to fewer cores than its share of the
  // node (Open MPI binds each of one or two ranks to one core) would halve a
  // lone rank's speed: widen the binding to the rank's share, the cores the
  // plan's cost model gives it, before any kernel thread starts (threads
  // inherit it). QUILT_KEEP_BINDING=1 keeps the launcher's binding.
  if (CPU_COUNT(&allowed) < share && !std::getenv("QUILT_KEEP_BINDING")) {
    cpu_set_t wide;
    CPU_ZERO(&wide);
    int first = (comm.localRank() * share) % std::max(1, cores);
    for (int c = first; c < first + share && c < cores; ++c)
      CPU_SET(c, &wide);
    if (sched_setaffinity(0, sizeof(wide), &wide) == 0)
      allowed = wide;
  }
  omp_set_num_threads(std::max(1, std::min(share, CPU_COUNT(&allowed))));
}

int runExecutable(int argc, char **argv, const CompiledModel &model) {
  std::unique_ptr<Communicator> comm = createMpiCommunicator(&argc, &argv);
  shareCores(*comm);
  Job job(*comm);
  Options options;
  ModelInfo info;
  if (!job.agree([&] { options = parseFlags(argc, argv); }))
    return 1;
  if (options.help) {
    if (job.isRoot())
      std::printf("%s", usage(argv[0]).c_str());
    return 0;
  }
  if (!job.agree([&] { info = parseModelInfo(model.info); }))
    return 1;
  if (options.printSignature) {
    if (job.isRoot())
      std::printf("%s", signatureText(info).c_str());
    return 0;
  }
  if (!job.agree([&] { checkJob(info, options, *comm); }))
    return 1;
  int code = runModel(job, info, options, model);
  std::fflush(stdout);
  return code;
}

} // namespace quilt
