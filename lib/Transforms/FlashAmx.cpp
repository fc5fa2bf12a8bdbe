//===- FlashAmx.cpp - bf16 flash attention on AMX tiles ---------*- C++ -*-===//
//
// Part of the attn-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The AMX variant of the --attn-flash kernel, for bf16 Q/K/V on hosts with
// AMX-BF16. Both contractions run on 16x32 bf16 x 32x16 bf16 -> 16x16 f32
// tile products (amx.tile_mulf, i.e. tdpbf16ps); the online softmax stays in
// f32 vectors. Layout:
//
//   Kp[b][h][D'/2][2 Sk']   K^T in pairs of d ("VNNI"): the B operand of
//                           S = Q K^T, packed once per call.
//   Vp[b][h][Sk'/2][2 Dv']  V in pairs of keys: the B operand of O += P V.
//   per task (b, kv head, block of Bq rows):
//     Qp[Bq][D']    the block's queries (bf16, zero rows/columns as padding)
//     S[Bq][Bk]     scores of one key block (f32, queries in rows)
//     P[Bq][Bk]     probabilities (bf16), the A operand of P V
//     O[Bq][Dv']    the f32 accumulator, rescaled row by row
//
// D' and Dv' are D and Dv padded to a tile's 32 and 16 columns, Sk' is Sk
// padded to the key block; padding is zero and padded keys are masked.
// Applications must have asked the OS for AMX state (Linux:
// arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA)) before running the
// code; the attn-mlir runtime does so.
//
//===----------------------------------------------------------------------===//

#include "FlashCommon.h"

#include "mlir/Dialect/AMX/AMXDialect.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "llvm/TargetParser/Host.h"

#include <limits>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::flash;

//===----------------------------------------------------------------------===//
// Shared with the vector kernel
//===----------------------------------------------------------------------===//

std::pair<int64_t, int64_t> flash::getDiagonalBounds(SdpaOp op) {
  std::optional<ArrayRef<int64_t>> window = op.getWindow();
  int64_t lo = window ? -(*window)[0] : std::numeric_limits<int32_t>::min();
  int64_t hi = op.getCausal() ? 0 : std::numeric_limits<int32_t>::max();
  if (window)
    hi = std::min<int64_t>(hi, (*window)[1]);
  return {lo, hi};
}

std::pair<Value, Value> flash::getQueryRange(IndexBuilder &ib, Value q0,
                                             Value nq, Value sq) {
  OpBuilder &b = ib.b;
  Location loc = ib.loc;
  Value last = ib.add(q0, ib.sub(nq, ib.idx(1)));
  Value sameHead =
      ib.cmp(arith::CmpIPredicate::eq, arith::DivUIOp::create(b, loc, q0, sq),
             arith::DivUIOp::create(b, loc, last, sq));
  Value iMin = arith::SelectOp::create(
      b, loc, sameHead, arith::RemUIOp::create(b, loc, q0, sq), ib.idx(0));
  Value iMax = arith::SelectOp::create(b, loc, sameHead,
                                       arith::RemUIOp::create(b, loc, last, sq),
                                       ib.sub(sq, ib.idx(1)));
  return {iMin, iMax};
}

std::pair<Value, Value> flash::getKeyRange(IndexBuilder &ib, SdpaOp op,
                                           Value iMin, Value iMax, Value offset,
                                           Value sk) {
  Value start = ib.idx(0), end = sk;
  Value lastDiag = ib.add(ib.add(iMax, ib.idx(1)), offset); // last query's + 1
  if (op.getCausal())
    end = ib.minIdx(end, lastDiag);
  if (std::optional<ArrayRef<int64_t>> window = op.getWindow()) {
    start =
        ib.maxIdx(start, ib.sub(ib.add(iMin, offset), ib.idx((*window)[0])));
    end = ib.minIdx(end, ib.add(lastDiag, ib.idx((*window)[1])));
  }
  return {start, ib.maxIdx(end, start)};
}

bool flash::hostHasAmxBf16() {
  llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
  return features.lookup("amx-tile") && features.lookup("amx-bf16");
}

