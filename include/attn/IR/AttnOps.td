//===- AttnOps.td - attn dialect operations ----------------*- tablegen -*-===//
//
// Part of the attn-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_IR_ATTNOPS_TD
#define ATTN_IR_ATTNOPS_TD

include "attn/IR/AttnDialect.td"
include "attn/IR/AttnInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/IR/CommonTypeConstraints.td"

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

def Attn_FloatTensor : RankedTensorOf<[F32, F16, BF16]>;
def Attn_MaskTensor : RankedTensorOf<[I1, F32, F16, BF16]>;

//===----------------------------------------------------------------------===//
// attn.sdpa
//===----------------------------------------------------------------------===//

def Attn_SdpaOp : Attn_Op<"sdpa", [Pure,
    DeclareOpInterfaceMethods<Attn_AttnOpInterface>]> {
  let summary = "fused scaled dot-product attention";
  let description = [{
    Computes `softmax(q k^T * scale + mask) v` per batch and query head, with
    optional softcap, boolean or additive mask, causal and sliding-window
    masking. `q: [B, H, Sq, D]`, `k: [B, Hkv, Sk, D]`, `v: [B, Hkv, Sk, Dv]`
    with `H % Hkv == 0`; query head `h` reads key/value head `h / (H / Hkv)`
    (grouped-query and multi-query attention). The result is `[B, H, Sq, Dv]`
    of the query's element type or `f32`. Dot products and the softmax
    accumulate in `f32`.

    With `o = Sk - Sq` (bottom-right alignment):
    ```
    s[b,h,i,j] = scale * sum_d q[b,h,i,d] * k[b,h/g,j,d]
    if softcap:    s = softcap * tanh(s / softcap)
    mask (float):  s += mask[...]            (additive, broadcast)
    mask (i1):     s = mask[...] ? s : -inf  (true keeps)
    causal:        keep only j <= i + o
    window [l,r]:  keep only i + o - l <= j <= i + o + r
    p = softmax_j(s)   (a row with no kept key gives p = 0)
    out[b,h,i,:] = sum_j p[b,h,i,j] * v[b,h/g,j,:]
    ```
    `scale` defaults to `1/sqrt(D)`. The mask has rank 4 and each of its
    dims is 1 (broadcast) or the matching dim of `[B, H, Sq, Sk]`.

    Example:
    ```mlir
    %o = attn.sdpa %q, %k, %v mask(%m) {causal, scale = 0.125 : f32}
        : (tensor<2x8x128x64xf32>, tensor<2x2x128x64xf32>,
           tensor<2x2x128x64xf32>, tensor<2x1x128x128xi1>)
        -> tensor<2x8x128x64xf32>
    ```
  }];

  let arguments = (ins Attn_FloatTensor:$query, Attn_FloatTensor:$key,
      Attn_FloatTensor:$value, Optional<Attn_MaskTensor>:$mask,
      OptionalAttr<F32Attr>:$scale, UnitAttr:$causal,
      OptionalAttr<DenseI64ArrayAttr>:$window, OptionalAttr<F32Attr>:$softcap);
  let results = (outs Attn_FloatTensor:$result);

  let assemblyFormat = [{
    $query `,` $key `,` $value (`mask` `(` $mask^ `)`)? attr-dict `:`
    functional-type(operands, results)
  }];

  let extraClassDeclaration = [{
    /// The scale applied to the dot products: the `scale` attribute, or
    /// `1/sqrt(D)` when it is absent.
    float getEffectiveScale();
  }];

  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// attn.scores
//===----------------------------------------------------------------------===//

def Attn_ScoresOp : Attn_Op<"scores", [Pure,
    DeclareOpInterfaceMethods<Attn_AttnOpInterface>]> {
  let summary = "attention scores with scaling, softcap and masks";
  let description = [{
    The `s` of `attn.sdpa` after softcap, masks, causal and window masking:
    ```
    s[b,h,i,j] = scale * sum_d q[b,h,i,d] * k[b,h/g,j,d]
    ```
    then softcap, the additive or boolean mask, causal and window exactly as
    in `attn.sdpa`; dropped entries are `-inf`. `q: [B, H, Sq, D]`,
    `k: [B, Hkv, Sk, D]`, result `[B, H, Sq, Sk]` of the query's element type
    or `f32`. Accumulation is in `f32`.

    Example:
    ```mlir
    %s = attn.scores %q, %k mask(%m) {causal, scale = 0.125 : f32}
        : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>,
           tensor<2x1x128x128xi1>) -> tensor<2x8x128x128xf32>
    ```
  }];

  let arguments = (ins Attn_FloatTensor:$query, Attn_FloatTensor:$key,
      Optional<Attn_MaskTensor>:$mask, OptionalAttr<F32Attr>:$scale,
      UnitAttr:$causal, OptionalAttr<DenseI64ArrayAttr>:$window,
      OptionalAttr<F32Attr>:$softcap);
  let results = (outs Attn_FloatTensor:$result);

  let assemblyFormat = [{
    $query `,` $key (`mask` `(` $mask^ `)`)? attr-dict `:`
    functional-type(operands, results)
  }];

  let extraClassDeclaration = [{
    /// The `scale` attribute, or `1/sqrt(D)` when it is absent.
    float getEffectiveScale();
  }];

  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// attn.softmax
//===----------------------------------------------------------------------===//

def Attn_SoftmaxOp : Attn_Op<"softmax", [Pure,
    DeclareOpInterfaceMethods<Attn_AttnOpInterface>]> {
  let summary = "softmax over the last dimension, zero for all -inf rows";
  let description = [{
    ```
    p[..., j] = exp(s[..., j] - max_k s[..., k]) / sum_k exp(s[..., k] - max)
    ```
    computed in `f32`. A row whose entries are all `-inf` (every key dropped)
    gives zeros instead of NaN. The result has the input's shape and the
    input's element type or `f32`.

    Example:
    ```mlir
    %p = attn.softmax %s : (tensor<2x8x128x128xf32>) -> tensor<2x8x128x128xf32>
    ```
  }];

  let arguments = (ins Attn_FloatTensor:$input);
  let results = (outs Attn_FloatTensor:$result);

  let assemblyFormat = [{
    $input attr-dict `:` functional-type(operands, results)
  }];

  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// attn.weighted_sum
//===----------------------------------------------------------------------===//

def Attn_WeightedSumOp : Attn_Op<"weighted_sum", [Pure,
    DeclareOpInterfaceMethods<Attn_AttnOpInterface>]> {
  let summary = "attention probabilities times values";
  let description = [{
    ```
    out[b,h,i,e] = sum_j p[b,h,i,j] * v[b,h/g,j,e]
    ```
    with `p: [B, H, Sq, Sk]` of `f32` or `v`'s element type,
    `v: [B, Hkv, Sk, Dv]`, `H % Hkv == 0`, `g = H / Hkv`; the result is
    `[B, H, Sq, Dv]` of `v`'s element type or `f32`, accumulated in `f32`.

    Example:
    ```mlir
    %a = attn.weighted_sum %p, %v
        : (tensor<2x8x128x128xf32>, tensor<2x8x128x64xf32>)
        -> tensor<2x8x128x64xf32>
    ```
  }];

  let arguments = (ins Attn_FloatTensor:$probs, Attn_FloatTensor:$value);
  let results = (outs Attn_FloatTensor:$result);

  let assemblyFormat = [{
    $probs `,` $value attr-dict `:` functional-type(operands, results)
  }];

  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// attn.project
//===----------------------------------------------------------------------===//

def Attn_ProjectOp : Attn_Op<"project", [Pure,
    DeclareOpInterfaceMethods<Attn_AttnOpInterface>]> {
  let summary = "linear projection of a sequence into attention heads";
  let description = [{
    Applies a `torch.nn.Linear` weight `w: [H*D, E]` (and optional
    `bias: [H*D]`) to `x: [B, S, E]` and splits the result into `num_heads`
    heads:
    ```
    y[b,h,s,d] = sum_e x[b,s,e] * w[h*D+d, e] + bias[h*D+d]
    ```
    The result is `[B, H, S, D]` of `x`'s element type or `f32`, accumulated
    in `f32`.

    Example:
    ```mlir
    %q = attn.project %x, %wq bias(%bq) {num_heads = 8 : i64}
        : (tensor<2x128x512xf32>, tensor<512x512xf32>, tensor<512xf32>)
        -> tensor<2x8x128x64xf32>
    ```
  }];

  let arguments = (ins Attn_FloatTensor:$input, Attn_FloatTensor:$weight,
      Optional<Attn_FloatTensor>:$bias, I64Attr:$num_heads);
  let results = (outs Attn_FloatTensor:$result);

  let assemblyFormat = [{
    $input `,` $weight (`bias` `(` $bias^ `)`)? attr-dict `:`
    functional-type(operands, results)
  }];

  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// attn.output_project
//===----------------------------------------------------------------------===//

def Attn_OutputProjectOp : Attn_Op<"output_project", [Pure,
    DeclareOpInterfaceMethods<Attn_AttnOpInterface>]> {
  let summary = "merge attention heads and apply the output projection";
  let description = [{
    Merges the heads of `a: [B, H, S, D]` and applies `w: [E, H*D]` (and
    optional `bias: [E]`):
    ```
    y[b,s,e] = sum_{h,d} a[b,h,s,d] * w[e, h*D+d] + bias[e]
    ```
    The result is `[B, S, E]` of `a`'s element type or `f32`, accumulated in
    `f32`.

    Example:
    ```mlir
    %y = attn.output_project %a, %wo bias(%bo)
        : (tensor<2x8x128x64xf32>, tensor<512x512xf32>, tensor<512xf32>)
        -> tensor<2x128x512xf32>
    ```
  }];

  let arguments = (ins Attn_FloatTensor:$input, Attn_FloatTensor:$weight,
      Optional<Attn_FloatTensor>:$bias);
  let results = (outs Attn_FloatTensor:$result);

  let assemblyFormat = [{
    $input `,` $weight (`bias` `(` $bias^ `)`)? attr-dict `:`
    functional-type(operands, results)
  }];

  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Workspaces: kernel scratch that outlives a call
//===----------------------------------------------------------------------===//

def Attn_WorkspaceResource
    : Resource<"::mlir::attn::WorkspaceResource">;

def Attn_WorkspaceAcquireOp : Attn_Op<"workspace_acquire",
    [MemoryEffects<[MemWrite<Attn_WorkspaceResource>]>]> {
  let summary = "takes a scratch buffer that is kept between calls";
  let description = [{
    Returns a buffer of the result type for the caller's exclusive use until
    the matching `attn.workspace_release`. Its contents are undefined.

    Unlike `memref.alloc` + `memref.dealloc`, the storage outlives the call:
    each op keeps the last block released to it and hands it out again when
    it is large enough. A kernel called in a loop then reuses its scratch
    instead of paging fresh memory in on every call (glibc returns large
    freed blocks to the kernel, so each call would fault them in again).
    Callers that run at the same time get blocks of their own; a block is
    only kept when the op holds none. The kept blocks are freed by a module
    destructor (at exit, or when a JIT engine is destroyed).

    The result is an identity-layout memref of integers or floats in the
    default memory space, aligned to 64 bytes. The buffer deallocation passes
    leave it alone: the IR that acquires a workspace releases it.

    Example:
    ```mlir
    %w = attn.workspace_acquire(%n) : memref<?x64xf32>
    ...
    attn.workspace_release %w : memref<?x64xf32>
    ```
  }];

  let arguments = (ins Variadic<Index>:$dynamicSizes);
  let results = (outs AnyMemRef:$buffer);

  let assemblyFormat = [{
    `(` $dynamicSizes `)` attr-dict `:` type($buffer)
  }];

  let hasVerifier = 1;
}

def Attn_WorkspaceReleaseOp : Attn_Op<"workspace_release",
    [MemoryEffects<[MemWrite<Attn_WorkspaceResource>]>]> {
  let summary = "returns a buffer taken by attn.workspace_acquire";
  let description = [{
    Ends the caller's use of a buffer returned by `attn.workspace_acquire`:
    the acquiring op keeps it for its next call, or frees it if it already
    keeps one. The operand must be a buffer returned by
    `attn.workspace_acquire` (with its type), released once, after its last
    use; anything else is undefined behaviour, as for `memref.dealloc`.

    Example:
    ```mlir
    attn.workspace_release %w : memref<?x64xf32>
    ```
  }];

  let arguments = (ins Arg<AnyMemRef, "", [MemRead<Attn_WorkspaceResource>]>:$buffer);

  let assemblyFormat = [{
    $buffer attr-dict `:` type($buffer)
  }];

  let hasVerifier = 1;
}

#endif // ATTN_IR_ATTNOPS_TD
