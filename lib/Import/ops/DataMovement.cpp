//===- DataMovement.cpp - Ops that move values ----------------------------===//
//
// Reshape and its kin, Transpose, Concat, Split, Slice, Pad, Expand, Tile,
// Trilu, DepthToSpace/SpaceToDepth and Resize: values move (or are masked or
// interpolated), so any dtype rides in float32 through them.
//
//===----------------------------------------------------------------------===//
#include "../Importer.h"

#include "quilt/Import/ConstantEvaluator.h"

#include <cmath>
#include <numeric>
#include <optional>

using namespace mlir;
using namespace quilt;
using namespace quilt::onnx_model;
using namespace quilt::importer;

/// A positive float as an exact fraction num / den (den a power of two).
static std::optional<std::pair<int64_t, int64_t>> exactFraction(float value) {
  if (!(value > 0) || !std::isfinite(value))
    return std::nullopt;
  int exponent = 0;
  double mantissa = std::frexp(static_cast<double>(value), &exponent); // value = m * 2^e
  int64_t num = static_cast<int64_t>(std::ldexp(mantissa, 24));
  int64_t shift = 24 - exponent; // value = num / 2^shift
  while (shift > 0 && num % 2 == 0) {
    num /= 2;
    --shift;
  }
  if (shift < 0) {
    if (shift < -30)
      return std::nullopt;
    return std::make_pair(num << -shift, int64_t(1));
  }
  if (shift > 40)
    return std::nullopt;
  return std::make_pair(num, int64_t(1) << shift);
}

/// The ResizeOp of `node`, its scales from `scales` (one per dim) or, when
/// null, from the output extents over the input's (ONNX's sizes).
static LogicalResult buildResize(Importer &im, const Node &node, Value x, RankedTensorType type,
                                 ResizeCoordinate coord, ResizeSampling sampling,
                                 const std::vector<float> *scales) {
  auto inType = cast<RankedTensorType>(x.getType());
  int64_t rank = inType.getRank();
  if (type.getRank() != rank)
    return im.fail(node, "output '" + node.outputs[0] + "' has rank " +
                             std::to_string(type.getRank()) + ", the input " +
                             std::to_string(rank));
  if (scales && (int64_t)scales->size() != rank)
    return im.fail(node, "scales needs one value per dim");
  SmallVector<int64_t> nums, dens;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t in = inType.getDimSize(d), out = type.getDimSize(d);
    if (scales) {
      auto fraction = exactFraction((*scales)[d]);
      if (!fraction)
        return im.fail(node, "scale " + std::to_string((*scales)[d]) +
                                 " is not a positive fraction Quilt can represent exactly");
      nums.push_back(fraction->first);
      dens.push_back(fraction->second);
    } else {
      // ONNX: with sizes, the scale is output over input.
      if (in < 1 || out < 1)
        return im.fail(node, "dim " + std::to_string(d) + " of extent " + std::to_string(in) +
                                 " cannot be resized to " + std::to_string(out));
      int64_t g = std::gcd(out, in);
      nums.push_back(out / g);
      dens.push_back(in / g);
    }
    // The kernels copy a dim of scale 1, but this transform then samples
    // o + 0.5, which these modes round up to the next position.
    bool roundsHalfUp =
        sampling == ResizeSampling::Ceil || sampling == ResizeSampling::RoundPreferCeil;
    if (coord == ResizeCoordinate::TfHalfPixelForNn && roundsHalfUp && in == out &&
        nums.back() == dens.back())
      return im.fail(node, "tf_half_pixel_for_nn with nearest_mode " +
                               stringifyResizeSampling(sampling).str() +
                               " on a dim of scale 1 is not supported");
  }
  im.values[node.outputs[0]] =
      ResizeOp::create(im.b, im.locOf(node), type, x, ResizeCoordinateAttr::get(im.ctx, coord),
                       ResizeSamplingAttr::get(im.ctx, sampling), im.b.getDenseI64ArrayAttr(nums),
                       im.b.getDenseI64ArrayAttr(dens),
                       im.b.getF32FloatAttr(im.floatAttr(node, "cubic_coeff_a", -0.75f)),
                       im.b.getBoolAttr(im.intAttr(node, "exclude_outside", 0) != 0));
  return success();
}

