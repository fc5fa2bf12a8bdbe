// A multi-head self-attention block as a frontend writes it, in stages:
// Q/K/V projections with biases, causal scores, softmax over the keys, the
// weighted sum of values and the output projection (B=2, S=128, E=512, 8
// heads of 64).
//
//   attn-opt examples/mha_block.mlir --attn-fuse       # stages -> attn.sdpa
//   attn-run examples/mha_block.mlir --random --check  # run and verify
func.func @mha_block(%x: tensor<2x128x512xf32>,
                     %wq: tensor<512x512xf32>, %bq: tensor<512xf32>,
                     %wk: tensor<512x512xf32>, %bk: tensor<512xf32>,
                     %wv: tensor<512x512xf32>, %bv: tensor<512xf32>,
                     %wo: tensor<512x512xf32>, %bo: tensor<512xf32>)
    -> tensor<2x128x512xf32> {
  %q = attn.project %x, %wq bias(%bq) {num_heads = 8 : i64}
      : (tensor<2x128x512xf32>, tensor<512x512xf32>, tensor<512xf32>) -> tensor<2x8x128x64xf32>
  %k = attn.project %x, %wk bias(%bk) {num_heads = 8 : i64}
      : (tensor<2x128x512xf32>, tensor<512x512xf32>, tensor<512xf32>) -> tensor<2x8x128x64xf32>
  %v = attn.project %x, %wv bias(%bv) {num_heads = 8 : i64}
      : (tensor<2x128x512xf32>, tensor<512x512xf32>, tensor<512xf32>) -> tensor<2x8x128x64xf32>
  %s = attn.scores %q, %k {causal, scale = 0.125 : f32}
      : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x128xf32>
  %p = attn.softmax %s : (tensor<2x8x128x128xf32>) -> tensor<2x8x128x128xf32>
  %a = attn.weighted_sum %p, %v
      : (tensor<2x8x128x128xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32>
  %y = attn.output_project %a, %wo bias(%bo)
      : (tensor<2x8x128x64xf32>, tensor<512x512xf32>, tensor<512xf32>) -> tensor<2x128x512xf32>
  return %y : tensor<2x128x512xf32>
}
