// Slab I/O of .npy files, the weights file format, model info parsing and
// flag parsing.
#include "flags.h"
#include "model_info.h"
#include "npy.h"
#include "quilt/weights_format.h"
#include "test_support.h"
#include "weights_file.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <unistd.h>

namespace quilt::test {
namespace {

std::string tempPath(const std::string &name) {
  return strCat(testing::TempDir(), "/quilt_", getpid(), "_", name);
}

TEST(Npy, HeaderIsAlignedAndParsesBack) {
  for (const Shape &shape : std::vector<Shape>{{}, {5}, {2, 3}, {1, 3, 224, 224}}) {
    std::string header = encodeNpyHeader(shape);
    EXPECT_EQ(header.size() % 64, 0u);
    std::string path = tempPath("h.npy");
    createNpyFile(path, shape);
    NpyHeader h = readNpyHeader(path);
    EXPECT_EQ(h.descr, "<f4");
    EXPECT_FALSE(h.fortranOrder);
    EXPECT_EQ(h.shape, shape);
    EXPECT_EQ(h.dataOffset, header.size());
    std::remove(path.c_str());
  }
}

TEST(Npy, SlabsWrittenByEveryRankReadBackWhole) {
  Shape shape{2, 7, 5}, mesh{3, 2};
  std::vector<Dim> dims{whole(2), split(7, 0), split(5, 1)};
  std::vector<float> global = globalTensor(shape, 9);
  std::string path = tempPath("slabs.npy");
  createNpyFile(path, shape);
  auto slabOf = [&](const Shape &coords) {
    Slab slab;
    for (const Dim &d : dims) {
      Range r = rangeOf(d, mesh, coords);
      slab.start.push_back(r.begin);
      slab.extent.push_back(r.size());
    }
    return slab;
  };
  forEachIndex(mesh, [&](const Shape &coords) {
    std::vector<float> local = localPart(global, dims, mesh, coords);
    writeNpySlab(path, shape, slabOf(coords), local.data());
  });
  NpyHeader h = readNpyHeader(path);
  std::vector<float> whole(global.size());
  readNpySlab(path, h, Slab{{0, 0, 0}, shape}, whole.data());
  EXPECT_EQ(whole, global);
  forEachIndex(mesh, [&](const Shape &coords) {
    std::vector<float> local = localPart(global, dims, mesh, coords), read(local.size());
    readNpySlab(path, h, slabOf(coords), read.data());
    EXPECT_EQ(read, local);
  });
  std::remove(path.c_str());
}

// Every edge dtype writes numpy's descr and converts through float32: integers
// round to nearest on the way out, and read back exactly.
TEST(Npy, EdgeDtypesRoundTripThroughFloat) {
  Shape shape{2, 3};
  std::vector<float> values{-2.4f, -0.5f, 0.f, 1.5f, 7.f, 16777216.f};
  struct Case {
    NpyDtype dtype;
    const char *descr;
    std::vector<float> readBack;
  };
  for (const Case &c : std::vector<Case>{
           {NpyDtype::Int64, "<i8", {-2, -0.f, 0, 2, 7, 16777216}},
           {NpyDtype::Int32, "<i4", {-2, -0.f, 0, 2, 7, 16777216}},
           {NpyDtype::Bool, "|b1", {1, 1, 0, 1, 1, 1}},
           {NpyDtype::Float64, "<f8", values}}) {
    std::string path = tempPath("dtype.npy");
    createNpyFile(path, shape, c.dtype);
    writeNpySlab(path, shape, Slab{{0, 0}, shape}, values.data(), c.dtype);
    NpyHeader h = readNpyHeader(path);
    EXPECT_EQ(h.descr, c.descr);
    std::vector<float> read(4);
    readNpySlab(path, h, Slab{{0, 1}, {2, 2}}, read.data(), c.dtype);
    EXPECT_EQ(read, (std::vector<float>{c.readBack[1], c.readBack[2], c.readBack[4], c.readBack[5]}))
        << c.descr;
    std::remove(path.c_str());
  }
  NpyDtype parsed;
  EXPECT_TRUE(parseDtypeName("int64", parsed));
  EXPECT_EQ(parsed, NpyDtype::Int64);
  EXPECT_FALSE(parseDtypeName("float16", parsed));
}

// An integer input float32 cannot hold exactly is refused, not rounded.
TEST(Npy, IntegersBeyondFloatPrecisionAreAnError) {
  std::string path = tempPath("big.npy");
  Shape shape{2};
  std::vector<float> values{1.f, 16777216.f};
  createNpyFile(path, shape, NpyDtype::Int64);
  writeNpySlab(path, shape, Slab{{0}, shape}, values.data(), NpyDtype::Int64);
  // Patch the second element to 2^24 + 1.
  int64_t big = 16777217;
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(encodeNpyHeader(shape, NpyDtype::Int64).size() + 8);
  f.write(reinterpret_cast<const char *>(&big), 8);
  f.close();
  std::vector<float> read(2);
  EXPECT_THROW(readNpySlab(path, readNpyHeader(path), Slab{{0}, shape}, read.data(),
                           NpyDtype::Int64),
               Error);
  std::remove(path.c_str());
}

TEST(Npy, MissingFileIsAnError) {
  EXPECT_THROW(readNpyHeader("/nonexistent/x.npy"), Error);
}

TEST(Weights, RoundTripAndChecks) {
  std::vector<float> data = globalTensor({100}, 1);
  std::string path = tempPath("w.weights"), why;
  uint64_t bytes = data.size() * 4;
  ASSERT_TRUE(weights::writeFile(path, data.data(), bytes, why)) << why;
  std::string checksum = weights::checksumHex(weights::fnv1a64(data.data(), bytes));
  {
    MappedWeights w(path, bytes, checksum);
    ASSERT_EQ(w.size(), bytes);
    EXPECT_EQ(0, std::memcmp(w.data(), data.data(), bytes));
    EXPECT_EQ(reinterpret_cast<uintptr_t>(w.data()) % 64, 0u);
  }
  EXPECT_THROW(MappedWeights(path, bytes, "0123456789abcdef"), Error);
  EXPECT_THROW(MappedWeights(path, bytes + 4, checksum), Error);
  EXPECT_THROW(MappedWeights(path + ".missing", bytes, checksum), Error);
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(64 + 10);
    f.put('\x7f'); // corrupt one data byte
  }
  EXPECT_THROW(MappedWeights(path, bytes, checksum), Error);
  std::remove(path.c_str());
}

TEST(Weights, Fnv1aKnownValues) {
  EXPECT_EQ(weights::fnv1a64("", 0), 0xcbf29ce484222325ull);
  EXPECT_EQ(weights::fnv1a64("a", 1), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(weights::checksumHex(0xaf63dc4c8601ec8cull), "af63dc4c8601ec8c");
}

const char *kInfo = R"({"version":1,"mesh":{"name":"mesh","axes":[{"name":"x","size":4}]},
  "arena_bytes":1024,"arena_alignment":64,
  "weights":{"bytes":0,"checksum":"cbf29ce484222325"},
  "inputs":[{"name":"input","dtype":"float32",
             "layout":[2, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, -1, -1, 6, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, -1, -1],"arena_offset":0}],
  "outputs":[{"name":"y","dtype":"float32","layout":[1, 6, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, -1, -1],"arena_offset":512}]})";

