//===- AttnToLinalg.cpp - attn to linalg on tensors -------------*- C++ -*-===//
//
// Part of the attn-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The reference lowering: every attn op becomes linalg.generic ops on tensors
// that materialize the intermediate scores. It defines the numerics that the
// optimized paths are tested against, so it favours clarity over speed:
// contractions accumulate in f32, the softmax recomputes exp instead of
// keeping it, and grouped-query heads are handled by viewing the query heads
// as [Hkv, H/Hkv] so that K and V are read in place.
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/Passes.h"
#include "attn/IR/AttnOps.h"
#include "attn/Transforms/Transforms.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/DialectConversion.h"

#include <limits>

namespace mlir {
namespace attn {
#define GEN_PASS_DEF_CONVERTATTNTOLINALGPASS
#include "attn/Conversion/Passes.h.inc"
} // namespace attn
} // namespace mlir

using namespace mlir;
using namespace mlir::attn;

using utils::IteratorType;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

static Value castToF32(OpBuilder &b, Location loc, Value v) {
  if (v.getType().isF32())
    return v;
  return arith::ExtFOp::create(b, loc, b.getF32Type(), v);
}

static Value castFromF32(OpBuilder &b, Location loc, Value v, Type to) {
  if (to.isF32())
    return v;
  return arith::TruncFOp::create(b, loc, to, v);
}

/// `v` as a value of `type`, through a tensor.cast that only forgets or adds
/// static shape information.
static Value castToType(OpBuilder &b, Location loc, Value v, Type type) {
  if (v.getType() == type)
    return v;
  return tensor::CastOp::create(b, loc, type, v);
}

/// The body of a contraction accumulating in f32: acc + ext(a) * ext(b).
static void yieldMulAdd(OpBuilder &b, Location loc, ValueRange args) {
  Value prod = arith::MulFOp::create(b, loc, castToF32(b, loc, args[0]),
                                     castToF32(b, loc, args[1]));
  Value sum = arith::AddFOp::create(b, loc, args[2], prod);
  linalg::YieldOp::create(b, loc, sum);
}

static Value f32Const(OpBuilder &b, Location loc, double v) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
}

static Value negInf(OpBuilder &b, Location loc) {
  return f32Const(b, loc, -std::numeric_limits<double>::infinity());
}

/// A tensor of `sizes` x f32 filled with `init`.
static Value filledF32(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
                       double init) {
  Value empty = tensor::EmptyOp::create(b, loc, sizes, b.getF32Type());
  return linalg::FillOp::create(b, loc, ValueRange{f32Const(b, loc, init)},
                                ValueRange{empty})
      .getResult(0);
}

/// Identity map over `rank` loops restricted to `dims`.
static AffineMap projection(MLIRContext *ctx, unsigned numLoops,
                            ArrayRef<unsigned> dims) {
  SmallVector<AffineExpr> exprs;
  for (unsigned d : dims)
    exprs.push_back(getAffineDimExpr(d, ctx));
  return AffineMap::get(numLoops, 0, exprs, ctx);
}

/// The map reading a `[B|1, H|1, Sq|1, Sk|1]` mask inside a 4-d loop nest:
/// size-1 dims read index 0, so broadcasting costs no copy.
static AffineMap broadcastMap(MLIRContext *ctx, RankedTensorType type) {
  SmallVector<AffineExpr> exprs;
  for (int64_t i = 0, e = type.getRank(); i < e; ++i)
    exprs.push_back(type.getDimSize(i) == 1 ? getAffineConstantExpr(0, ctx)
                                            : getAffineDimExpr(i, ctx));
  return AffineMap::get(type.getRank(), 0, exprs, ctx);
}

/// The group size G = H / Hkv, static when both head counts are.
static OpFoldResult groupSize(OpBuilder &b, Location loc, Value lhs, Value kv) {
  auto lType = cast<RankedTensorType>(lhs.getType());
  auto kvType = cast<RankedTensorType>(kv.getType());
  int64_t h = lType.getDimSize(1), hkv = kvType.getDimSize(1);
  if (!ShapedType::isDynamic(h) && !ShapedType::isDynamic(hkv))
    return b.getIndexAttr(h / hkv);
  Value hv = tensor::DimOp::create(b, loc, lhs, 1);
  Value hkvv = tensor::DimOp::create(b, loc, kv, 1);
  return arith::DivUIOp::create(b, loc, hv, hkvv).getResult();
}

