// RUN: attn-opt %s --pass-pipeline="builtin.module(func.func(attn-tile-contractions{vector-width=8}))" -split-input-file | FileCheck %s
// RUN: attn-opt %s --pass-pipeline="builtin.module(func.func(attn-tile-contractions{vector-width=16}))" -split-input-file | FileCheck %s --check-prefix=W16

// B is packed once, cache-line aligned, as [1, column tiles, K, 16]; A (f32,
// K innermost) is read in place. Parallel tiles over (problem, column tile,
// row tile) accumulate 6 x 2 vectors per k, broadcasting A's rows (the last
// row repeated past M). N = 37 is not a multiple of 8: vectors are stored
// under a mask. The zero fill is never read.
// CHECK-LABEL: func.func @matmul(
// CHECK-SAME:      %[[A:[^:]+]]: tensor<13x20xf32>
// CHECK:         %[[AM:.+]] = bufferization.to_buffer %[[A]] read_only
// CHECK:         %[[OUT:.+]] = memref.alloc() : memref<13x37xf32>
// CHECK:         %[[BP:.+]] = memref.alloc({{.*}}) {alignment = 64 : i64} : memref<1x3x?x16xf32>
// CHECK:         scf.parallel
// CHECK:           memref.store {{.*}}, %[[BP]]
// CHECK-NOT:     memref.alloc
// CHECK:         scf.parallel (%{{.*}}, %{{.*}}, %{{.*}}) =
// CHECK-COUNT-6:   arith.minsi
// CHECK:           scf.for {{.*}} -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK-COUNT-2:     vector.load %[[BP]]
// CHECK:             memref.load %[[AM]]
// CHECK-COUNT-12:    vector.fma
// CHECK:           vector.create_mask
// CHECK:           vector.maskedstore %[[OUT]]
// CHECK-NOT:       memref.load %[[OUT]]
// CHECK:         bufferization.to_tensor %[[OUT]] restrict writable
// CHECK-NOT:     linalg.matmul
// With 16 lanes (32 registers) the tile is 6 rows x 4 vectors: B strips of
// 64 columns, 4 loads and 6 broadcasts per 24 FMAs.
// W16-LABEL: func.func @matmul(
// W16:         memref.alloc({{.*}}) {alignment = 64 : i64} : memref<1x1x?x64xf32>
// W16:         scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// W16-COUNT-4:   vector.load {{.*}} : memref<1x1x?x64xf32>, vector<16xf32>
// W16-COUNT-24:  vector.fma {{.*}} : vector<16xf32>
func.func @matmul(%a: tensor<13x20xf32>, %b: tensor<20x37xf32>) -> tensor<13x37xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<13x37xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<13x37xf32>) -> tensor<13x37xf32>
  %r = linalg.matmul ins(%a, %b : tensor<13x20xf32>, tensor<20x37xf32>) outs(%f : tensor<13x37xf32>) -> tensor<13x37xf32>
  return %r : tensor<13x37xf32>
}

// -----

// A batch dim: B is packed per batch, and the problems are the outer
// parallel dim. N = 32 is whole tiles: plain vector stores.
// CHECK-LABEL: func.func @batch_matmul(
// CHECK:         memref.alloc({{.*}}) {alignment = 64 : i64} : memref<?x2x?x16xf32>
// CHECK:         scf.parallel (%{{.*}}, %{{.*}}, %{{.*}}) = (%{{.*}}, %{{.*}}, %{{.*}}) to (%c3{{.*}}, %{{.*}}, %{{.*}})
// CHECK:           vector.fma
// CHECK-NOT:       vector.maskedstore
// CHECK:           vector.store
// CHECK-NOT:       vector.maskedstore
// CHECK:         bufferization.to_tensor
func.func @batch_matmul(%a: tensor<3x9x17xf32>, %b: tensor<3x17x32xf32>) -> tensor<3x9x32xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<3x9x32xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<3x9x32xf32>) -> tensor<3x9x32xf32>
  %r = linalg.batch_matmul ins(%a, %b : tensor<3x9x17xf32>, tensor<3x17x32xf32>) outs(%f : tensor<3x9x32xf32>) -> tensor<3x9x32xf32>
  return %r : tensor<3x9x32xf32>
}

// -----

