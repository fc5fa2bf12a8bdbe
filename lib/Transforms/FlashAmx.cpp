//===- FlashAmx.cpp - bf16 flash attention on pair products -----*- C++ -*-===//
//
// Part of the attn-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The bf16 variant of the --attn-flash kernel, for bf16 Q/K/V on hosts whose
// products multiply bf16 pairs into f32: AMX-BF16 tiles (16x32 bf16 x 32x16
// bf16 -> 16x16 f32, amx.tile_mulf, i.e. tdpbf16ps) or AVX-512 BF16 vectors
// (32 bf16 x 32 bf16 -> 16 f32 pair sums, x86vector.avx512.dot, i.e.
// vdpbf16ps). Both read the same packed operands; the online softmax stays in
// f32 vectors. Layout (every operand tile is 1 KiB of contiguous memory):
//
//   Kp[b][h][Sk'/16][D'/2][32]      K^T in pairs of d, per 16 keys: the B
//                                   operand of S = Q K^T
//   Vp[b][h][Sk'/32][Dv'/16][16][32] V in pairs of keys, per 32 keys and 16
//                                   columns: the B operand of PV = P V
//   both packed once per call; then per task (b, kv head, block of Bq rows):
//     Qp[Bq][D']    the block's queries (zero rows/columns as padding)
//     S[2][Bq][Bk]  scores of a key block (f32, queries in rows)
//     P[2][Bq][Bk]  probabilities (bf16), the A operand of P V
//     PV[Bq][Dv']   one key block's P V (f32; AMX only)
//     O[Bq][Dv']    the f32 accumulator, O = alpha O + PV in vectors
//
// D' and Dv' are D and Dv padded to a tile's 32 and 16 columns, Sk' is Sk
// padded to the key block; padding is zero and padded keys are masked. On
// AMX the key-block loop is software-pipelined (S of the next block, P V of
// the previous one), so S and P are double-buffered (a single buffer each
// with vector products). Bq is 32 on AMX and 48 with vector products, where
// a pair row of Kp or Vp is one B vector (16 keys or columns x 2), pairs of
// Qp and P rows are broadcast, and O = alpha O + P V is accumulated in the
// same register tiles (no PV buffer).
//
// Applications must have asked the OS for AMX state (Linux:
// arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA)) before running the
// code; the attn-mlir runtime does so (attn::requestAmx).
//
//===----------------------------------------------------------------------===//

#include "FlashCommon.h"
#include "attn/Transforms/Transforms.h"

#include "mlir/Dialect/AMX/AMXDialect.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/X86Vector/X86VectorDialect.h"

#include <limits>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::flash;

namespace {

/// Rows of an AMX tile; an operand tile row holds 32 bf16 (16 pairs), an
/// accumulator tile row 16 f32.
constexpr int64_t kTileRows = 16;
constexpr int64_t kPairCols = 32;
constexpr int64_t kAccCols = 16;
/// Block sizes (measured best on a Xeon with AMX among Bq in {32, 64} and Bk
/// in {64, 128, 256}). Tile products are done in 2 x 2 groups: 4
/// accumulators, 2 A and 2 B tiles fill the 8 tile registers.
constexpr int64_t kAmxQueryBlock = 32;
constexpr int64_t kKeyBlock = 128;
/// With vector dot products, register tiles of 6 rows x up to 4 vectors of
/// 16 columns: 24 accumulators, 6 broadcast pairs and one B vector fill
/// AVX-512's 32 registers; 48-row blocks are 8 such tiles high.
constexpr int64_t kDotTileRows = 6;
constexpr int64_t kDotTileVectors = 4;
constexpr int64_t kDotQueryBlock = 48;

} // namespace

PairProducts flash::getPairProducts(SdpaOp op, const FlashOptions &options) {
  if (!options.amx && !options.bf16Dot)
    return PairProducts::None;
  auto isBf16 = [](Value v) {
    return cast<RankedTensorType>(v.getType()).getElementType().isBF16();
  };
  if (!isBf16(op.getQuery()) || !isBf16(op.getKey()) || !isBf16(op.getValue()))
    return PairProducts::None;
  if (op.getQuery().getType().isDynamicDim(3) ||
      op.getValue().getType().isDynamicDim(3))
    return PairProducts::None;
  // Fewer rows per kv head than a tile (decoding) would leave most of each
  // product unused: the f32 vector kernel is better there.
  std::optional<int64_t> rows = getStaticRowsPerKvHead(op);
  if (rows && *rows < kTileRows)
    return PairProducts::None;
  return options.amx ? PairProducts::AmxTiles : PairProducts::VectorDots;
}

