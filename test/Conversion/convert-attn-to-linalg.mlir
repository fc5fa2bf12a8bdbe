// RUN: attn-opt %s --convert-attn-to-linalg -split-input-file | FileCheck %s

// GQA scores: the 8 query heads are viewed as [2 kv heads, 4 per group] so K
// is read in place; masks, causal and window select -inf.
// CHECK-DAG:   #[[QMAP:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d5)>
// CHECK-DAG:   #[[KMAP:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d4, d5)>
// CHECK-DAG:   #[[MMAP:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, 0, d2, d3)>
// CHECK-LABEL: func.func @scores_gqa_causal_window_mask(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<2x8x16x32xf32>, %[[K:[^:]+]]: tensor<2x2x24x32xf32>, %[[M:[^:]+]]: tensor<2x1x16x24xi1>
// CHECK:         %[[QE:.+]] = tensor.expand_shape %[[Q]] {{\[}}[0], [1, 2], [3], [4]] output_shape [2, 2, 4, 16, 32]
// S = Q @ K^T
// CHECK:         %[[QK:.+]] = linalg.generic {indexing_maps = [#[[QMAP]], #[[KMAP]], {{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%[[QE]], %[[K]] :
// CHECK:           arith.mulf
// CHECK:           arith.addf
// CHECK:         %[[S:.+]] = tensor.collapse_shape %[[QK]] {{\[}}[0], [1, 2], [3], [4]] : tensor<2x2x4x16x24xf32> into tensor<2x8x16x24xf32>
// Sk - Sq for the bottom-right diagonal.
// CHECK:         %[[OFF:.+]] = arith.subi
// CHECK:         linalg.generic {indexing_maps = [{{.*}}, #[[MMAP]], {{.*}}]{{.*}} ins(%[[S]], %[[M]] :
// CHECK:           arith.mulf
// CHECK:           arith.select
// CHECK:           linalg.index 2
// CHECK:           linalg.index 3
// CHECK:           arith.subi %{{.*}}, %[[OFF]]
// CHECK:           arith.cmpi sle
// CHECK:           arith.cmpi sge
// CHECK:           arith.cmpi sle
// CHECK:           arith.select
// CHECK-NOT:     attn.
func.func @scores_gqa_causal_window_mask(%q: tensor<2x8x16x32xf32>, %k: tensor<2x2x24x32xf32>, %m: tensor<2x1x16x24xi1>) -> tensor<2x8x16x24xf32> {
  %s = attn.scores %q, %k mask(%m) {causal, window = array<i64: 4, 2>} : (tensor<2x8x16x32xf32>, tensor<2x2x24x32xf32>, tensor<2x1x16x24xi1>) -> tensor<2x8x16x24xf32>
  return %s : tensor<2x8x16x24xf32>
}

// -----

// Softcap is tanh-based; an additive f16 mask is widened and added.
// CHECK-LABEL: func.func @scores_softcap_additive_f16(
// CHECK:         linalg.generic
// CHECK:           arith.extf %{{.*}} : f16 to f32
// CHECK:           arith.extf %{{.*}} : f16 to f32
// CHECK:         linalg.generic
// CHECK:           arith.divf
// CHECK:           math.tanh
// CHECK:           arith.mulf
// CHECK:           arith.extf
// CHECK:           arith.addf
// CHECK:           arith.truncf %{{.*}} : f32 to f16
func.func @scores_softcap_additive_f16(%q: tensor<1x2x8x16xf16>, %k: tensor<1x2x8x16xf16>, %m: tensor<1x1x8x8xf16>) -> tensor<1x2x8x8xf16> {
  %s = attn.scores %q, %k mask(%m) {softcap = 20.0 : f32} : (tensor<1x2x8x16xf16>, tensor<1x2x8x16xf16>, tensor<1x1x8x8xf16>) -> tensor<1x2x8x8xf16>
  return %s : tensor<1x2x8x8xf16>
}

// -----

// A dynamic kv head count cannot be reshaped in place: K is gathered at head
// h / (H / Hkv) instead.
// CHECK-LABEL: func.func @scores_dynamic_kv_heads(
// CHECK:         %[[G:.+]] = arith.divui
// CHECK:         linalg.generic
// CHECK:           %[[H:.+]] = linalg.index 1
// CHECK:           %[[KH:.+]] = arith.divui %[[H]], %[[G]]
// CHECK:           tensor.extract %{{.*}}[%{{.*}}, %[[KH]], %{{.*}}, %{{.*}}]
// CHECK-NOT:     tensor.expand_shape
func.func @scores_dynamic_kv_heads(%q: tensor<?x?x?x16xf32>, %k: tensor<?x?x?x16xf32>) -> tensor<?x?x?x?xf32> {
  %s = attn.scores %q, %k : (tensor<?x?x?x16xf32>, tensor<?x?x?x16xf32>) -> tensor<?x?x?x?xf32>
  return %s : tensor<?x?x?x?xf32>
}

