// The plan cost model by rank class equals the model evaluated on every
// rank, op by op (the slowest rank's time, bytes and messages), on global
// programs partitioned over 1-D, 2-D and nested meshes with uneven blocks,
// strided and wide windows, and one- and two-level topologies.
#include "Quilt/IR/LocalBuffers.h"
#include "quilt/Analysis/CommunicationCost.h"
#include "quilt/Analysis/CostFormulas.h"
#include "quilt/Analysis/PlanCost.h"
#include "quilt/Planning/PlanSearch.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

using namespace quilt;

namespace {

// A conv with stride 2 and a dilated one, a pool, a softmax over channels
// (a statistic), a mean over the field (an all-reduce) and a 1x1 conv.
constexpr const char *kProgram = R"mlir(
func.func @main(%x: tensor<1x4x37x29xf32> {quilt.name = "x"}) -> tensor<1x4xf32> {
  %w = quilt.constant dense<0.1> : tensor<4x4x3x3xf32>
  %w1 = quilt.constant dense<0.2> : tensor<4x4x1x1xf32>
  %a = quilt.conv %x, %w {group = 1 : i64, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>} : tensor<1x4x37x29xf32>, tensor<4x4x3x3xf32> -> tensor<1x4x19x15xf32>
  %b = quilt.conv %a, %w {group = 1 : i64, strides = array<i64: 1, 1>, dilations = array<i64: 3, 2>, pads = array<i64: 3, 2, 3, 2>} : tensor<1x4x19x15xf32>, tensor<4x4x3x3xf32> -> tensor<1x4x19x15xf32>
  %p = quilt.max_pool %b {kernel_shape = array<i64: 3, 3>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>} : tensor<1x4x19x15xf32> -> tensor<1x4x19x15xf32>
  %s = quilt.softmax %p {axis = 1 : i64} : tensor<1x4x19x15xf32>
  %c = quilt.conv %s, %w1 {group = 1 : i64, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : tensor<1x4x19x15xf32>, tensor<4x4x1x1xf32> -> tensor<1x4x19x15xf32>
  %m = quilt.reduce_mean %c dims [2, 3] : tensor<1x4x19x15xf32> -> tensor<1x4x1x1xf32>
  %r = quilt.reshape %m : tensor<1x4x1x1xf32> -> tensor<1x4xf32>
  return %r : tensor<1x4xf32>
}
)mlir";

/// A program parsed in its own context.
struct ParsedProgram {
  explicit ParsedProgram(const char *text) : ctx(registry()) {
    ctx.loadAllAvailableDialects();
    module = mlir::parseSourceString<mlir::ModuleOp>(text, &ctx);
  }
  static mlir::DialectRegistry registry() {
    mlir::DialectRegistry registry;
    registry.insert<QuiltDialect, mlir::func::FuncDialect>();
    return registry;
  }
  /// Plans and partitions the program as quiltc does with `options`.
  mlir::LogicalResult partition(const PipelineOptions &options) {
    mlir::PassManager pm(&ctx);
    addPlanPasses(pm, options);
    addPartitionPass(pm, options);
    return pm.run(*module);
  }
  mlir::func::FuncOp func() { return *module->getOps<mlir::func::FuncOp>().begin(); }
  MeshOp mesh() { return *module->getOps<MeshOp>().begin(); }
  mlir::MLIRContext ctx;
  mlir::OwningOpRef<mlir::ModuleOp> module;
};

Topology twoLevels() {
  std::string error;
  auto topology = loadTopology("toy-two-nodes-slow", error);
  EXPECT_TRUE(succeeded(topology)) << error;
  return *topology;
}

Topology oneLevel() {
  std::string error;
  auto topology = loadTopology("toy-flat-fast", error);
  EXPECT_TRUE(succeeded(topology)) << error;
  return *topology;
}

void expectClassesEqualEveryRank(std::vector<int64_t> mesh, std::vector<std::string> shards,
                                 const Topology &topology) {
  ParsedProgram program(kProgram);
  ASSERT_TRUE(program.module);
  PipelineOptions options;
  options.mesh = mesh;
  options.shards = shards;
  ASSERT_TRUE(succeeded(program.partition(options)));
  auto byClass = evaluatePlan(program.func(), program.mesh(), topology, /*byRankClass=*/true);
  auto everyRank = evaluatePlan(program.func(), program.mesh(), topology, /*byRankClass=*/false);
  ASSERT_TRUE(succeeded(byClass) && succeeded(everyRank));
  ASSERT_EQ(byClass->ops.size(), everyRank->ops.size());
  for (size_t i = 0; i < byClass->ops.size(); ++i) {
    const OpCost &a = byClass->ops[i], &b = everyRank->ops[i];
    EXPECT_DOUBLE_EQ(a.us, b.us) << "op " << i << " " << a.kind;
    EXPECT_EQ(a.bytesSent, b.bytesSent) << "op " << i << " " << a.kind;
    EXPECT_EQ(a.messages, b.messages) << "op " << i << " " << a.kind;
    EXPECT_EQ(a.level, b.level) << "op " << i << " " << a.kind;
  }
  EXPECT_DOUBLE_EQ(byClass->totalUs, everyRank->totalUs);
}

TEST(PlanCostRankClasses, OneAxisUnevenBlocks) {
  for (int64_t p : {9, 12, 16})
    expectClassesEqualEveryRank({p}, {"x:2"}, oneLevel());
}

TEST(PlanCostRankClasses, TwoAxesTwoLevels) {
  expectClassesEqualEveryRank({4, 4}, {"x:2=0", "3=1"}, twoLevels());
  expectClassesEqualEveryRank({2, 8}, {"x:2=0", "3=1"}, twoLevels());
  expectClassesEqualEveryRank({8, 2}, {"x:3=0", "2=1"}, twoLevels());
}

TEST(PlanCostRankClasses, NestedAxesOnOneDim) {
  expectClassesEqualEveryRank({3, 4}, {"x:2=0", "2=1"}, twoLevels());
  expectClassesEqualEveryRank({2, 2, 4}, {"x:2=0", "2=1", "3=2"}, twoLevels());
}

TEST(PlanCostRankClasses, ChannelsSplit) {
  expectClassesEqualEveryRank({2, 8}, {"x:1=0", "2=1"}, twoLevels());
}

} // namespace