/// Upsample (opsets 7 to 9) and Resize of opset 10: output = floor(input *
/// scale), sampled at x = o / scale (ONNX Runtime's asymmetric transform),
/// nearest rounding down ("linear" interpolates).
static LogicalResult importUpsample(Importer &im, const Node &node) {
  auto x = im.input(node, 0);
  auto type = im.outputType(node);
  if (failed(x) || failed(type))
    return failure();
  std::string mode = im.stringAttr(node, "mode", "nearest");
  if (mode != "nearest" && mode != "linear")
    return im.fail(node, "mode " + mode + " is not supported (nearest or linear)");
  std::vector<float> scales;
  if (node.attributes.count("scales")) {
    scales = node.attributes.at("scales").floats;
  } else {
    const Tensor *given = im.constantInput(node, 1);
    if (!given)
      return im.fail(node, "scales must be computable at compile time");
    scales = given->floats;
  }
  return buildResize(im, node, *x, *type, ResizeCoordinate::Asymmetric,
                     mode == "linear" ? ResizeSampling::Linear : ResizeSampling::Floor, &scales);
}

static LogicalResult importResize(Importer &im, const Node &node) {
  if (im.graph.opset < 11)
    return importUpsample(im, node);
  auto x = im.input(node, 0);
  auto type = im.outputType(node);
  if (failed(x) || failed(type))
    return failure();
  std::string mode = im.stringAttr(node, "mode", "nearest");
  std::string coordName = im.stringAttr(node, "coordinate_transformation_mode", "half_pixel");
  std::string nearest = im.stringAttr(node, "nearest_mode", "round_prefer_floor");
  std::optional<ResizeCoordinate> coord = symbolizeResizeCoordinate(coordName);
  if (!coord || (*coord == ResizeCoordinate::TfHalfPixelForNn && mode != "nearest"))
    return im.fail(node, "coordinate_transformation_mode " + coordName + " is not supported" +
                             (coord ? " with mode " + mode : std::string()) +
                             " (half_pixel, asymmetric, align_corners, pytorch_half_pixel are; "
                             "tf_half_pixel_for_nn with nearest)");
  std::optional<ResizeSampling> sampling = mode == "linear"  ? std::optional(ResizeSampling::Linear)
                                           : mode == "cubic" ? std::optional(ResizeSampling::Cubic)
                                           : mode == "nearest" && nearest != "linear"
                                               ? symbolizeResizeSampling(nearest)
                                               : std::nullopt;
  if (!sampling)
    return im.fail(node, "mode " + mode + " (nearest_mode " + nearest +
                             ") is not supported (nearest, linear or cubic)");
  // Opset 11+: X, roi, scales, sizes.
  const Tensor *scales =
      node.inputs.size() > 2 && !node.inputs[2].empty() ? im.constantInput(node, 2) : nullptr;
  const Tensor *sizes =
      node.inputs.size() > 3 && !node.inputs[3].empty() ? im.constantInput(node, 3) : nullptr;
  if (scales && scales->numElements() == 0)
    scales = nullptr;
  if (!scales && !sizes)
    return im.fail(node, "needs constant scales or sizes");
  return buildResize(im, node, *x, *type, *coord, *sampling, scales ? &scales->floats : nullptr);
}

static LogicalResult importTranspose(Importer &im, const Node &node) {
  auto x = im.input(node, 0);
  auto type = im.outputType(node);
  if (failed(x) || failed(type))
    return failure();
  int64_t rank = type->getRank();
  std::vector<int64_t> reversed;
  for (int64_t d = rank - 1; d >= 0; --d)
    reversed.push_back(d);
  std::vector<int64_t> perm = im.intsAttr(node, "perm", reversed);
  std::vector<bool> seen(rank, false);
  if ((int64_t)perm.size() != rank)
    return im.fail(node, "perm needs one entry per dim");
  for (int64_t p : perm) {
    if (p < 0 || p >= rank || seen[p])
      return im.fail(node, "perm is not a permutation");
    seen[p] = true;
  }
  im.values[node.outputs[0]] =
      TransposeOp::create(im.b, im.locOf(node), *type, *x, im.b.getDenseI64ArrayAttr(perm));
  return success();
}

