//===- AttnOps.cpp - attn dialect operations --------------------*- C++ -*-===//
//
// Part of the attn-mlir project.
//
//===----------------------------------------------------------------------===//

#include "attn/IR/AttnOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/CheckedArithmetic.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>

using namespace mlir;
using namespace mlir::attn;

//===----------------------------------------------------------------------===//
// Verification helpers
//===----------------------------------------------------------------------===//

static std::string formatDim(int64_t d) {
  return ShapedType::isDynamic(d) ? "?" : std::to_string(d);
}

static std::string formatShape(ArrayRef<int64_t> shape) {
  std::string s = "[";
  llvm::interleave(
      shape, [&](int64_t d) { s += formatDim(d); }, [&] { s += ", "; });
  return s + "]";
}

/// Two dims agree unless both are static and differ.
static bool dimsAgree(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

static LogicalResult verifyRank(Operation *op, StringRef name,
                                RankedTensorType type, int64_t rank) {
  if (type.getRank() != rank)
    return op->emitOpError("expects ")
           << name << " to have rank " << rank << ", got " << type.getRank();
  return success();
}

static LogicalResult verifyStaticDim(Operation *op, StringRef what,
                                     int64_t dim) {
  if (ShapedType::isDynamic(dim))
    return op->emitOpError("expects a static ") << what;
  if (dim == 0)
    return op->emitOpError("expects a non-zero ") << what;
  return success();
}

/// Checks that `actual` matches `expected` dim by dim where both are static.
static LogicalResult verifyResultShape(Operation *op,
                                       ArrayRef<int64_t> expected,
                                       RankedTensorType actual) {
  if (actual.getRank() != static_cast<int64_t>(expected.size()) ||
      !llvm::all_of(llvm::zip_equal(expected, actual.getShape()), [](auto p) {
        return dimsAgree(std::get<0>(p), std::get<1>(p));
      }))
    return op->emitOpError("expects result shape ")
           << formatShape(expected) << ", got "
           << formatShape(actual.getShape());
  return success();
}

/// Results are the reference operand's element type, or f32.
static LogicalResult verifyResultElementType(Operation *op, StringRef refName,
                                             Type refType, Type resultType) {
  if (resultType == refType || resultType.isF32())
    return success();
  if (refType.isF32())
    return op->emitOpError("expects result element type f32, got ")
           << resultType;
  return op->emitOpError("expects result element type to be ")
         << refName << "'s element type (" << refType << ") or f32, got "
         << resultType;
  return success();
}

/// Checks the head counts of a query-like and a key-like operand: `Hkv > 0`
/// first, so that `H % Hkv` never divides by zero.
static LogicalResult verifyHeads(Operation *op, StringRef lhsName,
                                 StringRef kvName, int64_t h, int64_t hkv) {
  if (hkv == 0)
    return op->emitOpError("expects ")
           << kvName << " to have at least one head";
  if (!ShapedType::isDynamic(h) && !ShapedType::isDynamic(hkv) && h % hkv != 0)
    return op->emitOpError("expects the ")
           << lhsName << " head count (" << h << ") to be a multiple of the "
           << kvName << " head count (" << hkv << ")";
  return success();
}

static LogicalResult verifyDimMatch(Operation *op, StringRef what,
                                    StringRef lhsName, int64_t lhs,
                                    StringRef rhsName, int64_t rhs) {
  if (!dimsAgree(lhs, rhs))
    return op->emitOpError("expects ")
           << what << " of " << lhsName << " (" << lhs << ") to match "
           << rhsName << " (" << rhs << ")";
  return success();
}

/// Rules shared by `attn.sdpa` and `attn.scores` for q, k, the optional mask
/// and the scale/causal/window/softcap attributes.
static LogicalResult verifyQueryKeyMaskAttrs(
    Operation *op, RankedTensorType qType, RankedTensorType kType, Value mask,
    std::optional<float> scale, std::optional<ArrayRef<int64_t>> window,
    std::optional<float> softcap) {
  if (failed(verifyRank(op, "query", qType, 4)) ||
      failed(verifyRank(op, "key", kType, 4)))
    return failure();
  if (kType.getElementType() != qType.getElementType())
    return op->emitOpError("expects key to have the query's element type (")
           << qType.getElementType() << "), got " << kType.getElementType();
  if (failed(verifyStaticDim(op, "query head dim", qType.getDimSize(3))) ||
      failed(verifyStaticDim(op, "key head dim", kType.getDimSize(3))))
    return failure();
  if (failed(verifyHeads(op, "query", "key", qType.getDimSize(1),
                         kType.getDimSize(1))))
    return failure();
  if (failed(verifyDimMatch(op, "batch size", "key", kType.getDimSize(0),
                            "query", qType.getDimSize(0))) ||
      failed(verifyDimMatch(op, "head dim", "key", kType.getDimSize(3), "query",
                            qType.getDimSize(3))))
    return failure();

  if (mask) {
    auto mType = cast<RankedTensorType>(mask.getType());
    if (failed(verifyRank(op, "mask", mType, 4)))
      return failure();
    Type mElt = mType.getElementType();
    if (!mElt.isInteger(1) && !mElt.isF32() && mElt != qType.getElementType())
      return op->emitOpError("expects a float mask of f32 or the query's "
                             "element type (")
             << qType.getElementType() << "), got " << mElt;
    int64_t full[4] = {qType.getDimSize(0), qType.getDimSize(1),
                       qType.getDimSize(2), kType.getDimSize(2)};
    for (int64_t i = 0; i < 4; ++i) {
      int64_t d = mType.getDimSize(i);
      if (d != 1 && !dimsAgree(d, full[i]))
        return op->emitOpError("expects mask dim ")
               << i << " to be 1 or " << formatDim(full[i]) << ", got " << d;
    }
  }

  if (scale && !std::isfinite(*scale))
    return op->emitOpError("expects scale to be finite");
  if (window) {
    if (window->size() != 2)
      return op->emitOpError("expects window to have exactly two entries "
                             "[left, right], got ")
             << window->size();
    if ((*window)[0] < 0 || (*window)[1] < 0)
      return op->emitOpError("expects window entries to be non-negative");
  }
  if (softcap && !(*softcap > 0.0f && std::isfinite(*softcap)))
    return op->emitOpError("expects softcap to be positive and finite");
  return success();
}

/// The value-side rules shared by `attn.sdpa` and `attn.weighted_sum`: `v` is
/// `[B, Hkv, Sk, Dv]` for queries/probabilities `[B, H, Sq, *]`.
static LogicalResult verifyValue(Operation *op, StringRef lhsName,
                                 RankedTensorType lhsType, StringRef skName,
                                 int64_t sk, RankedTensorType vType) {
  if (failed(verifyRank(op, "value", vType, 4)) ||
      failed(verifyStaticDim(op, "value head dim", vType.getDimSize(3))) ||
      failed(verifyHeads(op, lhsName, "value", lhsType.getDimSize(1),
                         vType.getDimSize(1))) ||
      failed(verifyDimMatch(op, "batch size", "value", vType.getDimSize(0),
                            lhsName, lhsType.getDimSize(0))) ||
      failed(verifyDimMatch(op, "sequence length", "value", vType.getDimSize(2),
                            skName, sk)))
    return failure();
  return success();
}

static float defaultScale(RankedTensorType qType) {
  return 1.0f / std::sqrt(static_cast<float>(qType.getDimSize(3)));
}

//===----------------------------------------------------------------------===//
// SdpaOp
//===----------------------------------------------------------------------===//

float SdpaOp::getEffectiveScale() {
  if (FloatAttr s = getScaleAttr())
    return static_cast<float>(s.getValueAsDouble());
  return defaultScale(getQuery().getType());
}

static std::optional<float> asFloat(FloatAttr attr) {
  if (!attr)
    return std::nullopt;
  return static_cast<float>(attr.getValueAsDouble());
}

LogicalResult SdpaOp::verify() {
  RankedTensorType qType = getQuery().getType();
  RankedTensorType kType = getKey().getType();
  RankedTensorType vType = getValue().getType();
  if (failed(verifyQueryKeyMaskAttrs(*this, qType, kType, getMask(),
                                     asFloat(getScaleAttr()), getWindow(),
                                     asFloat(getSoftcapAttr()))))
    return failure();
  if (vType.getElementType() != qType.getElementType())
    return emitOpError("expects value to have the query's element type (")
           << qType.getElementType() << "), got " << vType.getElementType();
  if (failed(verifyValue(*this, "query", qType, "key", kType.getDimSize(2),
                         vType)))
    return failure();
  if (!dimsAgree(kType.getDimSize(1), vType.getDimSize(1)))
    return emitOpError("expects key and value to have the same head count, "
                       "got ")
           << kType.getDimSize(1) << " and " << vType.getDimSize(1);

  RankedTensorType rType = getResult().getType();
  if (failed(verifyResultElementType(*this, "the query", qType.getElementType(),
                                     rType.getElementType())))
    return failure();
  return verifyResultShape(*this, getExpectedResultShape(), rType);
}

//===----------------------------------------------------------------------===//
// ScoresOp
//===----------------------------------------------------------------------===//

float ScoresOp::getEffectiveScale() {
  if (FloatAttr s = getScaleAttr())
    return static_cast<float>(s.getValueAsDouble());
  return defaultScale(getQuery().getType());
}

LogicalResult ScoresOp::verify() {
  RankedTensorType qType = getQuery().getType();
  RankedTensorType kType = getKey().getType();
  if (failed(verifyQueryKeyMaskAttrs(*this, qType, kType, getMask(),
                                     asFloat(getScaleAttr()), getWindow(),
                                     asFloat(getSoftcapAttr()))))
    return failure();
  RankedTensorType rType = getResult().getType();
  if (failed(verifyResultElementType(*this, "the query", qType.getElementType(),
                                     rType.getElementType())))
    return failure();
  return verifyResultShape(*this, getExpectedResultShape(), rType);
}

//===----------------------------------------------------------------------===//
// SoftmaxOp
//===----------------------------------------------------------------------===//

LogicalResult SoftmaxOp::verify() {
  RankedTensorType inType = getInput().getType();
  RankedTensorType rType = getResult().getType();
  if (inType.getRank() < 1)
    return emitOpError("expects input to have rank >= 1");
  if (failed(verifyResultElementType(
          *this, "the input", inType.getElementType(), rType.getElementType())))
    return failure();
  return verifyResultShape(*this, getExpectedResultShape(), rType);
}

//===----------------------------------------------------------------------===//
// WeightedSumOp
//===----------------------------------------------------------------------===//

LogicalResult WeightedSumOp::verify() {
  RankedTensorType pType = getProbs().getType();
  RankedTensorType vType = getValue().getType();
  if (failed(verifyRank(*this, "probs", pType, 4)))
    return failure();
  Type vElt = vType.getElementType();
  if (pType.getElementType() != vElt && !pType.getElementType().isF32())
    return emitOpError("expects probs of f32 or the value's element type (")
           << vElt << "), got " << pType.getElementType();
  if (failed(verifyValue(*this, "probs", pType, "probs dim 3",
                         pType.getDimSize(3), vType)))
    return failure();
  RankedTensorType rType = getResult().getType();
  if (failed(verifyResultElementType(*this, "the value", vElt,
                                     rType.getElementType())))
    return failure();
  return verifyResultShape(*this, getExpectedResultShape(), rType);
}

//===----------------------------------------------------------------------===//
// ProjectOp
//===----------------------------------------------------------------------===//

LogicalResult ProjectOp::verify() {
  RankedTensorType xType = getInput().getType();
  RankedTensorType wType = getWeight().getType();
  if (failed(verifyRank(*this, "input", xType, 3)) ||
      failed(verifyRank(*this, "weight", wType, 2)))
    return failure();
  Type elt = xType.getElementType();
  if (wType.getElementType() != elt)
    return emitOpError("expects weight to have the input's element type (")
           << elt << "), got " << wType.getElementType();
  int64_t numHeads = getNumHeads();
  if (numHeads < 1)
    return emitOpError("expects num_heads >= 1, got ") << numHeads;
  int64_t width = wType.getDimSize(0);
  if (failed(verifyStaticDim(*this, "projection width (weight dim 0)", width)))
    return failure();
  if (width % numHeads != 0)
    return emitOpError("expects num_heads (")
           << numHeads << ") to divide the projection width (" << width << ")";
  if (!dimsAgree(wType.getDimSize(1), xType.getDimSize(2)))
    return emitOpError("expects weight dim 1 (")
           << wType.getDimSize(1) << ") to match input dim 2 ("
           << xType.getDimSize(2) << ")";
  if (Value bias = getBias()) {
    auto bType = cast<RankedTensorType>(bias.getType());
    if (bType.getElementType() != elt)
      return emitOpError("expects bias to have the input's element type (")
             << elt << "), got " << bType.getElementType();
    if (bType.getRank() != 1 || !dimsAgree(bType.getDimSize(0), width))
      return emitOpError("expects bias of shape [")
             << width << "], got " << formatShape(bType.getShape());
  }
  RankedTensorType rType = getResult().getType();
  if (failed(verifyResultElementType(*this, "the input", elt,
                                     rType.getElementType())))
    return failure();
  return verifyResultShape(*this, getExpectedResultShape(), rType);
}

//===----------------------------------------------------------------------===//
// OutputProjectOp
//===----------------------------------------------------------------------===//

LogicalResult OutputProjectOp::verify() {
  RankedTensorType aType = getInput().getType();
  RankedTensorType wType = getWeight().getType();
  if (failed(verifyRank(*this, "input", aType, 4)) ||
      failed(verifyRank(*this, "weight", wType, 2)))
    return failure();
  Type elt = aType.getElementType();
  if (wType.getElementType() != elt)
    return emitOpError("expects weight to have the input's element type (")
           << elt << "), got " << wType.getElementType();
  if (failed(verifyStaticDim(*this, "input head dim", aType.getDimSize(3))))
    return failure();
  int64_t heads = aType.getDimSize(1);
  int64_t width = ShapedType::kDynamic;
  if (!ShapedType::isDynamic(heads)) {
    std::optional<int64_t> product =
        llvm::checkedMul(heads, aType.getDimSize(3));
    if (!product)
      return emitOpError("expects heads * head dim to fit in 64 bits");
    width = *product;
  }
  if (!dimsAgree(wType.getDimSize(1), width))
    return emitOpError("expects weight dim 1 to be heads * head dim (")
           << formatDim(width) << "), got " << wType.getDimSize(1);
  int64_t embed = wType.getDimSize(0);
  if (Value bias = getBias()) {
    auto bType = cast<RankedTensorType>(bias.getType());
    if (bType.getElementType() != elt)
      return emitOpError("expects bias to have the input's element type (")
             << elt << "), got " << bType.getElementType();
    if (bType.getRank() != 1 || !dimsAgree(bType.getDimSize(0), embed))
      return emitOpError("expects bias of shape [")
             << formatDim(embed) << "], got " << formatShape(bType.getShape());
  }
  RankedTensorType rType = getResult().getType();
  if (failed(verifyResultElementType(*this, "the input", elt,
                                     rType.getElementType())))
    return failure();
  return verifyResultShape(*this, getExpectedResultShape(), rType);
}

//===----------------------------------------------------------------------===//
// AttnOpInterface
//===----------------------------------------------------------------------===//

/// The static dim of `a` or `b`; dynamic when neither is static.
static int64_t joinDims(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) ? b : a;
}

