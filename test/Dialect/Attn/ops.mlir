// RUN: attn-opt %s | attn-opt | FileCheck %s
// RUN: attn-opt %s --mlir-print-op-generic | attn-opt | FileCheck %s

// Round-trip tests of every attn op, in the custom and the generic form.

//===----------------------------------------------------------------------===//
// attn.sdpa
//===----------------------------------------------------------------------===//

// The SPEC examples.
// CHECK-LABEL: func.func @sdpa_spec_plain(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<2x8x128x64xf32>, %[[K:[^:]+]]: tensor<2x8x128x64xf32>, %[[V:[^:]+]]: tensor<2x8x128x64xf32>
// CHECK:         %[[O:.+]] = attn.sdpa %[[Q]], %[[K]], %[[V]] : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32>
// CHECK:         return %[[O]] : tensor<2x8x128x64xf32>
func.func @sdpa_spec_plain(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32> {
  %o = attn.sdpa %q, %k, %v : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32>
  return %o : tensor<2x8x128x64xf32>
}

// The attribute dictionary prints sorted by name.
// CHECK-LABEL: func.func @sdpa_spec_all_attrs(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<1x32x1x128xbf16>, %[[K:[^:]+]]: tensor<1x8x4096x128xbf16>, %[[V:[^:]+]]: tensor<1x8x4096x128xbf16>, %[[M:[^:]+]]: tensor<1x1x1x4096xi1>
// CHECK:         %[[O:.+]] = attn.sdpa %[[Q]], %[[K]], %[[V]] mask(%[[M]]) {causal, scale = 1.250000e-01 : f32, softcap = 3.000000e+01 : f32, window = array<i64: 256, 0>} : (tensor<1x32x1x128xbf16>, tensor<1x8x4096x128xbf16>, tensor<1x8x4096x128xbf16>, tensor<1x1x1x4096xi1>) -> tensor<1x32x1x128xbf16>
// CHECK:         return %[[O]]
func.func @sdpa_spec_all_attrs(%q: tensor<1x32x1x128xbf16>, %k: tensor<1x8x4096x128xbf16>, %v: tensor<1x8x4096x128xbf16>, %m: tensor<1x1x1x4096xi1>) -> tensor<1x32x1x128xbf16> {
  %o = attn.sdpa %q, %k, %v mask(%m) {causal, scale = 0.125 : f32, window = array<i64: 256, 0>, softcap = 30.0 : f32}
       : (tensor<1x32x1x128xbf16>, tensor<1x8x4096x128xbf16>, tensor<1x8x4096x128xbf16>, tensor<1x1x1x4096xi1>) -> tensor<1x32x1x128xbf16>
  return %o : tensor<1x32x1x128xbf16>
}

// Masks: boolean (broadcast over heads), additive f32, additive of the
// query's element type.
// CHECK-LABEL: func.func @sdpa_mask_i1(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<2x8x128x64xf32>, %[[K:[^:]+]]: tensor<2x8x128x64xf32>, %[[V:[^:]+]]: tensor<2x8x128x64xf32>, %[[M:[^:]+]]: tensor<2x1x128x128xi1>
// CHECK:         attn.sdpa %[[Q]], %[[K]], %[[V]] mask(%[[M]]) : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x1x128x128xi1>) -> tensor<2x8x128x64xf32>
func.func @sdpa_mask_i1(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x8x128x64xf32>, %m: tensor<2x1x128x128xi1>) -> tensor<2x8x128x64xf32> {
  %o = attn.sdpa %q, %k, %v mask(%m) : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x1x128x128xi1>) -> tensor<2x8x128x64xf32>
  return %o : tensor<2x8x128x64xf32>
}

// CHECK-LABEL: func.func @sdpa_mask_f32_additive(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<2x8x128x64xf32>, %[[K:[^:]+]]: tensor<2x8x256x64xf32>, %[[V:[^:]+]]: tensor<2x8x256x64xf32>, %[[M:[^:]+]]: tensor<2x8x128x256xf32>
// CHECK:         attn.sdpa %[[Q]], %[[K]], %[[V]] mask(%[[M]]) : (tensor<2x8x128x64xf32>, tensor<2x8x256x64xf32>, tensor<2x8x256x64xf32>, tensor<2x8x128x256xf32>) -> tensor<2x8x128x64xf32>
func.func @sdpa_mask_f32_additive(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x256x64xf32>, %v: tensor<2x8x256x64xf32>, %m: tensor<2x8x128x256xf32>) -> tensor<2x8x128x64xf32> {
  %o = attn.sdpa %q, %k, %v mask(%m) : (tensor<2x8x128x64xf32>, tensor<2x8x256x64xf32>, tensor<2x8x256x64xf32>, tensor<2x8x128x256xf32>) -> tensor<2x8x128x64xf32>
  return %o : tensor<2x8x128x64xf32>
}

// CHECK-LABEL: func.func @sdpa_mask_f16_additive(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<1x4x64x32xf16>, %[[K:[^:]+]]: tensor<1x4x64x32xf16>, %[[V:[^:]+]]: tensor<1x4x64x32xf16>, %[[M:[^:]+]]: tensor<1x1x64x64xf16>
// CHECK:         attn.sdpa %[[Q]], %[[K]], %[[V]] mask(%[[M]]) : (tensor<1x4x64x32xf16>, tensor<1x4x64x32xf16>, tensor<1x4x64x32xf16>, tensor<1x1x64x64xf16>) -> tensor<1x4x64x32xf16>
func.func @sdpa_mask_f16_additive(%q: tensor<1x4x64x32xf16>, %k: tensor<1x4x64x32xf16>, %v: tensor<1x4x64x32xf16>, %m: tensor<1x1x64x64xf16>) -> tensor<1x4x64x32xf16> {
  %o = attn.sdpa %q, %k, %v mask(%m) : (tensor<1x4x64x32xf16>, tensor<1x4x64x32xf16>, tensor<1x4x64x32xf16>, tensor<1x1x64x64xf16>) -> tensor<1x4x64x32xf16>
  return %o : tensor<1x4x64x32xf16>
}

