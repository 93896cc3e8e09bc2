//===- Topology.cpp - read and check a machine topology file ---------------===//
//
// A topology file is read strictly: a misspelt field would otherwise fall back
// to a default silently and a plan would be priced on a machine nobody wrote.
// Every check fails with one line, `<file>: <json path> <what>`, so a user can
// find the number to fix (docs/topology-format.md, "Errors").
//
//===----------------------------------------------------------------------===//
#include "quilt/Analysis/Topology.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

using namespace mlir;
using namespace quilt;
using llvm::StringLiteral;
using llvm::Twine;
namespace json = llvm::json;

namespace {

constexpr StringLiteral kLevelKinds[] = {"shared-memory", "switch", "fat-tree", "dragonfly",
                                         "torus"};
constexpr StringLiteral kDtypes[] = {"f32", "tf32", "f16", "bf16"};
constexpr StringLiteral kOpClasses[] = {
    "conv",      "conv3d",        "gemm",      "fft",           "fft_strided",
    "elementwise", "reduction",   "normalization", "attention", "data_movement",
    "pool",      "pool3d",        "resize",    "conv_transpose", "softmax"};
constexpr StringLiteral kCollectiveKinds[] = {"all_reduce",     "all_gather",
                                              "reduce_scatter", "all_to_all",
                                              "halo_exchange",  "collective_permute",
                                              "ring_attention"};

bool isOneOf(ArrayRef<StringLiteral> names, StringRef name) {
  return llvm::is_contained(names, name);
}

std::string listOf(ArrayRef<StringLiteral> names) {
  return llvm::join(names.begin(), names.end(), ", ");
}

/// A value as a message shows it: compact JSON, or its kind when long.
std::string shown(const json::Value &v) {
  if (v.getAsObject())
    return "an object";
  if (v.getAsArray())
    return "an array";
  return llvm::formatv("{0}", v).str();
}

/// Lower bounds of numbers and integers, each with its message.
enum class Bound { None, NonNegative, Positive, AtLeastTwo, Fraction };

bool within(double x, Bound bound) {
  switch (bound) {
  case Bound::None:
    return true;
  case Bound::NonNegative:
    return x >= 0;
  case Bound::Positive:
    return x > 0;
  case Bound::AtLeastTwo:
    return x >= 2;
  case Bound::Fraction:
    return x > 0 && x <= 1;
  }
  return false;
}

StringRef boundText(Bound bound) {
  switch (bound) {
  case Bound::None:
    return "";
  case Bound::NonNegative:
    return "non-negative";
  case Bound::Positive:
    return "positive";
  case Bound::AtLeastTwo:
    return "at least 2";
  case Bound::Fraction:
    return "in (0, 1]";
  }
  return "";
}

/// Records the first error of one file; every check below returns false once
/// it has failed, so callers only propagate.
class Reader {
public:
  Reader(StringRef fileName, std::string &error) : fileName(fileName), error(error) {}

  bool fail(const Twine &what) {
    error = (fileName + ": " + what).str();
    return false;
  }

private:
  StringRef fileName;
  std::string &error;
};

/// One JSON object of the file and its path ("" for the top level,
/// "levels[1]", "device.peak_GFLOPs").
class ObjectReader {
public:
  ObjectReader(Reader &r, const json::Object &obj, std::string path)
      : r(r), obj(obj), path(std::move(path)) {}

  const json::Object &object() const { return obj; }
  std::string pathOf(StringRef key) const {
    return path.empty() ? key.str() : path + "." + key.str();
  }

  /// An object-level problem: "levels[0]: unknown field 'x'".
  bool fail(const Twine &what) {
    return path.empty() ? r.fail(what) : r.fail(Twine(path) + ": " + what);
  }
  /// A field-level problem: "levels[1].bandwidth_GBps must be positive".
  bool failField(StringRef key, const Twine &what) {
    return r.fail(Twine(pathOf(key)) + " " + what);
  }

  /// Fails on the first field (sorted) that is not in `known`.
  bool onlyFields(ArrayRef<StringLiteral> known) {
    SmallVector<StringRef> keys;
    for (const auto &kv : obj)
      keys.push_back(kv.first);
    llvm::sort(keys);
    for (StringRef key : keys)
      if (!isOneOf(known, key))
        return fail(path.empty() ? "unknown top-level field '" + key + "'"
                                 : "unknown field '" + key + "'");
    return true;
  }

