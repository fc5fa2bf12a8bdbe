// RUN: attn-opt %s --attn-omp-schedule -split-input-file | FileCheck %s
// RUN: attn-opt %s --attn-omp-schedule=kind=static -split-input-file | FileCheck %s --check-prefix=STATIC
// RUN: attn-opt %s --attn-omp-schedule=kind=runtime -split-input-file | FileCheck %s --check-prefix=RUNTIME
// RUN: not attn-opt %s --attn-omp-schedule=kind=fastest 2>&1 | FileCheck %s --check-prefix=BAD

// A loop as convert-scf-to-openmp leaves it, without a schedule, gets the
// one asked for (guided by default).
// CHECK-LABEL: func.func @unscheduled
// CHECK: omp.wsloop schedule(guided) {
// STATIC-LABEL: func.func @unscheduled
// STATIC: omp.wsloop schedule(static) {
// RUNTIME-LABEL: func.func @unscheduled
// RUNTIME: omp.wsloop schedule(runtime) {
// BAD: for the --kind option: Cannot find option named 'fastest'
func.func @unscheduled(%m: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %z = arith.constant 0.0 : f32
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%n) step (%c1) {
        memref.store %z, %m[%i] : memref<?xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  return
}

// -----

// A schedule already set (here with a chunk) is kept.
// CHECK-LABEL: func.func @scheduled
// CHECK: omp.wsloop schedule(dynamic = %{{.*}} : i32) {
// STATIC-LABEL: func.func @scheduled
// STATIC: omp.wsloop schedule(dynamic = %{{.*}} : i32) {
func.func @scheduled(%m: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %chunk = arith.constant 4 : i32
  %z = arith.constant 0.0 : f32
  omp.parallel {
    omp.wsloop schedule(dynamic = %chunk : i32) {
      omp.loop_nest (%i) : index = (%c0) to (%n) step (%c1) {
        memref.store %z, %m[%i] : memref<?xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  return
}

// -----

// Every worksharing loop of a function is scheduled, nested ones included.
// CHECK-LABEL: func.func @two_loops
// CHECK: omp.wsloop schedule(guided) {
// CHECK: omp.wsloop schedule(guided) {
// CHECK-NOT: omp.wsloop {
func.func @two_loops(%m: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %z = arith.constant 0.0 : f32
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%n) step (%c1) {
        memref.store %z, %m[%i] : memref<?xf32>
        omp.yield
      }
    }
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%n) step (%c1) {
        memref.store %z, %m[%i] : memref<?xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  return
}
