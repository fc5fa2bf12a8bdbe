//===- Transforms.h - attn rewrite patterns ---------------------*- C++ -*-===//
//
// Part of the attn-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_TRANSFORMS_TRANSFORMS_H
#define ATTN_TRANSFORMS_TRANSFORMS_H

namespace mlir {
class RewritePatternSet;
namespace attn {

/// attn.sdpa -> attn.scores + attn.softmax + attn.weighted_sum.
void populateAttnDecomposePatterns(RewritePatternSet &patterns);

/// Stage chains -> attn.sdpa, and constant rescaling folded into `scale`.
void populateAttnFusePatterns(RewritePatternSet &patterns);

} // namespace attn
} // namespace mlir

#endif // ATTN_TRANSFORMS_TRANSFORMS_H