  /// The field, or a "missing required field" failure (nullptr).
  const json::Value *required(StringRef key) {
    const json::Value *v = obj.get(key);
    if (!v)
      fail("missing required field '" + key + "'");
    return v;
  }

  bool string(StringRef key, std::string &out, bool isRequired = true) {
    const json::Value *v = isRequired ? required(key) : obj.get(key);
    if (!v)
      return !isRequired;
    std::optional<StringRef> s = v->getAsString();
    if (!s)
      return failField(key, "must be a string (got " + shown(*v) + ")");
    out = s->str();
    return true;
  }

  bool number(StringRef key, double &out, Bound bound, bool isRequired = true) {
    const json::Value *v = isRequired ? required(key) : obj.get(key);
    if (!v)
      return !isRequired;
    return numberValue(key, *v, out, bound);
  }

  bool numberValue(StringRef key, const json::Value &v, double &out, Bound bound) {
    std::optional<double> x = v.getAsNumber();
    if (!x)
      return failField(key, "must be a number (got " + shown(v) + ")");
    if (!within(*x, bound))
      return failField(key, "must be " + boundText(bound) + " (got " + shown(v) + ")");
    out = *x;
    return true;
  }

  bool integer(StringRef key, int64_t &out, Bound bound, bool isRequired = true) {
    const json::Value *v = isRequired ? required(key) : obj.get(key);
    if (!v)
      return !isRequired;
    std::optional<int64_t> x = v->getAsInteger();
    if (!x)
      return failField(key, "must be an integer (got " + shown(*v) + ")");
    if (!within(*x, bound))
      return failField(key, "must be " + boundText(bound) + " (got " + shown(*v) + ")");
    out = *x;
    return true;
  }

  /// A string field that must name one of `names`.
  bool oneOf(StringRef key, ArrayRef<StringLiteral> names, std::string &out) {
    if (!string(key, out))
      return false;
    if (!isOneOf(names, out))
      return failField(key, "'" + out + "' is not one of " + listOf(names));
    return true;
  }

  /// A nested object field; nullptr (after failing) when absent or not one.
  const json::Object *objectField(StringRef key, bool isRequired = true) {
    const json::Value *v = isRequired ? required(key) : obj.get(key);
    if (!v)
      return nullptr;
    const json::Object *o = v->getAsObject();
    if (!o)
      failField(key, "must be an object (got " + shown(*v) + ")");
    return o;
  }

