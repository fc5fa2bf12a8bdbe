// The GPU pipeline runs inside upstream mlir-opt from AttnPlugin.so: kernels
// serialized to PTX in a gpu.binary, host code calling the mgpu* runtime.
// REQUIRES: plugin
// UNSUPPORTED: sanitizer
// RUN: mlir-opt %s --load-dialect-plugin=%attn_libs/AttnPlugin.so --load-pass-plugin=%attn_libs/AttnPlugin.so --pass-pipeline="builtin.module(attn-gpu-pipeline{chip=sm_90})" | FileCheck %s

// CHECK-LABEL: llvm.func @sdpa(
// CHECK:         gpu.launch_func <%{{.+}} : !llvm.ptr> @sdpa_kernel::@sdpa_kernel
// CHECK:       gpu.binary @sdpa_kernel  [#gpu.object<#nvvm.target<O = 3, chip = "sm_90", features = "+ptx80">, {{.*}}mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
func.func @sdpa(%q: tensor<1x4x?x64xbf16>, %k: tensor<1x4x?x64xbf16>, %v: tensor<1x4x?x64xbf16>) -> tensor<1x4x?x64xbf16> {
  %o = attn.sdpa %q, %k, %v : (tensor<1x4x?x64xbf16>, tensor<1x4x?x64xbf16>, tensor<1x4x?x64xbf16>) -> tensor<1x4x?x64xbf16>
  return %o : tensor<1x4x?x64xbf16>
}