// x @ W^T with a [N, K] weight, read through the map: B is packed from
// w[n, k] without a transpose, and (b, s) are delinearized from the row.
// CHECK-LABEL: func.func @linear(
// CHECK:         scf.parallel
// CHECK:           memref.load %{{.*}}[%{{.*}}, %{{.*}}] : memref<16x24xf32>
// CHECK:         scf.parallel
// CHECK:           arith.divui
// CHECK:           arith.remui
// CHECK:           memref.load %{{.*}} : memref<2x11x24xf32>
// CHECK:           vector.fma
// CHECK:           vector.store {{.*}} : memref<2x11x16xf32>, vector<8xf32>
#x = affine_map<(b, s, n, e) -> (b, s, e)>
#w = affine_map<(b, s, n, e) -> (n, e)>
#y = affine_map<(b, s, n, e) -> (b, s, n)>
func.func @linear(%x: tensor<2x11x24xf32>, %w: tensor<16x24xf32>) -> tensor<2x11x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x11x16xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<2x11x16xf32>) -> tensor<2x11x16xf32>
  %r = linalg.generic {indexing_maps = [#x, #w, #y], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%x, %w : tensor<2x11x24xf32>, tensor<16x24xf32>) outs(%f : tensor<2x11x16xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<2x11x16xf32>
  return %r : tensor<2x11x16xf32>
}

// -----

// Two K dims are two nested loops when packing; the tiles run one loop
// over the packed (h, d).
// CHECK-LABEL: func.func @two_k_dims(
// CHECK:         memref.alloc({{.*}}) {alignment = 64 : i64} : memref<1x1x?x16xf32>
// CHECK:         scf.parallel
// CHECK:           scf.for
// CHECK:         scf.parallel
// CHECK:           scf.for
// CHECK:             scf.for
// CHECK:               memref.load %{{.*}} : memref<10x3x8xf32>
// CHECK:         scf.parallel
// CHECK:           scf.for
// CHECK-COUNT-12:    vector.fma
#a = affine_map<(m, n, h, d) -> (m, h, d)>
#b = affine_map<(m, n, h, d) -> (n, h, d)>
#c = affine_map<(m, n, h, d) -> (m, n)>
func.func @two_k_dims(%a: tensor<10x3x8xf32>, %b: tensor<16x3x8xf32>) -> tensor<10x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<10x16xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<10x16xf32>) -> tensor<10x16xf32>
  %r = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%a, %b : tensor<10x3x8xf32>, tensor<16x3x8xf32>) outs(%f : tensor<10x16xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<10x16xf32>
  return %r : tensor<10x16xf32>
}

// -----

// A non-zero init is copied into the result and added to the sums; an f16
// result is accumulated in f32 and truncated once.
// CHECK-LABEL: func.func @accumulate_f16(
// CHECK:         %[[OUT:.+]] = memref.alloc() : memref<6x16xf16>
// CHECK:         memref.copy %{{.*}}, %[[OUT]]
// CHECK:         vector.fma {{.*}} : vector<8xf32>
// CHECK:         %[[C0:.+]] = vector.load %[[OUT]]{{.*}} : memref<6x16xf16>, vector<8xf16>
// CHECK:         arith.extf %[[C0]] : vector<8xf16> to vector<8xf32>
// CHECK:         arith.truncf {{.*}} : vector<8xf32> to vector<8xf16>
// CHECK:         vector.store {{.*}}, %[[OUT]]
func.func @accumulate_f16(%a: tensor<6x5xf16>, %b: tensor<5x16xf16>, %c: tensor<6x16xf16>) -> tensor<6x16xf16> {
  %r = linalg.matmul ins(%a, %b : tensor<6x5xf16>, tensor<5x16xf16>) outs(%c : tensor<6x16xf16>) -> tensor<6x16xf16>
  return %r : tensor<6x16xf16>
}

// -----

// Dynamic sizes come from the operands (the result's from the init): the
// column tiles and K of the
// packed B are dynamic.
// CHECK-LABEL: func.func @dynamic(
// CHECK:         %[[F:.+]] = linalg.fill
// CHECK:         tensor.dim %[[F]], %c0
// CHECK:         memref.alloc(%{{.*}}, %{{.*}}) : memref<?x?xf32>
// CHECK:         memref.alloc({{.*}}) {alignment = 64 : i64} : memref<1x?x?x16xf32>
// CHECK:         scf.parallel
func.func @dynamic(%a: tensor<?x?xf32>, %b: tensor<?x?xf32>, %init: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %zero = arith.constant 0.0 : f32
  %f = linalg.fill ins(%zero : f32) outs(%init : tensor<?x?xf32>) -> tensor<?x?xf32>
  %r = linalg.matmul ins(%a, %b : tensor<?x?xf32>, tensor<?x?xf32>) outs(%f : tensor<?x?xf32>) -> tensor<?x?xf32>
  return %r : tensor<?x?xf32>
}