  const json::Array *arrayField(StringRef key, bool isRequired = true) {
    const json::Value *v = isRequired ? required(key) : obj.get(key);
    if (!v)
      return nullptr;
    const json::Array *a = v->getAsArray();
    if (!a)
      failField(key, "must be an array (got " + shown(*v) + ")");
    return a;
  }

private:
  Reader &r;
  const json::Object &obj;
  std::string path;
};

/// Element `i` of the array at `arrayPath`, which must be an object.
std::optional<ObjectReader> element(Reader &r, const json::Value &v, StringRef arrayPath,
                                    size_t i) {
  std::string path = llvm::formatv("{0}[{1}]", arrayPath, i).str();
  const json::Object *o = v.getAsObject();
  if (!o) {
    r.fail(path + " must be an object (got " + shown(v) + ")");
    return std::nullopt;
  }
  return ObjectReader(r, *o, path);
}

bool readLevel(ObjectReader &o, NetworkLevel &level) {
  if (!o.onlyFields({"name", "kind", "devices", "alpha_us", "bandwidth_GBps",
                     "allreduce_bandwidth_GBps", "nics_per_node", "nic_bandwidth_GBps", "taper",
                     "source"}))
    return false;
  if (!o.string("name", level.name) || !o.oneOf("kind", kLevelKinds, level.kind) ||
      !o.integer("devices", level.devices, Bound::NonNegative) ||
      !o.number("alpha_us", level.alphaUs, Bound::NonNegative) ||
      !o.number("bandwidth_GBps", level.bandwidthGBps, Bound::Positive) ||
      !o.number("allreduce_bandwidth_GBps", level.allReduceBandwidthGBps, Bound::Positive,
                /*isRequired=*/false) ||
      !o.integer("nics_per_node", level.nicsPerNode, Bound::Positive, false) ||
      !o.number("nic_bandwidth_GBps", level.nicBandwidthGBps, Bound::Positive, false) ||
      !o.number("taper", level.taper, Bound::Fraction, false) || !o.string("source", level.source))
    return false;
  if ((level.nicsPerNode == 0) != (level.nicBandwidthGBps == 0))
    return o.fail("nics_per_node and nic_bandwidth_GBps must come together");
  return true;
}

/// Each level's unit is a whole number of the previous level's units, and
/// only the last level, which must, spans the machine (devices 0).
bool checkNesting(Reader &r, ArrayRef<NetworkLevel> levels) {
  for (size_t i = 0; i < levels.size(); ++i) {
    int64_t d = levels[i].devices;
    bool last = i + 1 == levels.size();
    if (last && d != 0)
      return r.fail(llvm::formatv("levels[{0}].devices must be 0 (the whole machine) on the last "
                                  "level (got {1})",
                                  i, d));
    if (!last && d == 0)
      return r.fail(llvm::formatv("levels[{0}].devices may be 0 (the whole machine) only on the "
                                  "last level",
                                  i));
    if (i == 0 || last)
      continue;
    int64_t inner = levels[i - 1].devices;
    if (d <= inner || d % inner != 0)
      return r.fail(llvm::formatv("levels[{0}].devices must be a multiple of {1} "
                                  "(levels[{2}].devices) and larger (got {3})",
                                  i, inner, i - 1, d));
  }
  return true;
}

bool readLevels(Reader &r, ObjectReader &top, std::vector<NetworkLevel> &levels) {
  const json::Array *array = top.arrayField("levels");
  if (!array)
    return false;
  if (array->empty())
    return r.fail("levels must hold at least one level");
  for (size_t i = 0; i < array->size(); ++i) {
    std::optional<ObjectReader> o = element(r, (*array)[i], "levels", i);
    if (!o || !readLevel(*o, levels.emplace_back()))
      return false;
  }
  return checkNesting(r, levels);
}

/// An object mapping names from `names` to numbers in `bound`.
bool readNamedNumbers(ObjectReader &o, ArrayRef<StringLiteral> names, StringRef what,
                      Bound bound, std::map<std::string, double> &out) {
  SmallVector<StringRef> keys;
  for (const auto &kv : o.object())
    keys.push_back(kv.first);
  llvm::sort(keys);
  for (StringRef key : keys)
    if (!isOneOf(names, key))
      return o.fail("unknown " + what + " '" + key + "'; expected one of " + listOf(names));
  for (StringRef key : keys)
    if (!o.numberValue(key, *o.object().get(key), out[key.str()], bound))
      return false;
  return true;
}

bool readProfilePoint(ObjectReader &o, ProfilePoint &point) {
  if (!o.onlyFields({"op", "shape", "us"}) || !o.oneOf("op", kOpClasses, point.opClass))
    return false;
  const json::Array *shape = o.arrayField("shape");
  if (!shape)
    return false;
  for (size_t i = 0; i < shape->size(); ++i) {
    std::optional<int64_t> extent = (*shape)[i].getAsInteger();
    if (!extent || *extent <= 0)
      return o.failField(llvm::formatv("shape[{0}]", i).str(),
                         "must be a positive integer (got " + shown((*shape)[i]) + ")");
    point.shape.push_back(*extent);
  }
  return o.number("us", point.us, Bound::Positive);
}

bool readProfile(Reader &r, ObjectReader &device, std::vector<ProfilePoint> &profile) {
  if (!device.object().get("profile"))
    return true;
  const json::Array *array = device.arrayField("profile");
  if (!array)
    return false;
  for (size_t i = 0; i < array->size(); ++i) {
    std::optional<ObjectReader> o = element(r, (*array)[i], "device.profile", i);
    if (!o || !readProfilePoint(*o, profile.emplace_back()))
      return false;
  }
  return true;
}

/// `field` (a measured curve), if present: [bytes, us] pairs, both
/// positive, bytes increasing.
bool readMeasuredPoints(ObjectReader &o, StringRef field,
                        std::vector<std::pair<double, double>> &curve) {
  if (!o.object().get(field))
    return true;
  const json::Array *points = o.arrayField(field);
  if (!points)
    return false;
  for (size_t i = 0; i < points->size(); ++i) {
    const json::Array *pair = (*points)[i].getAsArray();
    std::optional<double> bytes, us;
    if (pair && pair->size() == 2) {
      bytes = (*pair)[0].getAsNumber();
      us = (*pair)[1].getAsNumber();
    }
    std::string name = llvm::formatv("{0}[{1}]", field, i).str();
    if (!bytes || !us || *bytes <= 0 || *us <= 0)
      return o.failField(name, llvm::formatv("must be [bytes, us], both positive (got {0})",
                                             (*points)[i])
                                   .str());
    if (!curve.empty() && *bytes <= curve.back().first)
      return o.failField(name, llvm::formatv("must move more bytes than the point before it "
                                             "({0} after {1})",
                                             (*pair)[0], json::Value(curve.back().first))
                                   .str());
    curve.emplace_back(*bytes, *us);
  }
  return true;
}

bool readDevice(Reader &r, ObjectReader &top, DeviceModel &device) {
  const json::Object *obj = top.objectField("device");
  if (!obj)
    return false;
  ObjectReader o(r, *obj, "device");
  if (!o.onlyFields({"name", "memory_GB", "peak_GFLOPs", "memory_bandwidth_GBps", "launch_us",
                     "pack_bandwidth_GBps", "copy_run_us", "index_row_us", "fft_cached_plane_bytes", "cores", "threaded_classes", "efficiency",
                     "memory_efficiency", "copy_points_bytes_us", "profile", "source"}))
    return false;
  double memoryGB = 0;
  if (!o.string("name", device.name) || !o.number("memory_GB", memoryGB, Bound::Positive))
    return false;
  device.memoryBytes = memoryGB * 1e9;
  const json::Object *peak = o.objectField("peak_GFLOPs");
  if (!peak)
    return false;
  ObjectReader peakReader(r, *peak, "device.peak_GFLOPs");
  if (!readNamedNumbers(peakReader, kDtypes, "dtype", Bound::Positive, device.peakGflops) ||
      !peakReader.required("f32"))
    return false;
  if (!o.number("memory_bandwidth_GBps", device.memoryBandwidthGBps, Bound::Positive) ||
      !o.number("launch_us", device.launchUs, Bound::NonNegative) ||
      !o.number("pack_bandwidth_GBps", device.packBandwidthGBps, Bound::Positive, false) ||
      !o.number("copy_run_us", device.copyRunUs, Bound::NonNegative, false) ||
      !o.number("index_row_us", device.indexRowUs, Bound::NonNegative, false) ||
      !o.number("fft_cached_plane_bytes", device.fftCachedPlaneBytes, Bound::Positive, false) ||
      !o.integer("cores", device.cores, Bound::Positive, false))
    return false;
  if (device.packBandwidthGBps == 0)
    device.packBandwidthGBps = device.memoryBandwidthGBps;
  device.hasCopyRun = o.object().get("copy_run_us") != nullptr;
  device.hasIndexRow = o.object().get("index_row_us") != nullptr;
  const json::Object *efficiency = o.objectField("efficiency");
  if (!efficiency)
    return false;
  ObjectReader effReader(r, *efficiency, "device.efficiency");
  if (!readNamedNumbers(effReader, kOpClasses, "op class", Bound::Fraction, device.efficiency))
    return false;
  if (o.object().get("memory_efficiency")) {
    const json::Object *memory = o.objectField("memory_efficiency");
    if (!memory)
      return false;
    ObjectReader memReader(r, *memory, "device.memory_efficiency");
    if (!readNamedNumbers(memReader, kOpClasses, "op class", Bound::Fraction,
                          device.memoryEfficiency))
      return false;
  }
  if (const json::Value *threaded = o.object().get("threaded_classes")) {
    const json::Array *classes = threaded->getAsArray();
    if (!classes)
      return o.failField("threaded_classes", "must be an array of op classes (got " +
                                                 shown(*threaded) + ")");
    for (size_t i = 0; i < classes->size(); ++i) {
      std::optional<StringRef> name = (*classes)[i].getAsString();
      if (!name || !isOneOf(kOpClasses, *name))
        return o.failField(llvm::formatv("threaded_classes[{0}]", i).str(),
                           "is not one of " + listOf(kOpClasses) + " (got " +
                               shown((*classes)[i]) + ")");
      device.threadedClasses.push_back(name->str());
    }
  }
  return readMeasuredPoints(o, "copy_points_bytes_us", device.copyPoints) &&
         readProfile(r, o, device.profile) && o.string("source", device.source);
}

/// `algorithm`, if present: a name from collective_algorithms.h that serves
/// the entry's kind over its ranks (absent: the library's own).
bool readMeasuredAlgorithm(ObjectReader &o, MeasuredCollective &m) {
  if (!o.object().get("algorithm"))
    return true;
  std::string name;
  if (!o.string("algorithm", name))
    return false;
  if (!parseCollectiveAlgorithm(name.data(), name.size(), m.algorithm))
    return o.failField("algorithm", "'" + name + "' is not a collective algorithm (" +
                                        kCollectiveAlgorithmNames + ")");
  // The point-to-point kinds and ring attention carry no algorithm.
  CollectiveKind kind;
  if (m.algorithm != CollectiveAlgorithm::Library &&
      (!parseCollectiveKind(m.kind.data(), m.kind.size(), kind) ||
       !collectiveAlgorithmServes(kind, m.algorithm, m.ranks)))
    return o.failField("algorithm", "'" + name + "' does not run " + m.kind + " over " +
                                        std::to_string(m.ranks) + " ranks");
  return true;
}

bool readMeasured(Reader &r, ObjectReader &top, std::vector<MeasuredCollective> &measured) {
  if (!top.object().get("measured_collectives"))
    return true;
  const json::Array *array = top.arrayField("measured_collectives");
  if (!array)
    return false;
  for (size_t i = 0; i < array->size(); ++i) {
    std::optional<ObjectReader> o = element(r, (*array)[i], "measured_collectives", i);
    MeasuredCollective &m = measured.emplace_back();
    if (!o ||
        !o->onlyFields(
            {"kind", "ranks", "algorithm", "alpha_us", "bandwidth_GBps", "points_bytes_us"}) ||
        !o->oneOf("kind", kCollectiveKinds, m.kind) ||
        !o->integer("ranks", m.ranks, Bound::AtLeastTwo) || !readMeasuredAlgorithm(*o, m) ||
        !o->number("alpha_us", m.alphaUs, Bound::NonNegative) ||
        !o->number("bandwidth_GBps", m.bandwidthGBps, Bound::Positive) ||
        !readMeasuredPoints(*o, "points_bytes_us", m.points))
      return false;
    for (size_t j = 0; j < i; ++j)
      if (measured[j].kind == m.kind && measured[j].ranks == m.ranks &&
          measured[j].algorithm == m.algorithm)
        return r.fail(llvm::formatv(
            "measured_collectives[{0}] repeats measured_collectives[{1}] ({2}{3} over {4} ranks)",
            i, j, m.kind,
            m.algorithm == CollectiveAlgorithm::Library
                ? std::string()
                : std::string(" by ") + collectiveAlgorithmName(m.algorithm),
            m.ranks));
  }
  return true;
}

/// `format` and `version` first: a file that is not a topology, or one of a
/// later version, says so before any field it might not know.
bool readHeader(ObjectReader &top, Topology &topo) {
  const json::Value *format = top.required("format");
  if (!format)
    return false;
  if (format->getAsString() != std::optional<StringRef>("quilt-topology"))
    return top.failField("format", "must be \"quilt-topology\" (got " + shown(*format) + ")");
  const json::Value *version = top.required("version");
  if (!version)
    return false;
  if (version->getAsInteger() != std::optional<int64_t>(1))
    return top.failField("version", "must be 1 (got " + shown(*version) + ")");
  topo.version = 1;
  return true;
}

} // namespace