namespace {

/// Rows of an AMX tile; an operand tile row holds 32 bf16 (16 pairs), an
/// accumulator tile row 16 f32.
constexpr int64_t kTileRows = 16;
constexpr int64_t kPairCols = 32;
constexpr int64_t kAccCols = 16;
/// Block sizes: 2 x 4 accumulator tiles of scores per key block, whose
/// products are done in 2 x 2 tile groups (4 accumulators, 2 A and 2 B
/// tiles: the 8 tile registers).
constexpr int64_t kQueryBlock = 32;
constexpr int64_t kKeyBlock = 64;

} // namespace

bool flash::canUseAmx(SdpaOp op, const FlashOptions &options) {
  if (!options.amx)
    return false;
  auto isBf16 = [](Value v) {
    return cast<RankedTensorType>(v.getType()).getElementType().isBF16();
  };
  if (!isBf16(op.getQuery()) || !isBf16(op.getKey()) || !isBf16(op.getValue()))
    return false;
  RankedTensorType q = op.getQuery().getType(), k = op.getKey().getType();
  RankedTensorType v = op.getValue().getType();
  if (q.isDynamicDim(3) || v.isDynamicDim(3))
    return false;
  // Fewer rows per kv head than a tile (decoding) would leave most of each
  // tile product unused: the vector kernel is better there.
  if (!q.isDynamicDim(1) && !q.isDynamicDim(2) && !k.isDynamicDim(1) &&
      k.getDimSize(1) > 0 &&
      q.getDimSize(1) / k.getDimSize(1) * q.getDimSize(2) < kTileRows)
    return false;
  return true;
}

namespace {

using TileFn = function_ref<Value(int64_t, int64_t)>;
using StoreFn = function_ref<void(int64_t, int64_t, Value)>;

class AmxKernelBuilder : IndexBuilder {
public:
  AmxKernelBuilder(OpBuilder &b, Location loc, SdpaOp op)
      : IndexBuilder(b, loc), op(op) {
    f32 = b.getF32Type();
    bf16 = b.getBF16Type();
    vecType = VectorType::get({kAccCols}, f32);
    operandTile = amx::TileType::get({kTileRows, kPairCols}, bf16);
    accTile = amx::TileType::get({kTileRows, kAccCols}, f32);
    d = op.getQuery().getType().getDimSize(3);
    dv = op.getValue().getType().getDimSize(3);
    dPad = llvm::alignTo(d, kPairCols);
    dvPad = llvm::alignTo(dv, kAccCols);
  }

  Value build();

private:
  Value f32Const(double v) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  }
  Value splat(double v) {
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(vecType, b.getF32FloatAttr(v)));
  }
  /// `mem[at]` widened to f32 when `valid`, else 0 (at must be in bounds).
  Value loadOrZero(Value mem, ValueRange at, Value valid) {
    Value x = memref::LoadOp::create(b, loc, mem, at);
    Type elt = x.getType();
    return arith::SelectOp::create(
        b, loc, valid, x,
        arith::ConstantOp::create(b, loc, b.getFloatAttr(elt, 0.0)));
  }
  /// A loop over [lb, ub) whose body gets the induction variable.
  void forLoop(Value lb, Value ub, int64_t step,
               function_ref<void(Value)> body) {
    scf::ForOp::create(b, loc, lb, ub, idx(step), ValueRange{},
                       [&](OpBuilder &, Location, Value iv, ValueRange) {
                         body(iv);
                         scf::YieldOp::create(b, loc);
                       });
  }

  void packKeysValues(ValueRange ivs);
  void packQueries(Value qp);
  void tileMatmul(int64_t mTiles, int64_t nTiles, int64_t kSteps, TileFn loadA,
                  TileFn loadB, TileFn initC, StoreFn storeC);
  void prepareScores(Value s, Value j0, Value nk);
  void maskScores(Value s, Value j0, Value nk);
  void softmax(Value s, Value p, Value o, Value mBuf, Value lBuf, Value scale);
  void writeOutput(Value o, Value lBuf);
  void emitTask(ValueRange ivs);

  std::pair<Value, Value> rowToHeadQuery(Value row) {
    Value h = add(mul(kvHead, group), arith::DivUIOp::create(b, loc, row, sq));
    return {h, arith::RemUIOp::create(b, loc, row, sq)};
  }

  SdpaOp op;
  Type f32, bf16;
  VectorType vecType;
  amx::TileType operandTile, accTile;
  int64_t d, dv, dPad, dvPad;

  Value qm, km, vm, maskm, om, kp, vp;
  Value sq, sk, group, rows, offset;
  // Per task.
  Value bIdx, kvHead, q0, nq;
};

} // namespace

