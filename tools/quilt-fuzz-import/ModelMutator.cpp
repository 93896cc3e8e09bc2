//===- ModelMutator.cpp - structure-aware mutations of ONNX models --------===//
//
// Each mutation edits one part of a ModelProto the way a broken exporter, a
// truncated download or a hostile file would: the graph stays parseable, so
// the mutant reaches the reader's checks, ONNX's checker and shape
// inference, the constant folding and the importer instead of stopping at
// the protobuf parser.
//
//===----------------------------------------------------------------------===//
#include "ModelMutator.h"

#include <onnx/defs/parser.h>
#include <onnx/defs/schema.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <set>
#include <sstream>
#include <sys/stat.h>
#include <vector>

namespace quilt::fuzz {

namespace {

using Rng = std::mt19937_64;

/// SplitMix64: one well-mixed 64-bit value per (seed, index).
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

size_t pick(Rng &rng, size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); }
bool chance(Rng &rng, int percent) { return static_cast<int>(pick(rng, 100)) < percent; }

/// Values that sit on the edges code forgets: zero, negatives, the limits of
/// int32 and int64, sizes whose products overflow.
int64_t oddInt(Rng &rng) {
  static const int64_t values[] = {0,
                                   1,
                                   -1,
                                   2,
                                   3,
                                   -2,
                                   -3,
                                   5,
                                   7,
                                   64,
                                   4097,
                                   int64_t(1) << 16,
                                   int64_t(1) << 31,
                                   (int64_t(1) << 31) - 1,
                                   -(int64_t(1) << 31),
                                   int64_t(1) << 40,
                                   std::numeric_limits<int64_t>::max(),
                                   std::numeric_limits<int64_t>::min(),
                                   std::numeric_limits<int64_t>::max() / 2};
  if (chance(rng, 30))
    return static_cast<int64_t>(pick(rng, 9)) - 4;
  return values[pick(rng, std::size(values))];
}

float oddFloat(Rng &rng) {
  static const float values[] = {0.0f,
                                 -0.0f,
                                 1.0f,
                                 -1.0f,
                                 0.5f,
                                 3.0f,
                                 1e-30f,
                                 1e30f,
                                 std::numeric_limits<float>::max(),
                                 std::numeric_limits<float>::denorm_min(),
                                 std::numeric_limits<float>::infinity(),
                                 -std::numeric_limits<float>::infinity(),
                                 std::numeric_limits<float>::quiet_NaN()};
  return values[pick(rng, std::size(values))];
}

/// Element types: every TensorProto type, and numbers that are none.
int32_t oddDtype(Rng &rng) {
  if (chance(rng, 10))
    return chance(rng, 50) ? 99 : -1;
  return static_cast<int32_t>(pick(rng, 17));
}

/// Attribute names the ops Quilt imports read, so an added attribute is
/// usually one some op looks at.
const char *const kAttributeNames[] = {
    "axis",     "axes",         "perm",      "pads",        "strides",    "kernel_shape",
    "dilations", "group",       "mode",      "keepdims",    "epsilon",    "alpha",
    "beta",     "transA",       "transB",    "to",          "value",      "value_float",
    "value_int", "value_ints",  "value_floats", "auto_pad", "ceil_mode",  "count_include_pad",
    "split",    "equation",     "inverse",   "onesided",    "output_padding", "output_shape",
    "coordinate_transformation_mode", "nearest_mode", "min", "max", "allowzero", "start",
    "end",      "noop_with_empty_axes", "select_last_index", "stash_type", "batch_dims",
    "exclusive", "reverse",     "upper",     "blocksize",   "training_mode", "seed"};

struct Model {
  onnx::ModelProto proto;
  std::string origin;
};

} // namespace

struct ModelMutator::Impl {
  std::vector<Model> seeds;
  /// Op types of every seed, after some that Quilt imports only as
  /// constants or not at all.
  std::vector<std::string> opTypes = {"LSTM", "Loop", "If",  "Shape", "Range", "ConstantOfShape",
                                      "Tile", "Size", "Mod", "Sqrt",  "Neg",   "Constant"};

  bool addFile(const std::string &path, std::string &error);

