// The network half of quilt-calibrate: MPI ping-pong for the level's alpha
// and bandwidth, and each collective the runtime issues, called exactly as
// runtime/src/mpi_communicator.cpp calls it (MPI's own collective, and each
// of Quilt's schedules over the same MpiPeerGroup), for the measured curves.
#include "calibrate.h"
#include "comm/mpi_peer_group.h"
#include "quilt/collective_algorithms.h"
#include "kernels/pad_kernels.h"
#include "quilt/comm_bytes.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <memory>
#include <time.h>

namespace quilt::calibrate {
namespace {

/// Measurement effort: seconds of repetitions per size and pass, their
/// bounds, and passes over all sizes. Each size's time is the median over
/// passes of a statistic over repetitions (a collective's: timeCall's mean;
/// a ping-pong's: the median): passes spread a size over the run, so that a
/// few seconds of other work skew one pass, not the curve.
struct Effort {
  double secondsPerSize;
  int minReps, maxReps, passes;
};

Effort effortFor(const Options &options) {
  return options.quick ? Effort{0.012, 5, 200, 1} : Effort{0.1, 10, 3000, 3};
}

/// Sizes from `first` to `last` bytes, each `factor` times the one before.
std::vector<int64_t> sizeGrid(int64_t first, int64_t last, int factor) {
  std::vector<int64_t> sizes;
  for (int64_t s = first; s <= last; s *= factor)
    sizes.push_back(s);
  return sizes;
}

/// Repetitions that fill the effort's time given one run's `seconds`, the
/// same on every rank of `comm` (each rank's estimate, max over ranks).
int agreedReps(double seconds, const Effort &effort, MPI_Comm comm) {
  double slowest = 0;
  MPI_Allreduce(&seconds, &slowest, 1, MPI_DOUBLE, MPI_MAX, comm);
  double reps = effort.secondsPerSize / std::max(slowest, 1e-9);
  return static_cast<int>(std::clamp(reps, double(effort.minReps), double(effort.maxReps)));
}

MPI_Comm firstRanks(int count) {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm comm;
  MPI_Comm_split(MPI_COMM_WORLD, rank < count ? 0 : MPI_UNDEFINED, rank, &comm);
  return comm;
}

/// One collective call of a kind at one size: the call, the bytes one rank
/// sends under Quilt's accounting (quilt/comm_bytes.h), and the data the
/// call reads, which a kernel has just written in a compiled model.
struct Call {
  std::function<void()> run;
  int64_t sentBytes = 0;
  char *input = nullptr;
  size_t inputBytes = 0;
};

/// Rewrites `bytes` at `data` in place with ordinary stores, as the kernel
/// that produced a tensor leaves it: modified in this core's cache. In a
/// compiled model every collective and halo moves data a kernel (or the
/// pack) has just written, and over shared memory that costs more than
/// moving data already written back: on the 2-core VM, exchanging 1 MiB
/// took 63 us from a buffer last written long before and 240 us right
/// after a memcpy into it (Open MPI's CMA single copy reads the pages from
/// the other core). Timing calls on idle buffers made the cost model
/// predict the models' collectives 1.3-1.7x fast.
void produce(char *data, size_t bytes) {
  float *values = reinterpret_cast<float *>(data);
  // x + 0.0f is not folded away (it turns -0 into +0), and the buffers hold
  // zeros, so this stores every value back unchanged.
  for (size_t i = 0, n = bytes / sizeof(float); i < n; ++i)
    values[i] = values[i] + 0.0f;
}

/// Sweeps other memory with ordinary loads and stores, as a model's kernels
/// fill the caches between two collectives. Without it, a repetition finds
/// the call's output, its scratch and the library's own buffers cached by
/// the repetition before, which no collective in a model does: on the
/// 2-core VM an 8 MiB MPI_Allreduce took 1.7 ms so and 2.8-3.2 ms after
/// sweeping 8 to 128 MiB, what the models' all-reduces take (2.2-2.8 ms).
class CacheEvictor {
public:
  explicit CacheEvictor(int64_t bytes) : other_(size_t(bytes) / sizeof(float), 0.0f) {}
  void operator()() { produce(reinterpret_cast<char *>(other_.data()), other_.size() * sizeof(float)); }

private:
  std::vector<float> other_;
};

/// Buffers for one size, zeroed: sums of zeros never reach denormals.
struct Buffers {
  std::vector<char> send, recv;
  Buffers(int64_t sendBytes, int64_t recvBytes) : send(sendBytes, 0), recv(recvBytes, 0) {}
};

/// Equal blocks of `block` bytes for each of `g` ranks, laid end to end:
/// the counts and displacements of a v-collective.
struct UniformBlocks {
  std::shared_ptr<std::vector<int>> counts, displs;
  UniformBlocks(int g, int block)
      : counts(std::make_shared<std::vector<int>>(g, block)),
        displs(std::make_shared<std::vector<int>>(g)) {
    for (int i = 0; i < g; ++i)
      (*displs)[i] = i * block;
  }
};

/// `kind` over `comm` (g ranks, this one `me`) with size parameter `b`
/// bytes: the buffer (all_reduce, reduce_scatter, all_to_all), the gathered
/// result (all_gather), or each message (halo_exchange, collective_permute).
/// By MPI's own collective (`algorithm` Library), else by Quilt's schedule
/// over `peers`, as MpiCommunicator runs it; the bytes counted are the same.
Call makeCall(const std::string &kind, CollectiveAlgorithm algorithm, int64_t b, MPI_Comm comm,
              int g, int me, Buffers &buf, PeerGroup &peers) {
  bool library = algorithm == CollectiveAlgorithm::Library;
  Call call;
  char *send = buf.send.data(), *recv = buf.recv.data();
  int left = (me + g - 1) % g, right = (me + 1) % g;
  if (kind == "all_reduce") {
    int count = static_cast<int>(b / 4);
    // Out of place, as quilt_rt_all_reduce calls it: from the tensor a
    // kernel wrote into the result's buffer.
    if (library)
      call.run = [=] { MPI_Allreduce(send, recv, count, MPI_FLOAT, MPI_SUM, comm); };
    else
      call.run = [=, &peers] {
        scheduleAllReduce(peers, send, recv, count, ElemType::F32, ReduceOp::Sum, algorithm);
      };
    call.sentBytes = quilt::ringAllReduceBytes(4 * uint64_t(count), g);
    call.inputBytes = 4 * size_t(count);
  } else if (kind == "all_gather") {
    int block = static_cast<int>(b / g);
    UniformBlocks blocks(g, block);
    if (library)
      call.run = [=] {
        MPI_Allgatherv(send, block, MPI_BYTE, recv, blocks.counts->data(),
                       blocks.displs->data(), MPI_BYTE, comm);
      };
    else
      call.run = [=, &peers, sizes = std::vector<size_t>(g, block)] {
        scheduleAllGather(peers, send, block, recv, sizes, algorithm);
      };
    call.sentBytes = quilt::ringAllGatherBytes(uint64_t(block) * g, block);
    call.inputBytes = block;
  } else if (kind == "reduce_scatter") {
    int count = static_cast<int>(b / 4 / g);
    auto counts = std::make_shared<std::vector<int>>(g, count);
    if (library)
      call.run = [=] {
        MPI_Reduce_scatter(send, recv, counts->data(), MPI_FLOAT, MPI_SUM, comm);
      };
    else
      call.run = [=, &peers, sizes = std::vector<size_t>(g, count)] {
        scheduleReduceScatter(peers, reinterpret_cast<const float *>(send),
                              reinterpret_cast<float *>(recv), sizes, algorithm);
      };
    // A ring reduce-scatter forwards every block but the rank's own.
    call.sentBytes = quilt::ringAllGatherBytes(4 * uint64_t(count) * g, 4 * uint64_t(count));
    call.inputBytes = 4 * size_t(count) * g;
  } else if (kind == "all_to_all") {
    int block = static_cast<int>(b / g);
    UniformBlocks blocks(g, block);
    if (library)
      call.run = [=] {
        MPI_Alltoallv(send, blocks.counts->data(), blocks.displs->data(), MPI_BYTE, recv,
                      blocks.counts->data(), blocks.displs->data(), MPI_BYTE, comm);
      };
    else
      call.run = [=, &peers, sizes = std::vector<size_t>(g, block)] {
        scheduleAllToAll(peers, send, sizes, recv, sizes, algorithm);
      };
    // A target dim of g positions, one block each; the rank keeps its own.
    const int64_t parts[] = {g};
    call.sentBytes = quilt::allToAllBytes(block, g, parts, 1, me);
    call.inputBytes = size_t(block) * g;
  } else if (kind == "halo_exchange") {
    // Both neighbours at once, receives posted first: Communicator::exchange.
    int m = static_cast<int>(b);
    call.run = [=] {
      MPI_Request requests[4];
      MPI_Irecv(recv, m, MPI_BYTE, left, 0, comm, &requests[0]);
      MPI_Irecv(recv + m, m, MPI_BYTE, right, 1, comm, &requests[1]);
      MPI_Isend(send, m, MPI_BYTE, right, 0, comm, &requests[2]);
      MPI_Isend(send + m, m, MPI_BYTE, left, 1, comm, &requests[3]);
      MPI_Waitall(4, requests, MPI_STATUSES_IGNORE);
    };
    call.sentBytes = 2 * int64_t(m);
    call.inputBytes = 2 * size_t(m);
  } else if (kind == "collective_permute") {
    // The runtime's permute is one exchange: one Irecv, one Isend, Waitall.
    int m = static_cast<int>(b);
    call.run = [=] {
      MPI_Request requests[2];
      MPI_Irecv(recv, m, MPI_BYTE, left, 0, comm, &requests[0]);
      MPI_Isend(send, m, MPI_BYTE, right, 0, comm, &requests[1]);
      MPI_Waitall(2, requests, MPI_STATUSES_IGNORE);
    };
    call.sentBytes = m;
    call.inputBytes = m;
  }
  call.input = send;
  return call;
}

/// Bytes each buffer needs for `kind` at size parameter `b`.
int64_t bufferBytes(const std::string &kind, int64_t b) {
  return kind == "halo_exchange" ? 2 * b : b;
}

/// Times `call` on every rank of `comm`, before each repetition (untimed)
/// the caches filled with other data and the input freshly produced:
/// returns on rank 0 of `comm` the mean over repetitions of the slowest
/// rank's time, the slowest 5% of repetitions left out. A mean, not a
/// median: a step sums its calls, and a small call's time is skewed (after
/// a barrier one rank often leaves late: a 48-byte all-reduce on the 2-core
/// VM takes 1.7 us median, 5.6 us mean, 16 us at the 90th percentile),
/// which the median hid: in the models such all-reduces ran 2-3x their
/// calibrated median.
double timeCall(const Call &call, MPI_Comm comm, const Effort &effort, CacheEvictor &evict) {
  call.run();
  double prepare = now();
  evict();
  produce(call.input, call.inputBytes);
  prepare = now() - prepare;
  MPI_Barrier(comm);
  double start = now();
  call.run();
  // The untimed sweep counts against the effort's time too.
  int reps = agreedReps(now() - start + prepare, effort, comm);
  std::vector<double> times(reps), slowest(reps);
  for (int r = 0; r < reps; ++r) {
    evict();
    produce(call.input, call.inputBytes);
    MPI_Barrier(comm);
    double t0 = now();
    call.run();
    times[r] = now() - t0;
  }
  MPI_Reduce(times.data(), slowest.data(), reps, MPI_DOUBLE, MPI_MAX, 0, comm);
  return meanWithoutSlowest(slowest, 0.05);
}

/// Median half round trip of `bytes` between the two ranks of `pair`.
double halfRoundTrip(char *buffer, int bytes, MPI_Comm pair, const Effort &effort) {
  int me = 0;
  MPI_Comm_rank(pair, &me);
  auto roundTrip = [&] {
    if (me == 0) {
      MPI_Send(buffer, bytes, MPI_BYTE, 1, 0, pair);
      MPI_Recv(buffer, bytes, MPI_BYTE, 1, 0, pair, MPI_STATUS_IGNORE);
    } else {
      MPI_Recv(buffer, bytes, MPI_BYTE, 0, 0, pair, MPI_STATUS_IGNORE);
      MPI_Send(buffer, bytes, MPI_BYTE, 0, 0, pair);
    }
  };
  roundTrip();
  double start = now();
  roundTrip();
  int reps = agreedReps(now() - start, effort, pair);
  std::vector<double> halves(reps);
  for (int r = 0; r < reps; ++r) {
    double t0 = now();
    roundTrip();
    halves[r] = (now() - t0) / 2;
  }
  return median(halves);
}

/// What one curve times: a kind by an algorithm.
struct Measured {
  std::string kind;
  CollectiveAlgorithm algorithm;
};

/// The curves over g ranks: every kind by MPI's own collective, and each
/// kind that carries an algorithm by each of Quilt's schedules serving it.
std::vector<Measured> measuredOver(int g) {
  std::vector<Measured> measured;
  for (const std::string &kind : collectiveKinds()) {
    CollectiveKind k;
    if (!parseCollectiveKind(kind.data(), kind.size(), k)) {
      measured.push_back({kind, CollectiveAlgorithm::Library}); // halo_exchange, collective_permute
      continue;
    }
    for (CollectiveAlgorithm algorithm : collectiveAlgorithmsServing(k, g))
      measured.push_back({kind, algorithm});
  }
  return measured;
}

/// Every curve of measuredOver(g) over `group` (g ranks).
std::vector<Curve> measureGroup(MPI_Comm group, int g, const Options &options) {
  Effort effort = effortFor(options);
  int me = 0;
  MPI_Comm_rank(group, &me);
  // At least one float per rank in the smallest reduce-scatter.
  int64_t first = 64;
  while (first < 4 * g)
    first *= 2;
  std::vector<int64_t> sizes =
      sizeGrid(first, std::max(first, options.maxBytes), options.quick ? 4 : 2);
  std::vector<Measured> measured = measuredOver(g);
  CacheEvictor evict(options.evictBytes);
  // Kept from call to call, as MpiCommunicator keeps its own.
  ScheduleScratch scratch;
  MpiPeerGroup peers(group, scratch);
  // [curve][size]: the bytes a rank sends, and each pass's time.
  std::vector<std::vector<std::pair<int64_t, std::vector<double>>>> runs(
      measured.size(), std::vector<std::pair<int64_t, std::vector<double>>>(sizes.size()));
  for (int pass = 0; pass < effort.passes; ++pass)
    for (size_t k = 0; k < measured.size(); ++k)
      for (size_t s = 0; s < sizes.size(); ++s) {
        const std::string &kind = measured[k].kind;
        Buffers buffers(bufferBytes(kind, sizes[s]), bufferBytes(kind, sizes[s]));
        Call call =
            makeCall(kind, measured[k].algorithm, sizes[s], group, g, me, buffers, peers);
        runs[k][s].first = call.sentBytes;
        runs[k][s].second.push_back(timeCall(call, group, effort, evict));
      }
  std::vector<Curve> curves;
  for (size_t k = 0; k < measured.size(); ++k) {
    Curve curve;
    curve.kind = measured[k].kind;
    curve.ranks = g;
    curve.algorithm = collectiveAlgorithmName(measured[k].algorithm);
    for (const auto &[sent, times] : runs[k])
      curve.points.push_back({double(sent), median(times)});
    curve.fit = fitAlphaBeta(curve.points);
    curves.push_back(std::move(curve));
  }
  return curves;
}

} // namespace

const std::vector<std::string> &collectiveKinds() {
  static const std::vector<std::string> kinds = {"all_reduce",    "all_gather",
                                                 "reduce_scatter", "all_to_all",
                                                 "halo_exchange", "collective_permute"};
  return kinds;
}

void sleepyBarrier(MPI_Comm comm) {
  MPI_Request request;
  MPI_Ibarrier(comm, &request);
  int done = 0;
  timespec pause{0, 200 * 1000};
  for (MPI_Test(&request, &done, MPI_STATUS_IGNORE); !done;
       MPI_Test(&request, &done, MPI_STATUS_IGNORE))
    nanosleep(&pause, nullptr);
}

Curve measurePingPong(const Options &options) {
  Curve curve;
  curve.kind = "ping_pong";
  curve.ranks = 2;
  Effort effort = effortFor(options);
  MPI_Comm pair = firstRanks(2);
  if (pair != MPI_COMM_NULL) {
    std::vector<char> buffer(options.maxBytes, 0);
    std::vector<int64_t> sizes = sizeGrid(8, options.maxBytes, options.quick ? 4 : 2);
    std::vector<std::vector<double>> passTimes(sizes.size());
    for (int pass = 0; pass < effort.passes; ++pass)
      for (size_t s = 0; s < sizes.size(); ++s)
        passTimes[s].push_back(halfRoundTrip(buffer.data(), int(sizes[s]), pair, effort));
    for (size_t s = 0; s < sizes.size(); ++s)
      curve.points.push_back({double(sizes[s]), median(passTimes[s])});
    MPI_Comm_free(&pair);
  }
  sleepyBarrier(MPI_COMM_WORLD);
  curve.fit = fitAlphaBeta(curve.points);
  return curve;
}

Curve measureCopies(const Options &options) {
  Curve curve;
  curve.kind = "copy";
  MPI_Comm_size(MPI_COMM_WORLD, &curve.ranks);
  Effort effort = effortFor(options);
  CacheEvictor evict(options.evictBytes);
  std::vector<int64_t> sizes = sizeGrid(64, std::max<int64_t>(64, options.maxBytes),
                                        options.quick ? 4 : 2);
  std::vector<std::vector<double>> passTimes(sizes.size());
  for (int pass = 0; pass < effort.passes; ++pass)
    for (size_t s = 0; s < sizes.size(); ++s) {
      Buffers buffers(sizes[s], sizes[s]);
      Call call;
      call.run = [&buffers] {
        std::memcpy(buffers.recv.data(), buffers.send.data(), buffers.send.size());
      };
      call.sentBytes = sizes[s];
      call.input = buffers.send.data();
      call.inputBytes = buffers.send.size();
      passTimes[s].push_back(timeCall(call, MPI_COMM_WORLD, effort, evict));
    }
  for (size_t s = 0; s < sizes.size(); ++s)
    curve.points.push_back({double(sizes[s]), median(passTimes[s])});
  return curve;
}

namespace {

/// What `byRuns` (a copy in `runs` runs or rows, reading buffers.send)
/// costs beyond `whole` (one memcpy of the same bytes), per run past the
/// first, us: the median over passes, each timed as timeCall times.
double excessPerRunUs(Call &byRuns, Call &whole, int64_t runs, Buffers &buffers,
                      const Effort &effort, CacheEvictor &evict) {
  for (Call *call : {&byRuns, &whole}) {
    call->input = buffers.send.data();
    call->inputBytes = buffers.send.size();
  }
  std::vector<double> perRun;
  for (int pass = 0; pass < effort.passes; ++pass) {
    double extra = timeCall(byRuns, MPI_COMM_WORLD, effort, evict) -
                   timeCall(whole, MPI_COMM_WORLD, effort, evict);
    perRun.push_back(std::max(0.0, extra) * 1e6 / (runs - 1));
  }
  return median(perRun);
}

} // namespace

double measureCopyRun(const Options &options) {
  Effort effort = effortFor(options);
  CacheEvictor evict(options.evictBytes);
  const int64_t runs = 1 << 16;
  Buffers buffers(2 * runs * sizeof(float), runs * sizeof(float));
  const float *source = reinterpret_cast<const float *>(buffers.send.data());
  float *dense = reinterpret_cast<float *>(buffers.recv.data());
  // A run length the compiler cannot see, as the runtime's: a call per
  // run, not one inlined load and store.
  static volatile int64_t runFloats = 1;
  Call byRuns, whole;
  byRuns.run = [&] {
    const size_t bytes = runFloats * sizeof(float);
    for (int64_t r = 0; r < runs; ++r)
      std::memcpy(dense + r, source + 2 * r, bytes);
  };
  whole.run = [&] { std::memcpy(dense, source, runs * sizeof(float)); };
  return excessPerRunUs(byRuns, whole, runs, buffers, effort, evict);
}

double measureIndexRow(const Options &options) {
  Effort effort = effortFor(options);
  CacheEvictor evict(options.evictBytes);
  // [rows, 2] -> [rows, 4]: every output row reads 2 floats, fills 2.
  const int64_t rows = 1 << 16, in = 2, out = 4;
  Buffers buffers(rows * in * sizeof(float), rows * out * sizeof(float));
  std::vector<int64_t> tables;
  IndexMapKernel map{};
  map.rank = 2;
  map.total = rows * out;
  map.fill = 0;
  map.extent[0] = rows;
  map.extent[1] = out;
  map.table[0] = 0;
  for (int64_t r = 0; r < rows; ++r)
    tables.push_back(r * in);
  map.table[1] = static_cast<int64_t>(tables.size());
  for (int64_t o = 0; o < out; ++o)
    tables.push_back(o < in ? o : -1);
  map.tables = tables.data();
  map.x = reinterpret_cast<const float *>(buffers.send.data());
  map.y = reinterpret_cast<float *>(buffers.recv.data());
  Call byRows, whole;
  byRows.run = [&] { map.runOnHost(); };
  whole.run = [&] { std::memcpy(buffers.recv.data(), buffers.send.data(), buffers.send.size()); };
  return excessPerRunUs(byRows, whole, rows, buffers, effort, evict);
}

std::vector<Curve> measureCollectives(const Options &options) {
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  std::vector<Curve> curves;
  for (int g = 2; g <= size; ++g) {
    MPI_Comm group = firstRanks(g);
    if (group != MPI_COMM_NULL) {
      for (Curve &curve : measureGroup(group, g, options))
        curves.push_back(std::move(curve));
      MPI_Comm_free(&group);
    }
    sleepyBarrier(MPI_COMM_WORLD);
  }
  return curves;
}

} // namespace quilt::calibrate
