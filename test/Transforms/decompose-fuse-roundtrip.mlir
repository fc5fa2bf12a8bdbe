// RUN: attn-opt %s --pass-pipeline="builtin.module(func.func(attn-decompose,attn-fuse))" -split-input-file | FileCheck %s

// Decomposing and fusing again gives back the op, with its scale explicit.
// CHECK-LABEL: func.func @roundtrip(
// CHECK-SAME:      %[[Q:[^:]+]]: {{[^,]+}}, %[[K:[^:]+]]: {{[^,]+}}, %[[V:[^:]+]]: {{[^,]+}}, %[[M:[^:]+]]: tensor<1x1x1x4096xi1>
// CHECK:         %[[O:.+]] = attn.sdpa %[[Q]], %[[K]], %[[V]] mask(%[[M]]) {causal, scale = 0.0883883461 : f32, softcap = 3.000000e+01 : f32, window = array<i64: 256, 0>} : (tensor<1x32x1x128xbf16>, tensor<1x8x4096x128xbf16>, tensor<1x8x4096x128xbf16>, tensor<1x1x1x4096xi1>) -> tensor<1x32x1x128xbf16>
// CHECK-NEXT:    return %[[O]]
func.func @roundtrip(%q: tensor<1x32x1x128xbf16>, %k: tensor<1x8x4096x128xbf16>, %v: tensor<1x8x4096x128xbf16>, %m: tensor<1x1x1x4096xi1>) -> tensor<1x32x1x128xbf16> {
  %o = attn.sdpa %q, %k, %v mask(%m) {causal, window = array<i64: 256, 0>, softcap = 30.0 : f32} : (tensor<1x32x1x128xbf16>, tensor<1x8x4096x128xbf16>, tensor<1x8x4096x128xbf16>, tensor<1x1x1x4096xi1>) -> tensor<1x32x1x128xbf16>
  return %o : tensor<1x32x1x128xbf16>
}