/// Views `[B, H, S, X]` as `[B, Hkv, G, S, X]`: query head h = kh * G + g
/// reads key/value head kh.
static Value expandHeads(OpBuilder &b, Location loc, Value lhs, Value kv) {
  auto lType = cast<RankedTensorType>(lhs.getType());
  auto kvType = cast<RankedTensorType>(kv.getType());
  OpFoldResult g = groupSize(b, loc, lhs, kv);
  SmallVector<OpFoldResult> shape = {tensor::getMixedSize(b, loc, lhs, 0),
                                     tensor::getMixedSize(b, loc, kv, 1), g,
                                     tensor::getMixedSize(b, loc, lhs, 2),
                                     tensor::getMixedSize(b, loc, lhs, 3)};
  std::optional<int64_t> gStatic = getConstantIntValue(g);
  SmallVector<int64_t> staticShape = {lType.getDimSize(0), kvType.getDimSize(1),
                                      gStatic ? *gStatic : ShapedType::kDynamic,
                                      lType.getDimSize(2), lType.getDimSize(3)};
  auto type = RankedTensorType::get(staticShape, lType.getElementType());
  SmallVector<ReassociationIndices> reassoc = {{0}, {1, 2}, {3}, {4}};
  return tensor::ExpandShapeOp::create(b, loc, type, lhs, reassoc, shape);
}

/// Inverse of expandHeads on a 5-d result.
static Value collapseHeads(OpBuilder &b, Location loc, Value v) {
  SmallVector<ReassociationIndices> reassoc = {{0}, {1, 2}, {3}, {4}};
  return tensor::CollapseShapeOp::create(b, loc, v, reassoc);
}

/// Batched contraction over grouped heads, accumulated in f32:
///   out[b,h,i,x] = sum_r lhs[b,h,i,r] * rhs(b, h / G, x, r)
/// where `rhsTransposed` selects rhs[b,kh,x,r] (K in Q K^T) over
/// rhs[b,kh,r,x] (V in P V). Returns the [B, H, Sq, X] f32 result.
///
/// With a static kv head count the query heads are viewed as [Hkv, G] and the
/// rhs is read through an indexing map. A dynamic kv head count would need a
/// [?] -> [?, ?] reshape, which the memref lowering cannot express, so the rhs
/// is then read with tensor.extract at head h / G.
static Value groupedContraction(OpBuilder &b, Location loc, Value lhs,
                                Value rhs, bool rhsTransposed) {
  MLIRContext *ctx = b.getContext();
  auto rhsType = cast<RankedTensorType>(rhs.getType());
  OpFoldResult x = tensor::getMixedSize(b, loc, rhs, rhsTransposed ? 2 : 3);
  SmallVector<IteratorType> iters;

  if (ShapedType::isDynamic(rhsType.getDimSize(1))) {
    OpFoldResult g = groupSize(b, loc, lhs, rhs);
    Value group = getValueOrCreateConstantIndexOp(b, loc, g);
    SmallVector<OpFoldResult> outShape = {tensor::getMixedSize(b, loc, lhs, 0),
                                          tensor::getMixedSize(b, loc, lhs, 1),
                                          tensor::getMixedSize(b, loc, lhs, 2),
                                          x};
    Value init = filledF32(b, loc, outShape, 0.0);
    // Loops: (b, h, i, x, r).
    SmallVector<AffineMap> maps = {projection(ctx, 5, {0, 1, 2, 4}),
                                   projection(ctx, 5, {0, 1, 2, 3})};
    iters.assign(4, IteratorType::parallel);
    iters.push_back(IteratorType::reduction);
    auto generic = linalg::GenericOp::create(
        b, loc, init.getType(), ValueRange{lhs}, ValueRange{init}, maps, iters,
        [&](OpBuilder &nb, Location nl, ValueRange args) {
          Value bi = linalg::IndexOp::create(nb, nl, 0);
          Value hi = linalg::IndexOp::create(nb, nl, 1);
          Value xi = linalg::IndexOp::create(nb, nl, 3);
          Value ri = linalg::IndexOp::create(nb, nl, 4);
          Value kh = arith::DivUIOp::create(nb, nl, hi, group);
          SmallVector<Value> idx = {bi, kh, rhsTransposed ? xi : ri,
                                    rhsTransposed ? ri : xi};
          Value r = tensor::ExtractOp::create(nb, nl, rhs, idx);
          yieldMulAdd(nb, nl, ValueRange{args[0], r, args[1]});
        });
    return generic.getResult(0);
  }

  Value lhs5 = expandHeads(b, loc, lhs, rhs);
  SmallVector<OpFoldResult> outShape = {tensor::getMixedSize(b, loc, lhs5, 0),
                                        tensor::getMixedSize(b, loc, lhs5, 1),
                                        tensor::getMixedSize(b, loc, lhs5, 2),
                                        tensor::getMixedSize(b, loc, lhs5, 3),
                                        x};
  Value init = filledF32(b, loc, outShape, 0.0);
  // Loops: (b, kh, g, i, x, r).
  SmallVector<AffineMap> maps = {projection(ctx, 6, {0, 1, 2, 3, 5}),
                                 rhsTransposed
                                     ? projection(ctx, 6, {0, 1, 4, 5})
                                     : projection(ctx, 6, {0, 1, 5, 4}),
                                 projection(ctx, 6, {0, 1, 2, 3, 4})};
  iters.assign(5, IteratorType::parallel);
  iters.push_back(IteratorType::reduction);
  auto generic =
      linalg::GenericOp::create(b, loc, init.getType(), ValueRange{lhs5, rhs},
                                ValueRange{init}, maps, iters, yieldMulAdd);
  return collapseHeads(b, loc, generic.getResult(0));
}