namespace {
TEST(PlanCostRankClasses, ThreeLevelsSharedNics) {
  std::string error;
  auto frontier = loadTopology("frontier", error);
  ASSERT_TRUE(succeeded(frontier)) << error;
  expectClassesEqualEveryRank({16, 16}, {"x:2=0", "3=1"}, *frontier);
  expectClassesEqualEveryRank({64}, {"x:2"}, *frontier);
  expectClassesEqualEveryRank({32, 32}, {"x:2=0", "3=1"}, *frontier);
  // Neighbours across a dragonfly group (1024 devices): rank 960's.
  expectClassesEqualEveryRank({64, 64}, {"x:2=0", "3=1"}, *frontier);
}
} // namespace

namespace {
// Attention costs its two products in the "attention" class (threaded) and
// the runtime's online softmax over every score in the "softmax" class, on
// one core of the rank's two; hand-worked against the roofline.
TEST(PlanCostCompute, AttentionIsItsProductsPlusTheSoftmaxLoop) {
  constexpr const char *kAttention = R"mlir(
func.func @main(%q: tensor<2x64x16xf32> {quilt.name = "q"}, %k: tensor<2x128x16xf32> {quilt.name = "k"},
                %v: tensor<2x128x8xf32> {quilt.name = "v"}) -> tensor<2x64x8xf32> {
  %y = quilt.attention %q, %k, %v : tensor<2x64x16xf32>, tensor<2x128x16xf32>, tensor<2x128x8xf32> -> tensor<2x64x8xf32>
  return %y : tensor<2x64x8xf32>
}
)mlir";
  constexpr const char *kMachine = R"json({
  "format": "quilt-topology", "version": 1, "name": "toy-cpu", "description": "test",
  "levels": [{"name": "shm", "kind": "shared-memory", "devices": 0, "alpha_us": 1,
              "bandwidth_GBps": 10, "source": "test"}],
  "device": {"name": "toy", "memory_GB": 1, "peak_GFLOPs": {"f32": 1000},
             "memory_bandwidth_GBps": 100, "launch_us": 5, "cores": 2,
             "threaded_classes": ["attention"],
             "efficiency": {"attention": 0.5, "softmax": 0.25}, "source": "test"}
})json";
  std::string error;
  auto topology = parseTopology(kMachine, "toy.json", error);
  ASSERT_TRUE(succeeded(topology)) << error;
  ParsedProgram program(kAttention);
  ASSERT_TRUE(program.module);
  PipelineOptions options;
  options.mesh = {1};
  ASSERT_TRUE(succeeded(program.partition(options)));
  auto cost = evaluatePlan(program.func(), program.mesh(), *topology);
  ASSERT_TRUE(succeeded(cost));
  const OpCost *attention = nullptr;
  for (const OpCost &op : cost->ops)
    if (op.kind == "attention")
      attention = &op;
  ASSERT_NE(attention, nullptr);
  // 2 x 64 queries x 128 keys = 16384 scores.
  // Products: 16384 (2*16 + 2*8) = 786432 FLOPs at 1000 GFLOP/s x 0.5 =
  // 1.572864 us; operands and result 36864 B at 100 GB/s x 0.5 = 0.73728 us;
  // + 5 us launch = 6.572864 us.
  // Softmax: one core of two (500 GFLOP/s, 50 GB/s) x 0.25: 16384 x 24
  // FLOPs = 3.145728 us, 16384 x 12 B = 15.72864 us; + 5 us = 20.72864 us.
  EXPECT_NEAR(attention->us, 6.572864 + 20.72864, 1e-9);
  EXPECT_NEAR(attention->computeUs, attention->us, 1e-12);
  EXPECT_STREQ(attention->opClass.c_str(), "attention");
}