// -----

// Left alone: integer operands, two N dims, and ops on buffers.
// CHECK-LABEL: func.func @not_taken(
// CHECK:         linalg.matmul {{.*}} tensor<4x8xi32>
// CHECK:         linalg.generic
// CHECK:         linalg.matmul {{.*}} memref<4x8xf32>
// CHECK-NOT:     vector.fma
#k = affine_map<(m, n, p, k) -> (m, k)>
#knp = affine_map<(m, n, p, k) -> (k, n, p)>
#mnp = affine_map<(m, n, p, k) -> (m, n, p)>
func.func @not_taken(%ai: tensor<4x8xi32>, %bi: tensor<8x4xi32>, %ci: tensor<4x4xi32>,
                     %a: tensor<5x8xf32>, %b: tensor<8x3x4xf32>, %c: tensor<5x3x4xf32>,
                     %am: memref<4x8xf32>, %bm: memref<8x4xf32>, %cm: memref<4x4xf32>)
    -> (tensor<4x4xi32>, tensor<5x3x4xf32>) {
  %ri = linalg.matmul ins(%ai, %bi : tensor<4x8xi32>, tensor<8x4xi32>) outs(%ci : tensor<4x4xi32>) -> tensor<4x4xi32>
  %r = linalg.generic {indexing_maps = [#k, #knp, #mnp], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%a, %b : tensor<5x8xf32>, tensor<8x3x4xf32>) outs(%c : tensor<5x3x4xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<5x3x4xf32>
  linalg.matmul ins(%am, %bm : memref<4x8xf32>, memref<8x4xf32>) outs(%cm : memref<4x4xf32>)
  return %ri, %r : tensor<4x4xi32>, tensor<5x3x4xf32>
}

// -----

// A linear layer as torch-mlir emits it: the product, the bias broadcast
// over the rows, and their sum. The bias is added in the kernel's epilogue
// (from a padded copy), and neither the product nor the broadcast is
// materialized. The second layer reads the first's result: each is matched
// when it is lowered.
// CHECK-LABEL: func.func @linear_bias_chain(
// CHECK-SAME:      %[[X:[^:]+]]: tensor<8x24xf32>, %[[W1:[^:]+]]: tensor<40x24xf32>, %[[B1:[^:]+]]: tensor<40xf32>
// CHECK:         %[[B1M:.+]] = bufferization.to_buffer %[[B1]] read_only : tensor<40xf32> to memref<40xf32>
// CHECK:         %[[PAD:.+]] = memref.alloc() : memref<48xf32>
// CHECK:           memref.load %[[B1M]]
// CHECK:           memref.store {{.*}}, %[[PAD]]
// CHECK:         scf.parallel
// CHECK:           vector.fma
// CHECK:           vector.load %[[PAD]]
// CHECK:           arith.addf
// CHECK:         %[[H:.+]] = bufferization.to_tensor
// CHECK:         bufferization.to_buffer %[[H]] read_only : tensor<8x40xf32>
// CHECK:           vector.fma
// CHECK:         %[[Y:.+]] = bufferization.to_tensor
// CHECK-NOT:     linalg.matmul
// CHECK-NOT:     arith.addf {{.*}} : f32
// CHECK:         return %[[Y]]
#row = affine_map<(m, n) -> (n)>
#id = affine_map<(m, n) -> (m, n)>
func.func @linear_bias_chain(%x: tensor<8x24xf32>, %w1: tensor<40x24xf32>, %b1: tensor<40xf32>,
                             %w2: tensor<16x40xf32>, %b2: tensor<16xf32>) -> tensor<8x16xf32> {
  %zero = arith.constant 0.0 : f32
  %we1 = tensor.empty() : tensor<24x40xf32>
  %w1t = linalg.transpose ins(%w1 : tensor<40x24xf32>) outs(%we1 : tensor<24x40xf32>) permutation = [1, 0]
  %e1 = tensor.empty() : tensor<8x40xf32>
  %f1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<8x40xf32>) -> tensor<8x40xf32>
  %p1 = linalg.matmul ins(%x, %w1t : tensor<8x24xf32>, tensor<24x40xf32>) outs(%f1 : tensor<8x40xf32>) -> tensor<8x40xf32>
  %bb1 = linalg.generic {indexing_maps = [#row, #id], iterator_types = ["parallel", "parallel"]} ins(%b1 : tensor<40xf32>) outs(%e1 : tensor<8x40xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<8x40xf32>
  %h = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]} ins(%p1, %bb1 : tensor<8x40xf32>, tensor<8x40xf32>) outs(%e1 : tensor<8x40xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<8x40xf32>
  %we2 = tensor.empty() : tensor<40x16xf32>
  %w2t = linalg.transpose ins(%w2 : tensor<16x40xf32>) outs(%we2 : tensor<40x16xf32>) permutation = [1, 0]
  %e2 = tensor.empty() : tensor<8x16xf32>
  %f2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<8x16xf32>) -> tensor<8x16xf32>
  %p2 = linalg.matmul ins(%h, %w2t : tensor<8x40xf32>, tensor<40x16xf32>) outs(%f2 : tensor<8x16xf32>) -> tensor<8x16xf32>
  %y = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%p2, %b2 : tensor<8x16xf32>, tensor<16xf32>) outs(%e2 : tensor<8x16xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %s = arith.addf %b, %a : f32
    linalg.yield %s : f32
  } -> tensor<8x16xf32>
  return %y : tensor<8x16xf32>
}