// -----

// Softmax: row max, sum of exp, normalize; a -inf row is shifted by 0 and a
// zero sum gives 0, never NaN.
// CHECK-LABEL: func.func @softmax(
// CHECK:         linalg.fill ins(%{{.*}} : f32)
// CHECK:         linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "reduction"]
// CHECK:           arith.maximumf
// CHECK:         linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "reduction"]
// CHECK:           arith.cmpf oeq
// CHECK:           math.exp
// CHECK:           arith.addf
// CHECK:         linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel"]
// CHECK:           math.exp
// CHECK:           arith.cmpf oeq
// CHECK:           arith.select
// CHECK:           arith.truncf %{{.*}} : f32 to bf16
func.func @softmax(%s: tensor<1x2x8x8xbf16>) -> tensor<1x2x8x8xbf16> {
  %p = attn.softmax %s : (tensor<1x2x8x8xbf16>) -> tensor<1x2x8x8xbf16>
  return %p : tensor<1x2x8x8xbf16>
}

// -----

// P @ V with MQA: V (one head) is read in place.
// CHECK-DAG:   #[[VMAP:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d5, d4)>
// CHECK-LABEL: func.func @weighted_sum_mqa(
// CHECK:         tensor.expand_shape %{{.*}} {{\[}}[0], [1, 2], [3], [4]] output_shape [1, 1, 4, 8, 8]
// CHECK:         linalg.generic {indexing_maps = [{{.*}}, #[[VMAP]], {{.*}}]
// CHECK:         tensor.collapse_shape
// CHECK:         linalg.generic
// CHECK:           arith.truncf %{{.*}} : f32 to bf16
func.func @weighted_sum_mqa(%p: tensor<1x4x8x8xf32>, %v: tensor<1x1x8x16xbf16>) -> tensor<1x4x8x16xbf16> {
  %a = attn.weighted_sum %p, %v : (tensor<1x4x8x8xf32>, tensor<1x1x8x16xbf16>) -> tensor<1x4x8x16xbf16>
  return %a : tensor<1x4x8x16xbf16>
}

// -----

// sdpa lowers through its stages.
// CHECK-LABEL: func.func @sdpa(
// CHECK-COUNT-6: linalg.generic
// CHECK-NOT:     attn.
func.func @sdpa(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %o = attn.sdpa %q, %k, %v {causal} : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Projection: w [H*D, E] viewed as [H, D, E]; bias [H*D] as [H, D].
// CHECK-DAG:   #[[XMAP:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d2, d4)>
// CHECK-DAG:   #[[WMAP:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d1, d3, d4)>
// CHECK-DAG:   #[[BMAP:.+]] = affine_map<(d0, d1, d2, d3) -> (d1, d3)>
// CHECK-LABEL: func.func @project_bias(
// CHECK:         %[[W:.+]] = tensor.expand_shape %{{.*}} {{\[}}[0, 1], [2]] output_shape [4, 16, 64]
// CHECK:         %[[B:.+]] = tensor.expand_shape %{{.*}} {{\[}}[0, 1]] output_shape [4, 16]
// CHECK:         linalg.generic {indexing_maps = [#[[XMAP]], #[[WMAP]], {{.*}}]
// CHECK:         linalg.generic {indexing_maps = [{{.*}}, #[[BMAP]], {{.*}}]{{.*}} ins(%{{.*}}, %[[B]] :
// CHECK:           arith.addf
// CHECK:           arith.truncf %{{.*}} : f32 to f16
func.func @project_bias(%x: tensor<2x16x64xf16>, %w: tensor<64x64xf16>, %b: tensor<64xf16>) -> tensor<2x4x16x16xf16> {
  %q = attn.project %x, %w bias(%b) {num_heads = 4 : i64} : (tensor<2x16x64xf16>, tensor<64x64xf16>, tensor<64xf16>) -> tensor<2x4x16x16xf16>
  return %q : tensor<2x4x16x16xf16>
}

// -----

// Output projection: heads merged by reducing over (h, d) of w [E, H, D];
// f32 without bias needs no epilogue.
// CHECK-DAG:   #[[AMAP:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d1, d4)>
// CHECK-LABEL: func.func @output_project(
// CHECK:         tensor.expand_shape %{{.*}} {{\[}}[0], [1, 2]] output_shape [32, 4, 16]
// CHECK:         %[[Y:.+]] = linalg.generic {indexing_maps = [#[[AMAP]], {{.*}}], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction"]}
// CHECK:         return %[[Y]]
func.func @output_project(%a: tensor<2x4x16x16xf32>, %w: tensor<32x64xf32>) -> tensor<2x16x32xf32> {
  %y = attn.output_project %a, %w : (tensor<2x4x16x16xf32>, tensor<32x64xf32>) -> tensor<2x16x32xf32>
  return %y : tensor<2x16x32xf32>
}
