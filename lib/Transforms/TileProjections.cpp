//===- TileProjections.cpp - projections as tiled CPU matmuls ---*- C++ -*-===//
//
// Part of the attn-mlir project.
//
//===----------------------------------------------------------------------===//
//
// attn.project:        y[b,h,s,d] = sum_e x[b,s,e] w[h*D+d, e] + bias
// attn.output_project: y[b,s,e]   = sum_{h,d} a[b,h,s,d] w[e, h*D+d] + bias
//
// Both are C[m, n] = sum_k A(m, k) W[n, k] with m = (b, s). W is packed once
// per call as Wt[k][n] (f32, n padded to whole tiles) so that a tile of 6 rows
// x 2 vectors of n is 12 FMAs per k on one broadcast per row and two loads.
//
//===----------------------------------------------------------------------===//

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

constexpr int64_t kRows = 6;

class ProjectionBuilder {
public:
  ProjectionBuilder(OpBuilder &b, Location loc, int64_t w)
      : b(b), loc(loc), w(w) {
    f32 = b.getF32Type();
    vecType = VectorType::get({w}, f32);
  }

  /// Lowers `op` (attn.project or attn.output_project); returns the result.
  Value build(Operation *op);

private:
  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }
  Value toF32(Value v) {
    if (v.getType() == f32 || v.getType() == vecType)
      return v;
    Type to = isa<VectorType>(v.getType()) ? Type(vecType) : f32;
    return arith::ExtFOp::create(b, loc, to, v);
  }
  Value toBuffer(Value t) {
    auto type = cast<RankedTensorType>(t.getType());
    return bufferization::ToBufferOp::create(
        b, loc, MemRefType::get(type.getShape(), type.getElementType()), t,
        /*read_only=*/true);
  }
  /// A scalar loop over [0, n).
  void loop(Value n, function_ref<void(Value)> body) {
    scf::ForOp::create(b, loc, idx(0), n, idx(1), ValueRange{},
                       [&](OpBuilder &, Location, Value i, ValueRange) {
                         body(i);
                         scf::YieldOp::create(b, loc);
                       });
  }

  OpBuilder &b;
  Location loc;
  int64_t w;
  Type f32;
  VectorType vecType;
};

} // namespace

