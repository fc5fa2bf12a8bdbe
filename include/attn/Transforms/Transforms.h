//===- Transforms.h - attn rewrite patterns ---------------------*- C++ -*-===//
//
// Part of the attn-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_TRANSFORMS_TRANSFORMS_H
#define ATTN_TRANSFORMS_TRANSFORMS_H

#include "llvm/ADT/StringRef.h"

#include <cstdint>

namespace mlir {
class RewritePatternSet;
namespace attn {

/// Tiling of `--attn-flash`.
struct FlashOptions {
  /// f32 lanes per vector.
  int64_t vectorWidth = 8;
  /// Rows per block, a multiple of vectorWidth (0: chosen per op).
  int64_t queryBlock = 0;
  /// Keys per block.
  int64_t keyBlock = 96;
  /// Splits of each row block's key range across threads, combined by
  /// log-sum-exp (0: enough to give every thread work when the shapes are
  /// static and there are fewer row blocks than threads).
  int64_t keySplits = 0;
  /// Threads the kernel should keep busy (0: the host's cores).
  int64_t threads = 0;
  /// Run bf16 attention on AMX tiles (the code then needs a host with
  /// AMX-BF16 and the OS permission to use it).
  bool amx = false;
  /// Run bf16 attention on AVX-512 BF16 dot products (vdpbf16ps) when it
  /// does not run on AMX tiles (the code then needs AVX512-BF16).
  bool bf16Dot = false;
  /// Keep the per-call scratch (packed K/V panels, split partials) in
  /// attn.workspace_acquire buffers that persist between calls instead of
  /// allocating it on every call.
  bool workspaces = false;
  /// Row blocks per task, which take turns on each K/V block so that all
  /// but the first read it from L2 rather than L3 (with packed K/V panels,
  /// unsplit keys and no sliding window). 0: chosen per op.
  int64_t blocksPerTask = 0;
};

/// Whether the host CPU has `feature`, by LLVM's name for it ("avx512f",
/// "amx-bf16", ...).
bool hostHasCPUFeature(llvm::StringRef feature);

/// f32 lanes of the host's widest vectors: 16 with AVX-512, else 8.
int64_t getHostVectorWidth();

/// attn.sdpa -> attn.scores + attn.softmax + attn.weighted_sum.
void populateAttnDecomposePatterns(RewritePatternSet &patterns);

/// Stage chains -> attn.sdpa, and constant rescaling folded into `scale`.
void populateAttnFusePatterns(RewritePatternSet &patterns);

} // namespace attn
} // namespace mlir

#endif // ATTN_TRANSFORMS_TRANSFORMS_H
