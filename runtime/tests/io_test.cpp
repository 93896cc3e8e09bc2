// Slab I/O of .npy files, the weights file format, model info parsing and
// flag parsing.
#include "flags.h"
#include "model_info.h"
#include "npy.h"
#include "quilt/weights_format.h"
#include "test_support.h"
#include "weights_file.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
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
// round to nearest (ties to even) and wrap into their type on the way out,
// float16 rounds to nearest even, and all read back exactly.
TEST(Npy, EdgeDtypesRoundTripThroughFloat) {
  Shape shape{2, 3};
  std::vector<float> values{-2.4f, -0.5f, 0.f, 1.5f, 7.f, 16777216.f};
  const float inf = std::numeric_limits<float>::infinity();
  struct Case {
    NpyDtype dtype;
    const char *descr;
    std::vector<float> readBack; // elements 1, 2, 4 and 5 are read back
  };
  for (const Case &c : std::vector<Case>{
           {NpyDtype::Int64, "<i8", {-2, -0.f, 0, 2, 7, 16777216}},
           {NpyDtype::Int32, "<i4", {-2, -0.f, 0, 2, 7, 16777216}},
           {NpyDtype::Bool, "|b1", {1, 1, 0, 1, 1, 1}},
           {NpyDtype::Float64, "<f8", values},
           {NpyDtype::UInt8, "|u1", {254, 0, 0, 2, 7, 0}},
           {NpyDtype::Int8, "|i1", {-2, 0, 0, 2, 7, 0}},
           {NpyDtype::UInt16, "<u2", {65534, 0, 0, 2, 7, 0}},
           {NpyDtype::Int16, "<i2", {-2, 0, 0, 2, 7, 0}},
           {NpyDtype::UInt32, "<u4", {4294967294.f, 0, 0, 2, 7, 16777216}},
           {NpyDtype::UInt64, "<u8", {18446744073709551614.f, 0, 0, 2, 7, 16777216}},
           {NpyDtype::Float16, "<f2", {-2.400390625f, -0.5f, 0, 1.5f, 7, inf}}}) {
    std::string path = tempPath("dtype.npy");
    createNpyFile(path, shape, c.dtype);
    writeNpySlab(path, shape, Slab{{0, 0}, shape}, values.data(), c.dtype);
    NpyHeader h = readNpyHeader(path);
    EXPECT_EQ(h.descr, c.descr);
    EXPECT_EQ(npyDescr(c.dtype), std::string(c.descr));
    std::ifstream file(path, std::ios::binary | std::ios::ate);
    EXPECT_EQ(static_cast<size_t>(file.tellg()), h.dataOffset + 6 * dtypeBytes(c.dtype)) << c.descr;
    std::vector<float> read(4);
    readNpySlab(path, h, Slab{{0, 1}, {2, 2}}, read.data(), c.dtype);
    EXPECT_EQ(read, (std::vector<float>{c.readBack[1], c.readBack[2], c.readBack[4], c.readBack[5]}))
        << c.descr;
    for (size_t i = 0; i < values.size(); ++i)
      EXPECT_EQ(storeAs(c.dtype, values[i]), c.readBack[i]) << c.descr << " element " << i;
    std::remove(path.c_str());
  }
  NpyDtype parsed;
  EXPECT_TRUE(parseDtypeName("int64", parsed));
  EXPECT_EQ(parsed, NpyDtype::Int64);
  for (const NpyDtypeInfo &d : kNpyDtypes) {
    EXPECT_TRUE(parseDtypeName(d.name, parsed)) << d.name;
    EXPECT_EQ(parsed, d.dtype);
    EXPECT_EQ(dtypeName(d.dtype), std::string(d.name));
  }
  EXPECT_FALSE(parseDtypeName("bfloat16", parsed));
  EXPECT_EQ(dtypeNameList("and"), "float32, float64, int64, int32, bool, uint8, int8, uint16, "
                                  "int16, uint32, uint64 and float16");
}

// Integer outputs hold the nearest integer modulo 2^bits (ONNX's wrap-around
// for a chain of Add/Sub/Mul); NaN and inf are 0, NaN is a true bool.
TEST(Npy, IntegerOutputsWrapIntoTheirType) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  struct Case {
    NpyDtype dtype;
    float value, stored;
  };
  for (const Case &c : std::vector<Case>{{NpyDtype::UInt8, 300, 44},
                                         {NpyDtype::UInt8, -1, 255},
                                         {NpyDtype::UInt8, 255.5f, 0},
                                         {NpyDtype::Int8, 128, -128},
                                         {NpyDtype::Int8, 255, -1},
                                         {NpyDtype::Int8, -129, 127},
                                         {NpyDtype::UInt16, -1, 65535},
                                         {NpyDtype::Int16, 40000, -25536},
                                         {NpyDtype::Int32, 2147483648.f, -2147483648.f},
                                         {NpyDtype::UInt32, -1, 4294967295.f},
                                         {NpyDtype::UInt64, -1, 18446744073709551615.f},
                                         {NpyDtype::UInt64, 1e19f, 1e19f},
                                         {NpyDtype::Int64, -9.3e18f, -9.3e18f + 18446744073709551616.f},
                                         {NpyDtype::Int64, 2.5f, 2},
                                         {NpyDtype::Int64, 3.5f, 4},
                                         {NpyDtype::Int64, -2.5f, -2},
                                         {NpyDtype::Int32, nan, 0},
                                         {NpyDtype::UInt8, inf, 0},
                                         {NpyDtype::Int16, -inf, 0},
                                         {NpyDtype::Bool, nan, 1},
                                         {NpyDtype::Bool, -0.f, 0}})
    EXPECT_EQ(storeAs(c.dtype, c.value), c.stored) << dtypeName(c.dtype) << " " << c.value;
}

