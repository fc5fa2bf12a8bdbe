//===- IndexBuilder.h - index arithmetic helpers ----------------*- C++ -*-===//
//
// Part of the attn-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Index arithmetic at a fixed location and the cache-line size, shared by
// the kernels that the CPU passes write directly in scf/vector/memref
// (flash, AMX, matmul).
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_LIB_TRANSFORMS_INDEXBUILDER_H
#define ATTN_LIB_TRANSFORMS_INDEXBUILDER_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"

namespace mlir {
namespace attn {

/// The kernels' packed buffers start on a cache line, so that no vector load
/// (or AMX tile row, 64 bytes) straddles two.
constexpr int64_t kCacheLineBytes = 64;

/// Builds index arithmetic at a fixed location.
struct IndexBuilder {
  IndexBuilder(OpBuilder &b, Location loc) : b(b), loc(loc) {}

  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value minIdx(Value x, Value y) {
    return arith::MinSIOp::create(b, loc, x, y);
  }
  Value maxIdx(Value x, Value y) {
    return arith::MaxSIOp::create(b, loc, x, y);
  }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return arith::SubIOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }
  Value cmp(arith::CmpIPredicate pred, Value x, Value y) {
    return arith::CmpIOp::create(b, loc, pred, x, y);
  }
  /// An scf.for over [lb, ub) without loop-carried values; `body` gets the
  /// induction variable and builds at the insertion point.
  void forLoop(Value lb, Value ub, int64_t step,
               function_ref<void(Value)> body) {
    scf::ForOp::create(b, loc, lb, ub, idx(step), ValueRange{},
                       [&](OpBuilder &, Location, Value iv, ValueRange) {
                         body(iv);
                         scf::YieldOp::create(b, loc);
                       });
  }

  OpBuilder &b;
  Location loc;
};

} // namespace attn
} // namespace mlir

#endif // ATTN_LIB_TRANSFORMS_INDEXBUILDER_H
