// RUN: attn-opt %s --pass-pipeline="builtin.module(func.func(attn-fuse))" -split-input-file | FileCheck %s

// The three stages become one attn.sdpa; mask and attributes carry over.
// CHECK-LABEL: func.func @chain(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<2x8x128x64xf32>, %[[K:[^:]+]]: tensor<2x2x128x64xf32>, %[[V:[^:]+]]: tensor<2x2x128x32xf32>, %[[M:[^:]+]]: tensor<2x1x128x128xi1>
// CHECK:         %[[O:.+]] = attn.sdpa %[[Q]], %[[K]], %[[V]] mask(%[[M]]) {causal, scale = 1.250000e-01 : f32, window = array<i64: 16, 0>} : (tensor<2x8x128x64xf32>, tensor<2x2x128x64xf32>, tensor<2x2x128x32xf32>, tensor<2x1x128x128xi1>) -> tensor<2x8x128x32xf32>
// CHECK-NEXT:    return %[[O]]
// CHECK-NOT:     attn.scores
// CHECK-NOT:     attn.softmax
// CHECK-NOT:     attn.weighted_sum
func.func @chain(%q: tensor<2x8x128x64xf32>, %k: tensor<2x2x128x64xf32>, %v: tensor<2x2x128x32xf32>, %m: tensor<2x1x128x128xi1>) -> tensor<2x8x128x32xf32> {
  %s = attn.scores %q, %k mask(%m) {causal, scale = 0.125 : f32, window = array<i64: 16, 0>} : (tensor<2x8x128x64xf32>, tensor<2x2x128x64xf32>, tensor<2x1x128x128xi1>) -> tensor<2x8x128x128xf32>
  %p = attn.softmax %s : (tensor<2x8x128x128xf32>) -> tensor<2x8x128x128xf32>
  %o = attn.weighted_sum %p, %v : (tensor<2x8x128x128xf32>, tensor<2x2x128x32xf32>) -> tensor<2x8x128x32xf32>
  return %o : tensor<2x8x128x32xf32>
}

// -----

// Without a scale attribute the fused op keeps the default 1/sqrt(D).
// CHECK-LABEL: func.func @chain_default_scale_f16(
// CHECK:         attn.sdpa %{{.*}}, %{{.*}}, %{{.*}} : (tensor<1x4x16x32xf16>, tensor<1x4x16x32xf16>, tensor<1x4x16x32xf16>) -> tensor<1x4x16x32xf16>
// CHECK-NOT:     scale
func.func @chain_default_scale_f16(%q: tensor<1x4x16x32xf16>, %k: tensor<1x4x16x32xf16>, %v: tensor<1x4x16x32xf16>) -> tensor<1x4x16x32xf16> {
  %s = attn.scores %q, %k : (tensor<1x4x16x32xf16>, tensor<1x4x16x32xf16>) -> tensor<1x4x16x16xf32>
  %p = attn.softmax %s : (tensor<1x4x16x16xf32>) -> tensor<1x4x16x16xf32>
  %o = attn.weighted_sum %p, %v : (tensor<1x4x16x16xf32>, tensor<1x4x16x32xf16>) -> tensor<1x4x16x32xf16>
  return %o : tensor<1x4x16x32xf16>
}

// -----