// float16: the edge cases of rounding to nearest even, against the bits.
TEST(Npy, Float16RoundsToNearestEven) {
  const float inf = std::numeric_limits<float>::infinity();
  struct Case {
    float value;
    uint16_t bits;
  };
  for (const Case &c : std::vector<Case>{
           {0.f, 0x0000},
           {-0.f, 0x8000},
           {1.f, 0x3c00},
           {-2.f, 0xc000},
           {65504.f, 0x7bff},                      // the largest half
           {65519.99f, 0x7bff},                    // below the halfway point
           {65520.f, 0x7c00},                      // halfway: ties to even, inf
           {-70000.f, 0xfc00},
           {inf, 0x7c00},
           {-inf, 0xfc00},
           {std::ldexp(1.f, -14), 0x0400},         // the smallest normal
           {std::ldexp(1023.f, -24), 0x03ff},      // the largest subnormal
           {std::ldexp(1023.5f, -24), 0x0400},     // ties to even: up to the normal
           {std::ldexp(1.f, -24), 0x0001},         // the smallest subnormal
           {std::ldexp(1.f, -25), 0x0000},         // halfway to it: ties to even, 0
           {-std::ldexp(1.f, -25), 0x8000},
           {std::ldexp(1.0000001f, -25), 0x0001},  // just above halfway
           {std::ldexp(1.5f, -24), 0x0002},        // 1.5 units: ties to even, 2
           {std::ldexp(2.5f, -24), 0x0002},        // 2.5 units: ties to even, 2
           {1e-45f, 0x0000},                       // a float32 subnormal
           {1.f + std::ldexp(1.f, -11), 0x3c00},   // halfway: ties to even, down
           {1.f + 3 * std::ldexp(1.f, -11), 0x3c02}, // halfway: ties to even, up
           {2.f - std::ldexp(1.f, -11), 0x4000}}) // halfway below 2: ties to even, up a binade
    EXPECT_EQ(floatToHalf(c.value), c.bits) << c.value;
  // NaN stays NaN (quiet, with its sign).
  uint16_t nan = floatToHalf(std::numeric_limits<float>::quiet_NaN());
  EXPECT_EQ(nan & 0x7c00, 0x7c00);
  EXPECT_NE(nan & 0x03ff, 0);
  EXPECT_TRUE(std::isnan(halfToFloat(nan)));
  EXPECT_EQ(floatToHalf(-std::numeric_limits<float>::quiet_NaN()) & 0x8000, 0x8000);
  // Every half widens exactly and narrows back to itself (NaNs stay NaN).
  for (uint32_t h = 0; h < 0x10000; ++h) {
    float f = halfToFloat(static_cast<uint16_t>(h));
    if (std::isnan(f))
      EXPECT_TRUE(std::isnan(halfToFloat(floatToHalf(f)))) << h;
    else
      ASSERT_EQ(floatToHalf(f), h) << h;
  }
#ifdef __FLT16_MAX__
  // The compiler's own conversion agrees on a sweep of float32 bit patterns.
  for (uint64_t bits = 0; bits < (uint64_t(1) << 32); bits += 997) {
    uint32_t b = static_cast<uint32_t>(bits);
    float f;
    std::memcpy(&f, &b, 4);
    if (std::isnan(f))
      continue;
    _Float16 h = static_cast<_Float16>(f);
    uint16_t expected;
    std::memcpy(&expected, &h, 2);
    ASSERT_EQ(floatToHalf(f), expected) << std::hex << b;
  }
#endif
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

// The same for every integer dtype wide enough: one line naming the file and
// the value; 2^24 itself reads.
TEST(Npy, WideIntegersBeyondFloatPrecisionAreAnError) {
  struct Case {
    NpyDtype dtype;
    uint64_t bits; // the element's little-endian bits
    const char *shown;
  };
  for (const Case &c : std::vector<Case>{{NpyDtype::UInt32, 16777217, "16777217"},
                                         {NpyDtype::UInt32, 0xffffffffu, "4294967295"},
                                         {NpyDtype::UInt64, 16777217, "16777217"},
                                         {NpyDtype::UInt64, ~uint64_t(0), "18446744073709551615"},
                                         {NpyDtype::Int32, uint32_t(-16777217), "-16777217"},
                                         {NpyDtype::Int64, uint64_t(-16777217), "-16777217"}}) {
    std::string path = tempPath("wide.npy");
    Shape shape{2};
    size_t size = dtypeBytes(c.dtype);
    std::string data = encodeNpyHeader(shape, c.dtype);
    uint64_t ok = 16777216;
    data.append(reinterpret_cast<const char *>(&ok), size);
    data.append(reinterpret_cast<const char *>(&c.bits), size);
    std::ofstream(path, std::ios::binary) << data;
    std::vector<float> read(2);
    NpyHeader h = readNpyHeader(path);
    readNpySlab(path, h, Slab{{0}, {1}}, read.data(), c.dtype);
    EXPECT_EQ(read[0], 16777216.f);
    try {
      readNpySlab(path, h, Slab{{0}, shape}, read.data(), c.dtype);
      ADD_FAILURE() << dtypeName(c.dtype) << " " << c.shown << " was read";
    } catch (const Error &e) {
      std::string message = e.what();
      EXPECT_NE(message.find(path), std::string::npos) << message;
      EXPECT_NE(message.find(std::string("integer ") + c.shown + " exceeds 2^24"),
                std::string::npos)
          << message;
      EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    }
    std::remove(path.c_str());
  }
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
  bad.replace(bad.find("\"float32\""), 9, "\"bfloat16\"");
  try {
    parseModelInfo(bad.c_str());
    FAIL();
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("inputs[0]"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("uint64 and float16"), std::string::npos) << e.what();
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
