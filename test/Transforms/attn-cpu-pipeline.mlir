// RUN: attn-opt %s --attn-cpu-pipeline="threads=2" | FileCheck %s

// The kernel's parallel loops (K and V packing, the row blocks) are OpenMP
// worksharing loops with a guided schedule, none left static.
// CHECK-LABEL: llvm.func @sdpa
// CHECK-COUNT-3: omp.wsloop schedule(guided) {
// CHECK-NOT: omp.wsloop {
func.func @sdpa(%q: tensor<1x8x512x64xf32>, %k: tensor<1x8x512x64xf32>,
                %v: tensor<1x8x512x64xf32>) -> tensor<1x8x512x64xf32> {
  %o = attn.sdpa %q, %k, %v
      : (tensor<1x8x512x64xf32>, tensor<1x8x512x64xf32>,
         tensor<1x8x512x64xf32>) -> tensor<1x8x512x64xf32>
  return %o : tensor<1x8x512x64xf32>
}
