//===- Passes.td - attn transformation passes --------------*- tablegen -*-===//
//
// Part of the attn-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_TRANSFORMS_PASSES_TD
#define ATTN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def AttnFusePass : Pass<"attn-fuse"> {
  let summary = "Fuse scores -> softmax -> weighted_sum chains into attn.sdpa";
  let description = [{
    Rewrites the unfused stage chain
    ```mlir
    %s = attn.scores %q, %k {causal} : (...) -> tensor<1x8x64x64xf32>
    %p = attn.softmax %s : (...) -> tensor<1x8x64x64xf32>
    %o = attn.weighted_sum %p, %v : (...) -> tensor<1x8x64x32xf32>
    ```
    into
    ```mlir
    %o = attn.sdpa %q, %k, %v {causal} : (...) -> tensor<1x8x64x32xf32>
    ```
    The softmax may also be a `linalg.softmax` over the key dimension. A
    chain fuses only when the scores and probabilities have no other users
    and the key and value head counts agree.

    It also folds constant rescaling into `scale`: `attn.scores` of
    `q * c` (an `arith.mulf`/`arith.divf` by a splat constant) becomes
    `attn.scores` of `q` with `scale * c`, and a splat rescaling of the scores
    between `attn.scores` and the softmax is folded the same way when it
    commutes with the masks (no softcap, no additive mask, `c > 0`).
  }];
  let dependentDialects = ["::mlir::attn::AttnDialect"];
}

def AttnDecomposePass : Pass<"attn-decompose"> {
  let summary = "Decompose attn.sdpa into scores, softmax and weighted_sum";
  let description = [{
    The inverse of `--attn-fuse`:
    ```mlir
    %o = attn.sdpa %q, %k, %v {causal} : (...) -> tensor<1x8x64x32xf16>
    ```
    becomes
    ```mlir
    %s = attn.scores %q, %k {causal, scale = ...} : (...) -> tensor<1x8x64x64xf32>
    %p = attn.softmax %s : (...) -> tensor<1x8x64x64xf32>
    %o = attn.weighted_sum %p, %v : (...) -> tensor<1x8x64x32xf16>
    ```
    The scores and probabilities are `f32`, so low-precision inputs keep the
    `f32` accumulation of `attn.sdpa`. The scale is made explicit.
  }];
  let dependentDialects = ["::mlir::attn::AttnDialect"];
}

def AttnFlashPass : Pass<"attn-flash"> {
  let summary = "Tile attn.sdpa into a fused online-softmax kernel";
  let description = [{
    Replaces each `attn.sdpa` by a FlashAttention-style kernel on buffers
    that never materializes the `[Sq, Sk]` scores:
    ```
    parallel over (b, h, query block of Bq rows):
      Qt = scale * q[b, h, block]^T            (packed [D, Bq], f32)
      m = -inf, l = 0, O = 0
      for key blocks [j0, j0 + Bk) kept by causal/window:
        S^T = K[j0:j0+Bk] Qt                   (register tiles: 6 keys x Bq)
        softcap, mask, causal/window (-inf), only where the block needs it
        m' = max(m, max_j S^T); alpha = exp(m - m'); P = exp(S^T - m')
        l = alpha l + sum_j P; O = alpha O + P^T V[j0:j0+Bk]
      out = O / l  (0 for a row with no kept key)
    ```
    Queries sit in the SIMD lanes, so the running max and sum are vertical
    vector operations; `V` rows are read contiguously and `K` elements are
    broadcast, so neither is copied or transposed. Grouped-query heads read
    key/value head `h / (H / Hkv)` in place. f16/bf16 inputs are widened to
    f32 as they are loaded. The kernel is written in the `vector`, `scf` and
    `memref` dialects between `bufferization.to_buffer` and
    `bufferization.to_tensor`; the outer loop is an `scf.parallel`.
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", /*default=*/"0",
           "f32 lanes per vector (0: the host's widest, 16 with AVX-512, 8 "
           "otherwise)">,
    Option<"queryBlock", "query-block", "int64_t", /*default=*/"0",
           "Rows (query head x query pairs) per block, a multiple of "
           "vector-width (0: per op, up to 2 vectors for f32 and 8 for "
           "f16/bf16)">,
    Option<"keyBlock", "key-block", "int64_t", /*default=*/"96",
           "Keys per block">,
    Option<"keySplits", "key-splits", "int64_t", /*default=*/"0",
           "Split each row block's keys across this many tasks, combined by "
           "log-sum-exp (0: automatic for static shapes with fewer row blocks "
           "than threads, as in decoding)">,
    Option<"threads", "threads", "int64_t", /*default=*/"0",
           "Threads to keep busy when choosing key splits (0: the host's "
           "cores)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::math::MathDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect"
  ];
}

def AttnTileProjectionsPass : Pass<"attn-tile-projections"> {
  let summary = "Lower attn.project and attn.output_project to tiled CPU matmuls";
  let description = [{
    Each projection becomes a register-blocked, parallel matmul on buffers:
    the weight (`torch.nn.Linear` layout `[N, K]`) is packed once per call
    into `[K, N]` f32 with its rows padded to whole vectors, and
    `scf.parallel` tasks compute tiles of 6 rows x 2 vectors of outputs
    (12 accumulators; input elements broadcast, packed weight rows loaded),
    add the bias and store straight into the head-split `[B, H, S, D]`
    (`attn.project`) or merged `[B, S, E]` (`attn.output_project`) result.
    Accumulation is f32 whatever the element type.
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", /*default=*/"0",
           "f32 lanes per vector (0: the host's widest)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def AttnApproximateMathPass : Pass<"attn-approximate-math"> {
  let summary = "Expand exp and tanh into vectorizable polynomials";
  let description = [{
    Rewrites `math.exp` and `math.tanh` (scalar or vector, f32) into MLIR's
    polynomial approximations, so that the kernels' vector code stays in
    vector registers instead of calling scalar `expf`/`tanhf` per lane.
    The approximations are accurate to a few ulp in f32.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::vector::VectorDialect"
  ];
}

#endif // ATTN_TRANSFORMS_PASSES_TD