  // One mutation each; they return false when the model has nothing to
  // mutate that way (the caller then tries another).
  bool rewireInput(onnx::ModelProto &m, Rng &rng, std::string &what);
  bool changeInputCount(onnx::ModelProto &m, Rng &rng, std::string &what);
  bool changeDims(onnx::ModelProto &m, Rng &rng, std::string &what);
  bool changeDtype(onnx::ModelProto &m, Rng &rng, std::string &what);
  bool changeAttribute(onnx::ModelProto &m, Rng &rng, std::string &what);
  bool addAttribute(onnx::ModelProto &m, Rng &rng, std::string &what);
  bool deleteNode(onnx::ModelProto &m, Rng &rng, std::string &what);
  bool duplicateNode(onnx::ModelProto &m, Rng &rng, std::string &what);
  bool truncateTensor(onnx::ModelProto &m, Rng &rng, std::string &what);
  bool duplicateName(onnx::ModelProto &m, Rng &rng, std::string &what);
  bool emptyName(onnx::ModelProto &m, Rng &rng, std::string &what);
  bool changeOpset(onnx::ModelProto &m, Rng &rng, std::string &what);
  bool changeOpType(onnx::ModelProto &m, Rng &rng, std::string &what);
  bool swapNodes(onnx::ModelProto &m, Rng &rng, std::string &what);
  bool changeGraphEdges(onnx::ModelProto &m, Rng &rng, std::string &what);
  bool changeTypeKind(onnx::ModelProto &m, Rng &rng, std::string &what);
  bool changeTensorValue(onnx::ModelProto &m, Rng &rng, std::string &what);
  bool reshapeInput(onnx::ModelProto &m, Rng &rng, std::string &what);
};

ModelMutator::ModelMutator() : impl(std::make_unique<Impl>()) {}
ModelMutator::~ModelMutator() = default;

size_t ModelMutator::numSeeds() const { return impl->seeds.size(); }

static bool endsWith(const std::string &s, const std::string &suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool ModelMutator::Impl::addFile(const std::string &path, std::string &error) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream buffer;
  buffer << file.rdbuf();
  if (!file) {
    error = path + ": cannot read seed";
    return false;
  }
  Model model;
  // The file's name, or its directory's for ONNX's test/model.onnx layout.
  size_t slash = path.find_last_of('/');
  model.origin = path.substr(slash + 1);
  if (model.origin == "model.onnx" && slash != std::string::npos && slash > 0)
    model.origin = path.substr(path.find_last_of('/', slash - 1) + 1);
  try {
    if (endsWith(path, ".onnxtext")) {
      auto status = onnx::OnnxParser::Parse(model.proto, buffer.str().c_str());
      if (!status.IsOK()) {
        error = path + ": not valid ONNX text: " + status.ErrorMessage();
        return false;
      }
    } else if (!model.proto.ParseFromString(buffer.str())) {
      error = path + ": not a binary ONNX model";
      return false;
    }
  } catch (const std::exception &e) {
    error = path + ": " + e.what();
    return false;
  }
  for (const auto &node : model.proto.graph().node())
    if (std::find(opTypes.begin(), opTypes.end(), node.op_type()) == opTypes.end())
      opTypes.push_back(node.op_type());
  seeds.push_back(std::move(model));
  return true;
}

bool ModelMutator::addSeeds(const std::string &path, std::string &error) {
  struct stat info;
  if (stat(path.c_str(), &info) != 0) {
    error = path + ": no such seed file or directory";
    return false;
  }
  if (!S_ISDIR(info.st_mode))
    return impl->addFile(path, error);
  DIR *dir = opendir(path.c_str());
  if (!dir) {
    error = path + ": cannot list the directory";
    return false;
  }
  std::vector<std::string> files;
  while (dirent *entry = readdir(dir)) {
    std::string name = entry->d_name;
    struct stat sub;
    if (endsWith(name, ".onnx") || endsWith(name, ".onnxtext"))
      files.push_back(path + "/" + name);
    else if (name != "." && name != ".." &&
             stat((path + "/" + name + "/model.onnx").c_str(), &sub) == 0)
      files.push_back(path + "/" + name + "/model.onnx"); // ONNX's backend test layout
  }
  closedir(dir);
  // Directory order differs between file systems; the seeds' order must not.
  std::sort(files.begin(), files.end());
  for (const std::string &file : files)
    if (!impl->addFile(file, error))
      return false;
  return true;
}

/// Every value name the graph defines: inputs, initializers, node outputs.
static std::vector<std::string> valueNames(const onnx::GraphProto &g) {
  std::vector<std::string> names;
  for (const auto &v : g.input())
    names.push_back(v.name());
  for (const auto &t : g.initializer())
    names.push_back(t.name());
  for (const auto &n : g.node())
    for (const auto &o : n.output())
      names.push_back(o);
  return names;
}

static std::string someName(const onnx::GraphProto &g, Rng &rng) {
  std::vector<std::string> names = valueNames(g);
  if (names.empty() || chance(rng, 8))
    return chance(rng, 50) ? "" : "no_such_value";
  return names[pick(rng, names.size())];
}

