//===- AttnInterfaces.h - attn op interfaces --------------------*- C++ -*-===//
//
// Part of the attn-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_IR_ATTNINTERFACES_H
#define ATTN_IR_ATTNINTERFACES_H

#include "mlir/IR/OpDefinition.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>

#include "attn/IR/AttnInterfaces.h.inc"

#endif // ATTN_IR_ATTNINTERFACES_H
