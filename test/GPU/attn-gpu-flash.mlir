// RUN: attn-opt %s --attn-gpu-flash="key-block=16 key-splits=1" -split-input-file | FileCheck %s
// RUN: attn-opt %s --attn-gpu-flash="key-block=16" -split-input-file | FileCheck %s --check-prefix=SPLIT
// RUN: attn-opt %s --attn-gpu-flash -split-input-file | FileCheck %s --check-prefix=DEFAULT

// The host side: operands copied to device buffers that buffer deallocation
// leaves alone, one launch of 128 threads per (query tile, batch x head),
// the result copied back into a host buffer. In the kernel: the Q tile and
// the first K/V tile pair in flight in two cp.async groups, Q fragments by
// ldmatrix.x4, then the loop over key tiles carrying the running max and
// sum of the thread's two rows and the O accumulators (D/8 = 2).
// CHECK-LABEL: func.func @gqa_causal(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<2x8x?x16xf16>, %[[K:[^:]+]]: tensor<2x2x?x16xf16>, %[[V:[^:]+]]: tensor<2x2x?x16xf16>
// CHECK:         %[[QH:.+]] = bufferization.to_buffer %[[Q]] read_only
// CHECK:         %[[KH:.+]] = bufferization.to_buffer %[[K]] read_only
// CHECK:         %[[VH:.+]] = bufferization.to_buffer %[[V]] read_only
// CHECK:         %[[OUT:.+]] = memref.alloc(%{{.+}}) : memref<2x8x?x16xf16>
// CHECK:         %[[QD:.+]] = gpu.alloc (%{{.+}}) {bufferization.manual_deallocation} : memref<2x8x?x16xf16>
// CHECK:         gpu.memcpy %[[QD]], %[[QH]]
// CHECK:         %[[KD:.+]] = gpu.alloc (%{{.+}}) {bufferization.manual_deallocation} : memref<2x2x?x16xf16>
// CHECK:         gpu.memcpy %[[KD]], %[[KH]]
// CHECK:         %[[VD:.+]] = gpu.alloc (%{{.+}}) {bufferization.manual_deallocation} : memref<2x2x?x16xf16>
// CHECK:         gpu.memcpy %[[VD]], %[[VH]]
// CHECK:         %[[OD:.+]] = gpu.alloc (%{{.+}}) {bufferization.manual_deallocation} : memref<2x8x?x16xf16>
// CHECK-NOT:     gpu.memcpy %[[OD]]
// CHECK-DAG:     %[[SMEM:.+]] = arith.constant 6144 : i32
// CHECK-DAG:     %[[C128:.+]] = arith.constant 128 : index
// CHECK:         gpu.launch blocks({{.*}}) in ({{.*}}) threads({{.*}}) in (%{{.+}} = %[[C128]], {{.*}}) dynamic_shared_memory_size %[[SMEM]]
// CHECK:           scf.if
// CHECK:             %[[SH:.+]] = gpu.dynamic_shared_memory : memref<?xi8, #gpu.address_space<workgroup>>
// Rows padded from 16 to 24 elements: ldmatrix rows in distinct banks.
// CHECK:             %[[QS:.+]] = memref.view %[[SH]][%{{.+}}][] {{.*}} to memref<64x24xf16, #gpu.address_space<workgroup>>
// CHECK:             %[[KS:.+]] = memref.view %[[SH]][%{{.+}}][] {{.*}} to memref<2x16x24xf16, #gpu.address_space<workgroup>>
// CHECK:             %[[VS:.+]] = memref.view %[[SH]][%{{.+}}][] {{.*}} to memref<2x16x24xf16, #gpu.address_space<workgroup>>
// CHECK:             nvgpu.device_async_copy %[[QD]][{{.*}}], %[[QS]][{{.*}}], 8, %{{.+}} {bypassL1}
// CHECK:             nvgpu.device_async_create_group
// CHECK:             nvgpu.device_async_copy %[[KD]][{{.*}}], %[[KS]][{{.*}}], 8, %{{.+}} {bypassL1}
// CHECK:             nvgpu.device_async_copy %[[VD]][{{.*}}], %[[VS]][{{.*}}], 8, %{{.+}} {bypassL1}
// CHECK:             %[[G0:.+]] = nvgpu.device_async_create_group
// CHECK-NEXT:        nvgpu.device_async_wait %[[G0]] {numGroups = 1 : i32}
// CHECK-NEXT:        gpu.barrier
// CHECK:             %[[QF:.+]] = nvgpu.ldmatrix %[[QS]][{{.*}}] {numTiles = 4 : i32, transpose = false} {{.*}} -> vector<4x2xf16>
// CHECK:             %[[LOOP:.+]]:6 = scf.for {{.*}} -> (f32, f32, f32, f32, vector<2x2xf32>, vector<2x2xf32>) {
// Tile j + 1 is prefetched into the other buffer before tile j is waited for.
// CHECK:               nvgpu.device_async_copy %[[KD]]
// CHECK:               nvgpu.device_async_copy %[[VD]]
// CHECK:               %[[G:.+]] = nvgpu.device_async_create_group
// CHECK-NEXT:          nvgpu.device_async_wait %[[G]] {numGroups = 1 : i32}
// CHECK-NEXT:          gpu.barrier
// S = Q K^T: 16 keys = 2 n-tiles of 8, D = 16 = one k-step (ldmatrix.x2;
// pairs of k-steps take one .x4, see the bf16 case).
// CHECK:               %[[KF0:.+]] = nvgpu.ldmatrix %[[KS]][{{.*}}] {numTiles = 2 : i32, transpose = false} {{.*}} -> vector<2x2xf16>
// CHECK:               nvgpu.mma.sync(%[[QF]], %[[KF0]], %{{.+}}) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
// CHECK:               %[[KF1:.+]] = nvgpu.ldmatrix %[[KS]]
// CHECK:               nvgpu.mma.sync(%[[QF]], %[[KF1]], %{{.+}})
// Scores into base 2 (scale 1/sqrt(16) * log2(e)); causal masking only in
// the tiles that cross the diagonal: 2 rows x 4 scores per thread.
// CHECK:               arith.mulf %{{.+}}, %{{.+}} : f32
// CHECK:               scf.if %{{.+}} -> (f32, f32, f32, f32, f32, f32, f32, f32) {
// CHECK:                 arith.cmpi sle
// CHECK:                 arith.select
// CHECK:               } else {
// Row maxima over the 4 threads of a row, exp2 on ex2.approx.
// CHECK:               gpu.shuffle xor %{{.+}}, %{{.+}}, %{{.+}} : f32
// CHECK:               arith.maximumf
// CHECK:               llvm.inline_asm "ex2.approx.ftz.f32 $0, $1;", "=f,f"
// O = alpha O + P V: P from the score registers, V by ldmatrix.x4.trans
// (the two n-tiles of Dv = 16).
// CHECK:               arith.truncf %{{.+}} : f32 to f16
// CHECK:               %[[PF:.+]] = vector.from_elements {{.*}} : vector<4x2xf16>
// CHECK:               %[[VF:.+]] = nvgpu.ldmatrix %[[VS]][{{.*}}] {numTiles = 4 : i32, transpose = true}
// CHECK:               %[[VF0:.+]] = vector.extract_strided_slice %[[VF]] {offsets = [0, 0], sizes = [2, 2], strides = [1, 1]}
// CHECK:               nvgpu.mma.sync(%[[PF]], %[[VF0]], %{{.+}})
// CHECK:               %[[VF1:.+]] = vector.extract_strided_slice %[[VF]] {offsets = [2, 0], sizes = [2, 2], strides = [1, 1]}
// CHECK:               nvgpu.mma.sync(%[[PF]], %[[VF1]], %{{.+}})
// CHECK:               gpu.barrier
// CHECK-NEXT:          scf.yield
// CHECK:             nvgpu.device_async_wait %[[G0]] {numGroups = 0 : i32}
// out = O / l for rows inside Sq, stored 2 elements at a time.
// CHECK:             gpu.shuffle xor
// CHECK:             arith.divf
// CHECK:             scf.if
// CHECK:               vector.store %{{.+}}, %[[OD]][{{.*}}] {alignment = 4 : i64} : memref<2x8x?x16xf16>, vector<2xf16>
// CHECK:           gpu.terminator
// CHECK:         gpu.memcpy %[[OUT]], %[[OD]]
// CHECK:         gpu.dealloc %[[QD]] {bufferization.manual_deallocation}
// CHECK:         gpu.dealloc %[[OD]] {bufferization.manual_deallocation}
// CHECK:         %[[R:.+]] = bufferization.to_tensor %[[OUT]] restrict writable
// CHECK:         return %[[R]]
func.func @gqa_causal(%q: tensor<2x8x?x16xf16>, %k: tensor<2x2x?x16xf16>, %v: tensor<2x2x?x16xf16>) -> tensor<2x8x?x16xf16> {
  %o = attn.sdpa %q, %k, %v {causal} : (tensor<2x8x?x16xf16>, tensor<2x2x?x16xf16>, tensor<2x2x?x16xf16>) -> tensor<2x8x?x16xf16>
  return %o : tensor<2x8x?x16xf16>
}