Value ProjectionBuilder::build(Operation *op) {
  auto project = dyn_cast<ProjectOp>(op);
  Value input = op->getOperand(0), weight = op->getOperand(1);
  Value bias =
      project ? project.getBias() : cast<OutputProjectOp>(op).getBias();
  auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
  auto inType = cast<RankedTensorType>(input.getType());
  auto wType = cast<RankedTensorType>(weight.getType());
  Value xm = toBuffer(input), wm = toBuffer(weight);
  Value bm = bias ? toBuffer(bias) : Value();

  // C[m, n] = sum_k A(m, k) W[n, k]; m = (b, s).
  int64_t n = wType.getDimSize(0);
  int64_t tileN = 2 * w;
  int64_t nPad = llvm::divideCeil(n, tileN) * tileN;
  Value batch = memref::DimOp::create(b, loc, xm, 0);
  Value seq = memref::DimOp::create(b, loc, xm, project ? 1 : 2);
  Value k = memref::DimOp::create(b, loc, wm, 1);
  int64_t heads = project ? project.getNumHeads() : inType.getDimSize(1);
  Value headsV = project ? idx(heads) : memref::DimOp::create(b, loc, xm, 1);
  int64_t headDim = project ? n / heads : inType.getDimSize(3);

  // Wt[k][n] in f32, and the bias padded to whole tiles.
  Value wt = memref::AllocOp::create(
      b, loc, MemRefType::get({ShapedType::kDynamic, nPad}, f32),
      ValueRange{k});
  Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0));
  scf::ParallelOp::create(
      b, loc, ValueRange{idx(0)}, ValueRange{k}, ValueRange{idx(1)},
      [&](OpBuilder &, Location, ValueRange ivs) {
        loop(idx(nPad), [&](Value j) {
          Value inRange = arith::CmpIOp::create(
              b, loc, arith::CmpIPredicate::slt, j, idx(n));
          Value jc = arith::MinSIOp::create(b, loc, j, idx(n - 1));
          Value x =
              toF32(memref::LoadOp::create(b, loc, wm, ValueRange{jc, ivs[0]}));
          x = arith::SelectOp::create(b, loc, inRange, x, zero);
          memref::StoreOp::create(b, loc, x, wt, ValueRange{ivs[0], j});
        });
      });
  Value biasPad;
  if (bm) {
    biasPad = memref::AllocOp::create(b, loc, MemRefType::get({nPad}, f32));
    loop(idx(nPad), [&](Value j) {
      Value inRange =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, j, idx(n));
      Value jc = arith::MinSIOp::create(b, loc, j, idx(n - 1));
      Value x = toF32(memref::LoadOp::create(b, loc, bm, ValueRange{jc}));
      memref::StoreOp::create(b, loc,
                              arith::SelectOp::create(b, loc, inRange, x, zero),
                              biasPad, ValueRange{j});
    });
  }

  SmallVector<Value> dynSizes;
  for (int64_t i = 0; i < resultType.getRank(); ++i)
    if (resultType.isDynamicDim(i))
      dynSizes.push_back(i == 0 ? batch : i == 1 && project ? headsV : seq);
  Value out = memref::AllocOp::create(
      b, loc,
      MemRefType::get(resultType.getShape(), resultType.getElementType()),
      dynSizes);
  Type outElt = resultType.getElementType();

  Value m = mul(batch, seq);
  Value rowTiles = arith::CeilDivUIOp::create(b, loc, m, idx(kRows));
  // Whole output vectors stay within one head when D is a multiple of them.
  bool vectorStores = !project || headDim % w == 0;
  scf::ParallelOp::create(
      b, loc, ValueRange{idx(0), idx(0)},
      ValueRange{rowTiles, idx(nPad / tileN)}, ValueRange{idx(1), idx(1)},
      [&](OpBuilder &, Location, ValueRange ivs) {
        Value m0 = mul(ivs[0], idx(kRows));
        Value n0 = mul(ivs[1], idx(tileN));
        Value lastRow = arith::SubIOp::create(b, loc, m, idx(1));
        SmallVector<Value> bs, ss;
        for (int64_t r = 0; r < kRows; ++r) {
          Value row = arith::MinSIOp::create(b, loc, add(m0, idx(r)), lastRow);
          bs.push_back(arith::DivUIOp::create(b, loc, row, seq));
          ss.push_back(arith::RemUIOp::create(b, loc, row, seq));
        }
        // acc[r][c] += A(row r, k) * Wt[k][n0 + c*W].
        auto step = [&](Value kk, ValueRange acc, ArrayRef<Value> aIdx) {
          SmallVector<Value> wv = {
              vector::LoadOp::create(b, loc, vecType, wt, ValueRange{kk, n0}),
              vector::LoadOp::create(b, loc, vecType, wt,
                                     ValueRange{kk, add(n0, idx(w))})};
          SmallVector<Value> next;
          for (int64_t r = 0; r < kRows; ++r) {
            SmallVector<Value> at =
                project ? SmallVector<Value>{bs[r], ss[r], aIdx[0]}
                        : SmallVector<Value>{bs[r], aIdx[0], ss[r], aIdx[1]};
            Value xb = vector::BroadcastOp::create(
                b, loc, vecType, toF32(memref::LoadOp::create(b, loc, xm, at)));
            for (int64_t c = 0; c < 2; ++c)
              next.push_back(
                  vector::FMAOp::create(b, loc, xb, wv[c], acc[r * 2 + c]));
          }
          return next;
        };
        SmallVector<Value> init(
            kRows * 2,
            arith::ConstantOp::create(
                b, loc,
                DenseElementsAttr::get(vecType, b.getF32FloatAttr(0.0))));
        ValueRange acc;
        scf::ForOp kLoop;
        if (project) {
          kLoop = scf::ForOp::create(
              b, loc, idx(0), k, idx(1), init,
              [&](OpBuilder &, Location, Value kk, ValueRange a) {
                scf::YieldOp::create(b, loc, step(kk, a, {kk}));
              });
        } else {
          // k = h * D + d, iterated as (h, d) to index a[b, h, s, d].
          kLoop = scf::ForOp::create(
              b, loc, idx(0), headsV, idx(1), init,
              [&](OpBuilder &, Location, Value h, ValueRange a) {
                auto inner = scf::ForOp::create(
                    b, loc, idx(0), idx(headDim), idx(1), a,
                    [&](OpBuilder &, Location, Value d, ValueRange a2) {
                      Value kk = add(mul(h, idx(headDim)), d);
                      scf::YieldOp::create(b, loc, step(kk, a2, {h, d}));
                    });
                scf::YieldOp::create(b, loc, inner.getResults());
              });
        }
        acc = kLoop.getResults();

        // Epilogue: bias, conversion, store.
        for (int64_t r = 0; r < kRows; ++r) {
          Value valid = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt,
                                              add(m0, idx(r)), m);
          scf::IfOp::create(b, loc, valid, [&](OpBuilder &, Location) {
            for (int64_t c = 0; c < 2; ++c) {
              Value col = add(n0, idx(c * w));
              Value v = acc[r * 2 + c];
              if (biasPad)
                v = arith::AddFOp::create(
                    b, loc, v,
                    vector::LoadOp::create(b, loc, vecType, biasPad,
                                           ValueRange{col}));
              if (outElt != f32)
                v = arith::TruncFOp::create(b, loc,
                                            VectorType::get({w}, outElt), v);
              // Stores `x` at output column `nn` of row r when nn < n.
              auto storeColumn = [&](Value nn, Value x) {
                Value inRange = arith::CmpIOp::create(
                    b, loc, arith::CmpIPredicate::slt, nn, idx(n));
                scf::IfOp::create(b, loc, inRange, [&](OpBuilder &, Location) {
                  SmallVector<Value> at =
                      project
                          ? SmallVector<Value>{bs[r],
                                               arith::DivUIOp::create(
                                                   b, loc, nn, idx(headDim)),
                                               ss[r],
                                               arith::RemUIOp::create(
                                                   b, loc, nn, idx(headDim))}
                          : SmallVector<Value>{bs[r], ss[r], nn};
                  if (isa<VectorType>(x.getType()))
                    vector::StoreOp::create(b, loc, x, out, at);
                  else
                    memref::StoreOp::create(b, loc, x, out, at);
                  scf::YieldOp::create(b, loc);
                });
              };
              // A whole vector stays in range (n is a multiple of W) and, for
              // attn.project, within one head.
              if (vectorStores && n % w == 0) {
                storeColumn(col, v);
                continue;
              }
              for (int64_t lane = 0; lane < w; ++lane)
                storeColumn(add(col, idx(lane)),
                            vector::ExtractOp::create(b, loc, v, lane));
            }
            scf::YieldOp::create(b, loc);
          });
        }
      });
  return bufferization::ToTensorOp::create(b, loc, resultType, out,
                                           /*restrict=*/true,
                                           /*writable=*/true);
}

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
      Value result = ProjectionBuilder(b, op->getLoc(), width).build(op);
      op->getResult(0).replaceAllUsesWith(result);
      op->erase();
    }
  }
};
} // namespace