/// Adds an optional bias (read through `biasMap`) to the f32 accumulator and
/// converts it to the element type of `resultType`.
static Value epilogue(OpBuilder &b, Location loc, Value acc,
                      RankedTensorType resultType, Value bias,
                      AffineMap biasMap) {
  if (!bias && resultType.getElementType().isF32())
    return acc;
  MLIRContext *ctx = b.getContext();
  unsigned rank = resultType.getRank();
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, acc);
  Value out =
      tensor::EmptyOp::create(b, loc, sizes, resultType.getElementType());
  SmallVector<Value> inputs = {acc};
  SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(rank, ctx)};
  if (bias) {
    inputs.push_back(bias);
    maps.push_back(biasMap);
  }
  maps.push_back(AffineMap::getMultiDimIdentityMap(rank, ctx));
  SmallVector<IteratorType> iters(rank, IteratorType::parallel);
  Type elt = resultType.getElementType();
  auto generic = linalg::GenericOp::create(
      b, loc, out.getType(), inputs, ValueRange{out}, maps, iters,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value v = args[0];
        if (bias)
          v = arith::AddFOp::create(nb, nl, v, castToF32(nb, nl, args[1]));
        linalg::YieldOp::create(nb, nl, castFromF32(nb, nl, v, elt));
      });
  return castToType(b, loc, generic.getResult(0), resultType);
}

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

namespace {

struct ScoresToLinalg : OpRewritePattern<ScoresOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ScoresOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = getContext();
    Value q = op.getQuery(), k = op.getKey(), mask = op.getMask();
    RankedTensorType resultType = op.getResult().getType();

    // S = Q @ K^T, in f32.
    Value raw = groupedContraction(rewriter, loc, q, k, /*rhsTransposed=*/true);