// -----

// Not a bias: a product with a second use, a sum with a tensor indexed by
// the rows, and a subtraction all keep their elementwise op.
// CHECK-LABEL: func.func @not_bias(
// CHECK-COUNT-3: linalg.generic
// CHECK-NOT:     linalg.matmul
#row = affine_map<(m, n) -> (n)>
#col = affine_map<(m, n) -> (m)>
#id = affine_map<(m, n) -> (m, n)>
func.func @not_bias(%x: tensor<8x24xf32>, %w: tensor<24x16xf32>, %b: tensor<16xf32>, %c: tensor<8xf32>)
    -> (tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x16xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<8x16xf32>) -> tensor<8x16xf32>
  %p = linalg.matmul ins(%x, %w : tensor<8x24xf32>, tensor<24x16xf32>) outs(%f : tensor<8x16xf32>) -> tensor<8x16xf32>
  %y = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%p, %b : tensor<8x16xf32>, tensor<16xf32>) outs(%e : tensor<8x16xf32>) {
  ^bb0(%u: f32, %v: f32, %out: f32):
    %s = arith.addf %u, %v : f32
    linalg.yield %s : f32
  } -> tensor<8x16xf32>
  %p2 = linalg.matmul ins(%x, %w : tensor<8x24xf32>, tensor<24x16xf32>) outs(%f : tensor<8x16xf32>) -> tensor<8x16xf32>
  %y2 = linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]} ins(%p2, %c : tensor<8x16xf32>, tensor<8xf32>) outs(%e : tensor<8x16xf32>) {
  ^bb0(%u: f32, %v: f32, %out: f32):
    %s = arith.addf %u, %v : f32
    linalg.yield %s : f32
  } -> tensor<8x16xf32>
  %p3 = linalg.matmul ins(%x, %w : tensor<8x24xf32>, tensor<24x16xf32>) outs(%f : tensor<8x16xf32>) -> tensor<8x16xf32>
  %y3 = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%p3, %b : tensor<8x16xf32>, tensor<16xf32>) outs(%e : tensor<8x16xf32>) {
  ^bb0(%u: f32, %v: f32, %out: f32):
    %s = arith.subf %u, %v : f32
    linalg.yield %s : f32
  } -> tensor<8x16xf32>
  return %p, %y, %y2, %y3 : tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x16xf32>
}

// -----

