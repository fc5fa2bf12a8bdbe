//===- Passes.td - attn conversion passes ------------------*- tablegen -*-===//
//
// Part of the attn-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_CONVERSION_PASSES_TD
#define ATTN_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertAttnToLinalgPass : Pass<"convert-attn-to-linalg"> {
  let summary = "Lower every attn op to linalg on tensors (unfused reference)";
  let description = [{
    The plain, unfused lowering that defines the numerics every other path is
    checked against. `attn.sdpa` is decomposed into its stages, and each stage
    becomes `linalg.generic` ops on tensors that materialize the `[Sq, Sk]`
    scores:
    ```mlir
    %o = attn.sdpa %q, %k, %v {causal} : (...) -> tensor<1x8x64x32xf32>
    ```
    becomes (sketched)
    ```mlir
    %qk = linalg.generic {Q K^T, f32 accumulation}      // [B,Hkv,G,Sq,Sk]
    %s  = linalg.generic {scale, softcap, mask, causal}  // -inf when dropped
    %m  = linalg.generic {row max}  ... %p = linalg.generic {exp / sum, 0 if empty}
    %o  = linalg.generic {P V}
    ```
    Dot products and the softmax run in `f32` whatever the input type;
    grouped-query heads are handled by reshaping the query heads to
    `[Hkv, H/Hkv]` (no copy of K or V); fully masked rows give 0.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::tensor::TensorDialect"
  ];
}

#endif // ATTN_CONVERSION_PASSES_TD