    // Scale, softcap, mask, causal and window, elementwise.
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(rewriter, loc, raw);
    Type elt = resultType.getElementType();
    Value out = tensor::EmptyOp::create(rewriter, loc, sizes, elt);
    SmallVector<Value> inputs = {raw};
    SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(4, ctx)};
    if (mask) {
      inputs.push_back(mask);
      maps.push_back(broadcastMap(ctx, cast<RankedTensorType>(mask.getType())));
    }
    maps.push_back(AffineMap::getMultiDimIdentityMap(4, ctx));

    std::optional<ArrayRef<int64_t>> window = op.getWindow();
    bool positional = op.getCausal() || window.has_value();
    // Bottom-right alignment: query i sees key j when j - i <= Sk - Sq.
    Value offset;
    if (positional) {
      Value sq = tensor::DimOp::create(rewriter, loc, q, 2);
      Value sk = tensor::DimOp::create(rewriter, loc, k, 2);
      offset = arith::SubIOp::create(rewriter, loc, sk, sq);
    }
    float scale = op.getEffectiveScale();
    std::optional<float> softcap;
    if (FloatAttr attr = op.getSoftcapAttr())
      softcap = static_cast<float>(attr.getValueAsDouble());
    bool causal = op.getCausal();
    bool boolMask =
        mask &&
        cast<RankedTensorType>(mask.getType()).getElementType().isInteger(1);

    auto generic = linalg::GenericOp::create(
        rewriter, loc, out.getType(), inputs, ValueRange{out}, maps,
        SmallVector<IteratorType>(4, IteratorType::parallel),
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value s = arith::MulFOp::create(b, l, args[0], f32Const(b, l, scale));
          if (softcap) {
            Value c = f32Const(b, l, *softcap);
            Value t =
                math::TanhOp::create(b, l, arith::DivFOp::create(b, l, s, c));
            s = arith::MulFOp::create(b, l, t, c);
          }
          if (mask) {
            if (boolMask)
              s = arith::SelectOp::create(b, l, args[1], s, negInf(b, l));
            else
              s = arith::AddFOp::create(b, l, s, castToF32(b, l, args[1]));
          }
          if (positional) {
            Value i = linalg::IndexOp::create(b, l, 2);
            Value j = linalg::IndexOp::create(b, l, 3);
            // diag = (j - i) - (Sk - Sq): 0 on the aligned diagonal.
            Value diag = arith::SubIOp::create(
                b, l, arith::SubIOp::create(b, l, j, i), offset);
            Value keep = arith::ConstantOp::create(b, l, b.getBoolAttr(true));
            auto andCmp = [&](arith::CmpIPredicate pred, int64_t bound) {
              Value cmp = arith::CmpIOp::create(
                  b, l, pred, diag,
                  arith::ConstantIndexOp::create(b, l, bound));
              keep = arith::AndIOp::create(b, l, keep, cmp);
            };
            if (causal)
              andCmp(arith::CmpIPredicate::sle, 0);
            if (window) {
              andCmp(arith::CmpIPredicate::sge, -(*window)[0]);
              andCmp(arith::CmpIPredicate::sle, (*window)[1]);
            }
            s = arith::SelectOp::create(b, l, keep, s, negInf(b, l));
          }
          linalg::YieldOp::create(b, l, castFromF32(b, l, s, elt));
        });
    rewriter.replaceOp(
        op, castToType(rewriter, loc, generic.getResult(0), resultType));
    return success();
  }
};