/// Kp[b][h][d/2][2j + d%2] = K[b][h][j][d] and Vp[b][h][j/2][2e + j%2] =
/// V[b][h][j][e] for the 16 keys of tile `ivs[2]`, zero past Sk, D and Dv.
void AmxKernelBuilder::packKeysValues(ValueRange ivs) {
  Value bi = ivs[0], h = ivs[1];
  Value j0 = mul(ivs[2], idx(kTileRows));
  Value lastKey = sub(sk, idx(1));
  forLoop(idx(0), idx(kTileRows), 1, [&](Value r) {
    Value j = add(j0, r);
    Value keyValid = cmp(arith::CmpIPredicate::slt, j, sk);
    Value jc = minIdx(j, lastKey);
    Value twoJ = mul(j, idx(2));
    forLoop(idx(0), idx(dPad / 2), 1, [&](Value dp) {
      for (int64_t t = 0; t < 2; ++t) {
        Value dd = add(mul(dp, idx(2)), idx(t));
        Value valid = arith::AndIOp::create(
            b, loc, keyValid, cmp(arith::CmpIPredicate::slt, dd, idx(d)));
        Value x = loadOrZero(km, {bi, h, jc, minIdx(dd, idx(d - 1))}, valid);
        memref::StoreOp::create(b, loc, x, kp,
                                ValueRange{bi, h, dp, add(twoJ, idx(t))});
      }
    });
    // Key j is element j % 2 of the pair row j / 2.
    Value pairRow = arith::DivUIOp::create(b, loc, j, idx(2));
    Value parity = arith::RemUIOp::create(b, loc, j, idx(2));
    forLoop(idx(0), idx(dvPad), 1, [&](Value e) {
      Value valid = arith::AndIOp::create(
          b, loc, keyValid, cmp(arith::CmpIPredicate::slt, e, idx(dv)));
      Value x = loadOrZero(vm, {bi, h, jc, minIdx(e, idx(dv - 1))}, valid);
      memref::StoreOp::create(
          b, loc, x, vp,
          ValueRange{bi, h, pairRow, add(mul(e, idx(2)), parity)});
    });
  });
}

/// Qp[r][:] = q[b, h, i, :] for the block's row r = (h, i), zero past the
/// last row and past D.
void AmxKernelBuilder::packQueries(Value qp) {
  Value lastRow = sub(rows, idx(1));
  forLoop(idx(0), idx(kQueryBlock), 1, [&](Value i) {
    Value rowValid = cmp(arith::CmpIPredicate::slt, i, nq);
    Value h, query;
    std::tie(h, query) = rowToHeadQuery(minIdx(add(q0, i), lastRow));
    forLoop(idx(0), idx(dPad), 1, [&](Value dd) {
      Value valid = arith::AndIOp::create(
          b, loc, rowValid, cmp(arith::CmpIPredicate::slt, dd, idx(d)));
      Value x = loadOrZero(qm, {bIdx, h, query, minIdx(dd, idx(d - 1))}, valid);
      memref::StoreOp::create(b, loc, x, qp, ValueRange{i, dd});
    });
  });
}