namespace {

using TileFn = function_ref<Value(int64_t, int64_t)>;
/// Pair row k (a Value) and column vector n of a B operand.
using PairRowFn = function_ref<Value(Value, int64_t)>;
/// The pair rows [from, to) that the register tile of rows [r0, r0 + 6) and
/// column vectors from n0 accumulates.
using PairRangeFn = function_ref<std::pair<Value, Value>(Value, int64_t)>;

class PairKernelBuilder : SdpaKernelBase {
public:
  PairKernelBuilder(OpBuilder &b, Location loc, SdpaOp op,
                    PairProducts products, bool workspaces)
      : SdpaKernelBase(b, loc, op, kAccCols, workspaces),
        amxTiles(products == PairProducts::AmxTiles),
        queryBlock(amxTiles ? kAmxQueryBlock : kDotQueryBlock) {
    bf16 = b.getBF16Type();
    operandTile = amx::TileType::get({kTileRows, kPairCols}, bf16);
    accTile = amx::TileType::get({kTileRows, kAccCols}, f32);
    d = op.getQuery().getType().getDimSize(3);
    dv = op.getValue().getType().getDimSize(3);
    dPad = llvm::alignTo(d, kPairCols);
    dvPad = llvm::alignTo(dv, kAccCols);
  }

  Value build();

private:
  /// 2^t for t <= 0: exactly 0 for t < -126 (-inf included), NaN for NaN,
  /// else a cubic on the fraction (relative error < 8e-5, well below the
  /// bf16 rounding of P) scaled by the exponent.
  Value exp2(Value t) {
    // P is rounded to bf16: a cubic is accurate enough.
    return flash::exp2(b, loc, t, flash::kExp2Cubic,
                       hostHasCPUFeature("avx512f"));
  }
  void packKeysValues(ValueRange ivs);
  void packQueries(Value qp);
  void tileMatmul(Value a, TileFn loadB, Value c, int64_t nTiles,
                  int64_t kSteps);
  void dotMatmul(Value a, PairRowFn loadB, Value c, int64_t nVectors,
                 PairRangeFn pairRange, Value alpha);
  /// The keys [from, to) of the block at j0 (nk keys) that rows [i0, i0 +
  /// count) of the block keep under a causal mask or window, relative to j0;
  /// [0, nk) without one.
  std::pair<Value, Value> getTileKeys(Value i0, int64_t count, Value j0,
                                      Value nk);
  void prepareScores(Value s, Value j0, Value nk);
  void maskScores(Value s, Value j0, Value nk);
  /// Buffers of Bq floats: the running max m and sum l, and per key block
  /// the raw row maxima and sums, the exp shift (base 2) and the rescale
  /// factor of O.
  struct RowStats {
    Value m, l, blockMax, blockSum, shift, alpha;
  };
  void softmax(Value s, Value p, const RowStats &stats, Value scale);
  void writeOutput(Value o, Value lBuf);
  void emitTask(ValueRange ivs);

  /// AMX tile products, else vector dot products.
  bool amxTiles;
  /// Rows per block.
  int64_t queryBlock;
  Type bf16;
  amx::TileType operandTile, accTile;
  int64_t d, dv, dPad, dvPad;

  // K and V panels.
  Value kp, vp;
  // Per task.
  Value q0, nq;
};

} // namespace