/// A random ValueInfoProto among the graph's inputs, outputs and value_info.
static onnx::ValueInfoProto *someValueInfo(onnx::GraphProto &g, Rng &rng) {
  int total = g.input_size() + g.output_size() + g.value_info_size();
  if (total == 0)
    return nullptr;
  int i = static_cast<int>(pick(rng, total));
  if (i < g.input_size())
    return g.mutable_input(i);
  i -= g.input_size();
  if (i < g.output_size())
    return g.mutable_output(i);
  return g.mutable_value_info(i - g.output_size());
}

static onnx::NodeProto *someNode(onnx::GraphProto &g, Rng &rng) {
  return g.node_size() ? g.mutable_node(static_cast<int>(pick(rng, g.node_size()))) : nullptr;
}

/// An initializer or the tensor of a Constant node's `value`.
static onnx::TensorProto *someTensor(onnx::GraphProto &g, Rng &rng) {
  std::vector<onnx::TensorProto *> tensors;
  for (auto &t : *g.mutable_initializer())
    tensors.push_back(&t);
  for (auto &n : *g.mutable_node())
    for (auto &a : *n.mutable_attribute())
      if (a.has_t())
        tensors.push_back(a.mutable_t());
  return tensors.empty() ? nullptr : tensors[pick(rng, tensors.size())];
}

bool ModelMutator::Impl::rewireInput(onnx::ModelProto &m, Rng &rng, std::string &what) {
  onnx::GraphProto &g = *m.mutable_graph();
  if (g.node_size() == 0)
    return false;
  int at = static_cast<int>(pick(rng, g.node_size()));
  onnx::NodeProto *node = g.mutable_node(at);
  if (node->input_size() == 0)
    return false;
  int i = static_cast<int>(pick(rng, node->input_size()));
  // Mostly a value defined before the node, so that the graph stays sorted
  // and the mutant gets past ONNX's checker.
  std::string name;
  if (chance(rng, 80)) {
    std::vector<std::string> earlier;
    for (const auto &v : g.input())
      earlier.push_back(v.name());
    for (const auto &t : g.initializer())
      earlier.push_back(t.name());
    for (int k = 0; k < at; ++k)
      for (const auto &o : g.node(k).output())
        earlier.push_back(o);
    if (earlier.empty())
      return false;
    name = earlier[pick(rng, earlier.size())];
  } else {
    name = someName(g, rng);
  }
  what = "rewire input " + std::to_string(i) + " of '" + node->name() + "' to '" + name + "'";
  node->set_input(i, name);
  return true;
}

bool ModelMutator::Impl::changeInputCount(onnx::ModelProto &m, Rng &rng, std::string &what) {
  onnx::NodeProto *node = someNode(*m.mutable_graph(), rng);
  if (!node)
    return false;
  if (node->input_size() > 0 && chance(rng, 50)) {
    what = "drop the last input of '" + node->name() + "'";
    node->mutable_input()->RemoveLast();
  } else {
    std::string name = someName(m.graph(), rng);
    what = "add input '" + name + "' to '" + node->name() + "'";
    node->add_input(name);
  }
  return true;
}

static void mutateShape(onnx::TensorShapeProto &shape, Rng &rng, std::string &what) {
  switch (pick(rng, 5)) {
  case 0:
    if (shape.dim_size()) {
      int d = static_cast<int>(pick(rng, shape.dim_size()));
      int64_t v = oddInt(rng);
      shape.mutable_dim(d)->set_dim_value(v);
      what += ": dim " + std::to_string(d) + " = " + std::to_string(v);
      return;
    }
    [[fallthrough]];
  case 1:
    what += ": add a dim";
    shape.add_dim()->set_dim_value(chance(rng, 50) ? 1 : oddInt(rng));
    return;
  case 2:
    if (shape.dim_size()) {
      what += ": drop a dim";
      shape.mutable_dim()->RemoveLast();
      return;
    }
    [[fallthrough]];
  case 3:
    if (shape.dim_size()) {
      int d = static_cast<int>(pick(rng, shape.dim_size()));
      what += ": dim " + std::to_string(d) + " symbolic";
      shape.mutable_dim(d)->set_dim_param(chance(rng, 50) ? "N" : "");
      return;
    }
    [[fallthrough]];
  default:
    what += ": scalar shape";
    shape.clear_dim();
  }
}