/// Pad in constant mode, with pads (and the value) known at compile time.
static LogicalResult importPad(Importer &im, const Node &node) {
  auto x = im.input(node, 0);
  auto type = im.outputType(node);
  if (failed(x) || failed(type))
    return failure();
  std::string mode = im.stringAttr(node, "mode", "constant");
  Boundary boundary = mode == "reflect" ? Boundary::Reflect
                      : mode == "edge"  ? Boundary::Edge
                                        : Boundary::Zero;
  if (mode != "constant" && mode != "reflect" && mode != "edge")
    return im.fail(node, "mode '" + mode + "' is not supported (constant, reflect, edge)");
  std::vector<int64_t> pads = im.intsAttr(node, "pads", {});
  float value = im.floatAttr(node, "value", 0.f);
  if (im.graph.opset >= 11) {
    const Tensor *p = im.constantInput(node, 1);
    if (!p)
      return im.fail(node, "pads must be computable at compile time");
    pads = p->ints;
    if (node.inputs.size() > 2 && !node.inputs[2].empty()) {
      const Tensor *v = im.constantInput(node, 2);
      if (!v || v->floats.size() != 1)
        return im.fail(node, "constant_value must be a constant scalar");
      value = v->floats[0];
    }
  }
  if ((int64_t)pads.size() != 2 * type->getRank())
    return im.fail(node, "pads needs two values per dim");
  for (int64_t p : pads)
    if (p < 0)
      return im.fail(node, "negative pads (cropping) are not supported");
  auto inType = cast<RankedTensorType>(x->getType());
  int64_t rank = inType.getRank();
  if (boundary == Boundary::Reflect)
    for (int64_t d = 0; d < rank; ++d)
      if (std::max(pads[d], pads[rank + d]) >= inType.getDimSize(d))
        return im.fail(node, "reflect padding must be smaller than the padded dim");
  im.values[node.outputs[0]] =
      PadOp::create(im.b, im.locOf(node), *type, *x, im.b.getDenseI64ArrayAttr(pads),
                    im.b.getF32FloatAttr(value), BoundaryAttr::get(im.ctx, boundary));
  return success();
}

static LogicalResult importSlice(Importer &im, const Node &node) {
  auto x = im.input(node, 0);
  auto type = im.outputType(node);
  if (failed(x) || failed(type))
    return failure();
  auto inType = cast<RankedTensorType>(x->getType());
  int64_t rank = inType.getRank();
  std::vector<int64_t> starts, ends, axes, steps;
  if (im.graph.opset >= 10) {
    const Tensor *s = im.constantInput(node, 1), *e = im.constantInput(node, 2);
    if (!s || !e)
      return im.fail(node, "starts and ends must be computable at compile time");
    starts = s->ints;
    ends = e->ints;
    for (size_t i : {3u, 4u}) {
      if (node.inputs.size() <= i || node.inputs[i].empty())
        continue;
      const Tensor *t = im.constantInput(node, i);
      if (!t)
        return im.fail(node, "axes and steps must be computable at compile time");
      (i == 3 ? axes : steps) = t->ints;
    }
  } else {
    starts = im.intsAttr(node, "starts", {});
    ends = im.intsAttr(node, "ends", {});
    axes = im.intsAttr(node, "axes", {});
  }
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i)
      axes.push_back(i);
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size())
    return im.fail(node, "starts, ends, axes and steps need the same length");
  SmallVector<int64_t> begin(rank, 0), stride(rank, 1);
  for (size_t i = 0; i < starts.size(); ++i) {
    int64_t axis = normalizeAxis(axes[i], rank);
    if (axis < 0 || axis >= rank)
      return im.fail(node, "axis " + std::to_string(axes[i]) + " is out of range");
    if (steps[i] == 0)
      return im.fail(node, "steps must not be 0");
    int64_t n = inType.getDimSize(axis);
    int64_t start = starts[i] < 0 ? starts[i] + n : starts[i];
    // ONNX clamps the start into [0, n] for positive steps and into
    // [0, n - 1] for negative ones (which walk down from it); ONNX's
    // inference has already given the extent.
    begin[axis] = std::clamp<int64_t>(start, 0, steps[i] > 0 ? n : std::max<int64_t>(n - 1, 0));
    stride[axis] = steps[i];
  }
  // An empty result (a start past the end) is a tensor of no elements: the
  // runtime reads and writes nothing for it, and Concat drops it.
  im.values[node.outputs[0]] =
      SliceOp::create(im.b, im.locOf(node), *type, *x, im.b.getDenseI64ArrayAttr(begin),
                      im.b.getDenseI64ArrayAttr(stride));
  return success();
}