// Three all-reduces of one 16 MiB buffer over 8 ranks of a flat machine
// (alpha 1 us, 100 GB/s): one records no algorithm, one a ring, one the
// library's collective.
constexpr const char *kAllReduces = R"mlir(
quilt.mesh @mesh ["x" = 8]
func.func @main(%x: tensor<4194304xf32> {quilt.name = "x"}) -> (tensor<4194304xf32>, tensor<4194304xf32>, tensor<4194304xf32>) {
  %a = quilt.all_reduce %x on @mesh axes ["x"] kind = sum : tensor<4194304xf32>
  %b = quilt.all_reduce %x on @mesh axes ["x"] kind = sum {algorithm = "ring"} : tensor<4194304xf32>
  %c = quilt.all_reduce %x on @mesh axes ["x"] kind = sum {algorithm = "library"} : tensor<4194304xf32>
  return %a, %b, %c : tensor<4194304xf32>, tensor<4194304xf32>, tensor<4194304xf32>
}
)mlir";


TEST(PlanCostCollectives, RecordedAlgorithmIsTheOneTimed) {
  ParsedProgram program(kAllReduces);
  ASSERT_TRUE(program.module);
  auto func = program.func();
  auto mesh = program.mesh();
  Topology topology = oneLevel();
  const LinkCost link{1.0, 100.0};
  const double buffer = 4194304.0 * 4;
  for (bool libraryOnly : {false, true}) {
    auto cost = evaluatePlan(func, mesh, topology, /*byRankClass=*/true, libraryOnly);
    ASSERT_TRUE(succeeded(cost));
    ASSERT_EQ(cost->ops.size(), 3u);
    const OpCost &unrecorded = cost->ops[0], &ring = cost->ops[1], &library = cost->ops[2];
    // The library, unmeasured on this machine, is modelled as picking the
    // cheapest algorithm itself. Over 8 ranks no op copies its input into
    // its result first: the communicator reads it in place.
    EXPECT_EQ(library.collectiveAlgorithm, CollectiveAlgorithm::Library);
    EXPECT_EQ(library.algorithm, "library: rabenseifner");
    EXPECT_NEAR(library.commUs, rabenseifnerAllReduceUs(8, buffer, link), 1e-6);
    // The ring the op records, not the cheapest: its messages and its
    // combines at the device's 1000 GB/s.
    EXPECT_EQ(ring.collectiveAlgorithm, CollectiveAlgorithm::Ring);
    EXPECT_EQ(ring.algorithm, "ring");
    EXPECT_NEAR(ring.commUs,
                ringAllReduceUs(8, buffer, link) + 3.0 * 7.0 / 8.0 * buffer / 1e6, 1e-6);
    // Unrecorded: the cheapest schedule the runtime runs, or with a
    // library-only communicator (NCCL) the library's.
    EXPECT_EQ(unrecorded.collectiveAlgorithm,
              libraryOnly ? CollectiveAlgorithm::Library : CollectiveAlgorithm::Rabenseifner);
    EXPECT_EQ(unrecorded.algorithm, libraryOnly ? "library: rabenseifner" : "rabenseifner");
    EXPECT_NEAR(unrecorded.commUs,
                libraryOnly ? rabenseifnerAllReduceUs(8, buffer, link)
                            : *scheduleWithMemoryUs(CollectiveKind::AllReduce,
                                                    CollectiveAlgorithm::Rabenseifner, 8, buffer,
                                                    link, 1000.0),
                1e-6);
  }
}

TEST(PlanCostCollectives, MeasuredLibraryCompetesWithTheSchedules) {
  ParsedProgram program(kAllReduces);
  ASSERT_TRUE(program.module);
  auto func = program.func();
  auto mesh = program.mesh();
  // A measured curve 10x the flat link's bandwidth beats every schedule;
  // one at a tenth loses to them.
  for (double bandwidth : {1000.0, 10.0}) {
    Topology topology = oneLevel();
    topology.measured.push_back({"all_reduce", 8, 1.0, bandwidth});
    auto cost = evaluatePlan(func, mesh, topology);
    ASSERT_TRUE(succeeded(cost));
    const OpCost &unrecorded = cost->ops[0];
    if (bandwidth > 100) {
      EXPECT_EQ(unrecorded.collectiveAlgorithm, CollectiveAlgorithm::Library);
      EXPECT_EQ(unrecorded.algorithm, "library: measured");
    } else {
      EXPECT_EQ(unrecorded.collectiveAlgorithm, CollectiveAlgorithm::Rabenseifner);
    }
  }
}