bool ModelMutator::Impl::changeDims(onnx::ModelProto &m, Rng &rng, std::string &what) {
  onnx::GraphProto &g = *m.mutable_graph();
  if (chance(rng, 20)) {
    onnx::TensorProto *t = someTensor(g, rng);
    if (!t)
      return false;
    what = "tensor '" + t->name() + "'";
    if (t->dims_size() && chance(rng, 60)) {
      int d = static_cast<int>(pick(rng, t->dims_size()));
      int64_t v = chance(rng, 50) && std::abs(t->dims(d)) < (int64_t(1) << 40)
                      ? t->dims(d) + (chance(rng, 50) ? 1 : -1)
                      : oddInt(rng);
      t->set_dims(d, v);
      what += ": dim " + std::to_string(d) + " = " + std::to_string(v);
    } else if (chance(rng, 50)) {
      t->add_dims(chance(rng, 70) ? 1 : oddInt(rng));
      what += ": add a dim";
    } else {
      t->clear_dims();
      what += ": no dims";
    }
    return true;
  }
  onnx::ValueInfoProto *v = someValueInfo(g, rng);
  if (!v)
    return false;
  what = "shape of '" + v->name() + "'";
  auto *type = v->mutable_type()->mutable_tensor_type();
  if (!type->has_shape() || chance(rng, 5)) {
    what += ": removed";
    type->clear_shape();
    return true;
  }
  mutateShape(*type->mutable_shape(), rng, what);
  return true;
}

bool ModelMutator::Impl::changeDtype(onnx::ModelProto &m, Rng &rng, std::string &what) {
  onnx::GraphProto &g = *m.mutable_graph();
  int32_t dtype = oddDtype(rng);
  if (chance(rng, 40)) {
    onnx::TensorProto *t = someTensor(g, rng);
    if (!t)
      return false;
    what = "dtype of tensor '" + t->name() + "' = " + std::to_string(dtype);
    t->set_data_type(dtype);
    return true;
  }
  onnx::ValueInfoProto *v = someValueInfo(g, rng);
  if (!v)
    return false;
  what = "dtype of '" + v->name() + "' = " + std::to_string(dtype);
  v->mutable_type()->mutable_tensor_type()->set_elem_type(dtype);
  return true;
}

/// Fills `attr` with an odd payload of `type` (which may not be its declared type).
static void oddPayload(onnx::AttributeProto &attr, int type, Rng &rng) {
  switch (type) {
  case onnx::AttributeProto::INT:
    attr.set_i(oddInt(rng));
    break;
  case onnx::AttributeProto::FLOAT:
    attr.set_f(oddFloat(rng));
    break;
  case onnx::AttributeProto::INTS: {
    attr.clear_ints();
    size_t n = chance(rng, 5) ? 300 : pick(rng, 7);
    for (size_t i = 0; i < n; ++i)
      attr.add_ints(chance(rng, 60) ? static_cast<int64_t>(pick(rng, 5)) - 1 : oddInt(rng));
    break;
  }
  case onnx::AttributeProto::FLOATS: {
    attr.clear_floats();
    size_t n = pick(rng, 6);
    for (size_t i = 0; i < n; ++i)
      attr.add_floats(oddFloat(rng));
    break;
  }
  case onnx::AttributeProto::STRING: {
    static const char *const strings[] = {"",        "NOTSET",     "SAME_UPPER", "VALID",
                                          "linear",  "nearest",    "cubic",      "reflect",
                                          "edge",    "constant",   "ij,jk->ik",  "i,i",
                                          "->",      "...ii->...i", "bij,bjk->bik", "\xff\xfe",
                                          "asymmetric", "half_pixel", "wrap"};
    attr.set_s(strings[pick(rng, std::size(strings))]);
    break;
  }
  case onnx::AttributeProto::TENSOR: {
    onnx::TensorProto *t = attr.mutable_t();
    t->Clear();
    t->set_data_type(chance(rng, 70) ? onnx::TensorProto::INT64 : oddDtype(rng));
    size_t n = pick(rng, 5);
    if (chance(rng, 50))
      t->add_dims(static_cast<int64_t>(chance(rng, 80) ? n : pick(rng, 9)));
    for (size_t i = 0; i < n; ++i) {
      t->add_int64_data(chance(rng, 50) ? static_cast<int64_t>(pick(rng, 5)) - 1 : oddInt(rng));
      t->add_float_data(oddFloat(rng));
    }
    break;
  }
  default:
    break;
  }
}

static int oddAttributeType(Rng &rng) {
  static const int types[] = {onnx::AttributeProto::INT,    onnx::AttributeProto::FLOAT,
                              onnx::AttributeProto::INTS,   onnx::AttributeProto::FLOATS,
                              onnx::AttributeProto::STRING, onnx::AttributeProto::TENSOR,
                              onnx::AttributeProto::GRAPH,  onnx::AttributeProto::STRINGS,
                              onnx::AttributeProto::UNDEFINED};
  return types[pick(rng, std::size(types))];
}