static LogicalResult importSplit(Importer &im, const Node &node) {
  auto x = im.input(node, 0);
  if (failed(x))
    return failure();
  auto inType = cast<RankedTensorType>(x->getType());
  int64_t rank = inType.getRank();
  int64_t axis = normalizeAxis(im.intAttr(node, "axis", 0), rank);
  if (axis < 0 || axis >= rank)
    return im.fail(node, "axis is out of range");
  int64_t offset = 0;
  for (size_t k = 0; k < node.outputs.size(); ++k) {
    auto type = im.outputType(node, k);
    if (failed(type))
      return failure();
    // The output's type may be one the file declares against ONNX's inference.
    if (type->getRank() != rank)
      return im.fail(node, "output '" + node.outputs[k] + "' has rank " +
                               std::to_string(type->getRank()) + ", the input " +
                               std::to_string(rank));
    SmallVector<int64_t> begin(rank, 0), stride(rank, 1);
    begin[axis] = offset;
    offset += type->getDimSize(axis);
    im.values[node.outputs[k]] =
        SliceOp::create(im.b, im.locOf(node), *type, *x, im.b.getDenseI64ArrayAttr(begin),
                        im.b.getDenseI64ArrayAttr(stride));
  }
  if (offset != inType.getDimSize(axis))
    return im.fail(node, "the outputs do not add up to the split dim");
  return success();
}

/// Tile of a computed tensor: each repeated dim is a concat of copies, so a
/// split dim keeps the concat's rule.
static LogicalResult importTile(Importer &im, const Node &node) {
  auto x = im.input(node, 0);
  auto type = im.outputType(node);
  const Tensor *repeats = im.constantInput(node, 1);
  if (failed(x) || failed(type))
    return failure();
  auto inType = cast<RankedTensorType>(x->getType());
  if (!repeats || (int64_t)repeats->ints.size() != inType.getRank())
    return im.fail(node, "repeats must be a compile-time constant with one value per dim");
  Location loc = im.locOf(node);
  Value tiled = *x;
  SmallVector<int64_t> shape(inType.getShape());
  for (int64_t d = 0; d < inType.getRank(); ++d) {
    int64_t r = repeats->ints[d];
    if (r < 1)
      return im.fail(node, "repeats must be positive (an empty tile is not supported)");
    if (r == 1)
      continue;
    shape[d] *= r;
    SmallVector<Value> copies(r, tiled);
    tiled = ConcatOp::create(im.b, loc, RankedTensorType::get(shape, im.b.getF32Type()), copies, d);
  }
  im.values[node.outputs[0]] = tiled;
  return success();
}