struct SoftmaxToLinalg : OpRewritePattern<SoftmaxOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(SoftmaxOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = getContext();
    Value x = op.getInput();
    RankedTensorType resultType = op.getResult().getType();
    unsigned rank = resultType.getRank();
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(rewriter, loc, x);
    SmallVector<OpFoldResult> rowSizes(sizes.begin(), sizes.end() - 1);

    AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
    AffineMap row = id.getMajorSubMap(rank - 1);
    SmallVector<IteratorType> reduceIters(rank, IteratorType::parallel);
    reduceIters.back() = IteratorType::reduction;
    SmallVector<IteratorType> parIters(rank, IteratorType::parallel);

    // A row of -inf has max -inf; shifting it by 0 instead gives exp() = 0
    // and a zero sum rather than NaN.
    auto safeMax = [](OpBuilder &b, Location l, Value m) {
      Value isEmpty = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ, m,
                                            negInf(b, l));
      return arith::SelectOp::create(b, l, isEmpty, f32Const(b, l, 0.0), m);
    };

    // m = max_j x.
    Value maxInit = filledF32(rewriter, loc, rowSizes,
                              -std::numeric_limits<double>::infinity());
    Value max =
        linalg::GenericOp::create(
            rewriter, loc, maxInit.getType(), ValueRange{x},
            ValueRange{maxInit}, ArrayRef<AffineMap>{id, row}, reduceIters,
            [](OpBuilder &b, Location l, ValueRange args) {
              Value m = arith::MaximumFOp::create(
                  b, l, castToF32(b, l, args[0]), args[1]);
              linalg::YieldOp::create(b, l, m);
            })
            .getResult(0);

    // l = sum_j exp(x - m).
    Value sumInit = filledF32(rewriter, loc, rowSizes, 0.0);
    Value sum =
        linalg::GenericOp::create(
            rewriter, loc, sumInit.getType(), ValueRange{x, max},
            ValueRange{sumInit}, ArrayRef<AffineMap>{id, row, row}, reduceIters,
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value e = math::ExpOp::create(
                  b, l,
                  arith::SubFOp::create(b, l, castToF32(b, l, args[0]),
                                        safeMax(b, l, args[1])));
              Value sum = arith::AddFOp::create(b, l, args[2], e);
              linalg::YieldOp::create(b, l, sum);
            })
            .getResult(0);

    // p = exp(x - m) / l, and 0 where l == 0.
    Type elt = resultType.getElementType();
    Value out = tensor::EmptyOp::create(rewriter, loc, sizes, elt);
    Value p =
        linalg::GenericOp::create(
            rewriter, loc, out.getType(), ValueRange{x, max, sum},
            ValueRange{out}, ArrayRef<AffineMap>{id, row, row, id}, parIters,
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value e = math::ExpOp::create(
                  b, l,
                  arith::SubFOp::create(b, l, castToF32(b, l, args[0]),
                                        safeMax(b, l, args[1])));
              Value zero = f32Const(b, l, 0.0);
              Value isEmpty = arith::CmpFOp::create(
                  b, l, arith::CmpFPredicate::OEQ, args[2], zero);
              Value inv = arith::SelectOp::create(
                  b, l, isEmpty, zero,
                  arith::DivFOp::create(b, l, f32Const(b, l, 1.0), args[2]));
              Value v = arith::MulFOp::create(b, l, e, inv);
              linalg::YieldOp::create(b, l, castFromF32(b, l, v, elt));
            })
            .getResult(0);
    rewriter.replaceOp(op, castToType(rewriter, loc, p, resultType));
    return success();
  }
};

struct WeightedSumToLinalg : OpRewritePattern<WeightedSumOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(WeightedSumOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    // O = P @ V, in f32.
    Value acc = groupedContraction(rewriter, loc, op.getProbs(), op.getValue(),
                                   /*rhsTransposed=*/false);
    rewriter.replaceOp(op, epilogue(rewriter, loc, acc,
                                    op.getResult().getType(), nullptr, {}));
    return success();
  }
};

struct ProjectToLinalg : OpRewritePattern<ProjectOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ProjectOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = getContext();
    Value x = op.getInput(), w = op.getWeight(), bias = op.getBias();
    auto wType = cast<RankedTensorType>(w.getType());
    int64_t heads = op.getNumHeads();
    int64_t headDim = wType.getDimSize(0) / heads;

    // w: [H*D, E] -> [H, D, E]; bias: [H*D] -> [H, D].
    OpFoldResult e = tensor::getMixedSize(rewriter, loc, w, 1);
    Value w3 = tensor::ExpandShapeOp::create(
        rewriter, loc,
        RankedTensorType::get({heads, headDim, wType.getDimSize(1)},
                              wType.getElementType()),
        w, SmallVector<ReassociationIndices>{{0, 1}, {2}},
        SmallVector<OpFoldResult>{rewriter.getIndexAttr(heads),
                                  rewriter.getIndexAttr(headDim), e});
    if (bias)
      bias = tensor::ExpandShapeOp::create(
          rewriter, loc,
          RankedTensorType::get({heads, headDim}, wType.getElementType()), bias,
          SmallVector<ReassociationIndices>{{0, 1}},
          SmallVector<OpFoldResult>{rewriter.getIndexAttr(heads),
                                    rewriter.getIndexAttr(headDim)});

    // y[b,h,s,d] = sum_e x[b,s,e] * w[h,d,e]. Loops: (b, h, s, d, e).
    SmallVector<OpFoldResult> outShape = {
        tensor::getMixedSize(rewriter, loc, x, 0), rewriter.getIndexAttr(heads),
        tensor::getMixedSize(rewriter, loc, x, 1),
        rewriter.getIndexAttr(headDim)};
    Value init = filledF32(rewriter, loc, outShape, 0.0);
    SmallVector<AffineMap> maps = {projection(ctx, 5, {0, 2, 4}),
                                   projection(ctx, 5, {1, 3, 4}),
                                   projection(ctx, 5, {0, 1, 2, 3})};
    SmallVector<IteratorType> iters(4, IteratorType::parallel);
    iters.push_back(IteratorType::reduction);
    Value acc = linalg::GenericOp::create(rewriter, loc, init.getType(),
                                          ValueRange{x, w3}, ValueRange{init},
                                          maps, iters, yieldMulAdd)
                    .getResult(0);
    rewriter.replaceOp(op,
                       epilogue(rewriter, loc, acc, op.getResult().getType(),
                                bias, projection(ctx, 4, {1, 3})));
    return success();
  }
};

