// Topology files (docs/topology-format.md): every shipped file parses, each
// kind of mistake fails with its one-line message naming the field, and the
// placement queries the cost model asks (levelBetween, devicesPerNode,
// measuredFor, efficiencyOf) answer for a three-level machine.
#include "quilt/Analysis/Topology.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <optional>

using namespace quilt;

namespace {

/// A Frontier-like machine: nodes of 8, dragonfly groups of 1024, the rest.
constexpr const char *kThreeLevels = R"({
  "format": "quilt-topology", "version": 1, "name": "t", "description": "three levels",
  "levels": [
    {"name": "node", "kind": "switch", "devices": 8, "alpha_us": 3, "bandwidth_GBps": 370,
     "allreduce_bandwidth_GBps": 480, "source": "s"},
    {"name": "group", "kind": "dragonfly", "devices": 1024, "alpha_us": 4,
     "bandwidth_GBps": 12.5, "nics_per_node": 4, "nic_bandwidth_GBps": 25, "source": "s"},
    {"name": "global", "kind": "dragonfly", "devices": 0, "alpha_us": 6,
     "bandwidth_GBps": 11, "taper": 0.57, "source": "s"}],
  "device": {"name": "d", "memory_GB": 64, "peak_GFLOPs": {"f32": 100, "bf16": 400},
    "memory_bandwidth_GBps": 1600, "launch_us": 5, "efficiency": {"conv": 0.5},
    "profile": [{"op": "conv", "shape": [1, 32, 64, 64], "us": 12.5}], "source": "s"},
  "measured_collectives": [
    {"kind": "all_reduce", "ranks": 4, "alpha_us": 10, "bandwidth_GBps": 7.5},
    {"kind":"all_reduce", "ranks":4, "algorithm": "ring", "alpha_us": 12, "bandwidth_GBps": 6.5,
     "points_bytes_us": [[1000, 10], [100000, 40], [1000000, 160]]},
    {"kind": "halo_exchange", "ranks": 8, "alpha_us": 1, "bandwidth_GBps": 6}],
  "calibration": {"tool": "quilt-calibrate", "date": "2026-12-01"}
})";

/// kThreeLevels with its one occurrence of `from` replaced by `to`.
std::string withReplaced(llvm::StringRef from, llvm::StringRef to) {
  std::string text = kThreeLevels;
  size_t at = text.find(from.str());
  EXPECT_NE(at, std::string::npos) << from.str();
  EXPECT_EQ(text.find(from.str(), at + 1), std::string::npos) << "not unique: " << from.str();
  if (at != std::string::npos)
    text.replace(at, from.size(), to.str());
  return text;
}

Topology parsed(llvm::StringRef text) {
  std::string error;
  mlir::FailureOr<Topology> topo = parseTopology(text, "t.json", error);
  EXPECT_TRUE(mlir::succeeded(topo)) << error;
  return mlir::succeeded(topo) ? *topo : Topology();
}

std::string errorOf(llvm::StringRef text) {
  std::string error;
  EXPECT_TRUE(mlir::failed(parseTopology(text, "t.json", error)));
  EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  return error;
}

TEST(TopologyParse, ReadsEveryField) {
  Topology t = parsed(kThreeLevels);
  EXPECT_EQ(t.name, "t");
  EXPECT_EQ(t.path, "t.json");
  ASSERT_EQ(t.levels.size(), 3u);
  EXPECT_EQ(t.levels[0].kind, "switch");
  EXPECT_EQ(t.levels[0].allReduceBandwidthGBps, 480);
  EXPECT_EQ(t.levels[0].taper, 1.0);
  EXPECT_EQ(t.levels[1].nicsPerNode, 4);
  EXPECT_EQ(t.levels[1].nicBandwidthGBps, 25);
  EXPECT_EQ(t.levels[2].devices, 0);
  EXPECT_EQ(t.levels[2].taper, 0.57);
  EXPECT_EQ(t.device.memoryBytes, 64e9);
  EXPECT_EQ(t.device.peakGflops.at("f32"), 100);
  EXPECT_EQ(t.device.peakGflops.at("bf16"), 400);
  EXPECT_EQ(t.device.packBandwidthGBps, 1600) << "defaults to memory bandwidth";
  EXPECT_EQ(t.device.cores, 0);
  ASSERT_EQ(t.device.profile.size(), 1u);
  EXPECT_EQ(t.device.profile[0].shape, (std::vector<int64_t>{1, 32, 64, 64}));
  EXPECT_EQ(t.device.profile[0].us, 12.5);
  ASSERT_EQ(t.measured.size(), 3u);
  EXPECT_EQ(t.measured[0].algorithm, CollectiveAlgorithm::Library);
  EXPECT_EQ(t.measured[1].algorithm, CollectiveAlgorithm::Ring);
}

