//===- InitAll.h - register attn and upstream MLIR --------------*- C++ -*-===//
//
// Part of the attn-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Entry points for tools and for other compilers embedding attn-mlir.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_INITALL_H
#define ATTN_INITALL_H

namespace mlir {
class DialectRegistry;
namespace attn {

/// Registers the attn dialect only.
void registerAttnDialect(DialectRegistry &registry);

/// Registers the attn passes and pipelines only (for plugins loaded into a
/// tool that already registers upstream MLIR).
void registerAttnPassesAndPipelines();

/// Registers the attn dialect, every upstream dialect and every dialect
/// extension and interface model the attn pipelines rely on.
void registerAllDialects(DialectRegistry &registry);

/// Registers the attn passes and pipelines and every upstream pass.
void registerAllPasses();

} // namespace attn
} // namespace mlir

#endif // ATTN_INITALL_H