struct OutputProjectToLinalg : OpRewritePattern<OutputProjectOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(OutputProjectOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = getContext();
    Value a = op.getInput(), w = op.getWeight(), bias = op.getBias();
    auto aType = cast<RankedTensorType>(a.getType());
    auto wType = cast<RankedTensorType>(w.getType());
    int64_t headDim = aType.getDimSize(3);

    // w: [E, H*D] -> [E, H, D].
    OpFoldResult e = tensor::getMixedSize(rewriter, loc, w, 0);
    OpFoldResult h = tensor::getMixedSize(rewriter, loc, a, 1);
    Value w3 = tensor::ExpandShapeOp::create(
        rewriter, loc,
        RankedTensorType::get(
            {wType.getDimSize(0), aType.getDimSize(1), headDim},
            wType.getElementType()),
        w, SmallVector<ReassociationIndices>{{0}, {1, 2}},
        SmallVector<OpFoldResult>{e, h, rewriter.getIndexAttr(headDim)});

    // y[b,s,e] = sum_{h,d} a[b,h,s,d] * w[e,h,d]. Loops: (b, s, e, h, d).
    SmallVector<OpFoldResult> outShape = {
        tensor::getMixedSize(rewriter, loc, a, 0),
        tensor::getMixedSize(rewriter, loc, a, 2), e};
    Value init = filledF32(rewriter, loc, outShape, 0.0);
    SmallVector<AffineMap> maps = {projection(ctx, 5, {0, 3, 1, 4}),
                                   projection(ctx, 5, {2, 3, 4}),
                                   projection(ctx, 5, {0, 1, 2})};
    SmallVector<IteratorType> iters(3, IteratorType::parallel);
    iters.append(2, IteratorType::reduction);
    Value acc = linalg::GenericOp::create(rewriter, loc, init.getType(),
                                          ValueRange{a, w3}, ValueRange{init},
                                          maps, iters, yieldMulAdd)
                    .getResult(0);
    rewriter.replaceOp(op,
                       epilogue(rewriter, loc, acc, op.getResult().getType(),
                                bias, projection(ctx, 3, {2})));
    return success();
  }
};

struct ConvertAttnToLinalgPass
    : attn::impl::ConvertAttnToLinalgPassBase<ConvertAttnToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    WalkResult tooLarge = getOperation()->walk([](Operation *op) {
      if (isa<AttnDialect>(op->getDialect()) &&
          failed(checkIndexableShapes(op)))
        return WalkResult::interrupt();
      return WalkResult::advance();
    });
    if (tooLarge.wasInterrupted())
      return signalPassFailure();
    ConversionTarget target(*ctx);
    target.addIllegalDialect<AttnDialect>();
    // Buffer-level ops of kernels built before this pass.
    target.addLegalOp<WorkspaceAcquireOp, WorkspaceReleaseOp>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    RewritePatternSet patterns(ctx);
    populateAttnDecomposePatterns(patterns);
    populateAttnToLinalgConversionPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void mlir::attn::populateAttnToLinalgConversionPatterns(
    RewritePatternSet &patterns) {
  patterns.add<ScoresToLinalg, SoftmaxToLinalg, WeightedSumToLinalg,
               ProjectToLinalg, OutputProjectToLinalg>(patterns.getContext());
}