TEST(TopologyParse, OptionalSectionsMayBeAbsent) {
  std::string text = kThreeLevels;
  text = text.substr(0, text.find(",\n  \"measured_collectives\"")) + "\n}";
  EXPECT_TRUE(parsed(text).measured.empty()) << "no measured_collectives, no calibration";
  Topology t = parsed(withReplaced(R"("profile": [{"op": "conv", "shape": [1, 32, 64, 64], "us": 12.5}], )",
                                   R"("pack_bandwidth_GBps": 300, "cores": 2, )"));
  EXPECT_TRUE(t.device.profile.empty());
  EXPECT_EQ(t.device.packBandwidthGBps, 300);
  EXPECT_EQ(t.device.cores, 2);
  // A class's memory efficiency defaults to its efficiency; named, it
  // stands apart (the efficiency then applies to the FLOPs only).
  EXPECT_EQ(t.efficiencyOf("conv"), 0.5);
  EXPECT_EQ(t.memoryEfficiencyOf("conv"), 0.5);
  Topology apart = parsed(withReplaced(R"("efficiency": {"conv": 0.5})",
                                       R"("efficiency": {"conv": 0.5, "pool": 0.05}, "memory_efficiency": {"pool": 1})"));
  EXPECT_EQ(apart.efficiencyOf("pool"), 0.05);
  EXPECT_EQ(apart.memoryEfficiencyOf("pool"), 1.0);
  EXPECT_EQ(apart.memoryEfficiencyOf("conv"), 0.5);
  EXPECT_TRUE(t.device.copyPoints.empty()) << "copies stream at the memory bandwidth";
  Topology copies = parsed(withReplaced(
      R"("launch_us": 5, )", R"("launch_us": 5, "copy_points_bytes_us": [[1024, 0.5], [1048576, 20]], )"));
  EXPECT_EQ(copies.device.copyPoints,
            (std::vector<std::pair<double, double>>{{1024, 0.5}, {1048576, 20}}));
  EXPECT_FALSE(copies.device.hasCopyRun);
  Topology runs = parsed(withReplaced(
      R"("launch_us": 5, )", R"("launch_us": 5, "copy_run_us": 0.0025, "index_row_us": 0.004, )"));
  EXPECT_TRUE(runs.device.hasCopyRun && runs.device.hasIndexRow);
  EXPECT_EQ(runs.device.copyRunUs, 0.0025);
  EXPECT_EQ(runs.device.indexRowUs, 0.004);
  EXPECT_EQ(t.device.fftCachedPlaneBytes, 256.0 * 1024) << "the default: half a 512 KiB L2";
  Topology planes = parsed(withReplaced(R"("launch_us": 5, )",
                                        R"("launch_us": 5, "fft_cached_plane_bytes": 65536, )"));
  EXPECT_EQ(planes.device.fftCachedPlaneBytes, 65536);
}

struct BadInput {
  const char *from, *to, *message;
};

