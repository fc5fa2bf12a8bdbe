//===- InputLimits.h - limits checked before parsing ------------*- C++ -*-===//
//
// Part of the attn-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Textual IR that crashes MLIR 22's parser instead of failing to parse is
// rejected before parsing, with a located diagnostic:
// - nesting: the parser recurses once per nested region, operand or type
//   bracket, and input nested a few thousand levels deep overflows the stack;
// - anything but an integer list after `permutation =` or `dimensions =` (the
//   custom syntax of linalg.transpose and linalg.broadcast), which the
//   upstream parsers turn into a null attribute and dereference (found by
//   tools/attn-fuzz).
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

/// Fails with "NAME:LINE:COL: ..." when `text` nests brackets deeper than
/// `limit` (outside string literals and comments) or holds a malformed
/// `permutation`/`dimensions` list.
llvm::Error checkInputLimits(llvm::StringRef text, llvm::StringRef name,
                             unsigned limit = kMaxNestingDepth);

} // namespace attn
} // namespace mlir

#endif // ATTN_SUPPORT_INPUTLIMITS_H
