// RUN: attn-opt %s --pass-pipeline="builtin.module(func.func(attn-decompose))" -split-input-file | FileCheck %s

// The default scale 1/sqrt(64) becomes explicit; the stages are f32.
// CHECK-LABEL: func.func @plain(
// CHECK-SAME:      %[[Q:.+]]: tensor<2x8x128x64xf32>, %[[K:.+]]: tensor<2x8x128x64xf32>, %[[V:.+]]: tensor<2x8x128x64xf32>
// CHECK:         %[[S:.+]] = attn.scores %[[Q]], %[[K]] {scale = 1.250000e-01 : f32} : {{.*}} -> tensor<2x8x128x128xf32>
// CHECK:         %[[P:.+]] = attn.softmax %[[S]] : (tensor<2x8x128x128xf32>) -> tensor<2x8x128x128xf32>
// CHECK:         %[[O:.+]] = attn.weighted_sum %[[P]], %[[V]] : {{.*}} -> tensor<2x8x128x64xf32>
// CHECK:         return %[[O]]
// CHECK-NOT:     attn.sdpa
func.func @plain(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32> {
  %o = attn.sdpa %q, %k, %v : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32>
  return %o : tensor<2x8x128x64xf32>
}

// -----

// Every attribute and the mask move to attn.scores; bf16 inputs keep f32
// scores and probabilities, and the result keeps its type.
// CHECK-LABEL: func.func @all_attrs_bf16(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<1x32x1x128xbf16>, %[[K:[^:]+]]: tensor<1x8x4096x128xbf16>, %[[V:[^:]+]]: tensor<1x8x4096x128xbf16>, %[[M:[^:]+]]: tensor<1x1x1x4096xi1>
// CHECK:         %[[S:.+]] = attn.scores %[[Q]], %[[K]] mask(%[[M]]) {causal, scale = 1.250000e-01 : f32, softcap = 3.000000e+01 : f32, window = array<i64: 256, 0>} : {{.*}} -> tensor<1x32x1x4096xf32>
// CHECK:         %[[P:.+]] = attn.softmax %[[S]] : (tensor<1x32x1x4096xf32>) -> tensor<1x32x1x4096xf32>
// CHECK:         attn.weighted_sum %[[P]], %[[V]] : (tensor<1x32x1x4096xf32>, tensor<1x8x4096x128xbf16>) -> tensor<1x32x1x128xbf16>
func.func @all_attrs_bf16(%q: tensor<1x32x1x128xbf16>, %k: tensor<1x8x4096x128xbf16>, %v: tensor<1x8x4096x128xbf16>, %m: tensor<1x1x1x4096xi1>) -> tensor<1x32x1x128xbf16> {
  %o = attn.sdpa %q, %k, %v mask(%m) {causal, scale = 0.125 : f32, window = array<i64: 256, 0>, softcap = 30.0 : f32} : (tensor<1x32x1x128xbf16>, tensor<1x8x4096x128xbf16>, tensor<1x8x4096x128xbf16>, tensor<1x1x1x4096xi1>) -> tensor<1x32x1x128xbf16>
  return %o : tensor<1x32x1x128xbf16>
}

// -----

// Dynamic dims carry over to the intermediate types.
// CHECK-LABEL: func.func @dynamic(
// CHECK:         attn.scores {{.*}} -> tensor<?x?x?x?xf32>
// CHECK:         attn.softmax {{.*}} -> tensor<?x?x?x?xf32>
// CHECK:         attn.weighted_sum {{.*}} -> tensor<?x?x?x32xf32>
func.func @dynamic(%q: tensor<?x?x?x16xf32>, %k: tensor<?x?x?x16xf32>, %v: tensor<?x?x?x32xf32>) -> tensor<?x?x?x32xf32> {
  %o = attn.sdpa %q, %k, %v : (tensor<?x?x?x16xf32>, tensor<?x?x?x16xf32>, tensor<?x?x?x32xf32>) -> tensor<?x?x?x32xf32>
  return %o : tensor<?x?x?x32xf32>
}
