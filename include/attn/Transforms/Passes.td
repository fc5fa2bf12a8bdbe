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

#endif // ATTN_TRANSFORMS_PASSES_TD