bool ModelMutator::Impl::changeAttribute(onnx::ModelProto &m, Rng &rng, std::string &what) {
  onnx::NodeProto *node = someNode(*m.mutable_graph(), rng);
  if (!node || node->attribute_size() == 0)
    return false;
  int i = static_cast<int>(pick(rng, node->attribute_size()));
  onnx::AttributeProto &attr = *node->mutable_attribute(i);
  what = "attribute '" + attr.name() + "' of '" + node->name() + "'";
  switch (pick(rng, 5)) {
  case 0:
    what += ": removed";
    node->mutable_attribute()->DeleteSubrange(i, 1);
    return true;
  case 1: {
    // The declared kind changes, the payload stays: a reader must check both.
    int type = oddAttributeType(rng);
    what += ": declared type " + std::to_string(type);
    attr.set_type(static_cast<onnx::AttributeProto::AttributeType>(type));
    return true;
  }
  case 2: {
    int type = oddAttributeType(rng);
    what += ": type and value of type " + std::to_string(type);
    attr.set_type(static_cast<onnx::AttributeProto::AttributeType>(type));
    oddPayload(attr, type, rng);
    return true;
  }
  case 3:
    if (attr.ints_size()) {
      int k = static_cast<int>(pick(rng, attr.ints_size()));
      int64_t v = oddInt(rng);
      what += ": element " + std::to_string(k) + " = " + std::to_string(v);
      attr.set_ints(k, v);
      return true;
    }
    [[fallthrough]];
  default:
    what += ": odd value";
    oddPayload(attr, attr.type(), rng);
    return true;
  }
}

bool ModelMutator::Impl::addAttribute(onnx::ModelProto &m, Rng &rng, std::string &what) {
  onnx::NodeProto *node = someNode(*m.mutable_graph(), rng);
  if (!node)
    return false;
  onnx::AttributeProto attr;
  int type = oddAttributeType(rng);
  attr.set_name(kAttributeNames[pick(rng, std::size(kAttributeNames))]);
  // Mostly one the op declares, of its declared type: such a mutant passes
  // ONNX's checker and reaches shape inference with an odd value.
  const onnx::OpSchema *schema = onnx::OpSchemaRegistry::Schema(node->op_type(), 17, "");
  if (schema && !schema->attributes().empty() && chance(rng, 75)) {
    auto it = schema->attributes().begin();
    std::advance(it, pick(rng, schema->attributes().size()));
    attr.set_name(it->first);
    if (chance(rng, 80))
      type = it->second.type;
  }
  attr.set_type(static_cast<onnx::AttributeProto::AttributeType>(type));
  oddPayload(attr, type, rng);
  what = "add attribute '" + attr.name() + "' (type " + std::to_string(type) + ") to '" +
         node->name() + "'";
  // Replaces an attribute of the same name: a duplicate is refused early.
  auto *attrs = node->mutable_attribute();
  for (int i = 0; i < attrs->size(); ++i)
    if (attrs->Get(i).name() == attr.name()) {
      *attrs->Mutable(i) = attr;
      return true;
    }
  *node->add_attribute() = attr;
  return true;
}

bool ModelMutator::Impl::deleteNode(onnx::ModelProto &m, Rng &rng, std::string &what) {
  onnx::GraphProto &g = *m.mutable_graph();
  if (g.node_size() == 0)
    return false;
  int i = static_cast<int>(pick(rng, g.node_size()));
  what = "delete node '" + g.node(i).name() + "' (" + g.node(i).op_type() + ")";
  g.mutable_node()->DeleteSubrange(i, 1);
  return true;
}

bool ModelMutator::Impl::duplicateNode(onnx::ModelProto &m, Rng &rng, std::string &what) {
  onnx::GraphProto &g = *m.mutable_graph();
  if (g.node_size() == 0)
    return false;
  int i = static_cast<int>(pick(rng, g.node_size()));
  what = "duplicate node '" + g.node(i).name() + "'";
  *g.add_node() = g.node(i);
  if (chance(rng, 50)) // next to the original, or at the end
    for (int k = g.node_size() - 1; k > i + 1; --k)
      g.mutable_node()->SwapElements(k, k - 1);
  return true;
}

bool ModelMutator::Impl::truncateTensor(onnx::ModelProto &m, Rng &rng, std::string &what) {
  onnx::TensorProto *t = someTensor(*m.mutable_graph(), rng);
  if (!t)
    return false;
  what = "tensor '" + t->name() + "'";
  switch (pick(rng, 6)) {
  case 0:
    if (t->has_raw_data()) {
      size_t keep = pick(rng, t->raw_data().size() + 1);
      what += ": raw_data cut to " + std::to_string(keep) + " bytes";
      t->mutable_raw_data()->resize(keep);
      return true;
    }
    [[fallthrough]];
  case 1:
    what += ": typed data cleared";
    t->clear_float_data();
    t->clear_int64_data();
    t->clear_int32_data();
    t->clear_double_data();
    return true;
  case 2:
    what += ": one value too many";
    if (t->has_raw_data())
      t->mutable_raw_data()->append(chance(rng, 50) ? 1 : 8, '\x7f');
    else {
      t->add_float_data(1);
      t->add_int64_data(1);
    }
    return true;
  case 3:
    what += ": raw_data and typed data both";
    t->set_raw_data(std::string(pick(rng, 17), '\x01'));
    t->add_float_data(2);
    return true;
  case 4:
    what += ": external data";
    t->set_data_location(onnx::TensorProto::EXTERNAL);
    return true;
  default:
    what += ": segment";
    t->mutable_segment()->set_begin(oddInt(rng));
    t->mutable_segment()->set_end(oddInt(rng));
    return true;
  }
}