// DEFAULT-LABEL: func.func @gqa_causal(
// D = 16, 64 keys per tile: 2 * (64 * 24 + 2 * 2 * 64 * 24) bytes.
// DEFAULT:         arith.constant 15360 : i32
// DEFAULT:         gpu.launch

// -----

// bf16: nvvm.mma.sync on packed registers (nvgpu.mma.sync has no bf16
// lowering); a boolean mask read per score with broadcast dims at index 0;
// the softcap's tanh from ex2; a window (left 8) bounding the key range.
// CHECK-LABEL: func.func @bf16_mask_window_softcap(
// CHECK:         gpu.alloc (%{{.+}}) {bufferization.manual_deallocation} : memref<1x1x?x?xi1>
// CHECK:         gpu.launch
// CHECK:           nvgpu.ldmatrix {{.*}} -> vector<4x2xbf16>
// CHECK:           scf.for
// D = 32: both k-steps of 8 keys from one ldmatrix.x4.
// CHECK:             %[[KF:.+]] = nvgpu.ldmatrix {{.*}} {numTiles = 4 : i32, transpose = false} {{.*}} -> vector<4x2xbf16>
// CHECK:             vector.extract_strided_slice %[[KF]] {offsets = [0, 0]
// CHECK:             vector.bitcast %{{.+}} : vector<2xbf16> to vector<1xi32>
// CHECK:             nvvm.mma.sync A[{{.*}}] B[{{.*}}] C[{{.*}}] {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>, shape = #nvvm.shape<m = 16, n = 8, k = 16>} : (i32, i32, f32) -> !llvm.struct<(f32, f32, f32, f32)>
// CHECK:             llvm.inline_asm "ex2.approx.ftz.f32 $0, $1;"
// CHECK:             arith.divf
// CHECK:             scf.if
// CHECK:               arith.cmpi sge
// CHECK:               memref.load %{{.+}}[%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}] : memref<1x1x?x?xi1>
// CHECK:               arith.andi
// CHECK:             arith.truncf %{{.+}} : f32 to bf16
func.func @bf16_mask_window_softcap(%q: tensor<1x4x?x32xbf16>, %k: tensor<1x4x?x32xbf16>, %v: tensor<1x4x?x32xbf16>, %m: tensor<1x1x?x?xi1>) -> tensor<1x4x?x32xbf16> {
  %o = attn.sdpa %q, %k, %v mask(%m) {window = array<i64: 8, 0>, softcap = 20.0 : f32} : (tensor<1x4x?x32xbf16>, tensor<1x4x?x32xbf16>, tensor<1x4x?x32xbf16>, tensor<1x1x?x?xi1>) -> tensor<1x4x?x32xbf16>
  return %o : tensor<1x4x?x32xbf16>
}

