// One decoding step in bf16: a single query per head against a 4096-entry
// KV cache, sliding window of 1024, logit softcap of 30, f32 accumulation.
func.func @decode(%q: tensor<1x32x1x128xbf16>, %k: tensor<1x8x4096x128xbf16>,
                  %v: tensor<1x8x4096x128xbf16>, %m: tensor<1x1x1x4096xi1>)
    -> tensor<1x32x1x128xbf16> {
  %o = attn.sdpa %q, %k, %v mask(%m)
      {causal, scale = 0.0883883461 : f32, window = array<i64: 1024, 0>,
       softcap = 30.0 : f32}
      : (tensor<1x32x1x128xbf16>, tensor<1x8x4096x128xbf16>,
         tensor<1x8x4096x128xbf16>, tensor<1x1x1x4096xi1>)
      -> tensor<1x32x1x128xbf16>
  return %o : tensor<1x32x1x128xbf16>
}
