// RUN: attn-opt %s -split-input-file --convert-to-llvm --reconcile-unrealized-casts | FileCheck %s

// An acquire becomes a call of the module's acquire helper with a slot of its
// own and the buffer's size in bytes; the descriptor wraps the returned data
// as both its allocated and its aligned pointer. The release hands the
// allocated pointer to the release helper.
// CHECK-LABEL: llvm.func internal @__attn_workspace_release(
// CHECK-SAME:      %[[DATA:.+]]: !llvm.ptr)
// CHECK:         %[[BLOCK:.+]] = llvm.getelementptr %[[DATA]][-64] : (!llvm.ptr) -> !llvm.ptr, i8
// CHECK:         %[[FIELD:.+]] = llvm.getelementptr %[[BLOCK]][8] : (!llvm.ptr) -> !llvm.ptr, i8
// CHECK:         %[[SLOT:.+]] = llvm.load %[[FIELD]] : !llvm.ptr -> !llvm.ptr
// CHECK:         %[[NULL:.+]] = llvm.mlir.zero : !llvm.ptr
// CHECK:         %[[SWAP:.+]] = llvm.cmpxchg %[[SLOT]], %[[NULL]], %[[BLOCK]] acq_rel monotonic
// CHECK:         %[[KEPT:.+]] = llvm.extractvalue %[[SWAP]][1]
// CHECK:         llvm.cond_br %[[KEPT]], ^[[DONE:.+]], ^[[FREE:[^ ]+]]
// CHECK:       ^[[FREE]]:
// CHECK:         llvm.call @free(%[[BLOCK]])
// CHECK:       ^[[DONE]]:
// CHECK-NEXT:    llvm.return

// CHECK:       llvm.mlir.global internal @__attn_workspace_slot_0() {{.*}} : !llvm.ptr {
// CHECK-NEXT:    %[[Z:.+]] = llvm.mlir.zero : !llvm.ptr
// CHECK-NEXT:    llvm.return %[[Z]] : !llvm.ptr

// The destructor empties every slot (free(NULL) is a no-op).
// CHECK-LABEL: llvm.func internal @__attn_workspace_free_kept()
// CHECK:         %[[S:.+]] = llvm.mlir.addressof @__attn_workspace_slot_0
// CHECK:         %[[B:.+]] = llvm.atomicrmw xchg %[[S]], %{{.+}} acq_rel
// CHECK:         llvm.call @free(%[[B]])
// CHECK-NEXT:    llvm.return

// CHECK-LABEL: llvm.func internal @__attn_workspace_acquire(
// CHECK-SAME:      %[[SLOT:.+]]: !llvm.ptr, %[[BYTES:.+]]: i64) -> !llvm.ptr
// CHECK:         %[[KEPT:.+]] = llvm.atomicrmw xchg %[[SLOT]], %{{.+}} acq_rel
// CHECK:         %[[NONE:.+]] = llvm.icmp "eq" %[[KEPT]]
// CHECK:         llvm.cond_br %[[NONE]], ^[[FRESH:.+]], ^[[CHECK:[^ ]+]]
// CHECK:       ^[[CHECK]]:
// CHECK:         %[[CAP:.+]] = llvm.load %[[KEPT]] : !llvm.ptr -> i64
// CHECK:         %[[FITS:.+]] = llvm.icmp "uge" %[[CAP]], %[[BYTES]]
// CHECK:         llvm.cond_br %[[FITS]], ^[[DONE:.+]](%[[KEPT]] : !llvm.ptr), ^[[DROP:[^ ]+]]
// CHECK:       ^[[DROP]]:
// CHECK:         llvm.call @free(%[[KEPT]])
// CHECK:       ^[[FRESH]]:
// CHECK:         %[[PAD:.+]] = llvm.add %[[BYTES]], %{{.+}} : i64
// CHECK:         %[[TOTAL:.+]] = llvm.and %[[PAD]], %{{.+}} : i64
// CHECK:         %[[NEW:.+]] = llvm.call @aligned_alloc(%{{.+}}, %[[TOTAL]])
// CHECK:         llvm.store %{{.+}}, %[[NEW]] : i64, !llvm.ptr
// CHECK:         %[[OWNER:.+]] = llvm.getelementptr %[[NEW]][8]
// CHECK:         llvm.store %[[SLOT]], %[[OWNER]] : !llvm.ptr, !llvm.ptr
// CHECK:       ^[[DONE]](%[[BLK:.+]]: !llvm.ptr):
// CHECK:         %[[D:.+]] = llvm.getelementptr %[[BLK]][64]
// CHECK:         llvm.return %[[D]]

