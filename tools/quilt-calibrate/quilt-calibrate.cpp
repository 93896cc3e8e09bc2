//===- quilt-calibrate.cpp - measure this machine, write a topology -------===//
//
//   mpirun -n 2 quilt-calibrate -o machine.json [--quick]
//
// Runs like nccl-tests: every rank takes part in the network measurements
// (ping-pong between ranks 0 and 1, each collective the runtime issues over
// groups of 2..P ranks), rank 0 alone measures the node's compute with all
// its cores, and rank 0 writes the topology file (format:
// include/quilt/Analysis/Topology.h, docs/user-guide.md "quilt-calibrate").
//
//===----------------------------------------------------------------------===//
#include "calibrate.h"
#include "quilt/collective_algorithms.h"

#include <nlohmann/json.hpp>

#include <sched.h>
#include <unistd.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>
#include <iostream>
#include <string>
#include <thread>

using json = nlohmann::ordered_json;

namespace quilt::calibrate {
namespace {

constexpr const char *kUsage = R"(usage: mpirun -n P quilt-calibrate -o FILE [flags]

Measures the machine it runs on and writes a Quilt topology file (JSON):
  - the network level: alpha and bandwidth fitted to an MPI ping-pong
    (half round trip, 8 B .. --max-bytes) between ranks 0 and 1;
  - measured_collectives: all_reduce, all_gather, reduce_scatter, all_to_all,
    halo_exchange and collective_permute over groups of 2..P ranks, called as
    the Quilt runtime calls them: MPI's own collective ('library') and each
    of Quilt's schedules serving the kind (ring, recursive-doubling,
    rabenseifner, bruck, recursive-halving, pairwise), each repetition after
    sweeping --evict-bytes of other memory and on an input freshly written,
    as a model's kernels leave the caches; the points (bytes one rank
    sends, time), which the cost model interpolates, and a fit alpha +
    bytes / bandwidth; time = slowest rank, mean of repetitions without the
    slowest 5%, median of passes;
  - the device: peak f32 GFLOP/s, STREAM triad bandwidth, halo pack
    bandwidth, kernel launch cost and an efficiency per op class (pools
    against their FLOPs, and a bytes-bound pool's memory efficiency),
    measured on rank 0 with every core of the node while the other ranks
    sleep.
P >= 2, all ranks on one node.

flags:
  -o FILE             output file; '-' writes to standard output (required;
                      also --output=FILE)
  --quick             fewer sizes and repetitions, smaller kernels: a few
                      seconds on 2 ranks (a full run: about 75 s)
  --name=NAME         topology name (default devbox-<cores>core)
  --description=TEXT  description (default: host, cores, ranks and date)
  --max-bytes=N       largest message / buffer in bytes, 64 .. 1073741824
                      (default 16777216; 4194304 with --quick)
  --evict-bytes=N     other memory swept before each timed collective, 0 ..
                      1073741824 (default 33554432; 0: the call's buffers
                      stay cached from the repetition before, as no
                      collective in a model finds them)
  --help              this text
)";

/// This process's rank as the launcher set it before MPI_Init (Open MPI,
/// PMIx, MPICH); null outside mpirun.
const char *launcherRank() {
  for (const char *var : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"})
    if (const char *value = std::getenv(var))
      return value;
  return nullptr;
}

/// Only rank 0 of an mpirun job speaks before MPI_Init, so a bad flag is
/// one line, not one per rank.
bool firstProcess() {
  const char *rank = launcherRank();
  return !rank || std::string(rank) == "0";
}

[[noreturn]] void usageError(const std::string &message) {
  if (firstProcess())
    std::cerr << "quilt-calibrate: " << message << "\n";
  std::exit(2);
}

/// `text`, the value of `flag`, as a whole number of bytes from `least` to
/// 2^30; a usage error naming the flag otherwise.
int64_t byteCount(const char *flag, const std::string &text, int64_t least) {
  char *end = nullptr;
  long long bytes = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end || bytes < least || bytes > (1LL << 30))
    usageError(std::string(flag) + " needs a whole number of bytes from " +
               std::to_string(least) + " to 1073741824, got '" + text + "'");
  return bytes;
}