FailureOr<Topology> quilt::parseTopology(StringRef text, StringRef fileName, std::string &error) {
  Reader r(fileName, error);
  llvm::Expected<json::Value> root = json::parse(text);
  if (!root) {
    r.fail("invalid JSON: " + llvm::toString(root.takeError()));
    return failure();
  }
  const json::Object *obj = root->getAsObject();
  if (!obj) {
    r.fail("the top level must be an object (got " + shown(*root) + ")");
    return failure();
  }
  ObjectReader top(r, *obj, "");
  Topology topo;
  topo.path = fileName.str();
  if (!readHeader(top, topo) ||
      !top.onlyFields({"format", "version", "name", "description", "levels", "device",
                       "measured_collectives", "calibration"}) ||
      !top.string("name", topo.name) || !top.string("description", topo.description) ||
      !readLevels(r, top, topo.levels) || !readDevice(r, top, topo.device) ||
      !readMeasured(r, top, topo.measured) ||
      (obj->get("calibration") && !top.objectField("calibration")))
    return failure();
  return topo;
}

std::string quilt::shippedTopologyDir() {
  if (const char *dir = std::getenv("QUILT_TOPOLOGY_DIR"); dir && *dir)
    return dir;
#ifdef QUILT_TOPOLOGY_DIR
  return QUILT_TOPOLOGY_DIR;
#else
  return "topologies";
#endif
}

