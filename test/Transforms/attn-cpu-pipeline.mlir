// RUN: attn-opt %s --attn-cpu-pipeline="threads=2" | FileCheck %s

// The kernel's parallel loops (K and V packing, the row blocks) are OpenMP
// worksharing loops with a guided schedule, none left static. The K and V
// panels are workspaces kept between calls (the result is the only malloc),
// released after the last loop and freed by a module destructor.
// CHECK-LABEL: llvm.func @sdpa
// CHECK:         llvm.call @malloc
// CHECK:         llvm.call @__attn_workspace_acquire
// CHECK:         omp.wsloop schedule(guided) {
// CHECK:         llvm.call @__attn_workspace_acquire
// CHECK-COUNT-2: omp.wsloop schedule(guided) {
// CHECK-NOT:     omp.wsloop {
// CHECK-COUNT-2: llvm.call @__attn_workspace_release
// CHECK-NOT:     llvm.call @free
// CHECK:         llvm.return
// CHECK:       llvm.mlir.global_dtors dtors = [@__attn_workspace_free_kept]
func.func @sdpa(%q: tensor<1x8x512x64xf32>, %k: tensor<1x8x512x64xf32>,
                %v: tensor<1x8x512x64xf32>) -> tensor<1x8x512x64xf32> {
  %o = attn.sdpa %q, %k, %v
      : (tensor<1x8x512x64xf32>, tensor<1x8x512x64xf32>,
         tensor<1x8x512x64xf32>) -> tensor<1x8x512x64xf32>
  return %o : tensor<1x8x512x64xf32>
}