/// C(mt, nt) = initC(mt, nt) + sum_k A(mt, k) B(k, nt) over tiles, in groups
/// of 2 x 2 accumulators so that each loaded operand tile feeds two
/// products.
void AmxKernelBuilder::tileMatmul(int64_t mTiles, int64_t nTiles,
                                  int64_t kSteps, TileFn loadA, TileFn loadB,
                                  TileFn initC, StoreFn storeC) {
  for (int64_t m0 = 0; m0 < mTiles; m0 += 2) {
    for (int64_t n0 = 0; n0 < nTiles; n0 += 2) {
      int64_t ms = std::min<int64_t>(2, mTiles - m0);
      int64_t ns = std::min<int64_t>(2, nTiles - n0);
      SmallVector<Value, 4> acc;
      for (int64_t i = 0; i < ms; ++i)
        for (int64_t j = 0; j < ns; ++j)
          acc.push_back(initC(m0 + i, n0 + j));
      for (int64_t k = 0; k < kSteps; ++k) {
        SmallVector<Value, 2> as, bs;
        for (int64_t i = 0; i < ms; ++i)
          as.push_back(loadA(m0 + i, k));
        for (int64_t j = 0; j < ns; ++j)
          bs.push_back(loadB(k, n0 + j));
        for (int64_t i = 0; i < ms; ++i)
          for (int64_t j = 0; j < ns; ++j)
            acc[i * ns + j] = amx::TileMulFOp::create(b, loc, accTile, as[i],
                                                      bs[j], acc[i * ns + j]);
      }
      for (int64_t i = 0; i < ms; ++i)
        for (int64_t j = 0; j < ns; ++j)
          storeC(m0 + i, n0 + j, acc[i * ns + j]);
    }
  }
}

/// Scale and softcap (when the op has a softcap or a mask operand; else the
/// scale is applied in softmax()), then the mask operand, on S[0:nq][0:nk].
void AmxKernelBuilder::prepareScores(Value s, Value j0, Value nk) {
  Value scale = splat(op.getEffectiveScale());
  FloatAttr capAttr = op.getSoftcapAttr();
  forLoop(idx(0), idx(kQueryBlock), 1, [&](Value i) {
    for (int64_t c = 0; c < kKeyBlock; c += kAccCols) {
      SmallVector<Value, 2> at{i, idx(c)};
      Value x = vector::LoadOp::create(b, loc, vecType, s, at);
      x = arith::MulFOp::create(b, loc, x, scale);
      if (capAttr) {
        double cap = capAttr.getValueAsDouble();
        x = arith::MulFOp::create(
            b, loc,
            math::TanhOp::create(
                b, loc, arith::MulFOp::create(b, loc, x, splat(1.0 / cap))),
            splat(cap));
      }
      vector::StoreOp::create(b, loc, x, s, at);
    }
  });
  if (!maskm)
    return;
  // Element by element: the mask may broadcast along any dim.
  auto mType = cast<MemRefType>(maskm.getType());
  bool isBool = mType.getElementType().isInteger(1);
  Value negInf = f32Const(-std::numeric_limits<double>::infinity());
  forLoop(idx(0), nq, 1, [&](Value i) {
    Value h, query;
    std::tie(h, query) = rowToHeadQuery(add(q0, i));
    Value bm = mType.getDimSize(0) == 1 ? idx(0) : bIdx;
    Value hm = mType.getDimSize(1) == 1 ? idx(0) : h;
    Value row = mType.getDimSize(2) == 1 ? idx(0) : query;
    forLoop(idx(0), nk, 1, [&](Value r) {
      Value col = mType.getDimSize(3) == 1 ? idx(0) : add(j0, r);
      SmallVector<Value> at = {bm, hm, row, col};
      Value x = memref::LoadOp::create(b, loc, s, ValueRange{i, r});
      Value m = memref::LoadOp::create(b, loc, maskm, at);
      if (isBool) {
        x = arith::SelectOp::create(b, loc, m, x, negInf);
      } else {
        if (!m.getType().isF32())
          m = arith::ExtFOp::create(b, loc, f32, m);
        x = arith::AddFOp::create(b, loc, x, m);
      }
      memref::StoreOp::create(b, loc, x, s, ValueRange{i, r});
    });
  });
}