/// Number of (i, j) pairs with 0 <= i < sq, 0 <= j < sk kept by causal and
/// window masking (bottom-right aligned).
static double keptPairs(int64_t sq, int64_t sk, bool causal,
                        std::optional<ArrayRef<int64_t>> window) {
  if (!causal && !window)
    return static_cast<double>(sq) * static_cast<double>(sk);
  double kept = 0;
  int64_t offset = sk - sq;
  for (int64_t i = 0; i < sq; ++i) {
    int64_t lo = 0, hi = sk - 1;
    if (causal)
      hi = std::min(hi, i + offset);
    if (window) {
      lo = std::max(lo, i + offset - (*window)[0]);
      hi = std::min(hi, i + offset + (*window)[1]);
    }
    if (hi >= lo)
      kept += static_cast<double>(hi - lo + 1);
  }
  return kept;
}

/// Product of the dims, none when one is dynamic.
static std::optional<double> product(ArrayRef<int64_t> dims) {
  double p = 1;
  for (int64_t d : dims) {
    if (ShapedType::isDynamic(d))
      return std::nullopt;
    p *= static_cast<double>(d);
  }
  return p;
}

/// FLOPs of the q k^T contraction (and of `p v` when `dv` is given), over the
/// kept pairs.
static std::optional<double>
attentionFlops(RankedTensorType qType, RankedTensorType kType, int64_t dv,
               bool causal, std::optional<ArrayRef<int64_t>> window) {
  std::optional<double> bh =
      product({qType.getDimSize(0), qType.getDimSize(1)});
  int64_t sq = qType.getDimSize(2), sk = kType.getDimSize(2);
  if (!bh || ShapedType::isDynamic(sq) || ShapedType::isDynamic(sk))
    return std::nullopt;
  return 2.0 * *bh * keptPairs(sq, sk, causal, window) *
         static_cast<double>(qType.getDimSize(3) + dv);
}

