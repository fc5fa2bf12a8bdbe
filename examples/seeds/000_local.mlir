// Seed 000, local form: each position attends to the keys within 2 positions
// on either side (the article's local vs global attention), unscaled.
func.func @local(%x: tensor<1x1x10x512xf32>) -> tensor<1x1x10x512xf32> {
  %o = attn.sdpa %x, %x, %x {scale = 1.0 : f32, window = array<i64: 2, 2>}
      : (tensor<1x1x10x512xf32>, tensor<1x1x10x512xf32>,
         tensor<1x1x10x512xf32>) -> tensor<1x1x10x512xf32>
  return %o : tensor<1x1x10x512xf32>
}
