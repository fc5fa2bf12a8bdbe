//===- FlashCommon.h - pieces shared by the flash kernels -------*- C++ -*-===//
//
// Part of the attn-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Index helpers and the key-range and mask-bound logic shared by the vector
// (FMA) and AMX flash kernels of --attn-flash.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_LIB_TRANSFORMS_FLASHCOMMON_H
#define ATTN_LIB_TRANSFORMS_FLASHCOMMON_H

#include "IndexBuilder.h"
#include "attn/IR/AttnOps.h"
#include "attn/Transforms/Transforms.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Builders.h"

namespace mlir {
namespace attn {
namespace flash {

/// What both kernels start from: read-only buffers of the operands, the
/// result buffer and the sizes. A block's rows are (query head, query)
/// pairs of one key/value head, row = g * Sq + i for query head
/// kvHead * G + g: grouped-query heads share the block, and so every K and V
/// load.
struct SdpaKernelBase : IndexBuilder {
  SdpaKernelBase(OpBuilder &b, Location loc, SdpaOp op, int64_t lanes,
                 bool workspaces)
      : IndexBuilder(b, loc), op(op), f32(b.getF32Type()),
        vecType(VectorType::get({lanes}, f32)), workspaces(workspaces) {}

  Value f32Const(double v) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  }
  /// A vector of `lanes` f32 equal to `v`.
  Value splat(double v) {
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(vecType, b.getF32FloatAttr(v)));
  }

  /// Binds the buffers and sizes at the insertion point and allocates the
  /// result.
  void bindOperands();
  /// The result tensor of the filled result buffer: the op's result, or that
  /// of its fused transpose (see replaceSdpa).
  Value resultTensor();
  /// Emits `body` in a memref.alloca_scope: the stack scratch of a task is
  /// released when the task ends.
  void inAllocaScope(function_ref<void()> body);
  /// The (query head, query index) of a row of kv head `kvHead`.
  std::pair<Value, Value> rowToHeadQuery(Value row);
  /// Per-task scratch on the stack (see inAllocaScope), starting on a cache
  /// line: a vector access at a multiple of its size then never straddles
  /// two lines, whatever the stack pointer's alignment when the task starts.
  Value stackScratch(ArrayRef<int64_t> shape, Type elt);
  /// Per-call scratch on the heap, 64-byte aligned: an
  /// attn.workspace_acquire, kept between calls, when `workspaces` is set,
  /// else a memref.alloc that the deallocation passes free.
  Value allocScratch(MemRefType type, ValueRange dynamicSizes);
  /// Releases the workspaces of allocScratch; after their last use.
  void releaseScratch();
  /// buffer[i] as a memref of one rank less.
  Value sliceOf(Value buffer, Value i);

  SdpaOp op;
  Type f32;
  VectorType vecType;
  /// Operand and result buffers as [B, H, S, D] (possibly strided views).
  Value qm, km, vm, maskm, om;
  /// The allocated result and its tensor type.
  Value resultBuffer;
  RankedTensorType resultType;
  Value batch, kvHeads, sq, sk, group, offset, rows;
  // Per task.
  Value bIdx, kvHead;
  /// Whether allocScratch takes workspaces; those it took.
  bool workspaces;
  SmallVector<Value> acquired;
};

/// log2(e): scores are scaled by it so that the softmax runs on exp2.
inline constexpr double kLog2e = 1.4426950408889634;

/// Coefficients of 2^f on [0, 1), lowest degree first: a cubic (relative
/// error < 8e-5, for bf16 probabilities) and a quintic (< 1e-7, f32).
inline constexpr float kExp2Cubic[] = {0.99992514f, 0.69583398f, 0.22606707f,
                                       0.07802403f};
inline constexpr float kExp2Quintic[] = {0.99999994f, 0.69315308f, 0.24015358f,
                                         0.05582637f, 0.00898933f, 0.00187756f};

/// 2^t for an f32 vector t <= 0: 2^floor(t) times a polynomial of the
/// fraction. Exactly 0 for t < -126 (and -inf), which masked scores need, and
/// never subnormal. With `avx512` (a target with AVX-512F) and 16 lanes,
/// 2^floor(t) is applied by one masked `vscalefps` instead of being built
/// from exponent bits: 9 instructions instead of 12 per vector.
Value exp2(OpBuilder &b, Location loc, Value t, ArrayRef<float> coefficients,
           bool avx512);

/// The transpose of N vectors of N lanes (N a power of two): result[i][j] =
/// rows[j][i], in log2(N) stages of two vector.shuffle per pair of vectors
/// (blocks exchanged across the diagonal, halving each stage).
SmallVector<Value> transposeLanes(OpBuilder &b, Location loc,
                                  ArrayRef<Value> rows);

/// The transpose (innermost dim kept) that is the only use of `op`'s result,
/// if any: the kernels write their result in its layout.
linalg::TransposeOp getFusedResultTranspose(SdpaOp op);

/// Replaces `op` (or its fused result transpose) by a kernel's result
/// tensor, and erases them.
void replaceSdpa(SdpaOp op, Value result);

/// Rows (query head, query pairs) per kv head, H / Hkv * Sq, when the dims it
/// needs are static and Hkv is non-zero.
std::optional<int64_t> getStaticRowsPerKvHead(SdpaOp op);

/// Key j is kept for query i when lo <= j - i - (Sk - Sq) <= hi (causal and
/// window bounds; INT32 extremes when unbounded).
std::pair<int64_t, int64_t> getDiagonalBounds(SdpaOp op);

/// The smallest and largest query index among the rows [q0, q0 + nq) of a
/// block, rows being (head, query) pairs: exact within one head, all
/// queries when the block spans two.
std::pair<Value, Value> getQueryRange(IndexBuilder &ib, Value q0, Value nq,
                                      Value sq);

/// The key range [start, end) that any query in [iMin, iMax] keeps under the
/// op's causal/window masks (bottom-right aligned, offset = Sk - Sq).
std::pair<Value, Value> getKeyRange(IndexBuilder &ib, SdpaOp op, Value iMin,
                                    Value iMax, Value offset, Value sk);

/// The keys [from, to) of the key block [j0, j0 + nk), relative to j0,
/// that the rows [r0, r0 + count) (count >= 1) keep under the op's causal and
/// window masks: what a register tile over those rows needs of the block.
std::pair<Value, Value> getBlockKeysOfRows(IndexBuilder &ib, SdpaOp op,
                                           Value r0, Value count, Value j0,
                                           Value nk, Value sq, Value offset,
                                           Value sk);

/// How the bf16 kernel of FlashAmx.cpp computes its two contractions.
enum class PairProducts {
  /// The kernel does not apply: the vector (FMA) kernel runs.
  None,
  /// AMX tile products (tdpbf16ps).
  AmxTiles,
  /// AVX-512 BF16 dot products of 16-lane vectors (vdpbf16ps).
  VectorDots,
};

/// Which products the bf16 kernel would use for `op` under `options`.
PairProducts getPairProducts(SdpaOp op, const FlashOptions &options);

/// Builds the bf16 kernel of `op` on `products` (not None) and returns its
/// result.
Value buildPairKernel(OpBuilder &b, Location loc, SdpaOp op,
                      PairProducts products, const FlashOptions &options);

} // namespace flash
} // namespace attn
} // namespace mlir

#endif // ATTN_LIB_TRANSFORMS_FLASHCOMMON_H
