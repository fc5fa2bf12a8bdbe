//===- AttnDialect.td - attn dialect definition ------------*- tablegen -*-===//
//
// Part of the attn-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_IR_ATTNDIALECT_TD
#define ATTN_IR_ATTNDIALECT_TD

include "mlir/IR/OpBase.td"

def Attn_Dialect : Dialect {
  let name = "attn";
  let summary = "Scaled dot-product attention and its stages";
  let description = [{
    The `attn` dialect captures attention at the level users write it: the
    Q/K/V projections (`attn.project`), the scores `Q K^T * scale` with masks
    (`attn.scores`), the softmax over keys (`attn.softmax`), the weighted sum
    of values (`attn.weighted_sum`), the output projection
    (`attn.output_project`), and the fused `attn.sdpa` that computes
    `softmax(Q K^T * scale + mask) V` in one op.

    Tensors use the `[batch, heads, seq, head_dim]` layout of PyTorch's
    `scaled_dot_product_attention`. Keys and values may have fewer heads than
    queries (grouped-query and multi-query attention). Causal masking is
    bottom-right aligned, and a query row whose keys are all dropped yields a
    zero output row, never NaN.
  }];
  let cppNamespace = "::mlir::attn";
}

class Attn_Op<string mnemonic, list<Trait> traits = []>
    : Op<Attn_Dialect, mnemonic, traits>;

#endif // ATTN_IR_ATTNDIALECT_TD
