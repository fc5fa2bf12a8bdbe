// Seed 001: single-head Attention(hidden_size=64, key_size=32, value_size=48)
// over a sequence: queries from `hidden` (7 steps), keys and values from
// `value` (11 steps), scaled by 1/sqrt(key_size) (the default scale).
func.func @attention(%hidden: tensor<2x7x64xf32>, %value: tensor<2x11x64xf32>,
                     %wq: tensor<32x64xf32>, %bq: tensor<32xf32>,
                     %wk: tensor<32x64xf32>, %bk: tensor<32xf32>,
                     %wv: tensor<48x64xf32>, %bv: tensor<48xf32>)
    -> tensor<2x1x7x48xf32> {
  %q = attn.project %hidden, %wq bias(%bq) {num_heads = 1 : i64}
      : (tensor<2x7x64xf32>, tensor<32x64xf32>, tensor<32xf32>) -> tensor<2x1x7x32xf32>
  %k = attn.project %value, %wk bias(%bk) {num_heads = 1 : i64}
      : (tensor<2x11x64xf32>, tensor<32x64xf32>, tensor<32xf32>) -> tensor<2x1x11x32xf32>
  %v = attn.project %value, %wv bias(%bv) {num_heads = 1 : i64}
      : (tensor<2x11x64xf32>, tensor<48x64xf32>, tensor<48xf32>) -> tensor<2x1x11x48xf32>
  %o = attn.sdpa %q, %k, %v
      : (tensor<2x1x7x32xf32>, tensor<2x1x11x32xf32>, tensor<2x1x11x48xf32>)
      -> tensor<2x1x7x48xf32>
  return %o : tensor<2x1x7x48xf32>
}