/// -inf for the keys of S past nk and, in blocks that straddle a causal or
/// window boundary, for the dropped (key, query) pairs.
void AmxKernelBuilder::maskScores(Value s, Value j0, Value nk) {
  bool banded = op.getCausal() || op.getWindow();
  int64_t lo, hi;
  std::tie(lo, hi) = getDiagonalBounds(op);
  Value needed = cmp(arith::CmpIPredicate::slt, nk, idx(kKeyBlock));
  if (banded) {
    Value iMin, iMax;
    std::tie(iMin, iMax) = getQueryRange(*this, q0, nq, sq);
    // diag = j - i - offset ranges over [j0 - iMax, j0 + nk - 1 - iMin].
    Value diagMin = sub(sub(j0, iMax), offset);
    Value diagMax = sub(sub(add(j0, sub(nk, idx(1))), iMin), offset);
    Value outside = arith::OrIOp::create(
        b, loc, cmp(arith::CmpIPredicate::slt, diagMin, idx(lo)),
        cmp(arith::CmpIPredicate::sgt, diagMax, idx(hi)));
    needed = arith::OrIOp::create(b, loc, needed, outside);
  }
  auto vecIdx = VectorType::get({kAccCols}, b.getI64Type());
  auto splatIdx = [&](Value x) {
    return vector::BroadcastOp::create(
        b, loc, vecIdx, arith::IndexCastOp::create(b, loc, b.getI64Type(), x));
  };
  SmallVector<Attribute> laneIds;
  for (int64_t l = 0; l < kAccCols; ++l)
    laneIds.push_back(b.getI64IntegerAttr(l));
  scf::IfOp::create(b, loc, needed, [&](OpBuilder &, Location) {
    Value iota = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(vecIdx, laneIds));
    Value nkV = splatIdx(nk);
    Value negInf = splat(-std::numeric_limits<double>::infinity());
    Value lastRow = sub(rows, idx(1));
    forLoop(idx(0), idx(kQueryBlock), 1, [&](Value i) {
      // diag = (j0 + c + lane) - i - offset for the row's query index i.
      Value query = rowToHeadQuery(minIdx(add(q0, i), lastRow)).second;
      Value base = splatIdx(sub(sub(j0, query), offset));
      for (int64_t c = 0; c < kKeyBlock; c += kAccCols) {
        Value lane = arith::AddIOp::create(b, loc, iota, splatIdx(idx(c)));
        Value keep =
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, lane, nkV);
        if (banded) {
          Value diag = arith::AddIOp::create(b, loc, base, lane);
          keep = arith::AndIOp::create(
              b, loc, keep,
              arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, diag,
                                    splatIdx(idx(lo))));
          keep = arith::AndIOp::create(
              b, loc, keep,
              arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sle, diag,
                                    splatIdx(idx(hi))));
        }
        SmallVector<Value, 2> at{i, idx(c)};
        Value x = vector::LoadOp::create(b, loc, vecType, s, at);
        vector::StoreOp::create(
            b, loc, arith::SelectOp::create(b, loc, keep, x, negInf), s, at);
      }
    });
    scf::YieldOp::create(b, loc);
  });
}