// DEFAULT-LABEL: func.func @bf16_mask_window_softcap(

// -----

// An f32 result from f16 inputs is stored from the f32 accumulators; an
// additive f16 mask is widened and added in base 2.
// CHECK-LABEL: func.func @f32_result_float_mask(
// CHECK:         gpu.launch
// CHECK:             memref.load %{{.+}} : memref<2x1x77x131xf16>
// CHECK-NEXT:        arith.extf %{{.+}} : f16 to f32
// CHECK:             vector.store %{{.+}} : memref<2x4x77x64xf32>, vector<2xf32>
func.func @f32_result_float_mask(%q: tensor<2x4x77x64xf16>, %k: tensor<2x4x131x64xf16>, %v: tensor<2x4x131x64xf16>, %m: tensor<2x1x77x131xf16>) -> tensor<2x4x77x64xf32> {
  %o = attn.sdpa %q, %k, %v mask(%m) : (tensor<2x4x77x64xf16>, tensor<2x4x131x64xf16>, tensor<2x4x131x64xf16>, tensor<2x1x77x131xf16>) -> tensor<2x4x77x64xf32>
  return %o : tensor<2x4x77x64xf32>
}

// DEFAULT-LABEL: func.func @f32_result_float_mask(
// D = 64: 2 * (64 * 72 + 2 * 2 * 64 * 72) bytes.
// DEFAULT:         arith.constant 46080 : i32

