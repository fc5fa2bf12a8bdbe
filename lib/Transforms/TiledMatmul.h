//===- TiledMatmul.h - register-blocked CPU matmul kernel -------*- C++ -*-===//
//
// Part of the attn-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The one matmul micro-kernel of the CPU pipeline, shared by the projections
// (attn.project, attn.output_project) and by upstream linalg contractions:
//
//   C(t, m, n) = bias(n) + sum_k A(t, m, k) B(t, k, n)
//
// over independent problems t. B is packed once per problem (or once for all
// when it does not depend on t) as Bp[t][k][n], f32, n padded to whole tiles,
// and A as Ap[t][row tile][k][row] unless it can be read in place; parallel
// tasks then compute tiles of 6 (12 with 16 lanes) rows x 2 vectors, one
// broadcast of A per row and two loads of Bp per k. Operand access is left to
// callbacks so that each caller reads and writes its own layouts directly.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_LIB_TRANSFORMS_TILEDMATMUL_H
#define ATTN_LIB_TRANSFORMS_TILEDMATMUL_H

#include "mlir/IR/Builders.h"
#include "llvm/ADT/STLFunctionalExtras.h"

namespace mlir {
namespace attn {

struct TiledMatmul {
  /// f32 lanes per vector.
  int64_t vectorWidth = 8;
  /// Extents (index values): problems t, rows m, columns n.
  Value problems, rows, cols;
  /// Extents of the reduction, iterated as nested loops; k is their
  /// row-major linearization.
  SmallVector<Value> depth;
  /// B(t, k, n) is the same for every t: pack it once.
  bool sharedB = false;
  /// A(t, row, k) is f32 with k contiguous: with a single depth loop, the
  /// tiles broadcast straight from it instead of from a packed copy (which
  /// costs more than it saves, measured: 4096x512x512 at 2 threads 5.70 ->
  /// 5.43 ms).
  bool directA = false;
  /// Values computed once per row of a tile (e.g. the row's delinearized
  /// indices); passed back to loadA and store.
  function_ref<SmallVector<Value>(OpBuilder &, Location, Value t, Value row)>
      rowIndices;
  /// A(t, row, k) as a scalar float; `k` holds one index per depth loop.
  function_ref<Value(OpBuilder &, Location, ArrayRef<Value> row, ValueRange k)>
      loadA;
  /// B(t, k, n) as a scalar float, k linearized.
  function_ref<Value(OpBuilder &, Location, Value t, Value k, Value n)> loadB;
  /// Optional bias(n), a scalar float.
  function_ref<Value(OpBuilder &, Location, Value n)> loadBias;
  /// Stores the f32 result `v` at column `n` of a row. With `vectorStores`,
  /// `v` is a vector of vectorWidth columns, and `mask` (when not null) says
  /// which are in range; without, `v` is a scalar.
  function_ref<void(OpBuilder &, Location, ArrayRef<Value> row, Value n,
                    Value v, Value mask)>
      store;
  bool vectorStores = true;
};

/// A read-only identity-layout buffer of tensor `t` (the kernels' operands).
Value toReadOnlyBuffer(OpBuilder &b, Location loc, Value t);

/// Emits the kernel at the builder's insertion point (on buffers).
void emitTiledMatmul(OpBuilder &b, Location loc, const TiledMatmul &spec);

} // namespace attn
} // namespace mlir

#endif // ATTN_LIB_TRANSFORMS_TILEDMATMUL_H
