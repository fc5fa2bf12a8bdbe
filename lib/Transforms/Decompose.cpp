//===- Decompose.cpp - attn.sdpa into its stages ----------------*- C++ -*-===//
//
// Part of the attn-mlir project.
//
//===----------------------------------------------------------------------===//

#include "attn/IR/AttnOps.h"
#include "attn/Transforms/Passes.h"
#include "attn/Transforms/Transforms.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir {
namespace attn {
#define GEN_PASS_DEF_ATTNDECOMPOSEPASS
#define GEN_PASS_DEF_ATTNDECOMPOSEAGGREGATESPASS
#include "attn/Transforms/Passes.h.inc"
} // namespace attn
} // namespace mlir

using namespace mlir;
using namespace mlir::attn;

namespace {

/// attn.sdpa -> attn.scores (f32) -> attn.softmax (f32) -> attn.weighted_sum.
/// Keeping the intermediates in f32 preserves the accumulation precision of
/// the fused op for f16/bf16 inputs.
struct DecomposeSdpa : OpRewritePattern<SdpaOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(SdpaOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType qType = op.getQuery().getType();
    RankedTensorType kType = op.getKey().getType();
    auto scoresType =
        RankedTensorType::get({qType.getDimSize(0), qType.getDimSize(1),
                               qType.getDimSize(2), kType.getDimSize(2)},
                              rewriter.getF32Type());
    Value scores = ScoresOp::create(
        rewriter, loc, scoresType, op.getQuery(), op.getKey(), op.getMask(),
        rewriter.getF32FloatAttr(op.getEffectiveScale()), op.getCausalAttr(),
        op.getWindowAttr(), op.getSoftcapAttr());
    Value probs = SoftmaxOp::create(rewriter, loc, scoresType, scores);
    rewriter.replaceOpWithNewOp<WeightedSumOp>(op, op.getResult().getType(),
                                               probs, op.getValue());
    return success();
  }
};

struct AttnDecomposePass
    : attn::impl::AttnDecomposePassBase<AttnDecomposePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateAttnDecomposePatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

struct AttnDecomposeAggregatesPass
    : attn::impl::AttnDecomposeAggregatesPassBase<AttnDecomposeAggregatesPass> {
  void runOnOperation() override {
    SmallVector<linalg::AggregatedOpInterface> ops;
    getOperation()->walk(
        [&](linalg::AggregatedOpInterface op) { ops.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (linalg::AggregatedOpInterface op : ops) {
      rewriter.setInsertionPoint(op);
      FailureOr<SmallVector<Value>> results = op.decomposeOperation(rewriter);
      if (failed(results)) {
        op->emitOpError("could not be decomposed");
        return signalPassFailure();
      }
      rewriter.replaceOp(op, *results);
    }
  }
};

} // namespace

void mlir::attn::populateAttnDecomposePatterns(RewritePatternSet &patterns) {
  patterns.add<DecomposeSdpa>(patterns.getContext());
}
