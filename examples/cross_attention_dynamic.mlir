// Cross attention with dynamic batch and sequence lengths and an additive
// f32 mask; the query and key head dims (24) differ from the value's (40).
//
//   attn-run examples/cross_attention_dynamic.mlir --random --check \
//       --shapes=2x4x17x24,2x4x45x24,2x4x45x40,2x1x17x45
func.func @cross(%q: tensor<?x4x?x24xf32>, %k: tensor<?x4x?x24xf32>,
                 %v: tensor<?x4x?x40xf32>, %bias: tensor<?x1x?x?xf32>)
    -> tensor<?x4x?x40xf32> {
  %o = attn.sdpa %q, %k, %v mask(%bias)
      : (tensor<?x4x?x24xf32>, tensor<?x4x?x24xf32>, tensor<?x4x?x40xf32>,
         tensor<?x1x?x?xf32>) -> tensor<?x4x?x40xf32>
  return %o : tensor<?x4x?x40xf32>
}
