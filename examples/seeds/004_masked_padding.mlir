// Seed 004: multi-head attention with masked_fill(mask == 0, -inf): a key padding mask (true keeps), unscaled, no output projection as written; the heads are returned unmerged [B, H, S, D]. A batch row whose keys are all padding gives 0 here (torch gives NaN).
func.func @masked_mha(%x: tensor<2x9x32xf32>,
                      %wq: tensor<32x32xf32>, %bq: tensor<32xf32>,
                      %wk: tensor<32x32xf32>, %bk: tensor<32xf32>,
                      %wv: tensor<32x32xf32>, %bv: tensor<32xf32>,
                      %keep: tensor<2x1x1x9xi1>)
    -> tensor<2x4x9x8xf32> {
  %q = attn.project %x, %wq bias(%bq) {num_heads = 4 : i64}
      : (tensor<2x9x32xf32>, tensor<32x32xf32>, tensor<32xf32>) -> tensor<2x4x9x8xf32>
  %k = attn.project %x, %wk bias(%bk) {num_heads = 4 : i64}
      : (tensor<2x9x32xf32>, tensor<32x32xf32>, tensor<32xf32>) -> tensor<2x4x9x8xf32>
  %v = attn.project %x, %wv bias(%bv) {num_heads = 4 : i64}
      : (tensor<2x9x32xf32>, tensor<32x32xf32>, tensor<32xf32>) -> tensor<2x4x9x8xf32>
  %o = attn.sdpa %q, %k, %v mask(%keep) {scale = 1.0 : f32}
      : (tensor<2x4x9x8xf32>, tensor<2x4x9x8xf32>, tensor<2x4x9x8xf32>, tensor<2x1x1x9xi1>)
      -> tensor<2x4x9x8xf32>
  return %o : tensor<2x4x9x8xf32>
}