SmallVector<int64_t> SdpaOp::getExpectedResultShape() {
  RankedTensorType q = getQuery().getType();
  return {joinDims(q.getDimSize(0), getKey().getType().getDimSize(0)),
          q.getDimSize(1), q.getDimSize(2), getValue().getType().getDimSize(3)};
}

std::optional<double> SdpaOp::getFlopCount() {
  return attentionFlops(getQuery().getType(), getKey().getType(),
                        getValue().getType().getDimSize(3), getCausal(),
                        getWindow());
}

SmallVector<int64_t> ScoresOp::getExpectedResultShape() {
  RankedTensorType q = getQuery().getType();
  RankedTensorType k = getKey().getType();
  return {joinDims(q.getDimSize(0), k.getDimSize(0)), q.getDimSize(1),
          q.getDimSize(2), k.getDimSize(2)};
}

std::optional<double> ScoresOp::getFlopCount() {
  return attentionFlops(getQuery().getType(), getKey().getType(), 0,
                        getCausal(), getWindow());
}

SmallVector<int64_t> SoftmaxOp::getExpectedResultShape() {
  return llvm::to_vector(getInput().getType().getShape());
}

std::optional<double> SoftmaxOp::getFlopCount() {
  // Only contractions count, as in the attention FLOP formula. (A stage graph
  // counts weighted_sum over every key pair, since it cannot see the masks
  // that scores applied; without causal/window it matches attn.sdpa.)
  return 0.0;
}