Options parseFlags(int argc, char **argv) {
  Options options;
  bool maxBytesGiven = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const std::string &prefix) { return arg.substr(prefix.size()); };
    if (arg == "--help" || arg == "-h") {
      if (firstProcess())
        std::cout << kUsage;
      std::exit(0);
    } else if (arg == "-o") {
      if (i + 1 >= argc || std::string(argv[i + 1]).empty())
        usageError("-o needs a file name ('-' for standard output)");
      options.output = argv[++i];
    } else if (arg.rfind("--output=", 0) == 0 && arg.size() > 9) {
      options.output = value("--output=");
    } else if (arg == "--quick") {
      options.quick = true;
    } else if (arg.rfind("--name=", 0) == 0 && arg.size() > 7) {
      options.name = value("--name=");
    } else if (arg.rfind("--description=", 0) == 0) {
      options.description = value("--description=");
    } else if (arg.rfind("--max-bytes=", 0) == 0) {
      options.maxBytes = byteCount("--max-bytes", value("--max-bytes="), 64);
      maxBytesGiven = true;
    } else if (arg.rfind("--evict-bytes=", 0) == 0) {
      options.evictBytes = byteCount("--evict-bytes", value("--evict-bytes="), 0);
    } else {
      usageError("unknown flag '" + arg + "' (see --help)");
    }
  }
  if (options.output.empty())
    usageError("missing -o FILE (see --help)");
  if (!maxBytesGiven)
    options.maxBytes = options.quick ? (4 << 20) : (16 << 20);
  return options;
}