/// Trilu of a computed tensor: a select against a constant triangle mask over
/// the last two dims (the other dims broadcast), so every dim keeps its split.
static LogicalResult importTrilu(Importer &im, const Node &node) {
  auto x = im.input(node, 0);
  auto type = im.outputType(node);
  if (failed(x) || failed(type))
    return failure();
  int64_t rank = type->getRank(), k = 0;
  if (rank < 2)
    return im.fail(node, "needs an input of rank 2 or more");
  if (node.inputs.size() > 1 && !node.inputs[1].empty()) {
    const Tensor *kIn = im.constantInput(node, 1);
    if (!kIn || kIn->ints.size() != 1)
      return im.fail(node, "k must be a compile-time constant scalar");
    k = kIn->ints[0];
  }
  bool upper = im.intAttr(node, "upper", 1) != 0;
  int64_t rows = type->getDimSize(rank - 2), cols = type->getDimSize(rank - 1);
  // The mask is a constant like any folded one, and bounded like them.
  if (rows * cols > kMaxFoldedElements)
    return im.fail(node, "its " + std::to_string(rows) + "x" + std::to_string(cols) +
                             " mask is larger than the 2^24 elements Quilt builds as a constant");
  Tensor mask;
  mask.type = ElementType::Float;
  mask.dims.assign(rank, 1);
  mask.dims[rank - 2] = rows;
  mask.dims[rank - 1] = cols;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      mask.floats.push_back((upper ? c - r >= k : c - r <= k) ? 1.f : 0.f);
  Location loc = im.locOf(node);
  im.values[node.outputs[0]] =
      SelectOp::create(im.b, loc, *type, im.materialize(mask, loc), *x, im.scalar(0.f, rank, loc));
  return success();
}

/// DepthToSpace and SpaceToDepth are the reshape, transpose, reshape ONNX
/// defines them by.
static LogicalResult importDepthSpace(Importer &im, const Node &node) {
  auto x = im.input(node, 0);
  auto type = im.outputType(node);
  if (failed(x) || failed(type))
    return failure();
  auto inType = cast<RankedTensorType>(x->getType());
  int64_t bs = im.intAttr(node, "blocksize", 0);
  if (inType.getRank() != 4 || bs < 1)
    return im.fail(node, "needs a 4-D input and a positive blocksize");
  int64_t n = inType.getDimSize(0), c = inType.getDimSize(1), h = inType.getDimSize(2),
          w = inType.getDimSize(3);
  SmallVector<int64_t> split, perm;
  if (node.opType == "SpaceToDepth") {
    if (h % bs || w % bs)
      return im.fail(node, "height and width must be multiples of blocksize");
    split = {n, c, h / bs, bs, w / bs, bs};
    perm = {0, 3, 5, 1, 2, 4};
  } else {
    if (c % (bs * bs))
      return im.fail(node, "channels must be a multiple of blocksize^2");
    if (im.stringAttr(node, "mode", "DCR") == "CRD") {
      split = {n, c / (bs * bs), bs, bs, h, w};
      perm = {0, 1, 4, 2, 5, 3};
    } else {
      split = {n, bs, bs, c / (bs * bs), h, w};
      perm = {0, 3, 4, 1, 5, 2};
    }
  }
  Location loc = im.locOf(node);
  Value blocks = im.reshapeTo(*x, split, loc);
  SmallVector<int64_t> moved;
  for (int64_t p : perm)
    moved.push_back(split[p]);
  Value transposed = TransposeOp::create(im.b, loc, RankedTensorType::get(moved, im.b.getF32Type()),
                                         blocks, im.b.getDenseI64ArrayAttr(perm));
  im.values[node.outputs[0]] = im.reshapeTo(transposed, type->getShape(), loc);
  return success();
}