SmallVector<int64_t> WeightedSumOp::getExpectedResultShape() {
  RankedTensorType p = getProbs().getType();
  RankedTensorType v = getValue().getType();
  return {joinDims(p.getDimSize(0), v.getDimSize(0)), p.getDimSize(1),
          p.getDimSize(2), v.getDimSize(3)};
}

std::optional<double> WeightedSumOp::getFlopCount() {
  std::optional<double> n = product(getProbs().getType().getShape());
  if (!n)
    return std::nullopt;
  return 2.0 * *n * static_cast<double>(getValue().getType().getDimSize(3));
}

SmallVector<int64_t> ProjectOp::getExpectedResultShape() {
  RankedTensorType x = getInput().getType();
  int64_t heads = getNumHeads();
  int64_t width = getWeight().getType().getDimSize(0);
  int64_t headDim = (heads > 0 && !ShapedType::isDynamic(width))
                        ? width / heads
                        : ShapedType::kDynamic;
  return {x.getDimSize(0), heads, x.getDimSize(1), headDim};
}

std::optional<double> ProjectOp::getFlopCount() {
  std::optional<double> n = product(getInput().getType().getShape());
  int64_t width = getWeight().getType().getDimSize(0);
  if (!n || ShapedType::isDynamic(width))
    return std::nullopt;
  return 2.0 * *n * static_cast<double>(width);
}

