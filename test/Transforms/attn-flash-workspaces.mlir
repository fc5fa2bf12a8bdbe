// RUN: attn-opt %s --pass-pipeline="builtin.module(func.func(attn-flash{vector-width=8 threads=4 workspaces=true}))" -split-input-file | FileCheck %s
// RUN: attn-opt %s --pass-pipeline="builtin.module(func.func(attn-flash{vector-width=8 threads=4}))" -split-input-file | FileCheck %s --check-prefix=ALLOC

// With `workspaces`, the packed K/V panels are workspaces that the kernel
// keeps between calls: acquired before the packing loops, released after the
// loop over row blocks, their last user. Without it they are memref.allocs
// that the deallocation passes free.
// CHECK-LABEL: func.func @panels(
// CHECK:         %[[OUT:.+]] = memref.alloc() : memref<1x4x100x32xf32>
// CHECK-NOT:     memref.alloc
// CHECK:         %[[KP:.+]] = attn.workspace_acquire(%{{.+}}, %{{.+}}, %{{.+}}) : memref<?x?x?x32x4xf32>
// CHECK:         scf.parallel
// CHECK:         %[[VP:.+]] = attn.workspace_acquire(%{{.+}}, %{{.+}}, %{{.+}}) : memref<?x?x1x?x32xf32>
// CHECK:         scf.parallel
// CHECK:         scf.parallel
// CHECK:           memref.alloca_scope
// CHECK:         attn.workspace_release %[[KP]] : memref<?x?x?x32x4xf32>
// CHECK-NEXT:    attn.workspace_release %[[VP]] : memref<?x?x1x?x32xf32>
// CHECK-NEXT:    bufferization.to_tensor %[[OUT]]
// CHECK-NOT:     memref.alloc
// ALLOC-LABEL: func.func @panels(
// ALLOC-NOT:     attn.workspace
// ALLOC:         memref.alloc({{.*}}) {alignment = 64 : i64} : memref<?x?x?x32x4xf32>
// ALLOC:         memref.alloc({{.*}}) {alignment = 64 : i64} : memref<?x?x1x?x32xf32>
// ALLOC-NOT:     attn.workspace
func.func @panels(%q: tensor<1x4x100x32xf32>, %k: tensor<1x2x100x32xf32>, %v: tensor<1x2x100x32xf32>) -> tensor<1x4x100x32xf32> {
  %o = attn.sdpa %q, %k, %v {causal} : (tensor<1x4x100x32xf32>, tensor<1x2x100x32xf32>, tensor<1x2x100x32xf32>) -> tensor<1x4x100x32xf32>
  return %o : tensor<1x4x100x32xf32>
}

// -----

// Split keys: the partial outputs, maxima and sums are workspaces too,
// released after the loop that combines them.
// CHECK-LABEL: func.func @decode_split_keys(
// CHECK-DAG:     %[[PO:.+]] = attn.workspace_acquire({{.*}}) : memref<4x?x?x?x8x64xf32>
// CHECK-DAG:     %[[PM:.+]] = attn.workspace_acquire({{.*}}) : memref<4x?x?x?x8xf32>
// CHECK-DAG:     %[[PL:.+]] = attn.workspace_acquire({{.*}}) : memref<4x?x?x?x8xf32>
// CHECK:         scf.parallel
// CHECK:         scf.parallel
// CHECK:           math.exp2
// CHECK:         attn.workspace_release %[[PO]]
// CHECK-NEXT:    attn.workspace_release %[[PM]]
// CHECK-NEXT:    attn.workspace_release %[[PL]]
// CHECK-NEXT:    bufferization.to_tensor
func.func @decode_split_keys(%q: tensor<1x1x1x64xf32>, %k: tensor<1x1x4096x64xf32>, %v: tensor<1x1x4096x64xf32>) -> tensor<1x1x1x64xf32> {
  %o = attn.sdpa %q, %k, %v : (tensor<1x1x1x64xf32>, tensor<1x1x4096x64xf32>, tensor<1x1x4096x64xf32>) -> tensor<1x1x1x64xf32>
  return %o : tensor<1x1x1x64xf32>
}

// -----

// Dynamic shapes neither pack panels nor split keys: no heap scratch.
// CHECK-LABEL: func.func @dynamic(
// CHECK-NOT:     attn.workspace_acquire
// CHECK:         return
func.func @dynamic(%q: tensor<?x4x?x32xf32>, %k: tensor<?x2x?x32xf32>, %v: tensor<?x2x?x32xf32>) -> tensor<?x4x?x32xf32> {
  %o = attn.sdpa %q, %k, %v : (tensor<?x4x?x32xf32>, tensor<?x2x?x32xf32>, tensor<?x2x?x32xf32>) -> tensor<?x4x?x32xf32>
  return %o : tensor<?x4x?x32xf32>
}