TEST(PlanCostCollectives, MeasuredSchedulesOutrankTheirFormulas) {
  ParsedProgram program(kAllReduces);
  ASSERT_TRUE(program.module);
  auto func = program.func();
  auto mesh = program.mesh();
  const LinkCost link{1.0, 100.0};
  const double buffer = 4194304.0 * 4;
  // The ring as quilt-calibrate measured it: 2 us + the bytes a ring sends
  // (2 x 7/8 of the buffer) at 50 GB/s, slower than any formula says.
  const double measuredRing = 2.0 + LinkCost{0, 50.0}.transferUs(2.0 * 7.0 / 8.0 * buffer);
  Topology topology = oneLevel();
  topology.measured.push_back({"all_reduce", 8, 2.0, 50.0, CollectiveAlgorithm::Ring});
  auto cost = evaluatePlan(func, mesh, topology);
  ASSERT_TRUE(succeeded(cost));
  const OpCost &unrecorded = cost->ops[0], &ring = cost->ops[1];
  // Rabenseifner's formula is cheaper, but only the ring was measured: a
  // measured schedule outranks a formula's.
  EXPECT_GT(measuredRing, *scheduleWithMemoryUs(CollectiveKind::AllReduce,
                                                CollectiveAlgorithm::Rabenseifner, 8, buffer,
                                                link, 1000.0));
  EXPECT_EQ(unrecorded.collectiveAlgorithm, CollectiveAlgorithm::Ring);
  EXPECT_EQ(unrecorded.algorithm, "ring: measured");
  EXPECT_NEAR(unrecorded.commUs, measuredRing, 1e-6);
  // The op that records the ring is timed by the same curve.
  EXPECT_EQ(ring.algorithm, "ring: measured");
  EXPECT_NEAR(ring.commUs, measuredRing, 1e-6);
  // A measured library that is faster still wins the unrecorded op.
  topology.measured.push_back({"all_reduce", 8, 1.0, 1000.0});
  cost = evaluatePlan(func, mesh, topology);
  ASSERT_TRUE(succeeded(cost));
  EXPECT_EQ(cost->ops[0].algorithm, "library: measured");
  EXPECT_EQ(cost->ops[1].algorithm, "ring: measured");
}

TEST(PlanCostCollectives, MeasuredCurvesHoldOnlyWithinTheInnermostLevel) {
  ParsedProgram program(kAllReduces);
  ASSERT_TRUE(program.module);
  auto func = program.func();
  auto mesh = program.mesh();
  // 8 ranks on nodes of 4: every group crosses the node level, where curves
  // measured inside one node (quilt-calibrate's) say nothing.
  Topology topology = twoLevels();
  topology.measured.push_back({"all_reduce", 8, 1.0, 1000.0});
  topology.measured.push_back({"all_reduce", 8, 1.0, 1000.0, CollectiveAlgorithm::Ring});
  auto cost = evaluatePlan(func, mesh, topology);
  ASSERT_TRUE(succeeded(cost));
  for (const OpCost &op : cost->ops)
    EXPECT_EQ(op.algorithm.find("measured"), std::string::npos) << op.algorithm;
}
} // namespace

namespace {
// Under --tf32 (the module's quilt.math) the classes cuDNN and cuBLAS run
// (here a conv and a gemm) are timed at the device's TF32 peak; Quilt's own
// kernels (the softmax) keep the float32 one. Hand-worked on a GPU-like
// device: 1000 GFLOP/s f32, 8000 tf32, 10^6 GB/s (compute-bound), no launch.
TEST(PlanCostCompute, Tf32TimesLibraryProductsAtTheTf32Peak) {
  constexpr const char *kProducts = R"mlir(
func.func @main(%x: tensor<1x8x64x64xf32> {quilt.name = "x"}, %a: tensor<64x32xf32> {quilt.name = "a"}, %q: tensor<2x64x16xf32> {quilt.name = "q"}) -> (tensor<1x8x64x64xf32>, tensor<64x32xf32>, tensor<2x64x16xf32>) {
  %w = quilt.constant dense<0.1> : tensor<8x8x3x3xf32>
  %b = quilt.constant dense<0.1> : tensor<32x32xf32>
  %c = quilt.conv %x, %w {group = 1 : i64, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>} : tensor<1x8x64x64xf32>, tensor<8x8x3x3xf32> -> tensor<1x8x64x64xf32>
  %s = quilt.softmax %c {axis = 1 : i64} : tensor<1x8x64x64xf32>
  %g = quilt.gemm %a, %b : tensor<64x32xf32>, tensor<32x32xf32> -> tensor<64x32xf32>
  %t = quilt.attention %q, %q, %q : tensor<2x64x16xf32>, tensor<2x64x16xf32>, tensor<2x64x16xf32> -> tensor<2x64x16xf32>
  return %s, %g, %t : tensor<1x8x64x64xf32>, tensor<64x32xf32>, tensor<2x64x16xf32>
}
)mlir";
  constexpr const char *kMachine = R"json({
  "format": "quilt-topology", "version": 1, "name": "toy-gpu", "description": "test",
  "levels": [{"name": "nvlink", "kind": "switch", "devices": 0, "alpha_us": 1,
              "bandwidth_GBps": 100, "source": "test"}],
  "device": {"name": "toy", "memory_GB": 80, "peak_GFLOPs": {"f32": 1000, "tf32": 8000},
             "memory_bandwidth_GBps": 1000000, "launch_us": 0,
             "efficiency": {"conv": 1, "gemm": 1, "softmax": 1, "attention": 1}, "source": "test"}
})json";
  std::string error;
  auto topology = parseTopology(kMachine, "toy.json", error);
  ASSERT_TRUE(succeeded(topology)) << error;
  auto timesByClass = [&](bool tf32) {
    ParsedProgram program(kProducts);
    EXPECT_TRUE(program.module);
    if (tf32)
      (*program.module)->setAttr(kMathAttr, mlir::StringAttr::get(&program.ctx, "tf32"));
    EXPECT_EQ(allowsTf32(*program.module), tf32);
    EXPECT_TRUE(succeeded(program.partition(PipelineOptions())));
    auto cost = evaluatePlan(program.func(), program.mesh(), *topology);
    EXPECT_TRUE(succeeded(cost));
    std::map<std::string, double> us;
    for (const OpCost &op : cost->ops)
      us[op.opClass] += op.computeUs;
    return us;
  };
  std::map<std::string, double> fp32 = timesByClass(false), tf32 = timesByClass(true);
  // Conv: 2 x 64 x 64 x 8 x (8 x 3 x 3) = 4718592 FLOPs: 4.718592 us at
  // 1000 GFLOP/s, 0.589824 us at 8000.
  EXPECT_NEAR(fp32["conv"], 4.718592, 1e-3);
  EXPECT_NEAR(tf32["conv"], 4.718592 / 8, 1e-3);
  // Gemm: 2 x 64 x 32 x 32 = 131072 FLOPs: 8x faster.
  ASSERT_GT(fp32["gemm"], 0);
  EXPECT_NEAR(tf32["gemm"], fp32["gemm"] / 8, 1e-6);
  // Quilt's softmax does not run on tensor cores.
  ASSERT_GT(fp32["softmax"], 0);
  EXPECT_NEAR(tf32["softmax"], fp32["softmax"], 1e-12);
  // Attention: its two products (cuBLAS) 8x faster, its softmax loop not:
  // 2 x 64 x 64 scores x (2 x 16 + 2 x 16) = 524288 FLOPs, 0.524288 us at
  // 1000 GFLOP/s, 0.065536 at 8000.
  EXPECT_NEAR(fp32["attention"] - tf32["attention"], 0.524288 - 0.065536, 1e-6);
}
} // namespace