// CHECK-LABEL: llvm.func @one(
// CHECK:         %[[SIZE:.+]] = llvm.ptrtoint
// CHECK:         %[[S0:.+]] = llvm.mlir.addressof @__attn_workspace_slot_0 : !llvm.ptr
// CHECK:         %[[P:.+]] = llvm.call @__attn_workspace_acquire(%[[S0]], %[[SIZE]]) : (!llvm.ptr, i64) -> !llvm.ptr
// CHECK:         %[[D0:.+]] = llvm.insertvalue %[[P]], %{{.+}}[0]
// CHECK:         llvm.insertvalue %[[P]], %[[D0]][1]
// CHECK:         llvm.store
// CHECK:         %[[A:.+]] = llvm.extractvalue %{{.+}}[0]
// CHECK:         llvm.call @__attn_workspace_release(%[[A]]) : (!llvm.ptr) -> ()
// CHECK:       llvm.mlir.global_dtors dtors = [@__attn_workspace_free_kept], priorities = [65535 : i32], data = [#llvm.zero]
func.func @one(%n: index) {
  %w = attn.workspace_acquire(%n) : memref<?x16xf32>
  %c0 = arith.constant 0 : index
  %x = arith.constant 1.0 : f32
  memref.store %x, %w[%c0, %c0] : memref<?x16xf32>
  attn.workspace_release %w : memref<?x16xf32>
  return
}

// -----

// Two acquires: two slots, one set of helpers, one destructor emptying both,
// added to the module's existing global destructors.
// CHECK-DAG:   llvm.mlir.global internal @__attn_workspace_slot_0()
// CHECK-DAG:   llvm.mlir.global internal @__attn_workspace_slot_1()
// CHECK-LABEL: llvm.func internal @__attn_workspace_free_kept()
// CHECK:         llvm.mlir.addressof @__attn_workspace_slot_0
// CHECK:         llvm.call @free(
// CHECK:         llvm.mlir.addressof @__attn_workspace_slot_1
// CHECK:         llvm.call @free(
// CHECK-NEXT:    llvm.return
// CHECK-COUNT-1: llvm.func internal @__attn_workspace_acquire(
// CHECK-NOT:   llvm.func internal @__attn_workspace_acquire
// CHECK-LABEL: llvm.func @two(
// CHECK:         llvm.mlir.addressof @__attn_workspace_slot_0
// CHECK:         llvm.call @__attn_workspace_acquire(
// CHECK:         llvm.mlir.addressof @__attn_workspace_slot_1
// CHECK:         llvm.call @__attn_workspace_acquire(
// CHECK-COUNT-2: llvm.call @__attn_workspace_release(
// CHECK:       llvm.mlir.global_dtors dtors = [@cleanup, @__attn_workspace_free_kept], priorities = [7 : i32, 65535 : i32], data = [#llvm.zero, #llvm.zero]
// CHECK-NOT:   llvm.mlir.global_dtors
llvm.func @cleanup() {
  llvm.return
}
llvm.mlir.global_dtors dtors = [@cleanup], priorities = [7 : i32], data = [#llvm.zero]
func.func @two() {
  %a = attn.workspace_acquire() : memref<64xf32>
  %b = attn.workspace_acquire() : memref<8x8xbf16>
  attn.workspace_release %a : memref<64xf32>
  attn.workspace_release %b : memref<8x8xbf16>
  return
}