// -----

// Decoding: 1 x 2 kv heads x 1 row tile would leave the GPU idle, so each
// tile's 63 key tiles of 16 are split across 21 blocks (grid z, 3 tiles
// each); they write their unnormalized O and (max, sum) to scratch buffers,
// and a second kernel combines them by log-sum-exp. key-splits=1 keeps one
// kernel.
// CHECK-LABEL: func.func @decode(
// CHECK:         gpu.launch
// CHECK-NOT:     gpu.launch
// SPLIT-LABEL: func.func @decode(
// SPLIT-DAG:     %[[O:.+]] = gpu.alloc () {bufferization.manual_deallocation} : memref<21x1x8x1x64xf32>
// SPLIT-DAG:     %[[ML:.+]] = gpu.alloc () {bufferization.manual_deallocation} : memref<21x1x8x1x2xf32>
// SPLIT-DAG:     %[[C21:.+]] = arith.constant 21 : index
// SPLIT:         gpu.launch blocks(%{{.+}}, %{{.+}}, %[[Z:.+]]) in (%{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}, %{{.+}} = %[[C21]])
// The split's share of the key tiles.
// SPLIT:           arith.muli %[[Z]], %{{.+}} : index
// SPLIT:           scf.for
// SPLIT:           vector.store %{{.+}}, %[[O]][%[[Z]], {{.*}}] {alignment = 8 : i64} : memref<21x1x8x1x64xf32>, vector<2xf32>
// SPLIT:           vector.store %{{.+}}, %[[ML]][%[[Z]], {{.*}}] {alignment = 8 : i64} : memref<21x1x8x1x2xf32>, vector<2xf32>
// SPLIT:         gpu.launch
// SPLIT:           scf.for {{.*}} iter_args(%{{.+}} = %{{.+}}) -> (f32)
// SPLIT:             memref.load %[[ML]]
// SPLIT:             arith.maximumf
// SPLIT:           scf.for {{.*}} -> (f32, f32)
// SPLIT:             llvm.inline_asm "ex2.approx.ftz.f32 $0, $1;"
// SPLIT:             memref.load %[[O]]
// SPLIT:           arith.divf
// SPLIT:           arith.truncf %{{.+}} : f32 to f16
// SPLIT:           memref.store
// SPLIT:         gpu.dealloc %[[O]]
func.func @decode(%q: tensor<1x8x1x64xf16>, %k: tensor<1x2x1000x64xf16>, %v: tensor<1x2x1000x64xf16>) -> tensor<1x8x1x64xf16> {
  %o = attn.sdpa %q, %k, %v : (tensor<1x8x1x64xf16>, tensor<1x2x1000x64xf16>, tensor<1x2x1000x64xf16>) -> tensor<1x8x1x64xf16>
  return %o : tensor<1x8x1x64xf16>
}

// DEFAULT-LABEL: func.func @decode(