namespace {
// Copies run on the device's measured copy curve (device.copy_points_bytes_us)
// where the topology has one: a concat (class copy) and the block a halo
// exchange copies into its result. Hand-worked on a toy device streaming
// 1000 GB/s, no launch, with points (1024 B, 0.5 us), (4096 B, 1 us),
// (16384 B, 4 us): log-log interpolation between them.
/// A one-level toy machine whose device fields (copies, runs, packing)
/// come from `deviceFields` (JSON members, each followed by ", ") and whose
/// efficiencies are `efficiency` (a JSON object).
/// The op class of every op of `cost`, in program order.
std::vector<std::string> opClasses(const PlanCost &cost) {
  std::vector<std::string> classes;
  for (const OpCost &op : cost.ops)
    classes.push_back(op.opClass);
  return classes;
}

Topology toyCopyMachine(const std::string &deviceFields,
                        const std::string &efficiency = R"({"conv": 1})") {
  std::string text = std::string(R"json({
  "format": "quilt-topology", "version": 1, "name": "toy-copies", "description": "test",
  "levels": [{"name": "link", "kind": "switch", "devices": 0, "alpha_us": 1,
              "bandwidth_GBps": 100, "source": "test"}],
  "device": {"name": "toy", "memory_GB": 80, "peak_GFLOPs": {"f32": 1000},
             "memory_bandwidth_GBps": 1000, "launch_us": 0, )json") +
                     deviceFields + R"json("efficiency": )json" + efficiency +
                     R"json(, "source": "test"}
})json";
  std::string error;
  auto topology = parseTopology(text, "toy.json", error);
  EXPECT_TRUE(succeeded(topology)) << error;
  return *topology;
}

