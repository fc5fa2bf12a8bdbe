//===- InputLimits.h - limits checked before parsing ------------*- C++ -*-===//
//
// Part of the attn-mlir project.
//
//===----------------------------------------------------------------------===//
//
// MLIR's parser recurses once per nested region, operand or type bracket:
// input nested a few thousand levels deep overflows the stack and kills the
// process. The tools check the nesting of their input before parsing it and
// reject what is deeper than any real program with a diagnostic instead.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_SUPPORT_INPUTLIMITS_H
#define ATTN_SUPPORT_INPUTLIMITS_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

namespace mlir {
namespace attn {

/// Deepest bracket nesting ((), [], {}, <>) accepted in textual IR.
constexpr unsigned kMaxNestingDepth = 1000;

/// Fails with "NAME:LINE:COL: nesting deeper than ..." when `text` nests
/// brackets deeper than `limit`, outside string literals and comments.
llvm::Error checkNestingDepth(llvm::StringRef text, llvm::StringRef name,
                              unsigned limit = kMaxNestingDepth);

} // namespace attn
} // namespace mlir

#endif // ATTN_SUPPORT_INPUTLIMITS_H
