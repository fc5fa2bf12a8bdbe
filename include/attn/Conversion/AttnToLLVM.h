//===- AttnToLLVM.h - attn buffer ops to the LLVM dialect -------*- C++ -*-===//
//
// Part of the attn-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_CONVERSION_ATTNTOLLVM_H
#define ATTN_CONVERSION_ATTNTOLLVM_H

namespace mlir {
class DialectRegistry;
class LLVMTypeConverter;
class RewritePatternSet;
namespace attn {

/// Patterns lowering attn.workspace_acquire and attn.workspace_release to
/// calls of helpers emitted into the module (a block cache per acquire op,
/// freed by a module destructor).
void populateAttnWorkspaceToLLVMPatterns(const LLVMTypeConverter &converter,
                                         RewritePatternSet &patterns);

/// Lets `convert-to-llvm` lower the attn buffer ops.
void registerConvertAttnToLLVMInterface(DialectRegistry &registry);

} // namespace attn
} // namespace mlir

#endif // ATTN_CONVERSION_ATTNTOLLVM_H