/// Per row: m' = max(m, max_j S), P = bf16(exp(S - m')), l = alpha l +
/// sum_j P and O *= alpha with alpha = exp(m - m'). A row that has kept no
/// key keeps m = -inf and is shifted by 0, so that exp gives 0, not NaN.
void AmxKernelBuilder::softmax(Value s, Value p, Value o, Value mBuf,
                               Value lBuf, Value scale) {
  Value negInf = f32Const(-std::numeric_limits<double>::infinity());
  auto pType = VectorType::get({kAccCols}, bf16);
  forLoop(idx(0), idx(kQueryBlock), 1, [&](Value i) {
    SmallVector<Value> x;
    Value rowMax;
    for (int64_t c = 0; c < kKeyBlock; c += kAccCols) {
      Value v =
          vector::LoadOp::create(b, loc, vecType, s, ValueRange{i, idx(c)});
      if (scale)
        v = arith::MulFOp::create(b, loc, v, scale);
      x.push_back(v);
      rowMax = rowMax ? arith::MaximumFOp::create(b, loc, rowMax, v) : v;
    }
    Value mOld = memref::LoadOp::create(b, loc, mBuf, ValueRange{i});
    Value mNew = arith::MaximumFOp::create(
        b, loc, mOld,
        vector::ReductionOp::create(b, loc, vector::CombiningKind::MAXIMUMF,
                                    rowMax));
    Value shift = arith::SelectOp::create(
        b, loc,
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, mNew, negInf),
        f32Const(0.0), mNew);
    Value alpha =
        math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, mOld, shift));
    Value shiftV = vector::BroadcastOp::create(b, loc, vecType, shift);
    Value sum;
    for (auto [c, v] : llvm::enumerate(x)) {
      Value e =
          math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, v, shiftV));
      sum = sum ? arith::AddFOp::create(b, loc, sum, e) : e;
      vector::StoreOp::create(b, loc, arith::TruncFOp::create(b, loc, pType, e),
                              p, ValueRange{i, idx(c * kAccCols)});
    }
    Value lOld = memref::LoadOp::create(b, loc, lBuf, ValueRange{i});
    Value lNew = math::FmaOp::create(
        b, loc, lOld, alpha,
        vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, sum));
    memref::StoreOp::create(b, loc, mNew, mBuf, ValueRange{i});
    memref::StoreOp::create(b, loc, lNew, lBuf, ValueRange{i});
    Value alphaV = vector::BroadcastOp::create(b, loc, vecType, alpha);
    for (int64_t e = 0; e < dvPad; e += kAccCols) {
      SmallVector<Value, 2> at{i, idx(e)};
      Value y = vector::LoadOp::create(b, loc, vecType, o, at);
      vector::StoreOp::create(b, loc, arith::MulFOp::create(b, loc, y, alphaV),
                              o, at);
    }
  });
}

/// out[b, h, i, :] = O[r] / l[r] for the block's rows r = (h, i), and 0
/// where l[r] == 0.
void AmxKernelBuilder::writeOutput(Value o, Value lBuf) {
  Type outElt = cast<MemRefType>(om.getType()).getElementType();
  auto outVec = VectorType::get({kAccCols}, outElt);
  Value zero = f32Const(0.0), one = f32Const(1.0);
  forLoop(idx(0), nq, 1, [&](Value i) {
    Value l = memref::LoadOp::create(b, loc, lBuf, ValueRange{i});
    Value inv = arith::SelectOp::create(
        b, loc,
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, l, zero), zero,
        arith::DivFOp::create(b, loc, one, l));
    Value invV = vector::BroadcastOp::create(b, loc, vecType, inv);
    auto [h, query] = rowToHeadQuery(add(q0, i));
    for (int64_t e = 0; e < dv; e += kAccCols) {
      Value x =
          vector::LoadOp::create(b, loc, vecType, o, ValueRange{i, idx(e)});
      x = arith::MulFOp::create(b, loc, x, invV);
      if (outElt != f32)
        x = arith::TruncFOp::create(b, loc, outVec, x);
      SmallVector<Value> at = {bIdx, h, query, idx(e)};
      if (e + kAccCols <= dv) {
        vector::StoreOp::create(b, loc, x, om, at);
      } else {
        Value mask = vector::CreateMaskOp::create(
            b, loc, VectorType::get({kAccCols}, b.getI1Type()),
            ValueRange{idx(dv - e)});
        vector::MaskedStoreOp::create(b, loc, om, at, mask, x);
      }
    }
  });
}

