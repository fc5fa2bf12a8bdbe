//===- Fuse.cpp - attention stages into attn.sdpa ---------------*- C++ -*-===//
//
// Part of the attn-mlir project.
//
//===----------------------------------------------------------------------===//

#include "attn/IR/AttnOps.h"
#include "attn/Transforms/Passes.h"
#include "attn/Transforms/Transforms.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace mlir {
namespace attn {
#define GEN_PASS_DEF_ATTNFUSEPASS
#include "attn/Transforms/Passes.h.inc"
} // namespace attn
} // namespace mlir

using namespace mlir;
using namespace mlir::attn;

/// The value of a splat floating-point constant, if `v` is one.
static std::optional<double> getSplatConstant(Value v) {
  Attribute attr;
  if (!matchPattern(v, m_Constant(&attr)))
    return std::nullopt;
  if (auto splat = dyn_cast<SplatElementsAttr>(attr))
    if (auto f = dyn_cast<FloatAttr>(splat.getSplatValue<Attribute>()))
      return f.getValueAsDouble();
  if (auto f = dyn_cast<FloatAttr>(attr))
    return f.getValueAsDouble();
  return std::nullopt;
}

/// Matches `x * c`, `c * x` or `x / c` with a finite, nonzero splat `c`;
/// returns `x` and the factor.
static std::optional<std::pair<Value, double>> matchRescale(Value v) {
  Operation *def = v.getDefiningOp();
  if (!def)
    return std::nullopt;
  std::optional<std::pair<Value, double>> result;
  if (auto mul = dyn_cast<arith::MulFOp>(def)) {
    if (std::optional<double> c = getSplatConstant(mul.getRhs()))
      result = {mul.getLhs(), *c};
    else if (std::optional<double> c = getSplatConstant(mul.getLhs()))
      result = {mul.getRhs(), *c};
  } else if (auto div = dyn_cast<arith::DivFOp>(def)) {
    if (std::optional<double> c = getSplatConstant(div.getRhs()))
      if (*c != 0.0)
        result = {div.getLhs(), 1.0 / *c};
  }
  if (!result || !std::isfinite(result->second) || result->second == 0.0)
    return std::nullopt;
  return result;
}

static bool fitsF32(double v) {
  return std::isfinite(v) && std::fabs(v) <= 3.4028234663852886e38;
}

namespace {

/// scores -> softmax -> weighted_sum  =>  sdpa.
struct FuseStageChain : OpRewritePattern<WeightedSumOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(WeightedSumOp op,
                                PatternRewriter &rewriter) const override {
    Value probs = op.getProbs();
    Operation *softmax = probs.getDefiningOp();
    if (!softmax)
      return rewriter.notifyMatchFailure(op, "probs are not a softmax");
    Value scoresValue;
    if (auto attnSoftmax = dyn_cast<SoftmaxOp>(softmax)) {
      scoresValue = attnSoftmax.getInput();
    } else if (auto linalgSoftmax = dyn_cast<linalg::SoftmaxOp>(softmax)) {
      if (linalgSoftmax.getDimension() != 3)
        return rewriter.notifyMatchFailure(
            op, "softmax is not over the key dimension");
      scoresValue = linalgSoftmax.getInput();
    } else {
      return rewriter.notifyMatchFailure(op, "probs are not a softmax");
    }
    auto scores = scoresValue.getDefiningOp<ScoresOp>();
    if (!scores)
      return rewriter.notifyMatchFailure(op, "softmax input is not scores");
    if (!probs.hasOneUse() || !scoresValue.hasOneUse())
      return rewriter.notifyMatchFailure(op, "intermediate has other uses");

    RankedTensorType qType = scores.getQuery().getType();
    RankedTensorType kType = scores.getKey().getType();
    RankedTensorType vType = op.getValue().getType();
    if (qType.getElementType() != vType.getElementType())
      return rewriter.notifyMatchFailure(op, "query and value types differ");
    // attn.sdpa reads k and v with one group size: their head counts must be
    // known to agree.
    if (kType.isDynamicDim(1) || kType.getDimSize(1) != vType.getDimSize(1))
      return rewriter.notifyMatchFailure(op, "key and value head counts "
                                             "may differ");
    RankedTensorType resultType = op.getResult().getType();
    if (resultType.getElementType() != qType.getElementType() &&
        !resultType.getElementType().isF32())
      return rewriter.notifyMatchFailure(op, "unsupported result type");

    rewriter.replaceOpWithNewOp<SdpaOp>(
        op, resultType, scores.getQuery(), scores.getKey(), op.getValue(),
        scores.getMask(), scores.getScaleAttr(), scores.getCausalAttr(),
        scores.getWindowAttr(), scores.getSoftcapAttr());
    return success();
  }
};