// An f32 additive mask is accepted with a bf16 query too.
// CHECK-LABEL: func.func @sdpa_mask_f32_with_bf16(
// CHECK:         attn.sdpa %{{.+}}, %{{.+}}, %{{.+}} mask(%{{.+}}) : (tensor<1x4x64x32xbf16>, tensor<1x4x64x32xbf16>, tensor<1x4x64x32xbf16>, tensor<1x1x1x64xf32>) -> tensor<1x4x64x32xbf16>
func.func @sdpa_mask_f32_with_bf16(%q: tensor<1x4x64x32xbf16>, %k: tensor<1x4x64x32xbf16>, %v: tensor<1x4x64x32xbf16>, %m: tensor<1x1x1x64xf32>) -> tensor<1x4x64x32xbf16> {
  %o = attn.sdpa %q, %k, %v mask(%m) : (tensor<1x4x64x32xbf16>, tensor<1x4x64x32xbf16>, tensor<1x4x64x32xbf16>, tensor<1x1x1x64xf32>) -> tensor<1x4x64x32xbf16>
  return %o : tensor<1x4x64x32xbf16>
}

// One attribute at a time.
// CHECK-LABEL: func.func @sdpa_causal(
// CHECK:         attn.sdpa %{{.+}}, %{{.+}}, %{{.+}} {causal} : (tensor<2x8x128x64xf32>, tensor<2x8x256x64xf32>, tensor<2x8x256x64xf32>) -> tensor<2x8x128x64xf32>
func.func @sdpa_causal(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x256x64xf32>, %v: tensor<2x8x256x64xf32>) -> tensor<2x8x128x64xf32> {
  %o = attn.sdpa %q, %k, %v {causal} : (tensor<2x8x128x64xf32>, tensor<2x8x256x64xf32>, tensor<2x8x256x64xf32>) -> tensor<2x8x128x64xf32>
  return %o : tensor<2x8x128x64xf32>
}