TEST(PlanCostCompute, CopiesRunOnTheMeasuredCopyCurve) {
  constexpr const char *kCopies = R"mlir(
func.func @main(%x: tensor<1x4x16x16xf32> {quilt.name = "x"}, %y: tensor<1x4x16x16xf32> {quilt.name = "y"}) -> (tensor<1x4x16x16xf32>, tensor<1x8x16x16xf32>) {
  %w = quilt.constant dense<0.1> : tensor<4x4x3x3xf32>
  %c = quilt.conv %x, %w {group = 1 : i64, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>} : tensor<1x4x16x16xf32>, tensor<4x4x3x3xf32> -> tensor<1x4x16x16xf32>
  %cat = quilt.concat %x, %y {axis = 1 : i64} : tensor<1x4x16x16xf32>, tensor<1x4x16x16xf32> -> tensor<1x8x16x16xf32>
  return %c, %cat : tensor<1x4x16x16xf32>, tensor<1x8x16x16xf32>
}
)mlir";
  auto machine = [](bool curve) {
    return toyCopyMachine(curve ? R"("copy_points_bytes_us": [[1024, 0.5], [4096, 1], [16384, 4]], )"
                                : "");
  };
  ParsedProgram program(kCopies);
  ASSERT_TRUE(program.module);
  PipelineOptions options;
  options.mesh = {2};
  options.shards = {"x:2", "y:2"};
  ASSERT_TRUE(succeeded(program.partition(options)));
  auto opOfKind = [](const PlanCost &cost, llvm::StringRef kind) {
    for (const OpCost &op : cost.ops)
      if (op.kind == kind)
        return op;
    ADD_FAILURE() << "no " << kind.str();
    return OpCost();
  };
  auto streamed = evaluatePlan(program.func(), program.mesh(), machine(false));
  auto measured = evaluatePlan(program.func(), program.mesh(), machine(true));
  ASSERT_TRUE(succeeded(streamed) && succeeded(measured));
  // The concat's local result, 1x8x8x16 floats = 4096 B: 1 us on the curve,
  // 2 x 4096 B at 1000 GB/s = 0.008192 us streamed.
  OpCost concat = opOfKind(*measured, "concat");
  EXPECT_EQ(concat.opClass, "copy");
  EXPECT_NEAR(concat.computeUs, 1.0, 1e-9);
  EXPECT_NEAR(opOfKind(*streamed, "concat").computeUs, 0.008192, 1e-9);
  // The halo exchange copies x's block, 1x4x8x16 floats = 2048 B, into
  // its result: 0.5 x 2^(1/2) us on the curve instead of 0.004096 us; the
  // transfer and the packing are the same either way.
  EXPECT_NEAR(opOfKind(*measured, "halo_exchange").commUs -
                  opOfKind(*streamed, "halo_exchange").commUs,
              0.5 * std::sqrt(2.0) - 0.004096, 1e-9);
}

TEST(PlanCostCompute, SlicesOfConstantsCostNothingPerStep) {
  // The constants %w and %z meet x split on H: their blocks (filled at run
  // time, as splats of more than 1024 elements) are taken once at start-up.
  constexpr const char *kSlices = R"mlir(
func.func @main(%x: tensor<1x4x32x32xf32> {quilt.name = "x"}) -> tensor<1x4x32x32xf32> {
  %w = quilt.constant dense<0.5> : tensor<1x4x32x32xf32>
  %z = quilt.constant dense<0.0> : tensor<1x4x32x32xf32>
  %a = quilt.mul %x, %w : tensor<1x4x32x32xf32>, tensor<1x4x32x32xf32> -> tensor<1x4x32x32xf32>
  %b = quilt.add %a, %z : tensor<1x4x32x32xf32>, tensor<1x4x32x32xf32> -> tensor<1x4x32x32xf32>
  return %b : tensor<1x4x32x32xf32>
}
)mlir";
  ParsedProgram program(kSlices);
  ASSERT_TRUE(program.module);
  PipelineOptions options;
  options.mesh = {2};
  options.shards = {"x:2"};
  ASSERT_TRUE(succeeded(program.partition(options)));
  int slices = 0;
  program.func().walk([&](ShardSliceOp slice) {
    EXPECT_TRUE(computedOnceAtStart(slice));
    ++slices;
  });
  ASSERT_EQ(slices, 2);
  auto cost = evaluatePlan(program.func(), program.mesh(), oneLevel());
  ASSERT_TRUE(succeeded(cost));
  // The step is the mul and the add alone: no slice, no constant.
  std::vector<std::string> kinds;
  for (const OpCost &op : cost->ops)
    kinds.push_back(op.kind);
  EXPECT_EQ(kinds, (std::vector<std::string>{"mul", "add"}));
  // Nor is a slice an op of the communication report.
  auto comm = communicationCosts(program.func(), program.mesh());
  ASSERT_TRUE(succeeded(comm));
  EXPECT_TRUE(comm->empty());
}