TEST(TopologyParse, EachMistakeFailsWithOneLineNamingTheField) {
  const BadInput cases[] = {
      {R"("launch_us": 5, )", R"("launch_us": 5, "fft_cached_plane_bytes": 0, )",
       "t.json: device.fft_cached_plane_bytes must be positive (got 0)"},
      {R"("bandwidth_GBps": 12.5)", R"("bandwidth_GBps": -3)",
       "t.json: levels[1].bandwidth_GBps must be positive (got -3)"},
      {R"("bandwidth_GBps": 370)", R"("bandwith_GBps": 370)",
       "t.json: levels[0]: unknown field 'bandwith_GBps'"},
      {R"("kind": "dragonfly", "devices": 0)", R"("kind": "mesh", "devices": 0)",
       "t.json: levels[2].kind 'mesh' is not one of shared-memory, switch, fat-tree, dragonfly, "
       "torus"},
      {R"("devices": 8, "alpha_us": 3, )", R"("devices": 8, )",
       "t.json: levels[0]: missing required field 'alpha_us'"},
      {R"("devices": 8,)", R"("devices": "8",)",
       "t.json: levels[0].devices must be an integer (got \"8\")"},
      {R"("description": "three levels",)", R"("description": "three levels", "ranks_per_node": 8,)",
       "t.json: unknown top-level field 'ranks_per_node'"},
      {R"("version": 1,)", R"("version": 2,)", "t.json: version must be 1 (got 2)"},
      {R"("format": "quilt-topology",)", R"("format": "quilt",)",
       "t.json: format must be \"quilt-topology\" (got \"quilt\")"},
      {R"("format": "quilt-topology",)", "", "t.json: missing required field 'format'"},
      {R"("devices": 1024)", R"("devices": 1020)",
       "t.json: levels[1].devices must be a multiple of 8 (levels[0].devices) and larger (got "
       "1020)"},
      {R"("devices": 1024)", R"("devices": 8)",
       "t.json: levels[1].devices must be a multiple of 8 (levels[0].devices) and larger (got 8)"},
      {R"("devices": 1024)", R"("devices": 0)",
       "t.json: levels[1].devices may be 0 (the whole machine) only on the last level"},
      {R"("devices": 0)", R"("devices": 4096)",
       "t.json: levels[2].devices must be 0 (the whole machine) on the last level (got 4096)"},
      {R"("efficiency": {"conv": 0.5})", R"("efficiency": {"conv": 1.5})",
       "t.json: device.efficiency.conv must be in (0, 1] (got 1.5)"},
      {R"("efficiency": {"conv": 0.5})", R"("efficiency": {"conv": 0})",
       "t.json: device.efficiency.conv must be in (0, 1] (got 0)"},
      {R"("efficiency": {"conv": 0.5})", R"("efficiency": {"matmul": 0.5})",
       "t.json: device.efficiency: unknown op class 'matmul'; expected one of conv, conv3d, gemm, "
       "fft, fft_strided, elementwise, reduction, normalization, attention, data_movement, pool, "
       "pool3d, resize, conv_transpose, softmax"},
      {R"("efficiency": {"conv": 0.5})", R"("efficiency": {"conv": 0.5}, "memory_efficiency": {"pool": 2})",
       "t.json: device.memory_efficiency.pool must be in (0, 1] (got 2)"},
      {R"("efficiency": {"conv": 0.5})", R"("efficiency": {"conv": 0.5}, "memory_efficiency": 1)",
       "t.json: device.memory_efficiency must be an object (got 1)"},
      {R"("op": "conv")", R"("op": "matmul")",
       "t.json: device.profile[0].op 'matmul' is not one of conv, conv3d, gemm, fft, fft_strided, "
       "elementwise, reduction, normalization, attention, data_movement, pool, pool3d, resize, "
       "conv_transpose, softmax"},
      {R"("shape": [1, 32, 64, 64])", R"("shape": [1, 32, 0, 64])",
       "t.json: device.profile[0].shape[2] must be a positive integer (got 0)"},
      {R"("bf16": 400)", R"("fp8": 400)",
       "t.json: device.peak_GFLOPs: unknown dtype 'fp8'; expected one of f32, tf32, f16, bf16"},
      {R"("f32": 100, )", "", "t.json: device.peak_GFLOPs: missing required field 'f32'"},
      {R"("memory_GB": 64)", R"("memory_GB": 0)", "t.json: device.memory_GB must be positive (got 0)"},
      {R"("kind": "all_reduce")", R"("kind": "broadcast")",
       "t.json: measured_collectives[0].kind 'broadcast' is not one of all_reduce, all_gather, "
       "reduce_scatter, all_to_all, halo_exchange, collective_permute, ring_attention"},
      {R"("ranks": 4)", R"("ranks": 1)", "t.json: measured_collectives[0].ranks must be at least 2 (got 1)"},
      {R"("halo_exchange", "ranks": 8)", R"("all_reduce", "ranks": 4)",
       "t.json: measured_collectives[2] repeats measured_collectives[0] (all_reduce over 4 ranks)"},
      {R"("halo_exchange", "ranks": 8)", R"("all_reduce", "ranks": 4, "algorithm": "ring")",
       "t.json: measured_collectives[2] repeats measured_collectives[1] (all_reduce by ring over 4 "
       "ranks)"},
      {R"("algorithm": "ring")", R"("algorithm": "tree")",
       "t.json: measured_collectives[1].algorithm 'tree' is not a collective algorithm (library, "
       "ring, recursive-doubling, rabenseifner, bruck, recursive-halving, pairwise)"},
      {R"("algorithm": "ring")", R"("algorithm": "bruck")",
       "t.json: measured_collectives[1].algorithm 'bruck' does not run all_reduce over 4 ranks"},
      {R"("halo_exchange", "ranks": 8)", R"("halo_exchange", "ranks": 8, "algorithm": "ring")",
       "t.json: measured_collectives[2].algorithm 'ring' does not run halo_exchange over 8 ranks"},
      {R"("algorithm": "ring")", R"("algorithm": 1)",
       "t.json: measured_collectives[1].algorithm must be a string (got 1)"},
      {"[100000, 40]", "[100000, -40]",
       "t.json: measured_collectives[1].points_bytes_us[1] must be [bytes, us], both positive "
       "(got [100000,-40])"},
      {"[100000, 40]", "[100000]",
       "t.json: measured_collectives[1].points_bytes_us[1] must be [bytes, us], both positive "
       "(got [100000])"},
      {"[100000, 40]", "[1000, 40]",
       "t.json: measured_collectives[1].points_bytes_us[1] must move more bytes than the point "
       "before it (1000 after 1000)"},
      {R"("launch_us": 5, )", R"("launch_us": 5, "copy_points_bytes_us": [[4096, 1], [4096, 2]], )",
       "t.json: device.copy_points_bytes_us[1] must move more bytes than the point before it "
       "(4096 after 4096)"},
      {R"("launch_us": 5, )", R"("launch_us": 5, "copy_points_bytes_us": [[4096, 0]], )",
       "t.json: device.copy_points_bytes_us[0] must be [bytes, us], both positive (got [4096,0])"},
      {R"("launch_us": 5, )", R"("launch_us": 5, "copy_run_us": -1, )",
       "t.json: device.copy_run_us must be non-negative (got -1)"},
      {R"("nics_per_node": 4, )", "",
       "t.json: levels[1]: nics_per_node and nic_bandwidth_GBps must come together"},
      {R"("taper": 0.57)", R"("taper": 0)", "t.json: levels[2].taper must be in (0, 1] (got 0)"},
      {R"("alpha_us": 6)", R"("alpha_us": -1)", "t.json: levels[2].alpha_us must be non-negative (got -1)"},
      {R"("description": "three levels",)", R"("description": 3,)",
       "t.json: description must be a string (got 3)"},
      {R"("calibration": {"tool": "quilt-calibrate", "date": "2026-12-01"})",
       R"("calibration": "yesterday")", "t.json: calibration must be an object (got \"yesterday\")"},
  };
  for (const BadInput &c : cases) {
    SCOPED_TRACE(c.from);
    EXPECT_EQ(errorOf(withReplaced(c.from, c.to)), c.message);
  }
}