// A packed QKV projection split into heads as torch-mlir emits it (bias add,
// expand_shape, transpose): the kernel stores into the transposed layout,
// [3, M, H, Dh], splitting n into (n / 64, n / 32 mod 2, n mod 32), and the
// add, the expand and the transpose are gone.
// CHECK-LABEL: func.func @qkv_split(
// CHECK:         %[[OUT:.+]] = memref.alloc() : memref<3x10x2x32xf32>
// CHECK:         scf.parallel
// CHECK:           vector.fma
// CHECK:           arith.remui %{{.*}}, %c32
// CHECK:           arith.divui %{{.*}}, %c32
// CHECK:           arith.remui %{{.*}}, %c2
// CHECK:           arith.divui %{{.*}}, %c2
// CHECK:           vector.store %{{.*}}, %[[OUT]]
// CHECK:         %[[R:.+]] = bufferization.to_tensor %[[OUT]] restrict writable : memref<3x10x2x32xf32>
// CHECK-NOT:     linalg.transpose
// CHECK-NOT:     tensor.expand_shape
// CHECK:         return %[[R]]
#id = affine_map<(m, n) -> (m, n)>
#row = affine_map<(m, n) -> (n)>
func.func @qkv_split(%x: tensor<10x8xf32>, %w: tensor<192x8xf32>, %b: tensor<192xf32>) -> tensor<3x10x2x32xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<10x192xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<10x192xf32>) -> tensor<10x192xf32>
  %p = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>] ins(%x, %w : tensor<10x8xf32>, tensor<192x8xf32>) outs(%f : tensor<10x192xf32>) -> tensor<10x192xf32>
  %y = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%p, %b : tensor<10x192xf32>, tensor<192xf32>) outs(%e : tensor<10x192xf32>) {
  ^bb0(%u: f32, %v: f32, %o: f32):
    %s = arith.addf %u, %v : f32
    linalg.yield %s : f32
  } -> tensor<10x192xf32>
  %x2 = tensor.expand_shape %y [[0], [1, 2, 3]] output_shape [10, 3, 2, 32] : tensor<10x192xf32> into tensor<10x3x2x32xf32>
  %te = tensor.empty() : tensor<3x10x2x32xf32>
  %t = linalg.transpose ins(%x2 : tensor<10x3x2x32xf32>) outs(%te : tensor<3x10x2x32xf32>) permutation = [1, 0, 2, 3]
  return %t : tensor<3x10x2x32xf32>
}

// -----

// Not folded: an expand_shape with no transpose after it (a view already),
// a transpose after a non-zero init (C0 would need the same transpose), and
// a result with a second use.
// CHECK-LABEL: func.func @layout_kept(
// CHECK:         bufferization.to_tensor {{.*}} : memref<10x64xf32>
// CHECK:         tensor.expand_shape
// CHECK:         bufferization.to_tensor {{.*}} : memref<10x64xf32>
// CHECK:         linalg.transpose
// CHECK:         bufferization.to_tensor {{.*}} : memref<10x64xf32>
// CHECK:         linalg.transpose
func.func @layout_kept(%x: tensor<10x8xf32>, %w: tensor<8x64xf32>, %c: tensor<10x64xf32>)
    -> (tensor<10x2x32xf32>, tensor<64x10xf32>, tensor<64x10xf32>, tensor<10x64xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<10x64xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<10x64xf32>) -> tensor<10x64xf32>
  %p = linalg.matmul ins(%x, %w : tensor<10x8xf32>, tensor<8x64xf32>) outs(%f : tensor<10x64xf32>) -> tensor<10x64xf32>
  %x2 = tensor.expand_shape %p [[0], [1, 2]] output_shape [10, 2, 32] : tensor<10x64xf32> into tensor<10x2x32xf32>
  %te = tensor.empty() : tensor<64x10xf32>
  %p2 = linalg.matmul ins(%x, %w : tensor<10x8xf32>, tensor<8x64xf32>) outs(%c : tensor<10x64xf32>) -> tensor<10x64xf32>
  %t2 = linalg.transpose ins(%p2 : tensor<10x64xf32>) outs(%te : tensor<64x10xf32>) permutation = [1, 0]
  %p3 = linalg.matmul ins(%x, %w : tensor<10x8xf32>, tensor<8x64xf32>) outs(%f : tensor<10x64xf32>) -> tensor<10x64xf32>
  %t3 = linalg.transpose ins(%p3 : tensor<10x64xf32>) outs(%te : tensor<64x10xf32>) permutation = [1, 0]
  return %x2, %t2, %t3, %p3 : tensor<10x2x32xf32>, tensor<64x10xf32>, tensor<64x10xf32>, tensor<10x64xf32>
}
