// Seed 000: attention restricted to an "attention span" of key positions
// [start, end) (here a boolean keep mask, true on the span), unscaled and
// without projections, as the article writes it: Q = K = V = X (L=10, E=512).
func.func @span(%x: tensor<1x1x10x512xf32>, %span: tensor<1x1x1x10xi1>)
    -> tensor<1x1x10x512xf32> {
  %o = attn.sdpa %x, %x, %x mask(%span) {scale = 1.0 : f32}
      : (tensor<1x1x10x512xf32>, tensor<1x1x10x512xf32>,
         tensor<1x1x10x512xf32>, tensor<1x1x1x10xi1>) -> tensor<1x1x10x512xf32>
  return %o : tensor<1x1x10x512xf32>
}