/// `arg` as a shell reads it back: plain, or in single quotes.
std::string shellQuoted(const std::string &arg) {
  bool plain = !arg.empty();
  for (char c : arg)
    plain = plain && (std::isalnum(static_cast<unsigned char>(c)) ||
                      std::string("_-./=:,+@%").find(c) != std::string::npos);
  if (plain)
    return arg;
  std::string quoted = "'";
  for (char c : arg)
    quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

RunInfo runInfo(int argc, char **argv) {
  RunInfo info;
  MPI_Comm_size(MPI_COMM_WORLD, &info.ranks);
  MPI_Comm node;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
  MPI_Comm_size(node, &info.ranksOnNode);
  MPI_Comm_free(&node);
  info.cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  info.host = host;
  std::ifstream loadavg("/proc/loadavg");
  std::getline(loadavg, info.loadAverage);
  std::time_t t = std::time(nullptr);
  char day[32], stamp[32];
  std::strftime(day, sizeof(day), "%Y-%m-%d", std::gmtime(&t));
  std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  info.date = day;
  info.timestamp = stamp;
  std::string tool = argv[0];
  info.command = "mpirun -n " + std::to_string(info.ranks) + " " +
                 tool.substr(tool.find_last_of('/') + 1);
  for (int i = 1; i < argc; ++i)
    info.command += " " + shellQuoted(argv[i]);
  return info;
}

/// `value` to `digits` significant digits, so that the file reads plainly.
double rounded(double value, int digits = 4) {
  if (value == 0 || !std::isfinite(value))
    return value;
  double scale = std::pow(10.0, digits - 1 - int(std::floor(std::log10(std::fabs(value)))));
  return std::round(value * scale) / scale;
}

/// Microseconds of alpha and GB/s of 1/beta. Where the fit found no
/// bandwidth term, the largest size's throughput stands in (noted).
std::pair<double, double> alphaUsAndGBps(const Curve &curve, std::string &note) {
  double gbps = 0;
  if (curve.fit.beta > 0) {
    gbps = 1e-9 / curve.fit.beta;
  } else if (!curve.points.empty()) {
    const Point &last = curve.points.back();
    gbps = last.x > 0 && last.t > 0 ? last.x / last.t / 1e9 : 1;
    note = "no bandwidth term fitted; the largest size's throughput stands in";
  }
  return {rounded(curve.fit.alpha * 1e6), rounded(gbps)};
}

/// Whether the curve's kind is run by a choice of algorithms (the point-to-
/// point kinds are not), so its topology entry names the one timed.
bool carriesAlgorithm(const Curve &curve) {
  CollectiveKind kind;
  return parseCollectiveKind(curve.kind.data(), curve.kind.size(), kind);
}

/// The measured points, [bytes, us].
json pointsRecord(const Curve &curve) {
  json points = json::array();
  for (const Point &p : curve.points)
    points.push_back({static_cast<int64_t>(p.x), rounded(p.t * 1e6)});
  return points;
}

json curveRecord(const Curve &curve) {
  json points = pointsRecord(curve);
  json record = {{"kind", curve.kind}, {"ranks", curve.ranks}};
  if (carriesAlgorithm(curve))
    record["algorithm"] = curve.algorithm;
  record.update(json{{"points_bytes_us", points},
                 {"rms_rel_error", rounded(curve.fit.rmsRelError, 3)},
                 {"max_rel_error", rounded(curve.fit.maxRelError, 3)}});
  std::string note = curve.fit.note;
  std::string fallback;
  alphaUsAndGBps(curve, fallback);
  if (!fallback.empty())
    note += (note.empty() ? "" : "; ") + fallback;
  if (!note.empty())
    record["note"] = note;
  return record;
}

std::string sizeText(int64_t bytes) {
  if (bytes >= (1 << 20) && bytes % (1 << 20) == 0)
    return std::to_string(bytes >> 20) + " MiB";
  if (bytes >= 1024 && bytes % 1024 == 0)
    return std::to_string(bytes >> 10) + " KiB";
  return std::to_string(bytes) + " B";
}

json levelRecord(const Curve &pingPong, const Options &options, const RunInfo &info) {
  std::string note;
  auto [alpha, gbps] = alphaUsAndGBps(pingPong, note);
  char rms[32];
  std::snprintf(rms, sizeof(rms), "%.1f%%", 100 * pingPong.fit.rmsRelError);
  std::string source =
      "MPI ping-pong (MPI_Send/MPI_Recv, half round trip, median of repetitions) between "
      "ranks 0 and 1 over shared memory, " +
      std::to_string(pingPong.points.size()) + " sizes 8 B .. " + sizeText(options.maxBytes) +
      "; alpha and bandwidth by least squares on relative error (rms " + rms +
      ", calibration.ping_pong); `" + info.command + "` on " + info.host + ", " + info.date;
  return {{"name", "shm"},          {"kind", "shared-memory"}, {"devices", 0},
          {"alpha_us", alpha},      {"bandwidth_GBps", gbps},  {"source", source}};
}

json deviceRecord(const DeviceMeasurement &d, const Curve &copies, const Options &options,
                  const RunInfo &info) {
  json efficiency = json::object();
  for (const auto &[opClass, value] : d.efficiency)
    efficiency[opClass] = rounded(value, 3);
  json memoryEfficiency = json::object();
  for (const auto &[opClass, value] : d.memoryEfficiency)
    memoryEfficiency[opClass] = rounded(value, 3);
  std::string source =
      "measured on rank 0 with all " + std::to_string(d.cores) + " cores (" +
      std::to_string(d.cores) + " OpenMP threads; the other ranks asleep in a barrier): "
      "peak f32 = " + d.isa + " FMA chains on every thread (best run); memory bandwidth = "
      "STREAM triad, 12 B per element (best run); pack = payload bytes/s of a one-column W "
      "halo of a 1x32x" + (options.quick ? "256" : "512") + "x512 f32 NCHW tensor, one memcpy "
      "per row (median); copy points = one rank's memcpy of as many bytes while all " +
      std::to_string(copies.ranks) + " ranks copy at once, one thread each, after a " +
      sizeText(options.evictBytes) + " sweep of other memory and the source rewritten "
      "(mean over repetitions of the slowest rank, its slowest 5% left out; calibration.copies); "
      "copy run = what each of 65536 one-float runs that follow each other costs one rank "
      "beyond its bytes (one memcpy per run against one memcpy of them all), every rank "
      "copying, measured as the copy points; index row = the same for each row of the runtime's "
      "index map (pads, slices) padding 65536 rows of 2 floats to 4; fft cached plane = the "
      "largest plane (256 x inner complex points) of a strided FFTW transform whose time stays "
      "below the geometric mean of the contiguous and the 512 KiB plane's "
      "(calibration.device.fft_planes); launch = one oneDNN "
      "eltwise primitive on 16 floats (median); "
      "efficiency = roofline time / median time of one kernel per class "
      "(calibration.device.classes; pools against their FLOPs alone, and memory_efficiency = "
      "a bytes-bound pool's bytes time / its median time, calibration.device.memory_classes). "
      "Peak and bandwidths are the node's, shared by the ranks "
      "on it; memory_GB is the node's MemTotal (a rank's budget is memory_GB / ranks on the "
      "node). `" + info.command + "` on " + info.host + ", " + info.date;
  return {{"name", d.cpuName + " (" + std::to_string(d.cores) + " cores)"},
          {"memory_GB", rounded(d.memoryGB)},
          {"peak_GFLOPs", {{"f32", rounded(d.peakGflops)}}},
          {"memory_bandwidth_GBps", rounded(d.memoryBandwidthGBps)},
          {"launch_us", rounded(d.launchUs)},
          {"pack_bandwidth_GBps", rounded(d.packBandwidthGBps)},
          {"copy_points_bytes_us", pointsRecord(copies)},
          {"copy_run_us", rounded(d.copyRunUs, 5)},
          {"index_row_us", rounded(d.indexRowUs, 5)},
          {"fft_cached_plane_bytes", static_cast<int64_t>(d.fftCachedPlaneBytes)},
          {"cores", d.cores},
          {"efficiency", efficiency},
          {"memory_efficiency", memoryEfficiency},
          {"source", source}};
}

json topologyJson(const Options &options, const RunInfo &info, const Curve &pingPong,
                  const std::vector<Curve> &collectives, const Curve &copies,
                  const DeviceMeasurement &device) {
  json measured = json::array(), curves = json::array();
  for (const Curve &curve : collectives) {
    std::string note;
    auto [alpha, gbps] = alphaUsAndGBps(curve, note);
    json entry = {{"kind", curve.kind}, {"ranks", curve.ranks}};
    if (carriesAlgorithm(curve))
      entry["algorithm"] = curve.algorithm;
    // The points too: the cost model reads a time between two of them off
    // the line joining them, which the fit misses at small sizes.
    entry.update(json{
        {"alpha_us", alpha}, {"bandwidth_GBps", gbps}, {"points_bytes_us", pointsRecord(curve)}});
    measured.push_back(std::move(entry));
    curves.push_back(curveRecord(curve));
  }
  json classes = json::object(), roofline = json::object();
  for (const auto &[opClass, detail] : device.efficiencyDetail)
    classes[opClass] = detail;
  json fftPlanes = json::array();
  for (const Point &p : device.fftPlanes)
    fftPlanes.push_back({static_cast<int64_t>(p.x), rounded(p.t, 4)});
  json memoryClasses = json::object();
  for (const auto &[opClass, detail] : device.memoryEfficiencyDetail)
    memoryClasses[opClass] = detail;
  for (const auto &[figure, detail] : device.rooflineDetail)
    roofline[figure] = detail;
  std::string name = options.name.empty() ? "devbox-" + std::to_string(info.cores) + "core"
                                          : options.name;
  std::string description =
      !options.description.empty()
          ? options.description
          : info.host + ": " + std::to_string(info.cores) + " cores, MPI over shared memory, "
                "calibrated by quilt-calibrate on " + info.date + " with " +
                std::to_string(info.ranks) + " ranks";
  return {
      {"format", "quilt-topology"},
      {"version", 1},
      {"name", name},
      {"description", description},
      {"levels", json::array({levelRecord(pingPong, options, info)})},
      {"device", deviceRecord(device, copies, options, info)},
      {"measured_collectives", measured},
      {"calibration",
       {{"tool", "quilt-calibrate"},
        {"date", info.timestamp},
        {"command", info.command},
        {"host", info.host},
        {"ranks", info.ranks},
        {"ranks_on_node", info.ranksOnNode},
        {"load_average_at_start", info.loadAverage},
        {"quick", options.quick},
        {"max_bytes", options.maxBytes},
        {"evict_bytes", options.evictBytes},
        {"cpu", device.cpuName},
        {"isa", device.isa},
        {"fit", "t = alpha + x / bandwidth, least squares on relative error; x = bytes one "
                "rank sends (ping-pong: the message; collectives: Quilt's ring accounting)"},
        {"ping_pong", curveRecord(pingPong)},
        {"collectives", curves},
        {"copies", pointsRecord(copies)},
        {"device", {{"roofline", roofline}, {"classes", classes}, {"memory_classes", memoryClasses},
                    {"fft_planes", fftPlanes}}}}}};
}

/// `text` (indented JSON) with every array of plain values on one line, so
/// that measured points read as [bytes, us] pairs.
std::string flattenLeafArrays(const std::string &text) {
  std::string out;
  bool inString = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (inString) {
      out += c;
      if (c == '\\' && i + 1 < text.size())
        out += text[++i];
      else if (c == '"')
        inString = false;
      continue;
    }
    inString = c == '"';
    size_t close = c == '[' ? text.find(']', i) : std::string::npos;
    if (close == std::string::npos || text.find_first_of("[{\"", i + 1) < close) {
      out += c;
      continue;
    }
    // A leaf array: no strings inside, so dropping whitespace is safe.
    out += '[';
    for (size_t j = i + 1; j < close; ++j)
      if (!std::isspace(static_cast<unsigned char>(text[j])))
        out += text[j] == ',' ? std::string(", ") : std::string(1, text[j]);
    out += ']';
    i = close;
  }
  return out;
}