void AmxKernelBuilder::emitTask(ValueRange ivs) {
  bIdx = ivs[0];
  kvHead = ivs[1];
  q0 = mul(ivs[2], idx(kQueryBlock));
  nq = minIdx(idx(kQueryBlock), sub(rows, q0));
  Value iMin, iMax, start, jEnd;
  std::tie(iMin, iMax) = getQueryRange(*this, q0, nq, sq);
  std::tie(start, jEnd) = getKeyRange(*this, op, iMin, iMax, offset, sk);
  // Key blocks start at multiples of Bk: Vp holds keys in pairs, and the
  // packed K and V end at a whole block.
  Value jStart = mul(arith::DivUIOp::create(b, loc, start, idx(kKeyBlock)),
                     idx(kKeyBlock));

  auto scratch = [&](ArrayRef<int64_t> shape, Type elt) {
    return memref::AllocaOp::create(b, loc, MemRefType::get(shape, elt))
        .getResult();
  };
  Value qp = scratch({kQueryBlock, dPad}, bf16);
  Value s = scratch({kQueryBlock, kKeyBlock}, f32);
  Value p = scratch({kQueryBlock, kKeyBlock}, bf16);
  Value o = scratch({kQueryBlock, dvPad}, f32);
  Value mBuf = scratch({kQueryBlock}, f32);
  Value lBuf = scratch({kQueryBlock}, f32);

  packQueries(qp);
  Value negInf = f32Const(-std::numeric_limits<double>::infinity());
  Value zero = f32Const(0.0), zeroV = splat(0.0);
  forLoop(idx(0), idx(kQueryBlock), 1, [&](Value i) {
    memref::StoreOp::create(b, loc, negInf, mBuf, ValueRange{i});
    memref::StoreOp::create(b, loc, zero, lBuf, ValueRange{i});
    for (int64_t e = 0; e < dvPad; e += kAccCols)
      vector::StoreOp::create(b, loc, zeroV, o, ValueRange{i, idx(e)});
  });

  // The scale is applied as scores are read unless prepareScores did it.
  bool prepare = op.getSoftcapAttr() || maskm;
  forLoop(jStart, jEnd, kKeyBlock, [&](Value j0) {
    Value nk = minIdx(idx(kKeyBlock), sub(jEnd, j0));
    // S = Qp Kp[:, j0:j0+Bk].
    Value kCol = mul(j0, idx(2));
    tileMatmul(
        kQueryBlock / kTileRows, kKeyBlock / kAccCols, dPad / kPairCols,
        [&](int64_t m, int64_t k) {
          return amx::TileLoadOp::create(
              b, loc, operandTile, qp,
              ValueRange{idx(m * kTileRows), idx(k * kPairCols)});
        },
        [&](int64_t k, int64_t n) {
          return amx::TileLoadOp::create(
              b, loc, operandTile, kp,
              ValueRange{bIdx, kvHead, idx(k * kTileRows),
                         add(kCol, idx(n * kPairCols))});
        },
        [&](int64_t, int64_t) {
          return amx::TileZeroOp::create(b, loc, accTile);
        },
        [&](int64_t m, int64_t n, Value c) {
          amx::TileStoreOp::create(
              b, loc, s, ValueRange{idx(m * kTileRows), idx(n * kAccCols)}, c);
        });
    if (prepare)
      prepareScores(s, j0, nk);
    maskScores(s, j0, nk);
    softmax(s, p, o, mBuf, lBuf,
            prepare ? Value() : splat(op.getEffectiveScale()));
    // O += P Vp[j0/2 : j0/2 + Bk/2].
    Value vRow = arith::DivUIOp::create(b, loc, j0, idx(2));
    tileMatmul(
        kQueryBlock / kTileRows, dvPad / kAccCols, kKeyBlock / kPairCols,
        [&](int64_t m, int64_t k) {
          return amx::TileLoadOp::create(
              b, loc, operandTile, p,
              ValueRange{idx(m * kTileRows), idx(k * kPairCols)});
        },
        [&](int64_t k, int64_t n) {
          return amx::TileLoadOp::create(
              b, loc, operandTile, vp,
              ValueRange{bIdx, kvHead, add(vRow, idx(k * kTileRows)),
                         idx(n * kPairCols)});
        },
        [&](int64_t m, int64_t n) {
          return amx::TileLoadOp::create(
              b, loc, accTile, o,
              ValueRange{idx(m * kTileRows), idx(n * kAccCols)});
        },
        [&](int64_t m, int64_t n, Value c) {
          amx::TileStoreOp::create(
              b, loc, o, ValueRange{idx(m * kTileRows), idx(n * kAccCols)}, c);
        });
  });
  writeOutput(o, lBuf);
}