bool ModelMutator::Impl::duplicateName(onnx::ModelProto &m, Rng &rng, std::string &what) {
  onnx::GraphProto &g = *m.mutable_graph();
  std::string name = someName(g, rng);
  switch (pick(rng, 4)) {
  case 0: {
    onnx::NodeProto *node = someNode(g, rng);
    if (!node || node->output_size() == 0)
      return false;
    int i = static_cast<int>(pick(rng, node->output_size()));
    what = "output " + std::to_string(i) + " of '" + node->name() + "' renamed '" + name + "'";
    node->set_output(i, name);
    return true;
  }
  case 1:
    if (g.output_size() == 0)
      return false;
    what = "graph output duplicated";
    *g.add_output() = g.output(static_cast<int>(pick(rng, g.output_size())));
    return true;
  case 2:
    if (g.input_size() == 0)
      return false;
    what = "graph input duplicated";
    *g.add_input() = g.input(static_cast<int>(pick(rng, g.input_size())));
    return true;
  default: {
    onnx::TensorProto *t = someTensor(g, rng);
    if (!t)
      return false;
    what = "tensor '" + t->name() + "' renamed '" + name + "'";
    t->set_name(name);
    return true;
  }
  }
}

bool ModelMutator::Impl::emptyName(onnx::ModelProto &m, Rng &rng, std::string &what) {
  onnx::GraphProto &g = *m.mutable_graph();
  switch (pick(rng, 5)) {
  case 0: {
    onnx::NodeProto *node = someNode(g, rng);
    if (!node || node->input_size() == 0)
      return false;
    what = "empty input name in '" + node->name() + "'";
    node->set_input(static_cast<int>(pick(rng, node->input_size())), "");
    return true;
  }
  case 1: {
    onnx::NodeProto *node = someNode(g, rng);
    if (!node || node->output_size() == 0)
      return false;
    what = "empty output name in '" + node->name() + "'";
    node->set_output(static_cast<int>(pick(rng, node->output_size())), "");
    return true;
  }
  case 2: {
    onnx::ValueInfoProto *v = someValueInfo(g, rng);
    if (!v)
      return false;
    what = "empty name for '" + v->name() + "'";
    v->set_name("");
    return true;
  }
  case 3: {
    onnx::NodeProto *node = someNode(g, rng);
    if (!node)
      return false;
    what = "empty op type for '" + node->name() + "'";
    node->set_op_type("");
    return true;
  }
  default: {
    onnx::NodeProto *node = someNode(g, rng);
    if (!node)
      return false;
    what = "empty node name for '" + node->name() + "'";
    node->set_name("");
    return true;
  }
  }
}

bool ModelMutator::Impl::changeOpset(onnx::ModelProto &m, Rng &rng, std::string &what) {
  static const int64_t versions[] = {1, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 0, -1, 1000};
  switch (pick(rng, 4)) {
  case 0:
    if (m.opset_import_size()) {
      int64_t v = versions[pick(rng, std::size(versions))];
      what = "opset " + std::to_string(v);
      m.mutable_opset_import(0)->set_version(v);
      return true;
    }
    [[fallthrough]];
  case 1: {
    what = "another opset import";
    auto *opset = m.add_opset_import();
    opset->set_domain(chance(rng, 50) ? "" : "ai.onnx.ml");
    opset->set_version(versions[pick(rng, std::size(versions))]);
    return true;
  }
  case 2: {
    int64_t v = oddInt(rng);
    what = "ir_version " + std::to_string(v);
    m.set_ir_version(v);
    return true;
  }
  default: {
    onnx::NodeProto *node = someNode(*m.mutable_graph(), rng);
    if (!node)
      return false;
    what = "domain of '" + node->name() + "'";
    node->set_domain(chance(rng, 50) ? "ai.onnx" : "com.microsoft");
    return true;
  }
  }
}

bool ModelMutator::Impl::changeOpType(onnx::ModelProto &m, Rng &rng, std::string &what) {
  onnx::NodeProto *node = someNode(*m.mutable_graph(), rng);
  if (!node || opTypes.empty())
    return false;
  const std::string &op = opTypes[pick(rng, opTypes.size())];
  what = "'" + node->name() + "' becomes " + op;
  node->set_op_type(op);
  return true;
}