TEST(PlanCostCompute, ShortRunsCostACallEach) {
  // A pad of complex pairs (the FNO's last dim of 2) maps indices row by
  // row: 1x4x16 rows of 4 floats. The copy curve times the bytes; each row
  // past the first costs a call more: the topology's copy_run_us, else what
  // the one-float-run pack bandwidth implies beyond the bytes.
  constexpr const char *kPad = R"mlir(
func.func @main(%x: tensor<1x4x16x2xf32> {quilt.name = "x"}) -> tensor<1x4x16x4xf32> {
  %p = quilt.pad %x {padding = array<i64: 0, 0, 0, 0, 0, 0, 0, 2>, value = 0.000000e+00 : f32} : tensor<1x4x16x2xf32> -> tensor<1x4x16x4xf32>
  return %p : tensor<1x4x16x4xf32>
}
)mlir";
  auto machine = [](const char *pack) {
    return toyCopyMachine(std::string(pack) + R"("copy_points_bytes_us": [[1024, 1], [4096, 2]], )");
  };
  ParsedProgram program(kPad);
  ASSERT_TRUE(program.module);
  PipelineOptions options;
  options.mesh = {1};
  ASSERT_TRUE(succeeded(program.partition(options)));
  auto fast = evaluatePlan(program.func(), program.mesh(), machine(""));
  auto slow = evaluatePlan(program.func(), program.mesh(), machine(R"("pack_bandwidth_GBps": 4, )"));
  auto measured = evaluatePlan(program.func(), program.mesh(),
                               machine(R"("pack_bandwidth_GBps": 4, "copy_run_us": 0.002, )"));
  auto rows = evaluatePlan(
      program.func(), program.mesh(),
      machine(R"("pack_bandwidth_GBps": 4, "copy_run_us": 0.002, "index_row_us": 0.005, )"));
  ASSERT_TRUE(succeeded(fast) && succeeded(slow) && succeeded(measured) && succeeded(rows));
  ASSERT_EQ(fast->ops.size(), 1u);
  EXPECT_EQ(fast->ops[0].opClass, "copy");
  // 1x4x16x4 floats = 1024 B: 1 us on the curve; no pack bandwidth: no
  // cost per run.
  EXPECT_NEAR(fast->ops[0].computeUs, 1.0, 1e-9);
  // 64 rows: 63 calls more of 4 B / 4 GB/s - 4 B / 1000 GB/s.
  EXPECT_NEAR(slow->ops[0].computeUs, 1.0 + 63 * (1e-3 - 4e-6), 1e-9);
  // A measured cost per run replaces the pack bandwidth's, and a measured
  // cost per index-map row replaces that.
  EXPECT_NEAR(measured->ops[0].computeUs, 1.0 + 63 * 0.002, 1e-9);
  EXPECT_NEAR(rows->ops[0].computeUs, 1.0 + 63 * 0.005, 1e-9);
}

TEST(PlanCostCompute, WideStridedTransformsAreTheirOwnClass) {
  // Along the last axis (before the real/imaginary dim) a transform is
  // contiguous; along a middle axis it walks planes of n x inner complex
  // points: 256 x 12 x 8 B = 24 KiB stays in cache (class fft), 256 x 256
  // x 8 B = 512 KiB does not (class fft_strided).
  constexpr const char *kTransforms = R"mlir(
func.func @main(%a: tensor<1x4x256x12x2xf32> {quilt.name = "a"}, %b: tensor<1x4x256x256x2xf32> {quilt.name = "b"}) -> (tensor<1x4x256x12x2xf32>, tensor<1x4x256x256x2xf32>, tensor<1x4x256x256x2xf32>) {
  %narrow = quilt.dft %a {axis = 2 : i64} : tensor<1x4x256x12x2xf32> -> tensor<1x4x256x12x2xf32>
  %wide = quilt.dft %b {axis = 2 : i64} : tensor<1x4x256x256x2xf32> -> tensor<1x4x256x256x2xf32>
  %last = quilt.dft %b {axis = 3 : i64} : tensor<1x4x256x256x2xf32> -> tensor<1x4x256x256x2xf32>
  return %narrow, %wide, %last : tensor<1x4x256x12x2xf32>, tensor<1x4x256x256x2xf32>, tensor<1x4x256x256x2xf32>
}
)mlir";
  ParsedProgram program(kTransforms);
  ASSERT_TRUE(program.module);
  PipelineOptions options;
  options.mesh = {1};
  ASSERT_TRUE(succeeded(program.partition(options)));
  auto machine = [](const char *efficiency) { return toyCopyMachine("", efficiency); };
  auto split = evaluatePlan(program.func(), program.mesh(),
                            machine(R"({"fft": 0.5, "fft_strided": 0.125})"));
  auto pooled = evaluatePlan(program.func(), program.mesh(), machine(R"({"fft": 0.5})"));
  ASSERT_TRUE(succeeded(split) && succeeded(pooled));
  EXPECT_EQ(opClasses(*split), (std::vector<std::string>{"fft", "fft_strided", "fft"}));
  // The wide strided transform runs at its own efficiency (4x slower
  // here); a topology without fft_strided times it as an fft.
  EXPECT_NEAR(split->ops[1].computeUs, 4 * pooled->ops[1].computeUs, 1e-9);
  EXPECT_NEAR(split->ops[0].computeUs, pooled->ops[0].computeUs, 1e-9);
  EXPECT_NEAR(split->ops[2].computeUs, pooled->ops[2].computeUs, 1e-9);
  // A machine whose cache keeps planes of 16 KiB only: the 24 KiB plane
  // leaves it too.
  auto small = evaluatePlan(
      program.func(), program.mesh(),
      toyCopyMachine(R"("fft_cached_plane_bytes": 16384, )", R"({"fft": 0.5, "fft_strided": 0.125})"));
  ASSERT_TRUE(succeeded(small));
  EXPECT_EQ(small->ops[0].opClass, "fft_strided");
  EXPECT_EQ(small->ops[2].opClass, "fft");
}