/// The K and V panels of the 32 keys of group `ivs[2]`, zero past Sk, D and
/// Dv:
///   Kp[b][h][j/16][d/2][2 (j%16) + d%2] = K[b][h][j][d]
///   Vp[b][h][j/32][e/16][(j%32)/2][2 (e%16) + j%2] = V[b][h][j][e]
/// so that every operand tile is 1 KiB of contiguous memory.
void PairKernelBuilder::packKeysValues(ValueRange ivs) {
  Value bi = ivs[0], h = ivs[1], group32 = ivs[2];
  Value lastKey = sub(sk, idx(1));
  // Elements of row j of `mem` from `e0` on (at most `n`), zero past the
  // row's `width` and for keys past Sk.
  auto loadRow = [&](Value mem, Value j, int64_t e0, int64_t n, int64_t width) {
    Value valid = cmp(arith::CmpIPredicate::slt, j, sk);
    Value count = arith::SelectOp::create(
        b, loc, valid, idx(std::clamp<int64_t>(width - e0, 0, n)), idx(0));
    auto type = VectorType::get({n}, bf16);
    Value mask = vector::CreateMaskOp::create(
        b, loc, VectorType::get({n}, b.getI1Type()), ValueRange{count});
    Value pass = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(type, b.getZeroAttr(bf16)));
    return vector::MaskedLoadOp::create(
               b, loc, type, mem,
               ValueRange{bi, h, minIdx(j, lastKey), idx(e0)}, mask, pass)
        .getResult();
  };
  // Each 16-key tile is a 16 x 16 transpose of (d, d + 1) pairs: the
  // tile's rows of 32 bf16, viewed as 16 i32, come out as its 16 pairs of
  // d, one per 32-bit lane of a key.
  auto pairsType = VectorType::get({kTileRows}, b.getI32Type());
  auto rowType = VectorType::get({kPairCols}, bf16);
  for (int64_t t = 0; t < 2; ++t) {
    Value tile = add(mul(group32, idx(2)), idx(t));
    for (int64_t c = 0; c < dPad; c += kPairCols) {
      SmallVector<Value> keys;
      for (int64_t r = 0; r < kTileRows; ++r) {
        Value j = add(mul(tile, idx(kTileRows)), idx(r));
        keys.push_back(vector::BitCastOp::create(
            b, loc, pairsType, loadRow(km, j, c, kPairCols, d)));
      }
      SmallVector<Value> pairs = transposeLanes(b, loc, keys);
      for (int64_t p = 0; p < kTileRows; ++p)
        vector::StoreOp::create(
            b, loc, vector::BitCastOp::create(b, loc, rowType, pairs[p]), kp,
            ValueRange{bi, h, tile, idx(c / 2 + p), idx(0)});
    }
  }
  // Rows 2r and 2r + 1 interleaved.
  forLoop(idx(0), idx(kTileRows), 1, [&](Value r) {
    Value j = add(mul(group32, idx(2 * kTileRows)), mul(r, idx(2)));
    for (int64_t e = 0; e < dvPad; e += kAccCols) {
      Value even = loadRow(vm, j, e, kAccCols, dv);
      Value odd = loadRow(vm, add(j, idx(1)), e, kAccCols, dv);
      Value pairs = vector::InterleaveOp::create(b, loc, even, odd);
      vector::StoreOp::create(
          b, loc, pairs, vp,
          ValueRange{bi, h, group32, idx(e / kAccCols), r, idx(0)});
    }
  });
}

/// Qp[r][:] = q[b, h, i, :] for the block's row r = (h, i), zero past the
/// last row and past D.
void PairKernelBuilder::packQueries(Value qp) {
  Value lastRow = sub(rows, idx(1));
  auto type = VectorType::get({kPairCols}, bf16);
  Value pass = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(type, b.getZeroAttr(bf16)));
  forLoop(idx(0), idx(queryBlock), 1, [&](Value i) {
    Value rowValid = cmp(arith::CmpIPredicate::slt, i, nq);
    auto [h, query] = rowToHeadQuery(minIdx(add(q0, i), lastRow));
    for (int64_t c = 0; c < dPad; c += kPairCols) {
      Value count = arith::SelectOp::create(
          b, loc, rowValid, idx(std::clamp<int64_t>(d - c, 0, kPairCols)),
          idx(0));
      Value mask = vector::CreateMaskOp::create(
          b, loc, VectorType::get({kPairCols}, b.getI1Type()),
          ValueRange{count});
      Value x = vector::MaskedLoadOp::create(
          b, loc, type, qm, ValueRange{bIdx, h, query, idx(c)}, mask, pass);
      vector::StoreOp::create(b, loc, x, qp, ValueRange{i, idx(c)});
    }
  });
}

/// C = A B on the block's Bq rows, over tiles: A's tiles are a[m*16, k*32],
/// B's come from loadB(k, n), and C's 16x16 tiles are stored at
/// c[m*16, n*16]. The products run in groups of 2 x 2 accumulators so that
/// each loaded operand tile feeds two.
void PairKernelBuilder::tileMatmul(Value a, TileFn loadB, Value c,
                                   int64_t nTiles, int64_t kSteps) {
  const int64_t mTiles = queryBlock / kTileRows;
  for (int64_t n0 = 0; n0 < nTiles; n0 += 2) {
    for (int64_t m0 = 0; m0 < mTiles; m0 += 2) {
      int64_t ms = std::min<int64_t>(2, mTiles - m0);
      int64_t ns = std::min<int64_t>(2, nTiles - n0);
      SmallVector<Value, 4> acc(ms * ns);
      for (Value &x : acc)
        x = amx::TileZeroOp::create(b, loc, accTile);
      for (int64_t k = 0; k < kSteps; ++k) {
        SmallVector<Value, 2> as, bs;
        for (int64_t i = 0; i < ms; ++i)
          as.push_back(amx::TileLoadOp::create(
              b, loc, operandTile, a,
              ValueRange{idx((m0 + i) * kTileRows), idx(k * kPairCols)}));
        for (int64_t j = 0; j < ns; ++j)
          bs.push_back(loadB(k, n0 + j));
        for (int64_t i = 0; i < ms; ++i)
          for (int64_t j = 0; j < ns; ++j)
            acc[i * ns + j] = amx::TileMulFOp::create(b, loc, accTile, as[i],
                                                      bs[j], acc[i * ns + j]);
      }
      for (int64_t i = 0; i < ms; ++i)
        for (int64_t j = 0; j < ns; ++j)
          amx::TileStoreOp::create(
              b, loc, c,
              ValueRange{idx((m0 + i) * kTileRows), idx((n0 + j) * kAccCols)},
              acc[i * ns + j]);
    }
  }
}