TEST(TopologyParse, NotJsonOrNotAnObject) {
  EXPECT_EQ(errorOf("{\"format\": "), "t.json: invalid JSON: [1:11, byte=11]: Unexpected EOF");
  EXPECT_EQ(errorOf("[1, 2]"), "t.json: the top level must be an object (got an array)");
  EXPECT_EQ(errorOf(R"({"format": "quilt-topology", "version": 1, "levels": []})"),
            "t.json: missing required field 'name'");
  const char *head = R"({"format": "quilt-topology", "version": 1, "name": "x", "description": "",)";
  EXPECT_EQ(errorOf(std::string(head) + R"("levels": 3})"), "t.json: levels must be an array (got 3)");
  EXPECT_EQ(errorOf(std::string(head) + R"("levels": []})"),
            "t.json: levels must hold at least one level");
  EXPECT_EQ(errorOf(std::string(head) + R"("levels": [8]})"),
            "t.json: levels[0] must be an object (got 8)");
}

TEST(TopologyQueries, LevelBetweenFollowsPlacement) {
  Topology t = parsed(kThreeLevels);
  EXPECT_EQ(t.levelBetween(5, 5), 0u);
  EXPECT_EQ(t.levelBetween(0, 7), 0u);
  EXPECT_EQ(t.levelBetween(7, 8), 1u);
  EXPECT_EQ(t.levelBetween(0, 1023), 1u);
  EXPECT_EQ(t.levelBetween(1023, 1024), 2u);
  EXPECT_EQ(t.levelBetween(4000, 10), 2u);
  EXPECT_EQ(t.devicesPerNode(4096), 8);
  EXPECT_EQ(t.devicesPerNode(4), 4) << "a job smaller than a node fills part of one";
  Topology flat;
  flat.levels.push_back(NetworkLevel{}); // one level, devices 0: the whole machine
  EXPECT_EQ(flat.devicesPerNode(2), 2);
  EXPECT_EQ(flat.levelBetween(0, 1), 0u);
}