bool writeOutput(const std::string &path, const json &topology) {
  std::string text = flattenLeafArrays(topology.dump(2)) + "\n";
  if (path == "-") {
    std::cout << text << std::flush;
    return true;
  }
  std::ofstream out(path);
  out << text;
  out.close();
  if (!out) {
    std::cerr << "quilt-calibrate: cannot write " << path << "\n";
    return false;
  }
  return true;
}

/// mpirun binds each rank to a core, and libgomp counts the CPUs it may use
/// when it loads: a bound rank 0 would run its measuring threads on one core,
/// or, widened later, wake them slowly (libgomp stops spinning when it has
/// more threads than CPUs). So rank 0 widens its binding to the whole node
/// and re-executes itself once, before MPI starts; the others stay bound.
/// The launcher's binding is kept in QUILT_CALIBRATE_LAUNCHER_CPUS, for
/// bindAsLaunched.
/// Every CPU: the binding of a rank free to run anywhere on the node.
cpu_set_t wholeNode() {
  cpu_set_t all;
  CPU_ZERO(&all);
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
    CPU_SET(cpu, &all);
  return all;
}

void unbindMeasuringRank(char **argv) {
  const char *rank = launcherRank();
  if (!rank || std::string(rank) != "0" || std::getenv("QUILT_CALIBRATE_UNBOUND"))
    return;
  cpu_set_t mine;
  if (sched_getaffinity(0, sizeof(mine), &mine) != 0 ||
      CPU_COUNT(&mine) >= static_cast<int>(std::thread::hardware_concurrency()))
    return;
  std::string launched;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
    if (CPU_ISSET(cpu, &mine))
      launched += (launched.empty() ? "" : ",") + std::to_string(cpu);
  cpu_set_t all = wholeNode();
  if (sched_setaffinity(0, sizeof(all), &all) != 0)
    return;
  setenv("QUILT_CALIBRATE_UNBOUND", "1", 1);
  setenv("QUILT_CALIBRATE_LAUNCHER_CPUS", launched.c_str(), 1);
  execv("/proc/self/exe", argv);
  std::cerr << "quilt-calibrate: warning: could not re-execute unbound; compute figures may be "
               "low (run mpirun with --bind-to none)\n";
}

