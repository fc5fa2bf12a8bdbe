// RUN: attn-opt %s --attn-gpu-pipeline="chip=sm_90" | FileCheck %s
// RUN: not attn-opt %s --attn-gpu-pipeline="chip=sm_70" 2>&1 | FileCheck %s --check-prefix=CHIP
// RUN: not attn-opt %s --attn-gpu-pipeline="format=elf" 2>&1 | FileCheck %s --check-prefix=FORMAT

// RUN: attn-opt %S/Inputs/f16_decode.mlir --attn-gpu-pipeline | FileCheck %s --check-prefix=DECODE

// Decoding with key splits: the attention kernel on 8 x 32 blocks, then the
// combine kernel, each its own gpu.binary.
// DECODE-LABEL: llvm.func @decode(
// DECODE:         gpu.launch_func <%{{.+}} : !llvm.ptr> @decode_kernel::@decode_kernel
// DECODE:         gpu.launch_func <%{{.+}} : !llvm.ptr> @decode_kernel_0::@decode_kernel
// DECODE:       gpu.binary @decode_kernel  [#gpu.object<#nvvm.target<O = 3, chip = "sm_80", features = "+ptx80">, {{.*}}mma.sync.aligned
// DECODE:       gpu.binary @decode_kernel_0  [#gpu.object<#nvvm.target<O = 3, chip = "sm_80", features = "+ptx80">, {{.*}}ex2.approx.ftz.f32

// CHIP: error: attn-gpu-pipeline: unsupported chip 'sm_70' (expected sm_80, sm_86, sm_87, sm_89, sm_90 or sm_90a)
// FORMAT: error: attn-gpu-pipeline: unknown format 'elf' (expected isa, bin or fatbin)

// The host function in the LLVM dialect: one stream, device buffers, the
// copies in, the launch of the serialized kernel (PTX for sm_90), the copy
// out, then the frees and the stream synchronized.
// CHECK-LABEL: llvm.func @sdpa(
// CHECK:         %[[S:.+]] = llvm.call @mgpuStreamCreate()
// CHECK:         llvm.call @mgpuMemAlloc({{.*}}, %[[S]], {{.*}})
// CHECK:         llvm.call @mgpuMemcpy({{.*}}, %[[S]])
// CHECK:         gpu.launch_func <%[[S]] : !llvm.ptr> @sdpa_kernel::@sdpa_kernel blocks in ({{.*}}) threads in ({{.*}}) : i64 dynamic_shared_memory_size %{{.+}} args(
// CHECK:         llvm.call @mgpuMemcpy({{.*}}, %[[S]])
// CHECK:         llvm.call @mgpuMemFree({{.*}}, %[[S]])
// CHECK:         llvm.call @mgpuStreamSynchronize(%[[S]])
// CHECK:         llvm.call @mgpuStreamDestroy(%[[S]])
// CHECK-NOT:     gpu.module
// CHECK:         gpu.binary @sdpa_kernel  [#gpu.object<#nvvm.target<O = 3, chip = "sm_90", features = "+ptx80">, {{.*}}assembly = "{{.*}}.target sm_90{{.*}}mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
func.func @sdpa(%q: tensor<1x8x?x64xf16>, %k: tensor<1x2x?x64xf16>, %v: tensor<1x2x?x64xf16>) -> tensor<1x8x?x64xf16> {
  %o = attn.sdpa %q, %k, %v {causal} : (tensor<1x8x?x64xf16>, tensor<1x2x?x64xf16>, tensor<1x2x?x64xf16>) -> tensor<1x8x?x64xf16>
  return %o : tensor<1x8x?x64xf16>
}
