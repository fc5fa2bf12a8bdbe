// REQUIRES: avx512
// On AVX-512 hosts the 16-lane kernels compute 2^floor(t) with a masked
// vscalefps (x86vector) instead of exponent-bit arithmetic; 8-lane kernels
// keep the generic exp2. (attn-flash-exp2-generic.mlir: other hosts.)
// RUN: attn-opt %s --pass-pipeline="builtin.module(func.func(attn-flash{vector-width=16}))" -split-input-file | FileCheck %s
// RUN: attn-opt %s --pass-pipeline="builtin.module(func.func(attn-flash{vector-width=8}))" -split-input-file | FileCheck %s --check-prefix=W8
// RUN: attn-opt %s --pass-pipeline="builtin.module(func.func(attn-flash{vector-width=16 amx=true}))" -split-input-file | FileCheck %s --check-prefix=AMX
// RUN: attn-opt %s --attn-cpu-pipeline="vector-width=16 amx=true" -split-input-file | FileCheck %s --check-prefix=LLVM

// The running max's rescale factor and the probabilities both take the
// scalef exp2: the lanes below 2^-126 (or -inf) are masked to 0, a NaN
// lane (unordered compare) stays NaN; poly(t - floor(t)) is scaled by t.
// CHECK-LABEL: func.func @f32_scores(
// CHECK:         scf.parallel
// CHECK:           %[[LIMIT:.+]] = arith.constant dense<-1.260000e+02> : vector<16xf32>
// CHECK:           %[[KEEP:.+]] = arith.cmpf uge, %[[T:.+]], %[[LIMIT]] : vector<16xf32>
// CHECK:           %[[BITS:.+]] = vector.bitcast %[[KEEP]] : vector<16xi1> to vector<1xi16>
// CHECK:           %[[MASK:.+]] = vector.extract %[[BITS]][0] : i16 from vector<1xi16>
// CHECK:           %[[N:.+]] = math.floor %[[T]] : vector<16xf32>
// CHECK:           %[[F:.+]] = arith.subf %[[T]], %[[N]] : vector<16xf32>
// CHECK-COUNT-5:   math.fma {{.*}} : vector<16xf32>
// CHECK:           x86vector.avx512.mask.scalef %{{.+}}, %[[T]], %{{.+}}, %[[MASK]], %{{.+}} : vector<16xf32>
// CHECK-NOT:       arith.shli
// CHECK:           scf.for
// CHECK:             x86vector.avx512.mask.scalef
// W8-LABEL: func.func @f32_scores(
// W8-NOT:     x86vector
// W8:         arith.shli {{.*}} : vector<8xi32>
// W8-NOT:     x86vector
// AMX-LABEL: func.func @f32_scores(
// AMX:         x86vector.avx512.mask.scalef
// LLVM-LABEL: llvm.func @f32_scores(
// LLVM:         llvm.call_intrinsic "llvm.x86.avx512.mask.scalef.ps.512"({{.*}}) : (vector<16xf32>, vector<16xf32>, vector<16xf32>, i16, i32) -> vector<16xf32>
func.func @f32_scores(%q: tensor<1x2x64x32xf32>, %k: tensor<1x2x80x32xf32>, %v: tensor<1x2x80x32xf32>) -> tensor<1x2x64x32xf32> {
  %o = attn.sdpa %q, %k, %v {causal} : (tensor<1x2x64x32xf32>, tensor<1x2x80x32xf32>, tensor<1x2x80x32xf32>) -> tensor<1x2x64x32xf32>
  return %o : tensor<1x2x64x32xf32>
}

// -----

// bf16 on AMX tiles: the row softmax's cubic exp2 takes vscalefps too.
// CHECK-LABEL: func.func @bf16_amx(
// AMX-LABEL: func.func @bf16_amx(
// AMX:         amx.tile_mulf
// AMX:         math.floor {{.*}} : vector<16xf32>
// AMX-COUNT-3: math.fma {{.*}} : vector<16xf32>
// AMX:         x86vector.avx512.mask.scalef {{.*}} : vector<16xf32>
// LLVM-LABEL: llvm.func @bf16_amx(
// LLVM:         llvm.call_intrinsic "llvm.x86.avx512.mask.scalef.ps.512"
func.func @bf16_amx(%q: tensor<1x4x64x32xbf16>, %k: tensor<1x4x64x32xbf16>, %v: tensor<1x4x64x32xbf16>) -> tensor<1x4x64x32xbf16> {
  %o = attn.sdpa %q, %k, %v : (tensor<1x4x64x32xbf16>, tensor<1x4x64x32xbf16>, tensor<1x4x64x32xbf16>) -> tensor<1x4x64x32xbf16>
  return %o : tensor<1x4x64x32xbf16>
}