/// C = A B on the block's rows with AVX-512 BF16 dot products (vdpbf16ps:
/// each f32 lane accumulates the product of one bf16 pair of A and one of
/// B). A's rows hold pairs along the contraction: pair k of row r is
/// a[r][2k : 2k + 2], broadcast to every lane as 32 bits. B's pair row k of
/// column vector n, 16 columns x 2, comes from loadB(k, n). C's rows are
/// computed in register tiles of kDotTileRows rows x up to kDotTileVectors
/// vectors over the tile's pairRange. With `alpha`, each C row is loaded,
/// scaled by alpha[row] and accumulated into (O = alpha O + P V); else C is
/// overwritten.
void PairKernelBuilder::dotMatmul(Value a, PairRowFn loadB, Value c,
                                  int64_t nVectors, PairRangeFn pairRange,
                                  Value alpha) {
  auto pairType = VectorType::get({2}, bf16);
  auto wordType = VectorType::get({1}, b.getI32Type());
  auto splatType = VectorType::get({kAccCols}, b.getI32Type());
  auto operandType = VectorType::get({kPairCols}, bf16);
  for (int64_t n0 = 0; n0 < nVectors; n0 += kDotTileVectors) {
    int64_t ns = std::min(kDotTileVectors, nVectors - n0);
    forLoop(idx(0), idx(queryBlock), kDotTileRows, [&](Value r0) {
      SmallVector<Value> rowIdx;
      for (int64_t i = 0; i < kDotTileRows; ++i)
        rowIdx.push_back(add(r0, idx(i)));
      SmallVector<Value> init;
      for (int64_t i = 0; i < kDotTileRows; ++i) {
        Value scale;
        if (alpha)
          scale = vector::BroadcastOp::create(
              b, loc, vecType,
              memref::LoadOp::create(b, loc, alpha, ValueRange{rowIdx[i]}));
        for (int64_t j = 0; j < ns; ++j) {
          if (!alpha) {
            init.push_back(splat(0.0));
            continue;
          }
          Value x = vector::LoadOp::create(
              b, loc, vecType, c,
              ValueRange{rowIdx[i], idx((n0 + j) * kAccCols)});
          init.push_back(arith::MulFOp::create(b, loc, x, scale));
        }
      }
      auto [from, to] = pairRange(r0, n0);
      auto loop = scf::ForOp::create(
          b, loc, from, to, idx(1), init,
          [&](OpBuilder &, Location, Value k, ValueRange accs) {
            // The row pairs first, then each B vector right before the
            // products that use it: loading all of B first would need more
            // registers than the tile leaves.
            SmallVector<Value, kDotTileRows> pairs;
            Value col = mul(k, idx(2));
            for (int64_t i = 0; i < kDotTileRows; ++i) {
              Value pair = vector::LoadOp::create(b, loc, pairType, a,
                                                  ValueRange{rowIdx[i], col});
              Value word = vector::ExtractOp::create(
                  b, loc, vector::BitCastOp::create(b, loc, wordType, pair),
                  ArrayRef<int64_t>{0});
              pairs.push_back(vector::BitCastOp::create(
                  b, loc, operandType,
                  vector::BroadcastOp::create(b, loc, splatType, word)));
            }
            SmallVector<Value> next(accs.begin(), accs.end());
            for (int64_t j = 0; j < ns; ++j) {
              Value bv = loadB(k, n0 + j);
              for (int64_t i = 0; i < kDotTileRows; ++i)
                next[i * ns + j] = x86vector::DotBF16Op::create(
                    b, loc, vecType, next[i * ns + j], pairs[i], bv);
            }
            scf::YieldOp::create(b, loc, next);
          });
      for (int64_t i = 0; i < kDotTileRows; ++i)
        for (int64_t j = 0; j < ns; ++j)
          vector::StoreOp::create(
              b, loc, loop.getResult(i * ns + j), c,
              ValueRange{rowIdx[i], idx((n0 + j) * kAccCols)});
    });
  }
}