std::vector<std::string> quilt::shippedTopologyNames() {
  std::vector<std::string> names;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(shippedTopologyDir(), ec), end; !ec && it != end;
       it.increment(ec))
    if (llvm::sys::path::extension(it->path()) == ".json")
      names.push_back(llvm::sys::path::stem(it->path()).str());
  llvm::sort(names);
  return names;
}

FailureOr<Topology> quilt::loadTopology(StringRef nameOrPath, std::string &error) {
  std::string path = nameOrPath.str();
  if (!nameOrPath.contains('/') && !nameOrPath.ends_with(".json")) {
    std::string dir = shippedTopologyDir();
    SmallString<128> shipped(dir);
    llvm::sys::path::append(shipped, nameOrPath + ".json");
    if (!llvm::sys::fs::exists(shipped)) {
      std::vector<std::string> names = shippedTopologyNames();
      error = llvm::formatv("unknown topology '{0}'; shipped in {1}: {2} (a path needs a '/' or "
                            "a .json suffix)",
                            nameOrPath, dir, names.empty() ? "none" : llvm::join(names, ", "))
                  .str();
      return failure();
    }
    path = shipped.str().str();
  }
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> file = llvm::MemoryBuffer::getFile(path);
  if (!file) {
    error = path + ": cannot read: " + file.getError().message();
    return failure();
  }
  return parseTopology((*file)->getBuffer(), path, error);
}