bool ModelMutator::Impl::swapNodes(onnx::ModelProto &m, Rng &rng, std::string &what) {
  onnx::GraphProto &g = *m.mutable_graph();
  if (g.node_size() < 2)
    return false;
  int a = static_cast<int>(pick(rng, g.node_size()));
  int b = static_cast<int>(pick(rng, g.node_size()));
  what = "swap nodes " + std::to_string(a) + " and " + std::to_string(b);
  g.mutable_node()->SwapElements(a, b);
  return true;
}

bool ModelMutator::Impl::changeGraphEdges(onnx::ModelProto &m, Rng &rng, std::string &what) {
  onnx::GraphProto &g = *m.mutable_graph();
  switch (pick(rng, 5)) {
  case 0:
    if (g.initializer_size() == 0)
      return false;
    what = "drop an initializer";
    g.mutable_initializer()->DeleteSubrange(static_cast<int>(pick(rng, g.initializer_size())), 1);
    return true;
  case 1:
    if (g.input_size() == 0)
      return false;
    what = "drop a graph input";
    g.mutable_input()->DeleteSubrange(static_cast<int>(pick(rng, g.input_size())), 1);
    return true;
  case 2:
    if (g.output_size() == 0)
      return false;
    what = "drop a graph output";
    g.mutable_output()->DeleteSubrange(static_cast<int>(pick(rng, g.output_size())), 1);
    return true;
  case 3: {
    // Some value becomes a graph output (of a type the file states, maybe wrongly).
    std::string name = someName(g, rng);
    what = "'" + name + "' becomes a graph output";
    auto *out = g.add_output();
    out->set_name(name);
    auto *type = out->mutable_type()->mutable_tensor_type();
    type->set_elem_type(chance(rng, 80) ? onnx::TensorProto::FLOAT : oddDtype(rng));
    if (chance(rng, 50))
      type->mutable_shape()->add_dim()->set_dim_value(oddInt(rng));
    return true;
  }
  default:
    what = "value_info cleared";
    g.clear_value_info();
    return true;
  }
}

/// One value of a small tensor (a shape, axes, pads, indices, scales, a
/// bound): the importer and the constant folding read these.
bool ModelMutator::Impl::changeTensorValue(onnx::ModelProto &m, Rng &rng, std::string &what) {
  std::vector<onnx::TensorProto *> small;
  onnx::GraphProto &g = *m.mutable_graph();
  for (auto &t : *g.mutable_initializer())
    small.push_back(&t);
  for (auto &n : *g.mutable_node())
    for (auto &a : *n.mutable_attribute())
      if (a.has_t())
        small.push_back(a.mutable_t());
  // Elements, or 0 beyond 64 (dims the mutants made huge must not overflow).
  auto elements = [](const onnx::TensorProto *t) -> int64_t {
    int64_t n = 1;
    for (int64_t d : t->dims()) {
      if (d < 0 || d > 64)
        return 0;
      n *= d;
      if (n > 64)
        return 0;
    }
    return n;
  };
  small.erase(std::remove_if(small.begin(), small.end(),
                             [&](const onnx::TensorProto *t) { return elements(t) < 1; }),
              small.end());
  if (small.empty())
    return false;
  onnx::TensorProto &t = *small[pick(rng, small.size())];
  int64_t n = elements(&t);
  size_t k = pick(rng, static_cast<size_t>(n));
  what = "value " + std::to_string(k) + " of tensor '" + t.name() + "'";
  switch (t.data_type()) {
  case onnx::TensorProto::INT64: {
    int64_t v = oddInt(rng);
    what += " = " + std::to_string(v);
    if (t.has_raw_data() && t.raw_data().size() >= (k + 1) * sizeof(v))
      std::memcpy(&(*t.mutable_raw_data())[k * sizeof(v)], &v, sizeof(v));
    else if (static_cast<int64_t>(k) < t.int64_data_size())
      t.set_int64_data(static_cast<int>(k), v);
    return true;
  }
  case onnx::TensorProto::INT32: {
    int32_t v = static_cast<int32_t>(oddInt(rng));
    what += " = " + std::to_string(v);
    if (t.has_raw_data() && t.raw_data().size() >= (k + 1) * sizeof(v))
      std::memcpy(&(*t.mutable_raw_data())[k * sizeof(v)], &v, sizeof(v));
    else if (static_cast<int64_t>(k) < t.int32_data_size())
      t.set_int32_data(static_cast<int>(k), v);
    return true;
  }
  case onnx::TensorProto::FLOAT: {
    float v = chance(rng, 50) ? oddFloat(rng) : static_cast<float>(oddInt(rng));
    what += " = " + std::to_string(v);
    if (t.has_raw_data() && t.raw_data().size() >= (k + 1) * sizeof(v))
      std::memcpy(&(*t.mutable_raw_data())[k * sizeof(v)], &v, sizeof(v));
    else if (static_cast<int64_t>(k) < t.float_data_size())
      t.set_float_data(static_cast<int>(k), v);
    return true;
  }
  default:
    return false;
  }
}