TEST(ModelInfo, Parses) {
  ModelInfo info = parseModelInfo(kInfo);
  EXPECT_EQ(info.meshSize(), 4);
  EXPECT_EQ(info.meshString(), "x=4");
  ASSERT_EQ(info.inputs.size(), 1u);
  EXPECT_EQ(info.inputs[0].globalShape(), (Shape{8, 6}));
  EXPECT_EQ(info.inputs[0].layout[0].meshAxis, 0);
  EXPECT_EQ(info.outputs[0].arenaOffset, 512);
}

TEST(ModelInfo, ErrorsNameTheField) {
  std::string bad = kInfo;
  bad.replace(bad.find("\"float32\""), 9, "\"float16\"");
  try {
    parseModelInfo(bad.c_str());
    FAIL();
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("inputs[0]"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parseModelInfo("{"), Error);
  EXPECT_THROW(parseModelInfo(R"({"version":2})"), Error);
}

Options parse(std::vector<std::string> args) {
  std::vector<char *> argv;
  args.insert(args.begin(), "model");
  for (std::string &a : args)
    argv.push_back(a.data());
  return parseFlags(static_cast<int>(argv.size()), argv.data());
}

TEST(Flags, IreeSpellings) {
  Options o = parse({"--input=@a.npy", "--input=b.npy", "--output=@y.npy",
                     "--expected_output=@r.npy", "--expected_f32_threshold=1e-3",
                     "--iterations=5"});
  EXPECT_EQ(o.inputs, (std::vector<std::string>{"a.npy", "b.npy"}));
  EXPECT_EQ(o.outputs, std::vector<std::string>{"y.npy"});
  EXPECT_EQ(o.expected, std::vector<std::string>{"r.npy"});
  EXPECT_DOUBLE_EQ(o.threshold, 1e-3);
  EXPECT_EQ(o.iterations, 5);
  EXPECT_EQ(o.weightsPath, "model.weights");
  EXPECT_TRUE(parse({"--print-signature"}).printSignature);
  EXPECT_TRUE(parse({"--help"}).help);
  EXPECT_EQ(parse({"--weights=@w.bin"}).weightsPath, "w.bin");
}

TEST(Flags, Errors) {
  EXPECT_THROW(parse({"--frobnicate=1"}), Error);
  EXPECT_THROW(parse({"x.npy"}), Error);
  EXPECT_THROW(parse({"--iterations=-1"}), Error);
  EXPECT_THROW(parse({"--iterations"}), Error);
  EXPECT_THROW(parse({"--help=1"}), Error);
  EXPECT_THROW(parse({"--input=@"}), Error);
}

} // namespace
} // namespace quilt::test