int64_t Topology::devicesPerNode(int64_t totalDevices) const {
  int64_t node = levels.empty() ? 0 : levels.front().devices;
  return node == 0 ? totalDevices : std::min(node, totalDevices);
}

size_t Topology::levelBetween(int64_t a, int64_t b) const {
  for (size_t i = 0; i < levels.size(); ++i)
    if (levels[i].devices == 0 || a / levels[i].devices == b / levels[i].devices)
      return i;
  return levels.empty() ? 0 : levels.size() - 1;
}

double Topology::efficiencyOf(StringRef opClass) const {
  auto found = device.efficiency.find(opClass.str());
  if (found != device.efficiency.end())
    return found->second;
  StringRef base = baseOpClass(opClass);
  return base.empty() ? 1.0 : efficiencyOf(base);
}

double Topology::memoryEfficiencyOf(StringRef opClass) const {
  // A kernel family streams its bytes alike whatever its spatial rank: the
  // base class's memory efficiency before the variant's own compute one.
  for (StringRef name = opClass; !name.empty(); name = baseOpClass(name)) {
    auto found = device.memoryEfficiency.find(name.str());
    if (found != device.memoryEfficiency.end())
      return found->second;
  }
  return efficiencyOf(opClass);
}

bool DeviceModel::threaded(StringRef opClass) const {
  if (threadedClasses.empty())
    return true;
  for (StringRef name = opClass; !name.empty(); name = baseOpClass(name))
    if (llvm::is_contained(threadedClasses, name.str()))
      return true;
  return false;
}

StringRef quilt::baseOpClass(StringRef opClass) {
  return llvm::StringSwitch<StringRef>(opClass)
      .Case("fft_strided", "fft")
      .Case("conv3d", "conv")
      .Case("pool3d", "pool")
      .Default("");
}

double quilt::measuredCurveUs(ArrayRef<std::pair<double, double>> points, double bytes,
                              double tailGBps) {
  if (bytes <= points.front().first)
    return points.front().second;
  if (bytes >= points.back().first)
    return points.back().second + (bytes - points.back().first) / (tailGBps * 1e3);
  auto above = std::upper_bound(points.begin(), points.end(), bytes,
                                [](double x, const auto &point) { return x < point.first; });
  auto below = std::prev(above);
  double along = std::log(bytes / below->first) / std::log(above->first / below->first);
  return below->second * std::pow(above->second / below->second, along);
}

double MeasuredCollective::us(double sentBytes) const {
  if (points.empty())
    return alphaUs + sentBytes / (bandwidthGBps * 1e3);
  return measuredCurveUs(points, sentBytes, bandwidthGBps);
}

const MeasuredCollective *Topology::measuredFor(StringRef kind, int64_t ranks,
                                                CollectiveAlgorithm algorithm) const {
  for (const MeasuredCollective &m : measured)
    if (m.kind == kind && m.ranks == ranks && m.algorithm == algorithm)
      return &m;
  return nullptr;
}