/// Rank 0, re-executed unbound: back to the launcher's binding (`bound`)
/// or to the whole node. The network and the copies are measured with every
/// rank bound as mpirun binds the executable's ranks: with rank 0 free to
/// move, the 2-core VM timed collectives faster than bound ranks run them
/// (an 8 MiB all-reduce by the four algorithms, two runs each: 1.4-2.8 ms
/// against 1.7-3.3 ms), and the models' collectives ran 1.5-2.5x the
/// calibrated time. The compute figures are measured with the whole node.
void bindAsLaunched(bool bound) {
  const char *launched = std::getenv("QUILT_CALIBRATE_LAUNCHER_CPUS");
  if (!launched)
    return;
  cpu_set_t cpus = wholeNode();
  if (bound) {
    CPU_ZERO(&cpus);
    std::istringstream list(launched);
    for (std::string cpu; std::getline(list, cpu, ',');)
      CPU_SET(std::stoi(cpu), &cpus);
  }
  sched_setaffinity(0, sizeof(cpus), &cpus);
}

/// One line on rank 0 and exit 2 on every rank, before measuring anything.
void requireOneNode(const RunInfo &info, int rank) {
  std::string problem;
  if (info.ranks < 2)
    problem = "needs at least 2 ranks to measure the network (mpirun -n 2 ...)";
  else if (info.ranksOnNode != info.ranks)
    problem = "ranks span several nodes; this version calibrates one machine (run all ranks "
              "on one node)";
  if (problem.empty())
    return;
  if (rank == 0)
    std::cerr << "quilt-calibrate: " << problem << "\n";
  MPI_Finalize();
  std::exit(2);
}

