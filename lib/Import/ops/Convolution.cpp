//===- Convolution.cpp - Conv, ConvTranspose and pooling ------------------===//
//
// Windowed ops over the spatial dims: their pads (explicit or auto_pad) and
// windows become the halos partitioning adds when a spatial dim is split.
//
//===----------------------------------------------------------------------===//
#include "../Importer.h"

using namespace mlir;
using namespace quilt;
using namespace quilt::onnx_model;
using namespace quilt::importer;

/// What Conv and ConvTranspose share: input, weights (rank 3 to 5, kernel
/// from the weights), optional bias, the output type.
struct ConvOperands {
  Value x, w, bias;
  RankedTensorType type, inType;
  size_t spatial = 0;
  std::vector<int64_t> kernel;
};

static FailureOr<std::vector<int64_t>> resolvePads(Importer &im, const Node &node,
                                                   RankedTensorType in, ArrayRef<int64_t> kernel,
                                                   ArrayRef<int64_t> strides,
                                                   ArrayRef<int64_t> dilations) {
  size_t n = kernel.size();
  std::string autoPad = im.stringAttr(node, "auto_pad", "NOTSET");
  std::vector<int64_t> pads = im.intsAttr(node, "pads", std::vector<int64_t>(2 * n, 0));
  if (pads.size() != 2 * n)
    return im.fail(node, "pads must have " + std::to_string(2 * n) + " values");
  if (autoPad == "NOTSET")
    return pads;
  if (autoPad == "VALID")
    return std::vector<int64_t>(2 * n, 0);
  if (autoPad != "SAME_UPPER" && autoPad != "SAME_LOWER")
    return im.fail(node, "unknown auto_pad '" + autoPad + "'");
  for (size_t i = 0; i < n; ++i) {
    int64_t size = in.getDimSize(2 + i);
    int64_t out = (size + strides[i] - 1) / strides[i];
    int64_t total =
        std::max<int64_t>(0, (out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - size);
    int64_t small = total / 2;
    pads[i] = autoPad == "SAME_UPPER" ? small : total - small;
    pads[n + i] = total - pads[i];
  }
  return pads;
}

static FailureOr<ConvOperands> convOperands(Importer &im, const Node &node) {
  ConvOperands c;
  auto x = im.input(node, 0), w = im.input(node, 1);
  auto type = im.outputType(node);
  if (failed(x) || failed(w) || failed(type))
    return failure();
  c.x = *x;
  c.w = *w;
  c.type = *type;
  c.inType = cast<RankedTensorType>(c.x.getType());
  auto wType = cast<RankedTensorType>(c.w.getType());
  if (wType.getRank() != c.inType.getRank() || c.inType.getRank() < 3 || c.inType.getRank() > 5)
    return im.fail(node, "needs input and weights of equal rank 3 to 5");
  c.spatial = wType.getRank() - 2;
  c.kernel.assign(wType.getShape().begin() + 2, wType.getShape().end());
  if (node.attributes.count("kernel_shape") && im.intsAttr(node, "kernel_shape", {}) != c.kernel)
    return im.fail(node, "kernel_shape differs from the weights' spatial dims");
  if (node.inputs.size() > 2 && !node.inputs[2].empty()) {
    auto bias = im.input(node, 2);
    if (failed(bias))
      return failure();
    c.bias = *bias;
  }
  return c;
}

static LogicalResult importConv(Importer &im, const Node &node) {
  auto operands = convOperands(im, node);
  if (failed(operands))
    return failure();
  auto &[x, w, bias, type, inType, n, kernel] = *operands;
  auto strides = im.intsAttr(node, "strides", std::vector<int64_t>(n, 1));
  auto dilations = im.intsAttr(node, "dilations", std::vector<int64_t>(n, 1));
  if (strides.size() != n || dilations.size() != n)
    return im.fail(node, "strides and dilations need one value per spatial dim");
  auto pads = resolvePads(im, node, inType, kernel, strides, dilations);
  if (failed(pads))
    return failure();
  auto conv =
      ConvOp::create(im.b, im.locOf(node), type, x, w, bias, im.b.getDenseI64ArrayAttr(strides),
                     im.b.getDenseI64ArrayAttr(dilations), im.b.getDenseI64ArrayAttr(*pads),
                     im.b.getI64IntegerAttr(im.intAttr(node, "group", 1)),
                     ActivationAttr::get(im.ctx, Activation::None), im.b.getF32FloatAttr(0));
  im.values[node.outputs[0]] = conv;
  return success();
}

static LogicalResult importConvTranspose(Importer &im, const Node &node) {
  auto operands = convOperands(im, node);
  if (failed(operands))
    return failure();
  auto &[x, w, bias, type, inType, n, kernel] = *operands;
  std::string autoPad = im.stringAttr(node, "auto_pad", "NOTSET");
  if (autoPad != "NOTSET" && autoPad != "VALID" && autoPad != "SAME_UPPER" &&
      autoPad != "SAME_LOWER")
    return im.fail(node, "unknown auto_pad '" + autoPad + "'");
  auto strides = im.intsAttr(node, "strides", std::vector<int64_t>(n, 1));
  auto dilations = im.intsAttr(node, "dilations", std::vector<int64_t>(n, 1));
  auto pads = autoPad == "NOTSET" ? im.intsAttr(node, "pads", std::vector<int64_t>(2 * n, 0))
                                  : std::vector<int64_t>(2 * n, 0);
  auto outputPadding = im.intsAttr(node, "output_padding", std::vector<int64_t>(n, 0));
  if (strides.size() != n || dilations.size() != n || pads.size() != 2 * n ||
      outputPadding.size() != n)
    return im.fail(node, "strides, dilations, output_padding and pads need one value per "
                         "spatial dim (two for pads)");
  for (size_t i = 0; i < n; ++i)
    if (strides[i] < 1 || dilations[i] < 1 || pads[i] < 0 || pads[n + i] < 0 ||
        outputPadding[i] < 0)
      return im.fail(node, "strides and dilations must be positive, pads and output_padding "
                           "non-negative");
  // An output_shape (its spatial extents; some exporters list N and C too)
  // or SAME padding (output = input * stride) sets the pads: the total is
  // what the full transposed window overshoots that extent by, split evenly,
  // the odd one at the end for SAME_UPPER and at the start otherwise (ONNX's
  // rule, which ONNX Runtime follows).
  std::vector<int64_t> outputShape = im.intsAttr(node, "output_shape", {});
  if (outputShape.size() == n + 2)
    outputShape.erase(outputShape.begin(), outputShape.begin() + 2);
  if (!outputShape.empty() && outputShape.size() != n)
    return im.fail(node, "output_shape needs one value per spatial dim");
  bool same = autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER";
  if (!outputShape.empty() || same) {
    for (size_t i = 0; i < n; ++i) {
      int64_t in = inType.getDimSize(2 + i);
      int64_t out = outputShape.empty() ? in * strides[i] : outputShape[i];
      int64_t total =
          strides[i] * (in - 1) + outputPadding[i] + (kernel[i] - 1) * dilations[i] + 1 - out;
      int64_t half = total >= 0 ? total / 2 : -((1 - total) / 2); // floor(total / 2)
      int64_t lo = autoPad == "SAME_UPPER" ? half : total - half;
      int64_t hi = total - lo;
      // Positions past the full window (a negative end pad) are output
      // padding: they get only the bias.
      if (hi < 0) {
        outputPadding[i] -= hi;
        hi = 0;
      }
      if (lo < 0)
        return im.fail(node, "output_shape " + std::to_string(out) + " of spatial dim " +
                                 std::to_string(i) +
                                 " needs a negative start pad (the transposed window covers " +
                                 std::to_string(out + total) + " positions)");
      pads[i] = lo;
      pads[n + i] = hi;
    }
  }
  im.values[node.outputs[0]] = ConvTransposeOp::create(
      im.b, im.locOf(node), type, x, w, bias, im.b.getDenseI64ArrayAttr(strides),
      im.b.getDenseI64ArrayAttr(dilations), im.b.getDenseI64ArrayAttr(pads),
      im.b.getDenseI64ArrayAttr(outputPadding),
      im.b.getI64IntegerAttr(im.intAttr(node, "group", 1)));
  return success();
}

static LogicalResult importPool(Importer &im, const Node &node) {
  auto x = im.input(node, 0);
  auto type = im.outputType(node);
  if (failed(x) || failed(type))
    return failure();
  if (node.outputs.size() > 1 && !node.outputs[1].empty())
    return im.fail(node, "the Indices output of MaxPool is not supported");
  if (im.intAttr(node, "storage_order", 0) != 0)
    return im.fail(node, "storage_order=1 is not supported");
  auto kernel = im.intsAttr(node, "kernel_shape", {});
  size_t n = kernel.size();
  auto inType = cast<RankedTensorType>(x->getType());
  if (n == 0 || n + 2 != (size_t)inType.getRank())
    return im.fail(node, "kernel_shape needs one value per spatial dim");
  auto strides = im.intsAttr(node, "strides", std::vector<int64_t>(n, 1));
  auto dilations = im.intsAttr(node, "dilations", std::vector<int64_t>(n, 1));
  if (strides.size() != n || dilations.size() != n)
    return im.fail(node, "strides and dilations need one value per spatial dim");
  auto pads = resolvePads(im, node, inType, kernel, strides, dilations);
  if (failed(pads))
    return failure();
  // ceil_mode keeps a last, partial window: the output ONNX inferred is one
  // longer, and the window reads past the end padding. Widening the end pad
  // to reach it gives the same max (pads read -inf) and the same average
  // over valid elements; an average that counts pads would count the
  // widening too, which ONNX Runtime does not.
  bool countPads = im.intAttr(node, "count_include_pad", 0) != 0;
  if (im.intAttr(node, "ceil_mode", 0) != 0) {
    for (size_t d = 0; d < n; ++d) {
      int64_t reach =
          (type->getDimSize(d + 2) - 1) * strides[d] + dilations[d] * (kernel[d] - 1) + 1;
      int64_t extra = reach - (inType.getDimSize(d + 2) + (*pads)[d] + (*pads)[d + n]);
      if (extra <= 0)
        continue;
      if (node.opType == "AveragePool" && countPads)
        return im.fail(node, "ceil_mode=1 with count_include_pad=1 is not supported where the "
                             "last window passes the end padding");
      (*pads)[d + n] += extra;
    }
  }
  Location loc = im.locOf(node);
  auto k = im.b.getDenseI64ArrayAttr(kernel), s = im.b.getDenseI64ArrayAttr(strides),
       d = im.b.getDenseI64ArrayAttr(dilations), p = im.b.getDenseI64ArrayAttr(*pads);
  Value out;
  if (node.opType == "MaxPool")
    out = MaxPoolOp::create(im.b, loc, *type, *x, k, s, d, p, im.b.getBoolAttr(false));
  else
    out = AvgPoolOp::create(im.b, loc, *type, *x, k, s, d, p, im.b.getBoolAttr(countPads));
  im.values[node.outputs[0]] = out;
  return success();
}

static LogicalResult importGlobalAveragePool(Importer &im, const Node &node) {
  auto x = im.input(node, 0);
  auto type = im.outputType(node);
  if (failed(x) || failed(type))
    return failure();
  SmallVector<int64_t> dims;
  for (int64_t d = 2; d < type->getRank(); ++d)
    dims.push_back(d);
  im.values[node.outputs[0]] = ReduceMeanOp::create(im.b, im.locOf(node), *type, *x,
                                                    im.b.getDenseI64ArrayAttr(dims), FloatAttr());
  return success();
}

static LogicalResult importGlobalMaxPool(Importer &im, const Node &node) {
  auto x = im.input(node, 0);
  auto type = im.outputType(node);
  if (failed(x) || failed(type))
    return failure();
  SmallVector<int64_t> dims;
  for (int64_t d = 2; d < type->getRank(); ++d)
    dims.push_back(d);
  im.values[node.outputs[0]] =
      ReduceMaxOp::create(im.b, im.locOf(node), *type, *x, im.b.getDenseI64ArrayAttr(dims));
  return success();
}

void quilt::importer::registerConvolutionImporters(OpImporterTable &table) {
  table.add("Conv", importConv);
  table.add("ConvTranspose", importConvTranspose);
  table.add("MaxPool", importPool);
  table.add("AveragePool", importPool);
  table.add("GlobalAveragePool", importGlobalAveragePool);
  table.add("GlobalMaxPool", importGlobalMaxPool);
}