std::pair<Value, Value> PairKernelBuilder::getTileKeys(Value i0, int64_t count,
                                                       Value j0, Value nk) {
  if (!op.getCausal() && !op.getWindow())
    return {idx(0), nk};
  // Row tiles past the block's last row compute what is never written:
  // any valid range does.
  Value tileRows = minIdx(idx(count), sub(nq, i0));
  tileRows = maxIdx(tileRows, idx(1));
  return getBlockKeysOfRows(*this, op, add(q0, i0), tileRows, j0, nk, sq,
                            offset, sk);
}

/// Scale and softcap (when the op has a softcap or a mask operand; else the
/// scale is applied in softmax()), then the mask operand, on S[0:nq][0:nk].
void PairKernelBuilder::prepareScores(Value s, Value j0, Value nk) {
  Value scale = splat(op.getEffectiveScale());
  FloatAttr capAttr = op.getSoftcapAttr();
  forLoop(idx(0), idx(queryBlock), 1, [&](Value i) {
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
void PairKernelBuilder::maskScores(Value s, Value j0, Value nk) {
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
    forLoop(idx(0), idx(queryBlock), 1, [&](Value i) {
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

/// The online softmax of one key block, with the row statistics in buffers
/// of Bq floats so that their updates run 16 rows per vector:
///   m' = max(m, max_j S), shift = m' (0 while m' = -inf, so that exp gives
///   0 rather than NaN), alpha = exp(m - shift),
///   P = bf16(exp(scale S - shift)), l = alpha l + sum_j P
/// with exp(x) = exp2(x log2(e)). O is rescaled by alpha later.
/// `scale` is null when prepareScores applied it.
void PairKernelBuilder::softmax(Value s, Value p, const RowStats &st,
                                Value scale) {
  constexpr int64_t kVectors = kKeyBlock / kAccCols;
  auto pType = VectorType::get({kAccCols}, bf16);
  auto rowVectors = [&](Value i) {
    SmallVector<Value, kVectors> x;
    for (int64_t c = 0; c < kKeyBlock; c += kAccCols)
      x.push_back(
          vector::LoadOp::create(b, loc, vecType, s, ValueRange{i, idx(c)}));
    return x;
  };
  // Max as `x > y ? x : y` (one vmaxps; arith.maximumf adds NaN fix-ups):
  // a NaN score still makes its row NaN, through exp.
  bool isMax = false;
  auto combine = [&](Value x, Value y) -> Value {
    if (!isMax)
      return arith::AddFOp::create(b, loc, x, y);
    return arith::SelectOp::create(
        b, loc, arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, y),
        x, y);
  };
  auto reduce = [&](vector::CombiningKind kind, ArrayRef<Value> x) {
    isMax = kind != vector::CombiningKind::ADD;
    // A tree, not a chain, to keep the dependency depth low.
    SmallVector<Value, kVectors> level(x.begin(), x.end());
    while (level.size() > 1) {
      SmallVector<Value, kVectors> next;
      for (size_t k = 0; k + 1 < level.size(); k += 2)
        next.push_back(combine(level[k], level[k + 1]));
      if (level.size() % 2)
        next.push_back(level.back());
      level = std::move(next);
    }
    // Then across the lanes, halving by shuffles: vector.reduction lowers
    // to a chain of 16 scalar steps on x86 (ordered adds; maximumf with NaN
    // checks on every lane), which took a third of the kernel at S=512.
    Value v = level[0];
    for (int64_t half = kAccCols / 2; half >= 1; half /= 2) {
      SmallVector<int64_t> mask;
      for (int64_t l = 0; l < kAccCols; ++l)
        mask.push_back((l + half) % kAccCols);
      v = combine(v, vector::ShuffleOp::create(b, loc, v, v, mask));
    }
    return vector::ExtractOp::create(b, loc, v, ArrayRef<int64_t>{0})
        .getResult();
  };

  forLoop(idx(0), idx(queryBlock), 1, [&](Value i) {
    memref::StoreOp::create(
        b, loc, reduce(vector::CombiningKind::MAXIMUMF, rowVectors(i)),
        st.blockMax, ValueRange{i});
  });
  Value negInf = splat(-std::numeric_limits<double>::infinity());
  Value log2e = splat(kLog2e);
  // Scores go to base 2 with the scale in the same multiply.
  Value factor =
      scale ? arith::MulFOp::create(b, loc, scale, log2e).getResult() : log2e;
  for (int64_t g = 0; g < queryBlock; g += kAccCols) {
    SmallVector<Value, 1> at{idx(g)};
    Value blockMax = vector::LoadOp::create(b, loc, vecType, st.blockMax, at);
    if (scale)
      blockMax = arith::MulFOp::create(b, loc, blockMax, scale);
    Value mOld = vector::LoadOp::create(b, loc, vecType, st.m, at);
    Value mNew = arith::MaximumFOp::create(b, loc, mOld, blockMax);
    Value shift = arith::SelectOp::create(
        b, loc,
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, mNew, negInf),
        splat(0.0), mNew);
    vector::StoreOp::create(b, loc, mNew, st.m, at);
    vector::StoreOp::create(b, loc, arith::MulFOp::create(b, loc, shift, log2e),
                            st.shift, at);
    vector::StoreOp::create(
        b, loc,
        exp2(arith::MulFOp::create(
            b, loc, arith::SubFOp::create(b, loc, mOld, shift), log2e)),
        st.alpha, at);
  }
  forLoop(idx(0), idx(queryBlock), 1, [&](Value i) {
    auto scalar = [&](Value buf) {
      return vector::BroadcastOp::create(
          b, loc, vecType, memref::LoadOp::create(b, loc, buf, ValueRange{i}));
    };
    Value negShift = arith::NegFOp::create(b, loc, scalar(st.shift));
    SmallVector<Value, kVectors> e;
    for (auto [c, x] : llvm::enumerate(rowVectors(i))) {
      e.push_back(exp2(math::FmaOp::create(b, loc, x, factor, negShift)));
      vector::StoreOp::create(b, loc,
                              arith::TruncFOp::create(b, loc, pType, e.back()),
                              p, ValueRange{i, idx(c * kAccCols)});
    }
    memref::StoreOp::create(b, loc, reduce(vector::CombiningKind::ADD, e),
                            st.blockSum, ValueRange{i});
  });
  for (int64_t g = 0; g < queryBlock; g += kAccCols) {
    SmallVector<Value, 1> at{idx(g)};
    auto load = [&](Value buf) {
      return vector::LoadOp::create(b, loc, vecType, buf, at);
    };
    vector::StoreOp::create(b, loc,
                            math::FmaOp::create(b, loc, load(st.l),
                                                load(st.alpha),
                                                load(st.blockSum)),
                            st.l, at);
  }
}

/// out[b, h, i, :] = O[r] / l[r] for the block's rows r = (h, i), and 0
/// where l[r] == 0.
void PairKernelBuilder::writeOutput(Value o, Value lBuf) {
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

void PairKernelBuilder::emitTask(ValueRange ivs) {
  bIdx = ivs[0];
  kvHead = ivs[1];
  q0 = mul(ivs[2], idx(queryBlock));
  nq = minIdx(idx(queryBlock), sub(rows, q0));
  Value iMin, iMax, start, jEnd;
  std::tie(iMin, iMax) = getQueryRange(*this, q0, nq, sq);
  std::tie(start, jEnd) = getKeyRange(*this, op, iMin, iMax, offset, sk);
  // Key blocks start at multiples of Bk: Vp holds keys in pairs, and the
  // packed K and V end at a whole block.
  Value jStart = mul(arith::DivUIOp::create(b, loc, start, idx(kKeyBlock)),
                     idx(kKeyBlock));
  Value numBlocks =
      arith::CeilDivUIOp::create(b, loc, sub(jEnd, jStart), idx(kKeyBlock));

  // Rows are padded past powers of two, which would put every row of a tile
  // in the same few cache sets. On AMX, S, P and alpha are double-buffered
  // (below).
  Value qp = stackScratch({queryBlock, dPad + kPairCols}, bf16);
  int64_t stages = amxTiles ? 2 : 1;
  Value sBufs = stackScratch({stages, queryBlock, kKeyBlock + kAccCols}, f32);
  Value pBufs = stackScratch({stages, queryBlock, kKeyBlock + kPairCols}, bf16);
  Value alphaBufs = stackScratch({stages, queryBlock}, f32);
  Value o = stackScratch({queryBlock, dvPad + kAccCols}, f32);
  Value pv =
      amxTiles ? stackScratch({queryBlock, dvPad + kAccCols}, f32) : Value();
  RowStats st;
  for (Value *buf : {&st.m, &st.l, &st.blockMax, &st.blockSum, &st.shift})
    *buf = stackScratch({queryBlock}, f32);
  auto parityOf = [&](Value t) {
    return arith::RemUIOp::create(b, loc, t, idx(2)).getResult();
  };
  auto blockStart = [&](Value t) {
    return add(jStart, mul(t, idx(kKeyBlock)));
  };

  packQueries(qp);
  Value negInf = f32Const(-std::numeric_limits<double>::infinity());
  Value zero = f32Const(0.0), zeroV = splat(0.0);
  forLoop(idx(0), idx(queryBlock), 1, [&](Value i) {
    memref::StoreOp::create(b, loc, negInf, st.m, ValueRange{i});
    memref::StoreOp::create(b, loc, zero, st.l, ValueRange{i});
    for (int64_t e = 0; e < dvPad; e += kAccCols)
      vector::StoreOp::create(b, loc, zeroV, o, ValueRange{i, idx(e)});
  });

  // S = Qp Kp[:, j0:j0+Bk].
  auto computeScores = [&](Value s, Value j0) {
    Value kTile = arith::DivUIOp::create(b, loc, j0, idx(kTileRows));
    tileMatmul(
        qp,
        [&](int64_t k, int64_t n) {
          return amx::TileLoadOp::create(
              b, loc, operandTile, kp,
              ValueRange{bIdx, kvHead, add(kTile, idx(n)), idx(k * kTileRows),
                         idx(0)});
        },
        s, kKeyBlock / kAccCols, dPad / kPairCols);
  };
  // PV = P Vp[j0 / 32 : (j0 + Bk) / 32].
  auto computeValues = [&](Value p, Value j0) {
    Value vGroup = arith::DivUIOp::create(b, loc, j0, idx(kPairCols));
    tileMatmul(
        p,
        [&](int64_t k, int64_t n) {
          return amx::TileLoadOp::create(b, loc, operandTile, vp,
                                         ValueRange{bIdx, kvHead,
                                                    add(vGroup, idx(k)), idx(n),
                                                    idx(0), idx(0)});
        },
        pv, dvPad / kAccCols, kKeyBlock / kPairCols);
  };
  // O = alpha O + PV, row by row.
  auto updateOutput = [&](Value alpha) {
    forLoop(idx(0), idx(queryBlock), 1, [&](Value i) {
      Value a = vector::BroadcastOp::create(
          b, loc, vecType,
          memref::LoadOp::create(b, loc, alpha, ValueRange{i}));
      for (int64_t c = 0; c < dvPad; c += kAccCols) {
        SmallVector<Value, 2> at{i, idx(c)};
        Value x = vector::LoadOp::create(b, loc, vecType, o, at);
        Value y = vector::LoadOp::create(b, loc, vecType, pv, at);
        vector::StoreOp::create(b, loc, math::FmaOp::create(b, loc, x, a, y), o,
                                at);
      }
    });
  };
  auto ifThen = [&](Value cond, function_ref<void()> body) {
    scf::IfOp::create(b, loc, cond, [&](OpBuilder &, Location) {
      body();
      scf::YieldOp::create(b, loc);
    });
  };

  double scale = op.getEffectiveScale();
  bool prepare = op.getSoftcapAttr() || maskm || !(scale > 0);
  if (!amxTiles) {
    // Vector products: per key block, S, its softmax, then O = alpha O + P V
    // in the same register tiles.
    Value s = sliceOf(sBufs, idx(0)), p = sliceOf(pBufs, idx(0));
    st.alpha = sliceOf(alphaBufs, idx(0));
    Value scoreSteps = idx(llvm::divideCeil(d, 2));
    forLoop(idx(0), numBlocks, 1, [&](Value t) {
      Value j0 = blockStart(t);
      Value nk = minIdx(idx(kKeyBlock), sub(jEnd, j0));
      Value kTile = arith::DivUIOp::create(b, loc, j0, idx(kTileRows));
      dotMatmul(
          qp,
          [&](Value k, int64_t n) {
            return vector::LoadOp::create(
                b, loc, VectorType::get({kPairCols}, bf16), kp,
                ValueRange{bIdx, kvHead, add(kTile, idx(n)), k, idx(0)});
          },
          s, kKeyBlock / kAccCols,
          [&](Value r0, int64_t n0) -> std::pair<Value, Value> {
            // Column vectors that the tile's rows all drop are left out
            // (maskScores sets them to -inf).
            if (!op.getCausal() && !op.getWindow())
              return {idx(0), scoreSteps};
            auto [from, to] = getTileKeys(r0, kDotTileRows, j0, nk);
            int64_t c0 = n0 * kAccCols;
            int64_t c1 =
                std::min(n0 + kDotTileVectors, kKeyBlock / kAccCols) * kAccCols;
            Value any = arith::AndIOp::create(
                b, loc, cmp(arith::CmpIPredicate::slt, idx(c0), to),
                cmp(arith::CmpIPredicate::sgt, idx(c1), from));
            return {idx(0),
                    arith::SelectOp::create(b, loc, any, scoreSteps, idx(0))};
          },
          Value());
      if (prepare)
        prepareScores(s, j0, nk);
      maskScores(s, j0, nk);
      softmax(s, p, st, prepare ? Value() : splat(scale));
      // Each tile stops at the last pair of keys its rows keep (keys past
      // nk have P = 0 and zero V rows).
      Value vGroup = arith::DivUIOp::create(b, loc, j0, idx(kPairCols));
      dotMatmul(
          p,
          [&](Value k, int64_t n) {
            Value group =
                add(vGroup, arith::DivUIOp::create(b, loc, k, idx(kTileRows)));
            Value row = arith::RemUIOp::create(b, loc, k, idx(kTileRows));
            return vector::LoadOp::create(
                b, loc, VectorType::get({kPairCols}, bf16), vp,
                ValueRange{bIdx, kvHead, group, idx(n), row, idx(0)});
          },
          o, dvPad / kAccCols,
          [&](Value r0, int64_t) -> std::pair<Value, Value> {
            auto [from, to] = getTileKeys(r0, kDotTileRows, j0, nk);
            return {arith::DivUIOp::create(b, loc, from, idx(2)),
                    arith::CeilDivUIOp::create(b, loc, to, idx(2))};
          },
          st.alpha);
    });
    writeOutput(o, st.l);
    return;
  }

  // The key blocks are software-pipelined so that no unit reads what the
  // other wrote just before (a vector load of a tile store's data, or a tile
  // load of vector stores, waits for the stores to drain): iteration t
  // computes S of block t + 1, PV of block t - 1, the softmax of block t and
  // O with block t - 1.
  //
  // The scale is applied as scores are read (a positive factor commutes with
  // the max) unless prepareScores did it.
  Value any = cmp(arith::CmpIPredicate::sgt, numBlocks, idx(0));
  ifThen(any, [&] { computeScores(sliceOf(sBufs, idx(0)), jStart); });
  forLoop(idx(0), numBlocks, 1, [&](Value t) {
    Value parity = parityOf(t);
    Value notFirst = cmp(arith::CmpIPredicate::sge, t, idx(1));
    Value prev = sub(t, idx(1));
    ifThen(notFirst, [&] {
      computeValues(sliceOf(pBufs, parityOf(prev)), blockStart(prev));
    });
    Value j0 = blockStart(t);
    Value nk = minIdx(idx(kKeyBlock), sub(jEnd, j0));
    Value s = sliceOf(sBufs, parity);
    if (prepare)
      prepareScores(s, j0, nk);
    maskScores(s, j0, nk);
    st.alpha = sliceOf(alphaBufs, parity);
    softmax(s, sliceOf(pBufs, parity), st, prepare ? Value() : splat(scale));
    ifThen(notFirst, [&] { updateOutput(sliceOf(alphaBufs, parityOf(prev))); });
    Value next = add(t, idx(1));
    ifThen(cmp(arith::CmpIPredicate::slt, next, numBlocks), [&] {
      computeScores(sliceOf(sBufs, parityOf(next)), blockStart(next));
    });
  });
  ifThen(any, [&] {
    Value last = sub(numBlocks, idx(1));
    computeValues(sliceOf(pBufs, parityOf(last)), blockStart(last));
    updateOutput(sliceOf(alphaBufs, parityOf(last)));
  });
  writeOutput(o, st.l);
}

Value PairKernelBuilder::build() {
  bindOperands();

  // K and V panels, Sk padded to whole key blocks.
  Value blocks = arith::CeilDivUIOp::create(b, loc, sk, idx(kKeyBlock));
  int64_t dyn = ShapedType::kDynamic;
  kp = allocScratch(
      MemRefType::get({dyn, dyn, dyn, dPad / 2, 2 * kTileRows}, bf16),
      ValueRange{batch, kvHeads, mul(blocks, idx(kKeyBlock / kTileRows))});
  Value groups32 = mul(blocks, idx(kKeyBlock / kPairCols));
  vp = allocScratch(
      MemRefType::get({dyn, dyn, dyn, dvPad / kAccCols, kTileRows, kPairCols},
                      bf16),
      ValueRange{batch, kvHeads, groups32});
  scf::ParallelOp::create(
      b, loc, ValueRange{idx(0), idx(0), idx(0)},
      ValueRange{batch, kvHeads, groups32}, ValueRange{idx(1), idx(1), idx(1)},
      [&](OpBuilder &, Location, ValueRange ivs) { packKeysValues(ivs); });

  Value numBlocks = arith::CeilDivUIOp::create(b, loc, rows, idx(queryBlock));
  scf::ParallelOp::create(b, loc, ValueRange{idx(0), idx(0), idx(0)},
                          ValueRange{batch, kvHeads, numBlocks},
                          ValueRange{idx(1), idx(1), idx(1)},
                          [&](OpBuilder &, Location, ValueRange ivs) {
                            inAllocaScope([&] { emitTask(ivs); });
                          });
  releaseScratch();
  return resultTensor();
}

Value flash::buildPairKernel(OpBuilder &b, Location loc, SdpaOp op,
                             PairProducts products,
                             const FlashOptions &options) {
  assert(products != PairProducts::None && "no bf16 pair kernel for the op");
  return PairKernelBuilder(b, loc, op, products, options.workspaces).build();
}