/// attn.scores/attn.sdpa of `q * c` => the same op of `q` with scale * c.
template <typename OpTy> struct FoldQueryRescale : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    std::optional<std::pair<Value, double>> rescale =
        matchRescale(op.getQuery());
    if (!rescale)
      return rewriter.notifyMatchFailure(op, "query is not rescaled");
    double scale = op.getEffectiveScale() * rescale->second;
    if (!fitsF32(scale))
      return rewriter.notifyMatchFailure(op, "folded scale overflows f32");
    rewriter.modifyOpInPlace(op, [&] {
      op.getQueryMutable().assign(rescale->first);
      op.setScaleAttr(rewriter.getF32FloatAttr(scale));
    });
    return success();
  }
};

/// `attn.scores * c` => attn.scores with scale * c, when the rescaling
/// commutes with everything the scores op applies after the dot product:
/// no softcap, no additive mask, and c > 0 so that -inf stays -inf.
struct FoldScoresRescale : OpRewritePattern<arith::MulFOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(arith::MulFOp op,
                                PatternRewriter &rewriter) const override {
    return fold(op, rewriter);
  }

  static LogicalResult fold(Operation *op, PatternRewriter &rewriter) {
    std::optional<std::pair<Value, double>> rescale =
        matchRescale(op->getResult(0));
    if (!rescale)
      return rewriter.notifyMatchFailure(op, "not a constant rescaling");
    auto scores = rescale->first.getDefiningOp<ScoresOp>();
    if (!scores || !scores->hasOneUse())
      return rewriter.notifyMatchFailure(op, "not a single-use attn.scores");
    if (scores.getSoftcapAttr())
      return rewriter.notifyMatchFailure(op, "softcap does not commute");
    if (Value mask = scores.getMask())
      if (!cast<RankedTensorType>(mask.getType()).getElementType().isInteger(1))
        return rewriter.notifyMatchFailure(op, "additive mask does not "
                                               "commute");
    if (rescale->second <= 0.0)
      return rewriter.notifyMatchFailure(op, "non-positive factor");
    double scale = scores.getEffectiveScale() * rescale->second;
    if (!fitsF32(scale))
      return rewriter.notifyMatchFailure(op, "folded scale overflows f32");
    auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
    rewriter.replaceOpWithNewOp<ScoresOp>(
        op, resultType, scores.getQuery(), scores.getKey(), scores.getMask(),
        rewriter.getF32FloatAttr(scale), scores.getCausalAttr(),
        scores.getWindowAttr(), scores.getSoftcapAttr());
    return success();
  }
};

struct FoldScoresDivide : OpRewritePattern<arith::DivFOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(arith::DivFOp op,
                                PatternRewriter &rewriter) const override {
    return FoldScoresRescale::fold(op, rewriter);
  }
};

struct AttnFusePass : attn::impl::AttnFusePassBase<AttnFusePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateAttnFusePatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void mlir::attn::populateAttnFusePatterns(RewritePatternSet &patterns) {
  patterns.add<FuseStageChain, FoldQueryRescale<ScoresOp>,
               FoldQueryRescale<SdpaOp>, FoldScoresRescale, FoldScoresDivide>(
      patterns.getContext());
}
