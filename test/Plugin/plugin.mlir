// The dialect and passes load into upstream mlir-opt from AttnPlugin.so.
// REQUIRES: plugin
// UNSUPPORTED: sanitizer
// RUN: mlir-opt %s --load-dialect-plugin=%attn_libs/AttnPlugin.so --load-pass-plugin=%attn_libs/AttnPlugin.so --pass-pipeline="builtin.module(func.func(attn-fuse))" | FileCheck %s
// RUN: mlir-opt %s --load-dialect-plugin=%attn_libs/AttnPlugin.so --load-pass-plugin=%attn_libs/AttnPlugin.so --pass-pipeline="builtin.module(attn-reference-pipeline)" | FileCheck --check-prefix=LLVM %s

// CHECK-LABEL: func.func @chain(
// CHECK:         attn.sdpa %{{.*}}, %{{.*}}, %{{.*}} {causal}
// CHECK-NOT:     attn.softmax
// LLVM-LABEL: llvm.func @chain(
// LLVM-NOT:    attn.
func.func @chain(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %s = attn.scores %q, %k {causal} : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x8xf32>
  %p = attn.softmax %s : (tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %o = attn.weighted_sum %p, %v : (tensor<1x2x8x8xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}