SmallVector<int64_t> OutputProjectOp::getExpectedResultShape() {
  RankedTensorType a = getInput().getType();
  return {a.getDimSize(0), a.getDimSize(2),
          getWeight().getType().getDimSize(0)};
}

std::optional<double> OutputProjectOp::getFlopCount() {
  std::optional<double> n = product(getInput().getType().getShape());
  int64_t embed = getWeight().getType().getDimSize(0);
  if (!n || ShapedType::isDynamic(embed))
    return std::nullopt;
  return 2.0 * *n * static_cast<double>(embed);
}

LogicalResult mlir::attn::checkIndexableShapes(Operation *op) {
  auto check = [&](Type type) {
    auto shaped = dyn_cast<ShapedType>(type);
    if (!shaped || !shaped.hasRank())
      return true;
    int64_t bytes = 8; // the widest element the lowerings index (f32 x 2)
    for (int64_t d : shaped.getShape()) {
      if (ShapedType::isDynamic(d))
        continue;
      std::optional<int64_t> product = llvm::checkedMul(bytes, d);
      if (!product)
        return false;
      bytes = *product;
    }
    return true;
  };
  for (Type t :
       llvm::concat<const Type>(op->getOperandTypes(), op->getResultTypes()))
    if (!check(t))
      return op->emitOpError("has a tensor too large to index with 64 bits: ")
             << t;
  return success();
}