static LogicalResult importReshape(Importer &im, const Node &node) {
  auto x = im.input(node, 0);
  if (failed(x))
    return failure();
  auto inType = cast<RankedTensorType>(x->getType());
  if (node.opType != "Reshape") {
    auto type = im.outputType(node);
    if (failed(type))
      return failure();
    im.values[node.outputs[0]] = im.reshapeTo(*x, type->getShape(), im.locOf(node));
    return success();
  }
  const Tensor *target = im.constantInput(node, 1);
  if (!target)
    return im.fail(node, "the target shape must be computable at compile time");
  // ONNX Reshape: 0 copies the input dim (unless allowzero), -1 is inferred.
  SmallVector<int64_t> shape;
  int64_t known = 1, inferred = -1;
  for (auto [i, value] : llvm::enumerate(target->ints)) {
    int64_t d = value;
    if (d == 0 && !im.intAttr(node, "allowzero", 0))
      d = i < (size_t)inType.getRank() ? inType.getDimSize(i) : 0;
    if (d < -1 || (d == -1 && inferred >= 0))
      return im.fail(node, "target shape needs dims >= 0 and at most one -1");
    if (d == -1)
      inferred = i;
    else
      known *= d;
    shape.push_back(d);
  }
  if (inferred >= 0) {
    if (known == 0 || inType.getNumElements() % known != 0)
      return im.fail(node, "cannot infer the -1 dim of the target shape");
    shape[inferred] = inType.getNumElements() / known;
  }
  int64_t count = 1;
  for (int64_t d : shape)
    count *= d;
  if (count != inType.getNumElements())
    return im.fail(node, "target shape has " + std::to_string(count) + " elements, input has " +
                             std::to_string(inType.getNumElements()));
  im.values[node.outputs[0]] = im.reshapeTo(*x, shape, im.locOf(node));
  return success();
}

static LogicalResult importConcat(Importer &im, const Node &node) {
  auto type = im.outputType(node);
  if (failed(type))
    return failure();
  SmallVector<Value> inputs;
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    auto v = im.input(node, i);
    if (failed(v))
      return failure();
    // Exporters concatenate slices that may come out empty (a start past the
    // end): they add nothing, and a split result should not gather them.
    if (cast<RankedTensorType>(v->getType()).getNumElements() != 0 ||
        type->getNumElements() == 0)
      inputs.push_back(*v);
  }
  int64_t axis = normalizeAxis(im.intAttr(node, "axis", 0), type->getRank());
  if (inputs.size() == 1 && inputs[0].getType() == *type) {
    im.values[node.outputs[0]] = inputs[0];
    return success();
  }
  im.values[node.outputs[0]] = ConcatOp::create(im.b, im.locOf(node), *type, inputs, axis);
  return success();
}

static LogicalResult importExpand(Importer &im, const Node &node) {
  auto x = im.input(node, 0);
  auto type = im.outputType(node);
  if (failed(x) || failed(type))
    return failure();
  if (!im.constantInput(node, 1))
    return im.fail(node, "the target shape must be computable at compile time");
  Location loc = im.locOf(node);
  Value xb = im.broadcastRank(*x, type->getRank(), loc);
  auto xType = cast<RankedTensorType>(xb.getType());
  if (xType == *type) {
    im.values[node.outputs[0]] = xb;
    return success();
  }
  // x + zeros, the zeros only as large as the dims x broadcasts along; a
  // splat, so that a huge target shape costs no memory here.
  SmallVector<int64_t> zerosShape;
  for (int64_t d = 0; d < type->getRank(); ++d)
    zerosShape.push_back(xType.getDimSize(d) == type->getDimSize(d) ? 1 : type->getDimSize(d));
  auto zerosType = RankedTensorType::get(zerosShape, im.b.getF32Type());
  Value zeros = ConstantOp::create(im.b, loc, zerosType, DenseElementsAttr::get(zerosType, 0.f));
  im.values[node.outputs[0]] = AddOp::create(im.b, loc, *type, xb, zeros);
  return success();
}

void quilt::importer::registerDataMovementImporters(OpImporterTable &table) {
  table.add("Resize", importResize, /*sinceOpset=*/10);
  table.add("Upsample", importUpsample, /*sinceOpset=*/7, /*untilOpset=*/9);
  table.add("Slice", importSlice);
  table.add("Split", importSplit);
  table.add("Transpose", importTranspose);
  table.add("Pad", importPad, /*sinceOpset=*/2);
  table.add("Tile", importTile, /*sinceOpset=*/6);
  table.add("Trilu", importTrilu);
  table.add("DepthToSpace", importDepthSpace);
  table.add("SpaceToDepth", importDepthSpace);
  table.add("Flatten", importReshape);
  table.add("Reshape", importReshape, /*sinceOpset=*/5);
  table.add("Squeeze", importReshape);
  table.add("Unsqueeze", importReshape);
  table.add("Concat", importConcat);
  table.add("Expand", importExpand);
}