TEST(PlanCostCompute, VolumetricKernelsAreTheirOwnClasses) {
  // A convolution or pool over three spatial dims is class conv3d / pool3d;
  // a topology without them times it as conv / pool, and a variant takes
  // its base class's memory efficiency and threading.
  constexpr const char *kKernels = R"mlir(
func.func @main(%x2: tensor<1x8x32x32xf32> {quilt.name = "x2"}, %w2: tensor<8x8x3x3xf32> {quilt.name = "w2"}, %x3: tensor<1x8x16x16x16xf32> {quilt.name = "x3"}, %w3: tensor<8x8x3x3x3xf32> {quilt.name = "w3"}) -> (tensor<1x8x32x32xf32>, tensor<1x8x16x16x16xf32>, tensor<1x8x32x32xf32>, tensor<1x8x16x16x16xf32>) {
  %c2 = quilt.conv %x2, %w2 {group = 1 : i64, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>} : tensor<1x8x32x32xf32>, tensor<8x8x3x3xf32> -> tensor<1x8x32x32xf32>
  %c3 = quilt.conv %x3, %w3 {group = 1 : i64, strides = array<i64: 1, 1, 1>, dilations = array<i64: 1, 1, 1>, pads = array<i64: 1, 1, 1, 1, 1, 1>} : tensor<1x8x16x16x16xf32>, tensor<8x8x3x3x3xf32> -> tensor<1x8x16x16x16xf32>
  %p2 = quilt.max_pool %x2 {kernel_shape = array<i64: 3, 3>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>} : tensor<1x8x32x32xf32> -> tensor<1x8x32x32xf32>
  %p3 = quilt.max_pool %x3 {kernel_shape = array<i64: 3, 3, 3>, strides = array<i64: 1, 1, 1>, dilations = array<i64: 1, 1, 1>, pads = array<i64: 1, 1, 1, 1, 1, 1>} : tensor<1x8x16x16x16xf32> -> tensor<1x8x16x16x16xf32>
  return %c2, %c3, %p2, %p3 : tensor<1x8x32x32xf32>, tensor<1x8x16x16x16xf32>, tensor<1x8x32x32xf32>, tensor<1x8x16x16x16xf32>
}
)mlir";
  ParsedProgram program(kKernels);
  ASSERT_TRUE(program.module);
  PipelineOptions options;
  options.mesh = {1};
  ASSERT_TRUE(succeeded(program.partition(options)));
  auto machine = [](const char *efficiency) { return toyCopyMachine("", efficiency); };
  auto split = evaluatePlan(
      program.func(), program.mesh(),
      machine(R"({"conv": 0.5, "conv3d": 0.25, "pool": 0.5, "pool3d": 0.125})"));
  auto pooled = evaluatePlan(program.func(), program.mesh(), machine(R"({"conv": 0.5, "pool": 0.5})"));
  ASSERT_TRUE(succeeded(split) && succeeded(pooled));
  EXPECT_EQ(opClasses(*split), (std::vector<std::string>{"conv", "conv3d", "pool", "pool3d"}));
  ASSERT_EQ(pooled->ops.size(), 4u);
  EXPECT_NEAR(split->ops[0].computeUs, pooled->ops[0].computeUs, 1e-9);
  EXPECT_NEAR(split->ops[2].computeUs, pooled->ops[2].computeUs, 1e-9);
  // Compute-bound on the toy machine (no launch cost): the time scales with
  // the efficiency. 3-D conv: 14.2 MFLOP at 1000 GFLOP/s x 0.5 = 28.3 us.
  EXPECT_NEAR(pooled->ops[1].computeUs, 2.0 * 8 * 4096 * 8 * 27 / 1000e3 / 0.5, 1e-6);
  EXPECT_NEAR(split->ops[1].computeUs, 2 * pooled->ops[1].computeUs, 1e-9);
  EXPECT_NEAR(split->ops[3].computeUs, 4 * pooled->ops[3].computeUs, 1e-9);

  Topology topology;
  topology.device.efficiency = {{"conv", 0.5}, {"pool", 0.25}, {"pool3d", 0.125}};
  topology.device.memoryEfficiency = {{"pool", 0.75}};
  topology.device.threadedClasses = {"conv"};
  EXPECT_EQ(baseOpClass("conv3d"), "conv");
  EXPECT_EQ(baseOpClass("pool3d"), "pool");
  EXPECT_EQ(baseOpClass("fft_strided"), "fft");
  EXPECT_EQ(baseOpClass("conv"), "");
  EXPECT_DOUBLE_EQ(topology.efficiencyOf("conv3d"), 0.5);
  EXPECT_DOUBLE_EQ(topology.efficiencyOf("pool3d"), 0.125);
  EXPECT_DOUBLE_EQ(topology.memoryEfficiencyOf("pool3d"), 0.75);
  EXPECT_DOUBLE_EQ(topology.memoryEfficiencyOf("conv3d"), 0.5);
  EXPECT_TRUE(topology.device.threaded("conv3d"));
  EXPECT_FALSE(topology.device.threaded("pool3d"));
}
} // namespace