TEST(TopologyQueries, MeasuredForAndEfficiency) {
  Topology t = parsed(kThreeLevels);
  const MeasuredCollective *ar = t.measuredFor("all_reduce", 4);
  ASSERT_NE(ar, nullptr);
  EXPECT_EQ(ar->alphaUs, 10);
  EXPECT_EQ(ar->bandwidthGBps, 7.5);
  EXPECT_EQ(ar->algorithm, CollectiveAlgorithm::Library) << "no algorithm: the library's own";
  const MeasuredCollective *ring = t.measuredFor("all_reduce", 4, CollectiveAlgorithm::Ring);
  ASSERT_NE(ring, nullptr);
  EXPECT_EQ(ring->alphaUs, 12);
  EXPECT_EQ(t.measuredFor("all_reduce", 4, CollectiveAlgorithm::Rabenseifner), nullptr);
  // No points: the fit, 10 us + 75 kB at 7.5 GB/s.
  EXPECT_NEAR(ar->us(75000), 20, 1e-9);
  // Points: at a point, its time; between two, the log-log line (10 kB is
  // halfway from 1 kB to 100 kB: the geometric mean of 10 and 40 us);
  // below the first, its time; past the last, the rest at 6.5 GB/s.
  EXPECT_NEAR(ring->us(100000), 40, 1e-9);
  EXPECT_NEAR(ring->us(10000), 20, 1e-9);
  EXPECT_NEAR(ring->us(10), 10, 1e-9);
  EXPECT_NEAR(ring->us(1650000), 160 + 650000 / 6500.0, 1e-9);
  EXPECT_NEAR(ring->us(1000), 10, 1e-9) << "at the first point, its time";
  // One point: its time up to it, the fitted bandwidth past it.
  MeasuredCollective one{"all_gather", 2, 1.0, 2.0, CollectiveAlgorithm::Bruck, {{4000, 5}}};
  EXPECT_NEAR(one.us(100), 5, 1e-9);
  EXPECT_NEAR(one.us(4000), 5, 1e-9);
  EXPECT_NEAR(one.us(6000), 5 + 2000 / 2000.0, 1e-9);
  EXPECT_NE(t.measuredFor("halo_exchange", 8), nullptr);
  EXPECT_EQ(t.measuredFor("all_reduce", 8), nullptr);
  EXPECT_EQ(t.measuredFor("all_gather", 4), nullptr);
  EXPECT_EQ(t.efficiencyOf("conv"), 0.5);
  EXPECT_EQ(t.efficiencyOf("gemm"), 1.0) << "a class the file does not name runs at peak";
}

TEST(TopologyShipped, EveryShippedFileParses) {
  std::vector<std::string> names = shippedTopologyNames();
  for (const char *expected : {"dgx-a100", "dgx-h100", "frontier", "gb200-nvl72", "perlmutter",
                               "toy-flat-fast", "toy-two-nodes-slow"})
    EXPECT_NE(std::find(names.begin(), names.end(), expected), names.end()) << expected;
  for (const std::string &name : names) {
    SCOPED_TRACE(name);
    std::string error;
    mlir::FailureOr<Topology> t = loadTopology(name, error);
    ASSERT_TRUE(mlir::succeeded(t)) << error;
    EXPECT_TRUE(llvm::StringRef(t->path).ends_with("/" + name + ".json")) << t->path;
    for (const NetworkLevel &level : t->levels)
      EXPECT_FALSE(level.source.empty()) << level.name;
    EXPECT_FALSE(t->device.source.empty());
  }
}