Value AmxKernelBuilder::build() {
  auto toBuffer = [&](Value t) -> Value {
    auto type = cast<RankedTensorType>(t.getType());
    return bufferization::ToBufferOp::create(
        b, loc, MemRefType::get(type.getShape(), type.getElementType()), t,
        /*read_only=*/true);
  };
  qm = toBuffer(op.getQuery());
  km = toBuffer(op.getKey());
  vm = toBuffer(op.getValue());
  if (Value mask = op.getMask())
    maskm = toBuffer(mask);

  RankedTensorType rType = op.getResult().getType();
  SmallVector<Value> dynSizes;
  for (int64_t i = 0; i < 3; ++i)
    if (rType.isDynamicDim(i))
      dynSizes.push_back(memref::DimOp::create(b, loc, qm, i));
  om = memref::AllocOp::create(
      b, loc, MemRefType::get(rType.getShape(), rType.getElementType()),
      dynSizes);

  Value batch = memref::DimOp::create(b, loc, qm, 0);
  Value heads = memref::DimOp::create(b, loc, qm, 1);
  sq = memref::DimOp::create(b, loc, qm, 2);
  sk = memref::DimOp::create(b, loc, km, 2);
  Value kvHeads = memref::DimOp::create(b, loc, km, 1);
  group = arith::DivUIOp::create(b, loc, heads, kvHeads);
  offset = sub(sk, sq);
  rows = mul(group, sq);

  // K and V in pair layout, Sk padded to whole key blocks.
  Value skPad = mul(arith::CeilDivUIOp::create(b, loc, sk, idx(kKeyBlock)),
                    idx(kKeyBlock));
  int64_t dyn = ShapedType::kDynamic;
  kp = memref::AllocOp::create(b, loc,
                               MemRefType::get({dyn, dyn, dPad / 2, dyn}, bf16),
                               ValueRange{batch, kvHeads, mul(skPad, idx(2))});
  vp = memref::AllocOp::create(
      b, loc, MemRefType::get({dyn, dyn, dyn, 2 * dvPad}, bf16),
      ValueRange{batch, kvHeads,
                 arith::DivUIOp::create(b, loc, skPad, idx(2))});
  scf::ParallelOp::create(
      b, loc, ValueRange{idx(0), idx(0), idx(0)},
      ValueRange{batch, kvHeads,
                 arith::DivUIOp::create(b, loc, skPad, idx(kTileRows))},
      ValueRange{idx(1), idx(1), idx(1)},
      [&](OpBuilder &, Location, ValueRange ivs) { packKeysValues(ivs); });

  Value numBlocks = arith::CeilDivUIOp::create(b, loc, rows, idx(kQueryBlock));
  scf::ParallelOp::create(
      b, loc, ValueRange{idx(0), idx(0), idx(0)},
      ValueRange{batch, kvHeads, numBlocks}, ValueRange{idx(1), idx(1), idx(1)},
      [&](OpBuilder &, Location, ValueRange ivs) {
        // Scratch lives on the stack, released after each task.
        auto scope = memref::AllocaScopeOp::create(b, loc, TypeRange{});
        Region &region = scope.getBodyRegion();
        if (region.empty())
          region.emplaceBlock();
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(&region.front());
        emitTask(ivs);
        memref::AllocaScopeReturnOp::create(b, loc, ValueRange{});
      });
  return bufferization::ToTensorOp::create(b, loc, rType, om,
                                           /*restrict=*/true,
                                           /*writable=*/true);
}

Value flash::buildAmxKernel(OpBuilder &b, Location loc, SdpaOp op,
                            const FlashOptions &) {
  return AmxKernelBuilder(b, loc, op).build();
}
