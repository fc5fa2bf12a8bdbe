// UNSUPPORTED: avx512
// Without AVX-512, 16-lane kernels (vector-width=16, which LLVM splits into
// narrower vectors) keep the generic exp2: no x86vector op that the host
// could not run. (attn-flash-avx512.mlir: AVX-512 hosts.)
// RUN: attn-opt %s --pass-pipeline="builtin.module(func.func(attn-flash{vector-width=16}))" -split-input-file | FileCheck %s

// CHECK-LABEL: func.func @f32_scores(
// CHECK-NOT:     x86vector
// CHECK:         math.floor {{.*}} : vector<16xf32>
// CHECK:         arith.shli {{.*}} : vector<16xi32>
// CHECK-NOT:     x86vector
func.func @f32_scores(%q: tensor<1x2x64x32xf32>, %k: tensor<1x2x80x32xf32>, %v: tensor<1x2x80x32xf32>) -> tensor<1x2x64x32xf32> {
  %o = attn.sdpa %q, %k, %v {causal} : (tensor<1x2x64x32xf32>, tensor<1x2x80x32xf32>, tensor<1x2x80x32xf32>) -> tensor<1x2x64x32xf32>
  return %o : tensor<1x2x64x32xf32>
}