// A linalg.softmax over the key dimension fuses too.
// CHECK-LABEL: func.func @linalg_softmax_over_keys(
// CHECK:         attn.sdpa
// CHECK-NOT:     linalg.softmax
func.func @linalg_softmax_over_keys(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %s = attn.scores %q, %k : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x8xf32>
  %init = tensor.empty() : tensor<1x2x8x8xf32>
  %p = linalg.softmax dimension(3) ins(%s : tensor<1x2x8x8xf32>) outs(%init : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %o = attn.weighted_sum %p, %v : (tensor<1x2x8x8xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// A softmax over the query dimension is not attention: no fusion.
// CHECK-LABEL: func.func @softmax_not_over_keys(
// CHECK:         attn.scores
// CHECK:         linalg.softmax dimension(2)
// CHECK:         attn.weighted_sum
// CHECK-NOT:     attn.sdpa
func.func @softmax_not_over_keys(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %s = attn.scores %q, %k : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x8xf32>
  %init = tensor.empty() : tensor<1x2x8x8xf32>
  %p = linalg.softmax dimension(2) ins(%s : tensor<1x2x8x8xf32>) outs(%init : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %o = attn.weighted_sum %p, %v : (tensor<1x2x8x8xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// The scores are also returned: fusing would compute them twice.
// CHECK-LABEL: func.func @scores_have_other_uses(
// CHECK:         attn.scores
// CHECK:         attn.softmax
// CHECK:         attn.weighted_sum
// CHECK-NOT:     attn.sdpa
func.func @scores_have_other_uses(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> (tensor<1x2x8x16xf32>, tensor<1x2x8x8xf32>) {
  %s = attn.scores %q, %k : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x8xf32>
  %p = attn.softmax %s : (tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %o = attn.weighted_sum %p, %v : (tensor<1x2x8x8xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  return %o, %s : tensor<1x2x8x16xf32>, tensor<1x2x8x8xf32>
}

// -----

// The probabilities are also returned (attention weights): no fusion.
// CHECK-LABEL: func.func @probs_have_other_uses(
// CHECK:         attn.softmax
// CHECK-NOT:     attn.sdpa
func.func @probs_have_other_uses(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> (tensor<1x2x8x16xf32>, tensor<1x2x8x8xf32>) {
  %s = attn.scores %q, %k : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x8xf32>
  %p = attn.softmax %s : (tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %o = attn.weighted_sum %p, %v : (tensor<1x2x8x8xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  return %o, %p : tensor<1x2x8x16xf32>, tensor<1x2x8x8xf32>
}

// -----

// Keys with 2 heads and values with 4: no single attn.sdpa expresses this.
// CHECK-LABEL: func.func @mismatched_kv_heads(
// CHECK:         attn.scores
// CHECK-NOT:     attn.sdpa
func.func @mismatched_kv_heads(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32> {
  %s = attn.scores %q, %k : (tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>) -> tensor<1x4x8x8xf32>
  %p = attn.softmax %s : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %o = attn.weighted_sum %p, %v : (tensor<1x4x8x8xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  return %o : tensor<1x4x8x16xf32>
}

// -----

// Dynamic key and value head counts may differ at run time: no fusion.
// CHECK-LABEL: func.func @dynamic_kv_heads(
// CHECK:         attn.weighted_sum
// CHECK-NOT:     attn.sdpa
func.func @dynamic_kv_heads(%q: tensor<1x4x8x16xf32>, %k: tensor<1x?x8x16xf32>, %v: tensor<1x?x8x16xf32>) -> tensor<1x4x8x16xf32> {
  %s = attn.scores %q, %k : (tensor<1x4x8x16xf32>, tensor<1x?x8x16xf32>) -> tensor<1x4x8x8xf32>
  %p = attn.softmax %s : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %o = attn.weighted_sum %p, %v : (tensor<1x4x8x8xf32>, tensor<1x?x8x16xf32>) -> tensor<1x4x8x16xf32>
  return %o : tensor<1x4x8x16xf32>
}

// -----

// Probabilities that are not a softmax of scores: no fusion.
// CHECK-LABEL: func.func @probs_not_softmax(
// CHECK:         attn.weighted_sum
// CHECK-NOT:     attn.sdpa
func.func @probs_not_softmax(%p: tensor<1x2x8x8xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %o = attn.weighted_sum %p, %v : (tensor<1x2x8x8xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// q * 0.5 folds into the scale: 1/sqrt(64) * 0.5 = 0.0625.
// CHECK-LABEL: func.func @fold_query_mul(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<1x2x8x64xf32>
// CHECK:         attn.sdpa %[[Q]], {{.*}} {scale = 6.250000e-02 : f32}
func.func @fold_query_mul(%q: tensor<1x2x8x64xf32>, %k: tensor<1x2x8x64xf32>, %v: tensor<1x2x8x64xf32>) -> tensor<1x2x8x64xf32> {
  %c = arith.constant dense<0.5> : tensor<1x2x8x64xf32>
  %qs = arith.mulf %q, %c : tensor<1x2x8x64xf32>
  %o = attn.sdpa %qs, %k, %v : (tensor<1x2x8x64xf32>, tensor<1x2x8x64xf32>, tensor<1x2x8x64xf32>) -> tensor<1x2x8x64xf32>
  return %o : tensor<1x2x8x64xf32>
}

// -----

// q / 8 under an explicit scale of 1 becomes q under a scale of 1/8.
// CHECK-LABEL: func.func @fold_query_div(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<1x2x8x16xf32>
// CHECK:         attn.scores %[[Q]], %{{.*}} {scale = 1.250000e-01 : f32}
func.func @fold_query_div(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>) -> tensor<1x2x8x8xf32> {
  %c = arith.constant dense<8.0> : tensor<1x2x8x16xf32>
  %qs = arith.divf %q, %c : tensor<1x2x8x16xf32>
  %s = attn.scores %qs, %k {scale = 1.0 : f32} : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x8xf32>
  return %s : tensor<1x2x8x8xf32>
}

// -----

// Scores rescaled by a positive constant, then fused: one sdpa with
// scale 0.25 * 2 = 0.5 and the causal mask kept.
// CHECK-LABEL: func.func @fold_scores_mul_then_fuse(
// CHECK:         attn.sdpa {{.*}} {causal, scale = 5.000000e-01 : f32}
// CHECK-NOT:     arith.mulf
func.func @fold_scores_mul_then_fuse(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %c = arith.constant dense<2.0> : tensor<1x2x8x8xf32>
  %s = attn.scores %q, %k {causal} : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x8xf32>
  %ss = arith.mulf %s, %c : tensor<1x2x8x8xf32>
  %p = attn.softmax %ss : (tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %o = attn.weighted_sum %p, %v : (tensor<1x2x8x8xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// An additive mask is added after scaling: rescaling would scale the mask.
// CHECK-LABEL: func.func @no_fold_scores_additive_mask(
// CHECK:         arith.mulf
// CHECK-NOT:     attn.sdpa
func.func @no_fold_scores_additive_mask(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %m: tensor<1x1x8x8xf32>) -> tensor<1x2x8x16xf32> {
  %c = arith.constant dense<2.0> : tensor<1x2x8x8xf32>
  %s = attn.scores %q, %k mask(%m) : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x1x8x8xf32>) -> tensor<1x2x8x8xf32>
  %ss = arith.mulf %s, %c : tensor<1x2x8x8xf32>
  %p = attn.softmax %ss : (tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %o = attn.weighted_sum %p, %v : (tensor<1x2x8x8xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// A negative factor turns dropped (-inf) scores into +inf: no folding.
// CHECK-LABEL: func.func @no_fold_scores_negative_factor(
// CHECK:         arith.mulf
// CHECK-NOT:     attn.sdpa
func.func @no_fold_scores_negative_factor(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %c = arith.constant dense<-2.0> : tensor<1x2x8x8xf32>
  %s = attn.scores %q, %k {causal} : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x8xf32>
  %ss = arith.mulf %s, %c : tensor<1x2x8x8xf32>
  %p = attn.softmax %ss : (tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %o = attn.weighted_sum %p, %v : (tensor<1x2x8x8xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Softcap is non-linear: rescaling after it does not fold.
// CHECK-LABEL: func.func @no_fold_scores_softcap(
// CHECK:         arith.mulf
func.func @no_fold_scores_softcap(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>) -> tensor<1x2x8x8xf32> {
  %c = arith.constant dense<2.0> : tensor<1x2x8x8xf32>
  %s = attn.scores %q, %k {softcap = 5.0 : f32} : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x8xf32>
  %ss = arith.mulf %s, %c : tensor<1x2x8x8xf32>
  return %ss : tensor<1x2x8x8xf32>
}

// -----

// A rescaling by a non-constant is left alone.
// CHECK-LABEL: func.func @no_fold_non_constant(
// CHECK:         arith.mulf
// CHECK:         attn.sdpa
// CHECK-NOT:     scale
func.func @no_fold_non_constant(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %c: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %qs = arith.mulf %q, %c : tensor<1x2x8x16xf32>
  %o = attn.sdpa %qs, %k, %v : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}
