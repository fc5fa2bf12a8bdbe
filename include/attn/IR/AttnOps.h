//===- AttnOps.h - attn dialect operations ----------------------*- C++ -*-===//
//
// Part of the attn-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_IR_ATTNOPS_H
#define ATTN_IR_ATTNOPS_H

#include "attn/IR/AttnDialect.h"
#include "attn/IR/AttnInterfaces.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir {
namespace attn {

/// What `attn.workspace_acquire` and `attn.workspace_release` act on: the
/// blocks each acquire op keeps between calls.
struct WorkspaceResource
    : public SideEffects::Resource::Base<WorkspaceResource> {
  StringRef getName() final { return "attn::Workspace"; }
};

} // namespace attn
} // namespace mlir

#define GET_OP_CLASSES
#include "attn/IR/AttnOps.h.inc"

namespace mlir {
namespace attn {

/// Fails, with an error on `op`, when one of its tensors has more elements
/// (or bytes) than a 64-bit index can address. Lowerings call it before
/// emitting index arithmetic.
LogicalResult checkIndexableShapes(Operation *op);

} // namespace attn
} // namespace mlir

#endif // ATTN_IR_ATTNOPS_H
