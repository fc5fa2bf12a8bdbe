//===- TileProjections.cpp - projections as tiled CPU matmuls ---*- C++ -*-===//
//
// Part of the attn-mlir project.
//
//===----------------------------------------------------------------------===//
//
// attn.project:        y[b,h,s,d] = sum_e x[b,s,e] w[h*D+d, e] + bias
// attn.output_project: y[b,s,e]   = sum_{h,d} a[b,h,s,d] w[e, h*D+d] + bias
//
// Both are C[m, n] = sum_k A(m, k) W[n, k] with m = (b, s), computed by the
// shared kernel of TiledMatmul.h reading and writing the attn layouts.
//
//===----------------------------------------------------------------------===//

#include "TiledMatmul.h"
#include "attn/IR/AttnOps.h"
#include "attn/Transforms/Passes.h"
#include "attn/Transforms/Transforms.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace mlir {
namespace attn {
#define GEN_PASS_DEF_ATTNTILEPROJECTIONSPASS
#include "attn/Transforms/Passes.h.inc"
} // namespace attn
} // namespace mlir

using namespace mlir;
using namespace mlir::attn;

namespace {

/// Lowers `op` (attn.project or attn.output_project) onto the shared tiled
/// matmul; returns the result.
Value buildProjection(OpBuilder &b, Location loc, Operation *op,
                      int64_t width) {
  auto project = dyn_cast<ProjectOp>(op);
  Value bias =
      project ? project.getBias() : cast<OutputProjectOp>(op).getBias();
  auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
  auto inType = cast<RankedTensorType>(op->getOperand(0).getType());
  auto wType = cast<RankedTensorType>(op->getOperand(1).getType());
  Value xm = toReadOnlyBuffer(b, loc, op->getOperand(0));
  Value wm = toReadOnlyBuffer(b, loc, op->getOperand(1));
  Value bm = bias ? toReadOnlyBuffer(b, loc, bias) : Value();
  auto idx = [&](int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v).getResult();
  };

  // C[m, n] = sum_k A(m, k) W[n, k] with m = (b, s).
  int64_t n = wType.getDimSize(0);
  Value batch = memref::DimOp::create(b, loc, xm, 0);
  Value seq = memref::DimOp::create(b, loc, xm, project ? 1 : 2);
  int64_t heads = project ? project.getNumHeads() : inType.getDimSize(1);
  Value headsV = project ? idx(heads) : memref::DimOp::create(b, loc, xm, 1);
  int64_t headDim = project ? n / heads : inType.getDimSize(3);

  SmallVector<Value> dynSizes;
  for (int64_t i = 0; i < resultType.getRank(); ++i)
    if (resultType.isDynamicDim(i))
      dynSizes.push_back(i == 0 ? batch : i == 1 && project ? headsV : seq);
  Type outElt = resultType.getElementType();
  Value out = memref::AllocOp::create(
      b, loc, MemRefType::get(resultType.getShape(), outElt), dynSizes);

  TiledMatmul mm;
  mm.vectorWidth = width;
  mm.problems = idx(1);
  mm.rows = arith::MulIOp::create(b, loc, batch, seq);
  mm.cols = idx(n);
  // attn.output_project reduces over k = (h, d) of a[b, h, s, d].
  if (project)
    mm.depth = {memref::DimOp::create(b, loc, wm, 1)};
  else
    mm.depth = {headsV, idx(headDim)};
  mm.sharedB = true;
  // x[b, s, :] is contiguous along k.
  mm.directA = project && inType.getElementType().isF32();
  auto rowIndices = [&](OpBuilder &, Location, Value, Value row) {
    return SmallVector<Value>{arith::DivUIOp::create(b, loc, row, seq),
                              arith::RemUIOp::create(b, loc, row, seq)};
  };
  mm.rowIndices = rowIndices;
  auto loadA = [&](OpBuilder &, Location, ArrayRef<Value> row, ValueRange k) {
    SmallVector<Value> at =
        project ? SmallVector<Value>{row[0], row[1], k[0]}
                : SmallVector<Value>{row[0], k[0], row[1], k[1]};
    return memref::LoadOp::create(b, loc, xm, at).getResult();
  };
  mm.loadA = loadA;
  auto loadB = [&](OpBuilder &, Location, Value, Value k, Value nn) {
    return memref::LoadOp::create(b, loc, wm, ValueRange{nn, k}).getResult();
  };
  mm.loadB = loadB;
  auto loadBias = [&](OpBuilder &, Location, Value nn) {
    return memref::LoadOp::create(b, loc, bm, ValueRange{nn}).getResult();
  };
  if (bm)
    mm.loadBias = loadBias;
  auto store = [&](OpBuilder &, Location, ArrayRef<Value> row, Value nn,
                   Value v, Value mask) {
    if (getElementTypeOrSelf(v.getType()) != outElt) {
      Type to = isa<VectorType>(v.getType())
                    ? Type(VectorType::get({width}, outElt))
                    : outElt;
      v = arith::TruncFOp::create(b, loc, to, v);
    }
    SmallVector<Value> at =
        project ? SmallVector<Value>{row[0],
                                     arith::DivUIOp::create(b, loc, nn,
                                                            idx(headDim)),
                                     row[1],
                                     arith::RemUIOp::create(b, loc, nn,
                                                            idx(headDim))}
                : SmallVector<Value>{row[0], row[1], nn};
    if (mask)
      vector::MaskedStoreOp::create(b, loc, out, at, mask, v);
    else if (isa<VectorType>(v.getType()))
      vector::StoreOp::create(b, loc, v, out, at);
    else
      memref::StoreOp::create(b, loc, v, out, at);
  };
  mm.store = store;
  // A whole vector stays within one head when D is a multiple of it.
  mm.vectorStores = !project || headDim % width == 0;
  emitTiledMatmul(b, loc, mm);
  return bufferization::ToTensorOp::create(b, loc, resultType, out,
                                           /*restrict=*/true,
                                           /*writable=*/true);
}

} // namespace

namespace {
struct AttnTileProjectionsPass
    : attn::impl::AttnTileProjectionsPassBase<AttnTileProjectionsPass> {
  using Base::Base;

  void runOnOperation() override {
    int64_t width = vectorWidth > 0 ? vectorWidth : getHostVectorWidth();
    SmallVector<Operation *> ops;
    getOperation()->walk([&](Operation *op) {
      if (isa<ProjectOp, OutputProjectOp>(op))
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      // Static head dims are guaranteed by the verifier; the weight's rows
      // must be static to size the packed tiles.
      if (cast<RankedTensorType>(op->getOperand(1).getType()).isDynamicDim(0) ||
          failed(checkIndexableShapes(op)))
        continue;
      OpBuilder b(op);
      Value result = buildProjection(b, op->getLoc(), op, width);
      op->getResult(0).replaceAllUsesWith(result);
      op->erase();
    }
  }
};
} // namespace