/// A graph input of another size, and the shapes the file records for other
/// values forgotten: ONNX infers them anew, so the model stays consistent
/// and reaches the importer and the passes with odd extents (0, 1, primes).
bool ModelMutator::Impl::reshapeInput(onnx::ModelProto &m, Rng &rng, std::string &what) {
  onnx::GraphProto &g = *m.mutable_graph();
  std::vector<onnx::ValueInfoProto *> inputs;
  for (auto &v : *g.mutable_input())
    if (v.type().tensor_type().has_shape() && v.type().tensor_type().shape().dim_size())
      inputs.push_back(&v);
  if (inputs.empty())
    return false;
  onnx::ValueInfoProto &input = *inputs[pick(rng, inputs.size())];
  auto *shape = input.mutable_type()->mutable_tensor_type()->mutable_shape();
  int d = static_cast<int>(pick(rng, shape->dim_size()));
  static const int64_t sizes[] = {0, 1, 2, 3, 5, 7, 13, 31, 64, 97};
  int64_t v = sizes[pick(rng, std::size(sizes))];
  what = "input '" + input.name() + "' dim " + std::to_string(d) + " = " + std::to_string(v) +
         ", value_info cleared";
  shape->mutable_dim(d)->set_dim_value(v);
  // Outputs keep their rank (ONNX's checker wants one); their extents become unknown.
  g.clear_value_info();
  for (auto &output : *g.mutable_output()) {
    auto *dims = output.mutable_type()->mutable_tensor_type()->mutable_shape();
    for (int k = 0; k < dims->dim_size(); ++k)
      dims->mutable_dim(k)->set_dim_param(output.name() + "_" + std::to_string(k));
  }
  return true;
}

bool ModelMutator::Impl::changeTypeKind(onnx::ModelProto &m, Rng &rng, std::string &what) {
  onnx::ValueInfoProto *v = someValueInfo(*m.mutable_graph(), rng);
  if (!v)
    return false;
  what = "type kind of '" + v->name() + "'";
  onnx::TypeProto type;
  switch (pick(rng, 4)) {
  case 0:
    *type.mutable_sequence_type()->mutable_elem_type() = v->type();
    break;
  case 1:
    *type.mutable_optional_type()->mutable_elem_type() = v->type();
    break;
  case 2:
    type.mutable_sparse_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
    break;
  default:
    break; // no type at all
  }
  *v->mutable_type() = type;
  return true;
}

std::string ModelMutator::mutate(uint64_t seed, uint64_t index, std::string &description) {
  Rng rng(mix(mix(seed) ^ index));
  const Model &base = impl->seeds[pick(rng, impl->seeds.size())];
  onnx::ModelProto model = base.proto;
  description = base.origin;
  using Mutation = bool (Impl::*)(onnx::ModelProto &, Rng &, std::string &);
  // Weighted: the mutations that reach deepest (dims, attributes, wiring) most.
  static const std::pair<Mutation, int> mutations[] = {
      {&Impl::rewireInput, 12},   {&Impl::changeInputCount, 4}, {&Impl::changeDims, 16},
      {&Impl::changeDtype, 7},    {&Impl::changeAttribute, 14}, {&Impl::addAttribute, 8},
      {&Impl::deleteNode, 5},     {&Impl::duplicateNode, 3},    {&Impl::truncateTensor, 4},
      {&Impl::duplicateName, 3},  {&Impl::emptyName, 3},        {&Impl::changeOpset, 4},
      {&Impl::changeOpType, 6},   {&Impl::swapNodes, 1},        {&Impl::changeGraphEdges, 4},
      {&Impl::changeTypeKind, 2},  {&Impl::changeTensorValue, 12}, {&Impl::reshapeInput, 10}};
  int totalWeight = 0;
  for (const auto &entry : mutations)
    totalWeight += entry.second;
  size_t count = 1 + (chance(rng, 50) ? 0 : pick(rng, 4));
  for (size_t applied = 0, tries = 0; applied < count && tries < 20; ++tries) {
    int r = static_cast<int>(pick(rng, totalWeight));
    Mutation chosen = mutations[0].first;
    for (const auto &entry : mutations) {
      if (r < entry.second) {
        chosen = entry.first;
        break;
      }
      r -= entry.second;
    }
    std::string what;
    if (!(impl.get()->*chosen)(model, rng, what))
      continue;
    description += "; " + what;
    ++applied;
  }
  std::string bytes;
  model.SerializeToString(&bytes);
  return bytes;
}

} // namespace quilt::fuzz
