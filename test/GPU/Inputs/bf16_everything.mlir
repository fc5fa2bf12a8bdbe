// bf16 with every feature at once: GQA, D=128 and Dv=64, an additive mask,
// causal, a window and a softcap (the most registers of any kernel).
func.func @sdpa(%q: tensor<?x8x?x128xbf16>, %k: tensor<?x2x?x128xbf16>, %v: tensor<?x2x?x64xbf16>, %m: tensor<?x1x?x?xbf16>) -> tensor<?x8x?x64xbf16> {
  %o = attn.sdpa %q, %k, %v mask(%m) {causal, window = array<i64: 256, 0>, softcap = 30.0 : f32, scale = 0.1 : f32} : (tensor<?x8x?x128xbf16>, tensor<?x2x?x128xbf16>, tensor<?x2x?x64xbf16>, tensor<?x1x?x?xbf16>) -> tensor<?x8x?x64xbf16>
  return %o : tensor<?x8x?x64xbf16>
}