/// Fails early, on rank 0, when the output cannot be written.
void requireWritable(const Options &options, int rank) {
  int ok = 1;
  if (rank == 0 && options.output != "-") {
    std::ofstream probe(options.output, std::ios::app);
    ok = probe.good();
    if (!ok)
      std::cerr << "quilt-calibrate: cannot write " << options.output << "\n";
  }
  MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
  if (!ok) {
    MPI_Finalize();
    std::exit(1);
  }
}

} // namespace
} // namespace quilt::calibrate

int main(int argc, char **argv) {
  using namespace quilt::calibrate;
  Options options = parseFlags(argc, argv);
  unbindMeasuringRank(argv);
  MPI_Init(&argc, &argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  RunInfo info = runInfo(argc, argv);
  requireOneNode(info, rank);
  requireWritable(options, rank);

  double start = now();
  auto progress = [&](const char *what) {
    if (rank == 0 && options.output != "-")
      std::fprintf(stderr, "quilt-calibrate: %-28s %6.1f s\n", what, now() - start);
  };
  bindAsLaunched(true);
  Curve pingPong = measurePingPong(options);
  progress("ping-pong done");
  std::vector<Curve> collectives = measureCollectives(options);
  progress("collectives done");
  Curve copies = measureCopies(options);
  double copyRunUs = measureCopyRun(options), indexRowUs = measureIndexRow(options);
  progress("copies done");
  // The device comes last: rank 0 then leaves its core binding for good.
  DeviceMeasurement device;
  bindAsLaunched(false);
  if (rank == 0)
    device = measureDevice(options);
  device.copyRunUs = copyRunUs;
  device.indexRowUs = indexRowUs;
  sleepyBarrier(MPI_COMM_WORLD);
  progress("device done");

  int ok = 1;
  if (rank == 0)
    ok = writeOutput(options.output,
                     topologyJson(options, info, pingPong, collectives, copies, device));
  MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
  MPI_Finalize();
  return ok ? 0 : 1;
}