TEST(TopologyShipped, MachineNumbers) {
  std::string error;
  mlir::FailureOr<Topology> h100 = loadTopology("dgx-h100", error);
  ASSERT_TRUE(mlir::succeeded(h100)) << error;
  EXPECT_EQ(h100->devicesPerNode(64), 8);
  EXPECT_EQ(h100->levelBetween(7, 8), 1u);
  EXPECT_EQ(h100->levels[1].nicsPerNode * h100->levels[1].nicBandwidthGBps / 8, 46);
  mlir::FailureOr<Topology> frontier = loadTopology("frontier", error);
  ASSERT_TRUE(mlir::succeeded(frontier)) << error;
  EXPECT_EQ(frontier->levels.size(), 3u);
  EXPECT_EQ(frontier->levels[1].nicsPerNode * frontier->levels[1].nicBandwidthGBps / 8, 12.5);
  EXPECT_EQ(frontier->levels[2].taper, 0.57);
  mlir::FailureOr<Topology> slow = loadTopology("toy-two-nodes-slow", error);
  ASSERT_TRUE(mlir::succeeded(slow)) << error;
  ASSERT_EQ(slow->levels.size(), 2u);
  EXPECT_EQ(slow->devicesPerNode(8), 4);
  EXPECT_EQ(slow->levels[0].bandwidthGBps, 20 * slow->levels[1].bandwidthGBps);
  EXPECT_EQ(slow->levels[1].alphaUs, 10 * slow->levels[0].alphaUs);
}

/// Points QUILT_TOPOLOGY_DIR at a fresh directory for one test.
class TopologyLoad : public ::testing::Test {
protected:
  void SetUp() override {
    if (const char *old = std::getenv("QUILT_TOPOLOGY_DIR"))
      saved = old;
    ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("quilt-topologies", dir));
    setenv("QUILT_TOPOLOGY_DIR", dir.c_str(), 1);
  }
  void TearDown() override {
    if (saved)
      setenv("QUILT_TOPOLOGY_DIR", saved->c_str(), 1);
    else
      unsetenv("QUILT_TOPOLOGY_DIR");
    llvm::sys::fs::remove_directories(dir);
  }
  std::string write(llvm::StringRef fileName, llvm::StringRef text) {
    llvm::SmallString<128> path(dir);
    llvm::sys::path::append(path, fileName);
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    EXPECT_FALSE(ec) << ec.message();
    os << text;
    return path.str().str();
  }

  llvm::SmallString<128> dir;
  std::optional<std::string> saved;
};

TEST_F(TopologyLoad, NameOrPath) {
  write("b.json", kThreeLevels);
  std::string aPath = write("a.json", withReplaced(R"("version": 1)", R"("version": 3)"));
  write("notes.txt", "not a topology");
  EXPECT_EQ(shippedTopologyDir(), dir.str().str());
  EXPECT_EQ(shippedTopologyNames(), (std::vector<std::string>{"a", "b"}));

  std::string error;
  mlir::FailureOr<Topology> b = loadTopology("b", error);
  ASSERT_TRUE(mlir::succeeded(b)) << error;
  EXPECT_EQ(b->path, dir.str().str() + "/b.json");

  EXPECT_TRUE(mlir::failed(loadTopology("a", error)));
  EXPECT_EQ(error, aPath + ": version must be 1 (got 3)");
  EXPECT_TRUE(mlir::failed(loadTopology(aPath, error)));
  EXPECT_EQ(error, aPath + ": version must be 1 (got 3)");

  EXPECT_TRUE(mlir::failed(loadTopology("dgx-h200", error)));
  EXPECT_EQ(error, "unknown topology 'dgx-h200'; shipped in " + dir.str().str() +
                       ": a, b (a path needs a '/' or a .json suffix)");
  EXPECT_TRUE(mlir::failed(loadTopology("missing.json", error)));
  EXPECT_EQ(error.rfind("missing.json: cannot read: ", 0), 0u) << error;
}

} // namespace