//===----------------------------------------------------------------------===//
// Workspaces
//===----------------------------------------------------------------------===//

/// Workspace buffers are plain byte blocks: identity layout, default memory
/// space, elements of whole bytes.
static LogicalResult verifyWorkspaceType(Operation *op, MemRefType type) {
  if (!type.getLayout().isIdentity())
    return op->emitOpError("expects an identity-layout memref, got ") << type;
  if (type.getMemorySpace())
    return op->emitOpError("expects the default memory space, got ")
           << type.getMemorySpace();
  Type elt = type.getElementType();
  if (!elt.isIntOrFloat() || elt.getIntOrFloatBitWidth() % 8 != 0)
    return op->emitOpError(
               "expects integer or float elements of whole bytes, got ")
           << elt;
  return success();
}

LogicalResult WorkspaceAcquireOp::verify() {
  MemRefType type = getBuffer().getType();
  if (failed(verifyWorkspaceType(*this, type)))
    return failure();
  if (getDynamicSizes().size() !=
      static_cast<size_t>(type.getNumDynamicDims()))
    return emitOpError("expects one size per dynamic dimension (")
           << type.getNumDynamicDims() << "), got " << getDynamicSizes().size();
  return success();
}

LogicalResult WorkspaceReleaseOp::verify() {
  return verifyWorkspaceType(*this, getBuffer().getType());
}

#include "attn/IR/AttnInterfaces.cpp.inc"

#define GET_OP_CLASSES
#include "attn/IR/AttnOps.cpp.inc"