// CHECK-LABEL: func.func @sdpa_scale(
// CHECK:         attn.sdpa %{{.+}}, %{{.+}}, %{{.+}} {scale = 1.250000e-01 : f32} : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32>
func.func @sdpa_scale(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32> {
  %o = attn.sdpa %q, %k, %v {scale = 0.125 : f32} : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32>
  return %o : tensor<2x8x128x64xf32>
}

// A zero or negative scale is finite, hence valid.
// CHECK-LABEL: func.func @sdpa_scale_negative(
// CHECK:         attn.sdpa %{{.+}}, %{{.+}}, %{{.+}} {scale = -2.000000e+00 : f32}
func.func @sdpa_scale_negative(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32> {
  %o = attn.sdpa %q, %k, %v {scale = -2.0 : f32} : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32>
  return %o : tensor<2x8x128x64xf32>
}

// CHECK-LABEL: func.func @sdpa_window(
// CHECK:         attn.sdpa %{{.+}}, %{{.+}}, %{{.+}} {window = array<i64: 64, 16>} : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32>
func.func @sdpa_window(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32> {
  %o = attn.sdpa %q, %k, %v {window = array<i64: 64, 16>} : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32>
  return %o : tensor<2x8x128x64xf32>
}

// CHECK-LABEL: func.func @sdpa_window_zero(
// CHECK:         attn.sdpa %{{.+}}, %{{.+}}, %{{.+}} {window = array<i64: 0, 0>}
func.func @sdpa_window_zero(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32> {
  %o = attn.sdpa %q, %k, %v {window = array<i64: 0, 0>} : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32>
  return %o : tensor<2x8x128x64xf32>
}

// CHECK-LABEL: func.func @sdpa_softcap(
// CHECK:         attn.sdpa %{{.+}}, %{{.+}}, %{{.+}} {softcap = 5.000000e+01 : f32} : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32>
func.func @sdpa_softcap(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32> {
  %o = attn.sdpa %q, %k, %v {softcap = 50.0 : f32} : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32>
  return %o : tensor<2x8x128x64xf32>
}

// Everything together, with an additive f32 mask.
// CHECK-LABEL: func.func @sdpa_all_attrs_additive_mask(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<2x8x128x64xf32>, %[[K:[^:]+]]: tensor<2x8x128x64xf32>, %[[V:[^:]+]]: tensor<2x8x128x64xf32>, %[[M:[^:]+]]: tensor<1x1x128x128xf32>
// CHECK:         attn.sdpa %[[Q]], %[[K]], %[[V]] mask(%[[M]]) {causal, scale = 5.000000e-01 : f32, softcap = 2.000000e+01 : f32, window = array<i64: 32, 0>} : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<1x1x128x128xf32>) -> tensor<2x8x128x64xf32>
func.func @sdpa_all_attrs_additive_mask(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x8x128x64xf32>, %m: tensor<1x1x128x128xf32>) -> tensor<2x8x128x64xf32> {
  %o = attn.sdpa %q, %k, %v mask(%m) {window = array<i64: 32, 0>, softcap = 20.0 : f32, scale = 0.5 : f32, causal} : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<1x1x128x128xf32>) -> tensor<2x8x128x64xf32>
  return %o : tensor<2x8x128x64xf32>
}

// Grouped-query (32 query heads over 8 kv heads) and multi-query attention.
// CHECK-LABEL: func.func @sdpa_gqa(
// CHECK:         attn.sdpa %{{.+}}, %{{.+}}, %{{.+}} : (tensor<2x32x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x32x128x64xf32>
func.func @sdpa_gqa(%q: tensor<2x32x128x64xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x8x128x64xf32>) -> tensor<2x32x128x64xf32> {
  %o = attn.sdpa %q, %k, %v : (tensor<2x32x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x32x128x64xf32>
  return %o : tensor<2x32x128x64xf32>
}

// CHECK-LABEL: func.func @sdpa_mqa(
// CHECK:         attn.sdpa %{{.+}}, %{{.+}}, %{{.+}} mask(%{{.+}}) {causal} : (tensor<2x32x128x64xf16>, tensor<2x1x128x64xf16>, tensor<2x1x128x64xf16>, tensor<2x32x128x128xi1>) -> tensor<2x32x128x64xf16>
func.func @sdpa_mqa(%q: tensor<2x32x128x64xf16>, %k: tensor<2x1x128x64xf16>, %v: tensor<2x1x128x64xf16>, %m: tensor<2x32x128x128xi1>) -> tensor<2x32x128x64xf16> {
  %o = attn.sdpa %q, %k, %v mask(%m) {causal} : (tensor<2x32x128x64xf16>, tensor<2x1x128x64xf16>, tensor<2x1x128x64xf16>, tensor<2x32x128x128xi1>) -> tensor<2x32x128x64xf16>
  return %o : tensor<2x32x128x64xf16>
}

// A value head dim different from the query head dim.
// CHECK-LABEL: func.func @sdpa_value_head_dim(
// CHECK:         attn.sdpa %{{.+}}, %{{.+}}, %{{.+}} : (tensor<2x8x128x64xf32>, tensor<2x8x96x64xf32>, tensor<2x8x96x32xf32>) -> tensor<2x8x128x32xf32>
func.func @sdpa_value_head_dim(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x96x64xf32>, %v: tensor<2x8x96x32xf32>) -> tensor<2x8x128x32xf32> {
  %o = attn.sdpa %q, %k, %v : (tensor<2x8x128x64xf32>, tensor<2x8x96x64xf32>, tensor<2x8x96x32xf32>) -> tensor<2x8x128x32xf32>
  return %o : tensor<2x8x128x32xf32>
}

// Dynamic B, H, Sq, Sk (and Hkv); head dims stay static.
// CHECK-LABEL: func.func @sdpa_dynamic(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<?x?x?x64xf32>, %[[K:[^:]+]]: tensor<?x?x?x64xf32>, %[[V:[^:]+]]: tensor<?x?x?x32xf32>, %[[M:[^:]+]]: tensor<?x1x?x?xi1>
// CHECK:         attn.sdpa %[[Q]], %[[K]], %[[V]] mask(%[[M]]) {causal} : (tensor<?x?x?x64xf32>, tensor<?x?x?x64xf32>, tensor<?x?x?x32xf32>, tensor<?x1x?x?xi1>) -> tensor<?x?x?x32xf32>
func.func @sdpa_dynamic(%q: tensor<?x?x?x64xf32>, %k: tensor<?x?x?x64xf32>, %v: tensor<?x?x?x32xf32>, %m: tensor<?x1x?x?xi1>) -> tensor<?x?x?x32xf32> {
  %o = attn.sdpa %q, %k, %v mask(%m) {causal} : (tensor<?x?x?x64xf32>, tensor<?x?x?x64xf32>, tensor<?x?x?x32xf32>, tensor<?x1x?x?xi1>) -> tensor<?x?x?x32xf32>
  return %o : tensor<?x?x?x32xf32>
}

// Static and dynamic dims mixed: dynamic dims agree with anything.
// CHECK-LABEL: func.func @sdpa_mixed_dynamic(
// CHECK:         attn.sdpa %{{.+}}, %{{.+}}, %{{.+}} : (tensor<?x8x?x64xf32>, tensor<2x?x128x64xf32>, tensor<?x2x?x64xf32>) -> tensor<2x8x?x64xf32>
func.func @sdpa_mixed_dynamic(%q: tensor<?x8x?x64xf32>, %k: tensor<2x?x128x64xf32>, %v: tensor<?x2x?x64xf32>) -> tensor<2x8x?x64xf32> {
  %o = attn.sdpa %q, %k, %v : (tensor<?x8x?x64xf32>, tensor<2x?x128x64xf32>, tensor<?x2x?x64xf32>) -> tensor<2x8x?x64xf32>
  return %o : tensor<2x8x?x64xf32>
}

// f16 and bf16, with their own or an f32 result.
// CHECK-LABEL: func.func @sdpa_f16(
// CHECK:         attn.sdpa %{{.+}}, %{{.+}}, %{{.+}} : (tensor<2x8x128x64xf16>, tensor<2x8x128x64xf16>, tensor<2x8x128x64xf16>) -> tensor<2x8x128x64xf16>
func.func @sdpa_f16(%q: tensor<2x8x128x64xf16>, %k: tensor<2x8x128x64xf16>, %v: tensor<2x8x128x64xf16>) -> tensor<2x8x128x64xf16> {
  %o = attn.sdpa %q, %k, %v : (tensor<2x8x128x64xf16>, tensor<2x8x128x64xf16>, tensor<2x8x128x64xf16>) -> tensor<2x8x128x64xf16>
  return %o : tensor<2x8x128x64xf16>
}

// CHECK-LABEL: func.func @sdpa_f16_f32_result(
// CHECK:         attn.sdpa %{{.+}}, %{{.+}}, %{{.+}} : (tensor<2x8x128x64xf16>, tensor<2x8x128x64xf16>, tensor<2x8x128x64xf16>) -> tensor<2x8x128x64xf32>
func.func @sdpa_f16_f32_result(%q: tensor<2x8x128x64xf16>, %k: tensor<2x8x128x64xf16>, %v: tensor<2x8x128x64xf16>) -> tensor<2x8x128x64xf32> {
  %o = attn.sdpa %q, %k, %v : (tensor<2x8x128x64xf16>, tensor<2x8x128x64xf16>, tensor<2x8x128x64xf16>) -> tensor<2x8x128x64xf32>
  return %o : tensor<2x8x128x64xf32>
}

// CHECK-LABEL: func.func @sdpa_bf16(
// CHECK:         attn.sdpa %{{.+}}, %{{.+}}, %{{.+}} : (tensor<2x8x128x64xbf16>, tensor<2x8x128x64xbf16>, tensor<2x8x128x64xbf16>) -> tensor<2x8x128x64xbf16>
func.func @sdpa_bf16(%q: tensor<2x8x128x64xbf16>, %k: tensor<2x8x128x64xbf16>, %v: tensor<2x8x128x64xbf16>) -> tensor<2x8x128x64xbf16> {
  %o = attn.sdpa %q, %k, %v : (tensor<2x8x128x64xbf16>, tensor<2x8x128x64xbf16>, tensor<2x8x128x64xbf16>) -> tensor<2x8x128x64xbf16>
  return %o : tensor<2x8x128x64xbf16>
}

// CHECK-LABEL: func.func @sdpa_bf16_f32_result(
// CHECK:         attn.sdpa %{{.+}}, %{{.+}}, %{{.+}} mask(%{{.+}}) : (tensor<2x8x128x64xbf16>, tensor<2x8x128x64xbf16>, tensor<2x8x128x64xbf16>, tensor<2x8x128x128xbf16>) -> tensor<2x8x128x64xf32>
func.func @sdpa_bf16_f32_result(%q: tensor<2x8x128x64xbf16>, %k: tensor<2x8x128x64xbf16>, %v: tensor<2x8x128x64xbf16>, %m: tensor<2x8x128x128xbf16>) -> tensor<2x8x128x64xf32> {
  %o = attn.sdpa %q, %k, %v mask(%m) : (tensor<2x8x128x64xbf16>, tensor<2x8x128x64xbf16>, tensor<2x8x128x64xbf16>, tensor<2x8x128x128xbf16>) -> tensor<2x8x128x64xf32>
  return %o : tensor<2x8x128x64xf32>
}

//===----------------------------------------------------------------------===//
// attn.scores
//===----------------------------------------------------------------------===//

// The SPEC example.
// CHECK-LABEL: func.func @scores_spec(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<2x8x128x64xf32>, %[[K:[^:]+]]: tensor<2x8x128x64xf32>, %[[M:[^:]+]]: tensor<2x1x128x128xi1>
// CHECK:         %[[S:.+]] = attn.scores %[[Q]], %[[K]] mask(%[[M]]) {causal, scale = 1.250000e-01 : f32} : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x1x128x128xi1>) -> tensor<2x8x128x128xf32>
// CHECK:         return %[[S]]
func.func @scores_spec(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %m: tensor<2x1x128x128xi1>) -> tensor<2x8x128x128xf32> {
  %s = attn.scores %q, %k mask(%m) {causal, scale = 0.125 : f32} : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x1x128x128xi1>) -> tensor<2x8x128x128xf32>
  return %s : tensor<2x8x128x128xf32>
}

// CHECK-LABEL: func.func @scores_plain(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<2x8x128x64xf32>, %[[K:[^:]+]]: tensor<2x8x256x64xf32>
// CHECK:         attn.scores %[[Q]], %[[K]] : (tensor<2x8x128x64xf32>, tensor<2x8x256x64xf32>) -> tensor<2x8x128x256xf32>
func.func @scores_plain(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x256x64xf32>) -> tensor<2x8x128x256xf32> {
  %s = attn.scores %q, %k : (tensor<2x8x128x64xf32>, tensor<2x8x256x64xf32>) -> tensor<2x8x128x256xf32>
  return %s : tensor<2x8x128x256xf32>
}

// Masks: additive f32 and additive of the query's element type.
// CHECK-LABEL: func.func @scores_mask_f32_additive(
// CHECK:         attn.scores %{{.+}}, %{{.+}} mask(%{{.+}}) : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<1x8x1x128xf32>) -> tensor<2x8x128x128xf32>
func.func @scores_mask_f32_additive(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %m: tensor<1x8x1x128xf32>) -> tensor<2x8x128x128xf32> {
  %s = attn.scores %q, %k mask(%m) : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<1x8x1x128xf32>) -> tensor<2x8x128x128xf32>
  return %s : tensor<2x8x128x128xf32>
}

// CHECK-LABEL: func.func @scores_mask_f16_additive(
// CHECK:         attn.scores %{{.+}}, %{{.+}} mask(%{{.+}}) : (tensor<1x4x64x32xf16>, tensor<1x4x64x32xf16>, tensor<1x4x64x64xf16>) -> tensor<1x4x64x64xf16>
func.func @scores_mask_f16_additive(%q: tensor<1x4x64x32xf16>, %k: tensor<1x4x64x32xf16>, %m: tensor<1x4x64x64xf16>) -> tensor<1x4x64x64xf16> {
  %s = attn.scores %q, %k mask(%m) : (tensor<1x4x64x32xf16>, tensor<1x4x64x32xf16>, tensor<1x4x64x64xf16>) -> tensor<1x4x64x64xf16>
  return %s : tensor<1x4x64x64xf16>
}

// One attribute at a time, then all of them.
// CHECK-LABEL: func.func @scores_causal(
// CHECK:         attn.scores %{{.+}}, %{{.+}} {causal} : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x128xf32>
func.func @scores_causal(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>) -> tensor<2x8x128x128xf32> {
  %s = attn.scores %q, %k {causal} : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x128xf32>
  return %s : tensor<2x8x128x128xf32>
}

// CHECK-LABEL: func.func @scores_scale(
// CHECK:         attn.scores %{{.+}}, %{{.+}} {scale = 2.500000e-01 : f32} : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x128xf32>
func.func @scores_scale(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>) -> tensor<2x8x128x128xf32> {
  %s = attn.scores %q, %k {scale = 0.25 : f32} : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x128xf32>
  return %s : tensor<2x8x128x128xf32>
}

// CHECK-LABEL: func.func @scores_window(
// CHECK:         attn.scores %{{.+}}, %{{.+}} {window = array<i64: 8, 8>} : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x128xf32>
func.func @scores_window(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>) -> tensor<2x8x128x128xf32> {
  %s = attn.scores %q, %k {window = array<i64: 8, 8>} : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x128xf32>
  return %s : tensor<2x8x128x128xf32>
}

// CHECK-LABEL: func.func @scores_softcap(
// CHECK:         attn.scores %{{.+}}, %{{.+}} {softcap = 3.000000e+01 : f32} : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x128xf32>
func.func @scores_softcap(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>) -> tensor<2x8x128x128xf32> {
  %s = attn.scores %q, %k {softcap = 30.0 : f32} : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x128xf32>
  return %s : tensor<2x8x128x128xf32>
}

// CHECK-LABEL: func.func @scores_all_attrs(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<1x32x1x128xbf16>, %[[K:[^:]+]]: tensor<1x8x4096x128xbf16>, %[[M:[^:]+]]: tensor<1x1x1x4096xi1>
// CHECK:         attn.scores %[[Q]], %[[K]] mask(%[[M]]) {causal, scale = 1.250000e-01 : f32, softcap = 3.000000e+01 : f32, window = array<i64: 256, 0>} : (tensor<1x32x1x128xbf16>, tensor<1x8x4096x128xbf16>, tensor<1x1x1x4096xi1>) -> tensor<1x32x1x4096xf32>
func.func @scores_all_attrs(%q: tensor<1x32x1x128xbf16>, %k: tensor<1x8x4096x128xbf16>, %m: tensor<1x1x1x4096xi1>) -> tensor<1x32x1x4096xf32> {
  %s = attn.scores %q, %k mask(%m) {causal, scale = 0.125 : f32, window = array<i64: 256, 0>, softcap = 30.0 : f32} : (tensor<1x32x1x128xbf16>, tensor<1x8x4096x128xbf16>, tensor<1x1x1x4096xi1>) -> tensor<1x32x1x4096xf32>
  return %s : tensor<1x32x1x4096xf32>
}

// GQA, MQA and dynamic dims.
// CHECK-LABEL: func.func @scores_gqa(
// CHECK:         attn.scores %{{.+}}, %{{.+}} : (tensor<2x32x128x64xf32>, tensor<2x8x256x64xf32>) -> tensor<2x32x128x256xf32>
func.func @scores_gqa(%q: tensor<2x32x128x64xf32>, %k: tensor<2x8x256x64xf32>) -> tensor<2x32x128x256xf32> {
  %s = attn.scores %q, %k : (tensor<2x32x128x64xf32>, tensor<2x8x256x64xf32>) -> tensor<2x32x128x256xf32>
  return %s : tensor<2x32x128x256xf32>
}

// CHECK-LABEL: func.func @scores_mqa(
// CHECK:         attn.scores %{{.+}}, %{{.+}} : (tensor<2x32x128x64xf32>, tensor<2x1x128x64xf32>) -> tensor<2x32x128x128xf32>
func.func @scores_mqa(%q: tensor<2x32x128x64xf32>, %k: tensor<2x1x128x64xf32>) -> tensor<2x32x128x128xf32> {
  %s = attn.scores %q, %k : (tensor<2x32x128x64xf32>, tensor<2x1x128x64xf32>) -> tensor<2x32x128x128xf32>
  return %s : tensor<2x32x128x128xf32>
}

// CHECK-LABEL: func.func @scores_dynamic(
// CHECK:         attn.scores %{{.+}}, %{{.+}} mask(%{{.+}}) {window = array<i64: 16, 0>} : (tensor<?x?x?x64xf32>, tensor<?x?x?x64xf32>, tensor<?x1x?x?xf32>) -> tensor<?x?x?x?xf32>
func.func @scores_dynamic(%q: tensor<?x?x?x64xf32>, %k: tensor<?x?x?x64xf32>, %m: tensor<?x1x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %s = attn.scores %q, %k mask(%m) {window = array<i64: 16, 0>} : (tensor<?x?x?x64xf32>, tensor<?x?x?x64xf32>, tensor<?x1x?x?xf32>) -> tensor<?x?x?x?xf32>
  return %s : tensor<?x?x?x?xf32>
}

// f16 and bf16, with their own or an f32 result.
// CHECK-LABEL: func.func @scores_f16_f32_result(
// CHECK:         attn.scores %{{.+}}, %{{.+}} : (tensor<2x8x128x64xf16>, tensor<2x8x128x64xf16>) -> tensor<2x8x128x128xf32>
func.func @scores_f16_f32_result(%q: tensor<2x8x128x64xf16>, %k: tensor<2x8x128x64xf16>) -> tensor<2x8x128x128xf32> {
  %s = attn.scores %q, %k : (tensor<2x8x128x64xf16>, tensor<2x8x128x64xf16>) -> tensor<2x8x128x128xf32>
  return %s : tensor<2x8x128x128xf32>
}

// CHECK-LABEL: func.func @scores_bf16(
// CHECK:         attn.scores %{{.+}}, %{{.+}} : (tensor<2x8x128x64xbf16>, tensor<2x8x128x64xbf16>) -> tensor<2x8x128x128xbf16>
func.func @scores_bf16(%q: tensor<2x8x128x64xbf16>, %k: tensor<2x8x128x64xbf16>) -> tensor<2x8x128x128xbf16> {
  %s = attn.scores %q, %k : (tensor<2x8x128x64xbf16>, tensor<2x8x128x64xbf16>) -> tensor<2x8x128x128xbf16>
  return %s : tensor<2x8x128x128xbf16>
}

//===----------------------------------------------------------------------===//
// attn.softmax
//===----------------------------------------------------------------------===//

// The SPEC example.
// CHECK-LABEL: func.func @softmax_spec(
// CHECK-SAME:      %[[S:[^:]+]]: tensor<2x8x128x128xf32>
// CHECK:         %[[P:.+]] = attn.softmax %[[S]] : (tensor<2x8x128x128xf32>) -> tensor<2x8x128x128xf32>
// CHECK:         return %[[P]]
func.func @softmax_spec(%s: tensor<2x8x128x128xf32>) -> tensor<2x8x128x128xf32> {
  %p = attn.softmax %s : (tensor<2x8x128x128xf32>) -> tensor<2x8x128x128xf32>
  return %p : tensor<2x8x128x128xf32>
}

// Narrow inputs, with their own or an f32 result.
// CHECK-LABEL: func.func @softmax_f16_f32_result(
// CHECK:         attn.softmax %{{.+}} : (tensor<2x8x128x128xf16>) -> tensor<2x8x128x128xf32>
func.func @softmax_f16_f32_result(%s: tensor<2x8x128x128xf16>) -> tensor<2x8x128x128xf32> {
  %p = attn.softmax %s : (tensor<2x8x128x128xf16>) -> tensor<2x8x128x128xf32>
  return %p : tensor<2x8x128x128xf32>
}

// CHECK-LABEL: func.func @softmax_bf16(
// CHECK:         attn.softmax %{{.+}} : (tensor<2x8x128x128xbf16>) -> tensor<2x8x128x128xbf16>
func.func @softmax_bf16(%s: tensor<2x8x128x128xbf16>) -> tensor<2x8x128x128xbf16> {
  %p = attn.softmax %s : (tensor<2x8x128x128xbf16>) -> tensor<2x8x128x128xbf16>
  return %p : tensor<2x8x128x128xbf16>
}

// Dynamic dims, and ranks other than 4 (the softmax is over the last dim).
// CHECK-LABEL: func.func @softmax_dynamic(
// CHECK:         attn.softmax %{{.+}} : (tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32>
func.func @softmax_dynamic(%s: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %p = attn.softmax %s : (tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32>
  return %p : tensor<?x?x?x?xf32>
}

// CHECK-LABEL: func.func @softmax_rank1(
// CHECK:         attn.softmax %{{.+}} : (tensor<16xf32>) -> tensor<16xf32>
func.func @softmax_rank1(%s: tensor<16xf32>) -> tensor<16xf32> {
  %p = attn.softmax %s : (tensor<16xf32>) -> tensor<16xf32>
  return %p : tensor<16xf32>
}

// CHECK-LABEL: func.func @softmax_rank2(
// CHECK:         attn.softmax %{{.+}} : (tensor<4x16xf16>) -> tensor<4x16xf16>
func.func @softmax_rank2(%s: tensor<4x16xf16>) -> tensor<4x16xf16> {
  %p = attn.softmax %s : (tensor<4x16xf16>) -> tensor<4x16xf16>
  return %p : tensor<4x16xf16>
}

//===----------------------------------------------------------------------===//
// attn.weighted_sum
//===----------------------------------------------------------------------===//

// The SPEC example.
// CHECK-LABEL: func.func @weighted_sum_spec(
// CHECK-SAME:      %[[P:[^:]+]]: tensor<2x8x128x128xf32>, %[[V:[^:]+]]: tensor<2x8x128x64xf32>
// CHECK:         %[[A:.+]] = attn.weighted_sum %[[P]], %[[V]] : (tensor<2x8x128x128xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32>
// CHECK:         return %[[A]]
func.func @weighted_sum_spec(%p: tensor<2x8x128x128xf32>, %v: tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32> {
  %a = attn.weighted_sum %p, %v : (tensor<2x8x128x128xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32>
  return %a : tensor<2x8x128x64xf32>
}

// f32 probabilities with bf16 values; the result is v's type or f32.
// CHECK-LABEL: func.func @weighted_sum_f32_probs_bf16_value(
// CHECK:         attn.weighted_sum %{{.+}}, %{{.+}} : (tensor<2x8x128x128xf32>, tensor<2x8x128x64xbf16>) -> tensor<2x8x128x64xbf16>
func.func @weighted_sum_f32_probs_bf16_value(%p: tensor<2x8x128x128xf32>, %v: tensor<2x8x128x64xbf16>) -> tensor<2x8x128x64xbf16> {
  %a = attn.weighted_sum %p, %v : (tensor<2x8x128x128xf32>, tensor<2x8x128x64xbf16>) -> tensor<2x8x128x64xbf16>
  return %a : tensor<2x8x128x64xbf16>
}

// CHECK-LABEL: func.func @weighted_sum_f32_probs_bf16_value_f32_result(
// CHECK:         attn.weighted_sum %{{.+}}, %{{.+}} : (tensor<2x8x128x128xf32>, tensor<2x8x128x64xbf16>) -> tensor<2x8x128x64xf32>
func.func @weighted_sum_f32_probs_bf16_value_f32_result(%p: tensor<2x8x128x128xf32>, %v: tensor<2x8x128x64xbf16>) -> tensor<2x8x128x64xf32> {
  %a = attn.weighted_sum %p, %v : (tensor<2x8x128x128xf32>, tensor<2x8x128x64xbf16>) -> tensor<2x8x128x64xf32>
  return %a : tensor<2x8x128x64xf32>
}

// CHECK-LABEL: func.func @weighted_sum_f16(
// CHECK:         attn.weighted_sum %{{.+}}, %{{.+}} : (tensor<2x8x128x128xf16>, tensor<2x8x128x64xf16>) -> tensor<2x8x128x64xf16>
func.func @weighted_sum_f16(%p: tensor<2x8x128x128xf16>, %v: tensor<2x8x128x64xf16>) -> tensor<2x8x128x64xf16> {
  %a = attn.weighted_sum %p, %v : (tensor<2x8x128x128xf16>, tensor<2x8x128x64xf16>) -> tensor<2x8x128x64xf16>
  return %a : tensor<2x8x128x64xf16>
}

// GQA, MQA and dynamic dims.
// CHECK-LABEL: func.func @weighted_sum_gqa(
// CHECK:         attn.weighted_sum %{{.+}}, %{{.+}} : (tensor<2x32x128x256xf32>, tensor<2x8x256x32xf32>) -> tensor<2x32x128x32xf32>
func.func @weighted_sum_gqa(%p: tensor<2x32x128x256xf32>, %v: tensor<2x8x256x32xf32>) -> tensor<2x32x128x32xf32> {
  %a = attn.weighted_sum %p, %v : (tensor<2x32x128x256xf32>, tensor<2x8x256x32xf32>) -> tensor<2x32x128x32xf32>
  return %a : tensor<2x32x128x32xf32>
}

// CHECK-LABEL: func.func @weighted_sum_mqa(
// CHECK:         attn.weighted_sum %{{.+}}, %{{.+}} : (tensor<2x32x128x128xf32>, tensor<2x1x128x64xf32>) -> tensor<2x32x128x64xf32>
func.func @weighted_sum_mqa(%p: tensor<2x32x128x128xf32>, %v: tensor<2x1x128x64xf32>) -> tensor<2x32x128x64xf32> {
  %a = attn.weighted_sum %p, %v : (tensor<2x32x128x128xf32>, tensor<2x1x128x64xf32>) -> tensor<2x32x128x64xf32>
  return %a : tensor<2x32x128x64xf32>
}

// CHECK-LABEL: func.func @weighted_sum_dynamic(
// CHECK:         attn.weighted_sum %{{.+}}, %{{.+}} : (tensor<?x?x?x?xf32>, tensor<?x?x?x64xf32>) -> tensor<?x?x?x64xf32>
func.func @weighted_sum_dynamic(%p: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x64xf32>) -> tensor<?x?x?x64xf32> {
  %a = attn.weighted_sum %p, %v : (tensor<?x?x?x?xf32>, tensor<?x?x?x64xf32>) -> tensor<?x?x?x64xf32>
  return %a : tensor<?x?x?x64xf32>
}

//===----------------------------------------------------------------------===//
// attn.project
//===----------------------------------------------------------------------===//

// The SPEC example (with bias).
// CHECK-LABEL: func.func @project_spec(
// CHECK-SAME:      %[[X:[^:]+]]: tensor<2x128x512xf32>, %[[W:[^:]+]]: tensor<512x512xf32>, %[[B:[^:]+]]: tensor<512xf32>
// CHECK:         %[[Y:.+]] = attn.project %[[X]], %[[W]] bias(%[[B]]) {num_heads = 8 : i64} : (tensor<2x128x512xf32>, tensor<512x512xf32>, tensor<512xf32>) -> tensor<2x8x128x64xf32>
// CHECK:         return %[[Y]]
func.func @project_spec(%x: tensor<2x128x512xf32>, %wq: tensor<512x512xf32>, %bq: tensor<512xf32>) -> tensor<2x8x128x64xf32> {
  %q = attn.project %x, %wq bias(%bq) {num_heads = 8 : i64} : (tensor<2x128x512xf32>, tensor<512x512xf32>, tensor<512xf32>) -> tensor<2x8x128x64xf32>
  return %q : tensor<2x8x128x64xf32>
}

// Without bias; a projection to fewer heads than the model width (GQA keys).
// CHECK-LABEL: func.func @project_no_bias(
// CHECK-SAME:      %[[X:[^:]+]]: tensor<2x128x512xf32>, %[[W:[^:]+]]: tensor<128x512xf32>
// CHECK:         attn.project %[[X]], %[[W]] {num_heads = 2 : i64} : (tensor<2x128x512xf32>, tensor<128x512xf32>) -> tensor<2x2x128x64xf32>
func.func @project_no_bias(%x: tensor<2x128x512xf32>, %wk: tensor<128x512xf32>) -> tensor<2x2x128x64xf32> {
  %k = attn.project %x, %wk {num_heads = 2 : i64} : (tensor<2x128x512xf32>, tensor<128x512xf32>) -> tensor<2x2x128x64xf32>
  return %k : tensor<2x2x128x64xf32>
}

// CHECK-LABEL: func.func @project_one_head(
// CHECK:         attn.project %{{.+}}, %{{.+}} {num_heads = 1 : i64} : (tensor<1x16x64xf32>, tensor<32x64xf32>) -> tensor<1x1x16x32xf32>
func.func @project_one_head(%x: tensor<1x16x64xf32>, %w: tensor<32x64xf32>) -> tensor<1x1x16x32xf32> {
  %y = attn.project %x, %w {num_heads = 1 : i64} : (tensor<1x16x64xf32>, tensor<32x64xf32>) -> tensor<1x1x16x32xf32>
  return %y : tensor<1x1x16x32xf32>
}

// Dynamic batch and sequence, then a dynamic input width.
// CHECK-LABEL: func.func @project_dynamic(
// CHECK:         attn.project %{{.+}}, %{{.+}} bias(%{{.+}}) {num_heads = 4 : i64} : (tensor<?x?x256xf32>, tensor<256x256xf32>, tensor<256xf32>) -> tensor<?x4x?x64xf32>
func.func @project_dynamic(%x: tensor<?x?x256xf32>, %w: tensor<256x256xf32>, %b: tensor<256xf32>) -> tensor<?x4x?x64xf32> {
  %y = attn.project %x, %w bias(%b) {num_heads = 4 : i64} : (tensor<?x?x256xf32>, tensor<256x256xf32>, tensor<256xf32>) -> tensor<?x4x?x64xf32>
  return %y : tensor<?x4x?x64xf32>
}

// CHECK-LABEL: func.func @project_dynamic_embed(
// CHECK:         attn.project %{{.+}}, %{{.+}} bias(%{{.+}}) {num_heads = 4 : i64} : (tensor<2x16x?xf16>, tensor<256x?xf16>, tensor<?xf16>) -> tensor<2x4x16x64xf16>
func.func @project_dynamic_embed(%x: tensor<2x16x?xf16>, %w: tensor<256x?xf16>, %b: tensor<?xf16>) -> tensor<2x4x16x64xf16> {
  %y = attn.project %x, %w bias(%b) {num_heads = 4 : i64} : (tensor<2x16x?xf16>, tensor<256x?xf16>, tensor<?xf16>) -> tensor<2x4x16x64xf16>
  return %y : tensor<2x4x16x64xf16>
}

// bf16 with an f32 result.
// CHECK-LABEL: func.func @project_bf16_f32_result(
// CHECK:         attn.project %{{.+}}, %{{.+}} bias(%{{.+}}) {num_heads = 8 : i64} : (tensor<2x128x512xbf16>, tensor<512x512xbf16>, tensor<512xbf16>) -> tensor<2x8x128x64xf32>
func.func @project_bf16_f32_result(%x: tensor<2x128x512xbf16>, %w: tensor<512x512xbf16>, %b: tensor<512xbf16>) -> tensor<2x8x128x64xf32> {
  %y = attn.project %x, %w bias(%b) {num_heads = 8 : i64} : (tensor<2x128x512xbf16>, tensor<512x512xbf16>, tensor<512xbf16>) -> tensor<2x8x128x64xf32>
  return %y : tensor<2x8x128x64xf32>
}

//===----------------------------------------------------------------------===//
// attn.output_project
//===----------------------------------------------------------------------===//

// The SPEC example (with bias).
// CHECK-LABEL: func.func @output_project_spec(
// CHECK-SAME:      %[[A:[^:]+]]: tensor<2x8x128x64xf32>, %[[W:[^:]+]]: tensor<512x512xf32>, %[[B:[^:]+]]: tensor<512xf32>
// CHECK:         %[[Y:.+]] = attn.output_project %[[A]], %[[W]] bias(%[[B]]) : (tensor<2x8x128x64xf32>, tensor<512x512xf32>, tensor<512xf32>) -> tensor<2x128x512xf32>
// CHECK:         return %[[Y]]
func.func @output_project_spec(%a: tensor<2x8x128x64xf32>, %wo: tensor<512x512xf32>, %bo: tensor<512xf32>) -> tensor<2x128x512xf32> {
  %y = attn.output_project %a, %wo bias(%bo) : (tensor<2x8x128x64xf32>, tensor<512x512xf32>, tensor<512xf32>) -> tensor<2x128x512xf32>
  return %y : tensor<2x128x512xf32>
}

// Without bias, projecting to a width other than H*D.
// CHECK-LABEL: func.func @output_project_no_bias(
// CHECK-SAME:      %[[A:[^:]+]]: tensor<2x8x128x64xf32>, %[[W:[^:]+]]: tensor<256x512xf32>
// CHECK:         attn.output_project %[[A]], %[[W]] : (tensor<2x8x128x64xf32>, tensor<256x512xf32>) -> tensor<2x128x256xf32>
func.func @output_project_no_bias(%a: tensor<2x8x128x64xf32>, %w: tensor<256x512xf32>) -> tensor<2x128x256xf32> {
  %y = attn.output_project %a, %w : (tensor<2x8x128x64xf32>, tensor<256x512xf32>) -> tensor<2x128x256xf32>
  return %y : tensor<2x128x256xf32>
}

// Dynamic batch and sequence; dynamic heads leave w's dim 1 unchecked.
// CHECK-LABEL: func.func @output_project_dynamic(
// CHECK:         attn.output_project %{{.+}}, %{{.+}} bias(%{{.+}}) : (tensor<?x8x?x64xf32>, tensor<512x512xf32>, tensor<512xf32>) -> tensor<?x?x512xf32>
func.func @output_project_dynamic(%a: tensor<?x8x?x64xf32>, %w: tensor<512x512xf32>, %b: tensor<512xf32>) -> tensor<?x?x512xf32> {
  %y = attn.output_project %a, %w bias(%b) : (tensor<?x8x?x64xf32>, tensor<512x512xf32>, tensor<512xf32>) -> tensor<?x?x512xf32>
  return %y : tensor<?x?x512xf32>
}

// CHECK-LABEL: func.func @output_project_dynamic_heads(
// CHECK:         attn.output_project %{{.+}}, %{{.+}} : (tensor<?x?x?x64xf16>, tensor<512x?xf16>) -> tensor<?x?x512xf16>
func.func @output_project_dynamic_heads(%a: tensor<?x?x?x64xf16>, %w: tensor<512x?xf16>) -> tensor<?x?x512xf16> {
  %y = attn.output_project %a, %w : (tensor<?x?x?x64xf16>, tensor<512x?xf16>) -> tensor<?x?x512xf16>
  return %y : tensor<?x?x512xf16>
}

// bf16 with an f32 result.
// CHECK-LABEL: func.func @output_project_bf16_f32_result(
// CHECK:         attn.output_project %{{.+}}, %{{.+}} bias(%{{.+}}) : (tensor<2x8x128x64xbf16>, tensor<512x512xbf16>, tensor<512xbf16>) -> tensor<2x128x512xf32>
func.func @output_project_bf16_f32_result(%a: tensor<2x8x128x64xbf16>, %w: tensor<512x512xbf16>, %b: tensor<512xbf16>) -> tensor<2x128x512xf32> {
  %y = attn.output_project %a, %w bias(%b) : (tensor<2x8x128x64xbf16>, tensor<512x512xbf16>, tensor<512xbf16>) -> tensor<2x128x512xf32>
  return %y : tensor<2x128x512xf32>
}

//===----------------------------------------------------------------------===//
// A whole unfused block
//===----------------------------------------------------------------------===//

// The SPEC stage examples chained together.
// CHECK-LABEL: func.func @stages_chain(
// CHECK-SAME:      %[[X:[^:]+]]: tensor<2x128x512xf32>, %[[WQ:[^:]+]]: tensor<512x512xf32>, %[[BQ:[^:]+]]: tensor<512xf32>, %[[K:[^:]+]]: tensor<2x8x128x64xf32>, %[[V:[^:]+]]: tensor<2x8x128x64xf32>, %[[M:[^:]+]]: tensor<2x1x128x128xi1>, %[[WO:[^:]+]]: tensor<512x512xf32>, %[[BO:[^:]+]]: tensor<512xf32>
// CHECK:         %[[Q:.+]] = attn.project %[[X]], %[[WQ]] bias(%[[BQ]]) {num_heads = 8 : i64}
// CHECK:         %[[S:.+]] = attn.scores %[[Q]], %[[K]] mask(%[[M]]) {causal, scale = 1.250000e-01 : f32}
// CHECK:         %[[P:.+]] = attn.softmax %[[S]]
// CHECK:         %[[A:.+]] = attn.weighted_sum %[[P]], %[[V]]
// CHECK:         %[[Y:.+]] = attn.output_project %[[A]], %[[WO]] bias(%[[BO]])
// CHECK:         return %[[Y]] : tensor<2x128x512xf32>
func.func @stages_chain(%x: tensor<2x128x512xf32>, %wq: tensor<512x512xf32>, %bq: tensor<512xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x8x128x64xf32>, %m: tensor<2x1x128x128xi1>, %wo: tensor<512x512xf32>, %bo: tensor<512xf32>) -> tensor<2x128x512xf32> {
  %q = attn.project %x, %wq bias(%bq) {num_heads = 8 : i64} : (tensor<2x128x512xf32>, tensor<512x512xf32>, tensor<512xf32>) -> tensor<2x8x128x64xf32>
  %s = attn.scores %q, %k mask(%m) {causal, scale = 0.125 : f32} : (tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x1x128x128xi1>) -> tensor<2x8x128x128xf32>
  %p = attn.softmax %s : (tensor<2x8x128x128xf32>) -> tensor<2x8x128x128xf32>
  %a = attn.weighted_sum %p, %v : (tensor<2x8x128x128xf32>, tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32>
  %y = attn.output_project %a, %wo bias(%bo) : (tensor<2x8x128x64xf32>, tensor<512x512xf32>, tensor<512xf32>) -> tensor<2x128x512xf32>
  return %y : tensor<2x128x512xf32>
}

//===----------------------------------------------------------------------===//
// attn.workspace_acquire / attn.workspace_release
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @workspace(
// CHECK-SAME:      %[[N:[^:]+]]: index
// CHECK:         %[[W:.+]] = attn.workspace_acquire(%[[N]], %[[N]]) : memref<?x4x?xf32>
// CHECK:         %[[S:.+]] = attn.workspace_acquire() : memref<16xbf16>
// CHECK:         attn.workspace_release %[[W]] : memref<?x4x?xf32>
// CHECK:         attn.workspace_release %[[S]] : memref<16xbf16>
func.func @workspace(%n: index) {
  %w = attn.workspace_acquire(%n, %n) : memref<?x4x?xf32>
  %s = attn.workspace_acquire() : memref<16xbf16>
  attn.workspace_release %w : memref<?x4x?xf32>
  attn.workspace_release %s : memref<16xbf16>
  return
}
