//===- Flash.cpp - fused online-softmax attention kernel --------*- C++ -*-===//
//
// Part of the attn-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Lowers attn.sdpa to a FlashAttention-style kernel written in the vector, scf
// and memref dialects. Layout of the work, per (batch, head, block of Bq
// queries), with W f32 lanes per vector and Bq = QV * W:
//
//   Qt[D][Bq]   queries packed transposed and pre-scaled: a row of Qt is QV
//               vectors, so S^T = K Qt puts queries in the lanes.
//   P[Bk][Bq]   the scores, then probabilities, of one key block.
//   O[Bq][Dv']  the output accumulator (Dv rounded up to whole vectors).
//   m, l        running max and sum, QV vectors each (loop-carried).
//
// Both contractions are register-blocked: S^T in tiles of 4 keys x Bq
// queries (K elements broadcast, Qt rows loaded), O in tiles of 4 queries x
// 2 vectors of Dv (P elements broadcast, V rows loaded). Since the queries are
// in the lanes, the online softmax reduces over keys with vertical vector
// max/add, and masks only touch the blocks that straddle a mask boundary.
//
//===----------------------------------------------------------------------===//

#include "FlashCommon.h"
#include "attn/IR/AttnOps.h"
#include "attn/Transforms/Passes.h"
#include "attn/Transforms/Transforms.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/TargetParser/Host.h"

#include <algorithm>
#include <limits>
#include <thread>

namespace mlir {
namespace attn {
#define GEN_PASS_DEF_ATTNFLASHPASS
#include "attn/Transforms/Passes.h.inc"
} // namespace attn
} // namespace mlir

using namespace mlir;
using namespace mlir::attn;

bool mlir::attn::hostHasCPUFeature(StringRef feature) {
  static const llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
  return features.lookup(feature);
}

int64_t mlir::attn::getHostVectorWidth() {
  return hostHasCPUFeature("avx512f") ? 16 : 8;
}

namespace {

/// Register tiles: S^T in (accumulators / QV) keys x Bq queries, O in
/// tiles of rows x up to kMaxValueVectors vectors of Dv (see getValueTiles).
/// 12 independent accumulators hide the FMA latency while leaving registers
/// for the operands with 16 vector registers (AVX2); with 32 (AVX-512), 24
/// halve the loads and broadcasts per FMA.
static int64_t getAccumulators(int64_t vectorWidth) {
  return vectorWidth >= 16 ? 24 : 12;
}
constexpr int64_t kMaxValueVectors = 4;
/// Query vectors per S^T register tile: wider blocks are done in slices, so
/// that each broadcast K element still feeds several FMAs without the tile
/// outgrowing the registers.
constexpr int64_t kScoreQueryVectors = 4;

/// Keys per S^T register tile: kAccumulators / QV, or the largest divisor of
/// the key block below it.
static int64_t getKeyTile(const FlashOptions &options) {
  int64_t tile = std::max<int64_t>(
      1, getAccumulators(options.vectorWidth) /
             std::min(kScoreQueryVectors,
                      options.queryBlock / options.vectorWidth));
  while (options.keyBlock % tile)
    --tile;
  return tile;
}

static int64_t getKeySplits(SdpaOp op, const FlashOptions &options);

/// Row blocks per task: the option, or automatically 4 with 16 lanes when a
/// kv head's f32 K and V panels take more than 1 MiB. A task of one row
/// block reads its kv head's panels from start to end; at AVX-512's FMA
/// rate, reading them from L3 again for every row block costs time once they
/// crowd the L2 (Xeon, 2 MiB L2, one thread: causal S=4096 D=128 +6%, full
/// S=2048 D=128 +2-4%; S=512 D=128, whose panels fit, 5% slower).
static int64_t getBlocksPerTask(SdpaOp op, const FlashOptions &options) {
  if (options.blocksPerTask > 0)
    return options.blocksPerTask;
  RankedTensorType k = op.getKey().getType(), v = op.getValue().getType();
  if (options.vectorWidth < 16 || k.isDynamicDim(2) || k.isDynamicDim(3) ||
      v.isDynamicDim(3))
    return 1;
  int64_t panelBytes = k.getDimSize(2) * (k.getDimSize(3) + v.getDimSize(3)) *
                       static_cast<int64_t>(sizeof(float));
  return panelBytes > (int64_t(1) << 20) ? 4 : 1;
}

/// Whether K and V are packed once per call into f32 panels: when every kv
/// head has at least four row blocks to reuse them, and no key range is split.
static bool packsPanels(SdpaOp op, const FlashOptions &options) {
  std::optional<int64_t> rows = flash::getStaticRowsPerKvHead(op);
  return rows && *rows >= 4 * options.queryBlock &&
         getKeySplits(op, options) == 1;
}

/// The options for one op, with the automatic query block resolved: three
/// vectors of rows for f32, never more than the rows that share a kv head
/// need (decoding has G rows per kv head). With 16 lanes the O tiles are
/// then 6 rows x 4 vectors (+13% over two vectors at S=2048 D=128 on the
/// Xeon measured). With 8, S^T tiles of 4 keys x 3 vectors and O tiles of
/// 3 rows x 4 vectors take fewer loads per FMA than two vectors' 6 x 2 and
/// 4 x 3, with no odd tile left (AVX2, measured: +4-6% at D=64, +0-3% at
/// D=128, +2-6% at D=192-2048, where Qt and O outgrow L1 but L2 keeps up).
/// f16/bf16 take the same when K and V are packed into f32 panels (the
/// register tiles then read f32 alike), else eight: their K/V blocks are
/// widened once per task, which more rows amortize. Eight vectors of rows
/// keep O, P and Q^T past a 32 KiB L1 (bf16 S=2048 D=128 on AVX2: 1.45x
/// slower than two, measured).
static FlashOptions resolveOptions(SdpaOp op, FlashOptions options) {
  if (options.queryBlock > 0)
    return options;
  int64_t w = options.vectorWidth;
  std::optional<int64_t> rows = flash::getStaticRowsPerKvHead(op);
  auto withVectors = [&](int64_t vectors) {
    FlashOptions resolved = options;
    if (rows)
      vectors = std::clamp<int64_t>(llvm::divideCeil(*rows, w), 1, vectors);
    resolved.queryBlock = vectors * w;
    return resolved;
  };
  FlashOptions f32Block = withVectors(3);
  if (op.getQuery().getType().getElementType().isF32() ||
      packsPanels(op, f32Block))
    return f32Block;
  return withVectors(8);
}

/// Splits of the key range of each row block: what it takes to give `threads`
/// threads work when batch x kv heads x row blocks is smaller, never more
/// than the key blocks. 1 when a dim it needs is dynamic.
static int64_t getKeySplits(SdpaOp op, const FlashOptions &options) {
  if (options.keySplits > 0)
    return options.keySplits;
  RankedTensorType q = op.getQuery().getType(), k = op.getKey().getType();
  if (!q.hasStaticShape() || !k.hasStaticShape() || k.getDimSize(1) == 0)
    return 1;
  int64_t threads = options.threads > 0
                        ? options.threads
                        : std::max(1u, std::thread::hardware_concurrency());
  int64_t tasks =
      q.getDimSize(0) * k.getDimSize(1) *
      llvm::divideCeil(*flash::getStaticRowsPerKvHead(op), options.queryBlock);
  if (tasks == 0 || tasks >= threads)
    return 1;
  return std::clamp<int64_t>(
      llvm::divideCeil(threads, tasks), 1,
      llvm::divideCeil(k.getDimSize(2), options.keyBlock));
}

/// Emits the kernel of one attn.sdpa. All offsets are `index` values.
class FlashKernelBuilder : flash::SdpaKernelBase {
public:
  FlashKernelBuilder(OpBuilder &b, Location loc, SdpaOp op,
                     const FlashOptions &opts)
      : FlashKernelBuilder(b, loc, op, opts, resolveOptions(op, opts)) {}

private:
  FlashKernelBuilder(OpBuilder &b, Location loc, SdpaOp op,
                     const FlashOptions &, const FlashOptions &options)
      : SdpaKernelBase(b, loc, op, options.vectorWidth, options.workspaces),
        w(options.vectorWidth), qv(options.queryBlock / options.vectorWidth),
        bq(options.queryBlock), bk(options.keyBlock),
        keyTile(getKeyTile(options)), splits(getKeySplits(op, options)),
        panels(packsPanels(op, options)) {
    RankedTensorType qType = op.getQuery().getType();
    d = qType.getDimSize(3);
    dv = op.getValue().getType().getDimSize(3);
    dvPad = llvm::divideCeil(dv, w) * w;
    std::optional<int64_t> rowsPerKvHead = flash::getStaticRowsPerKvHead(op);
    if (qv == 1 && llvm::isPowerOf2_64(w) && rowsPerKvHead &&
        *rowsPerKvHead > 0 && *rowsPerKvHead <= w / 2)
      dotRows = llvm::PowerOf2Ceil(*rowsPerKvHead);
    // Groups of row blocks share one key loop: every block of the group
    // starts at key 0, which a sliding window would not.
    if (panels && splits == 1 && !dotRows && !op.getWindow())
      blocksPerTask = getBlocksPerTask(op, options);
  }

public:
  /// Builds the kernel and returns the result tensor.
  Value build();

private:
  Value exp2(Value t) {
    return flash::exp2(b, loc, t, flash::kExp2Quintic,
                       hostHasCPUFeature("avx512f"));
  }
  /// A scalar element of `mem` widened to f32.
  Value loadScalar(Value mem, ValueRange indices) {
    Value v = memref::LoadOp::create(b, loc, mem, indices);
    if (!v.getType().isF32())
      v = arith::ExtFOp::create(b, loc, f32, v);
    return v;
  }

  /// W contiguous elements of `mem` widened to f32. With `valid` (the
  /// number of in-bounds elements), lanes past it read zeros through a
  /// masked load.
  Value loadVector(Value mem, ValueRange indices, Value valid = nullptr) {
    Type elt = cast<MemRefType>(mem.getType()).getElementType();
    auto type = VectorType::get({w}, elt);
    Value v;
    if (valid) {
      Value mask = vector::CreateMaskOp::create(
          b, loc, VectorType::get({w}, b.getI1Type()), ValueRange{valid});
      Value pass = arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(type, b.getZeroAttr(elt)));
      v = vector::MaskedLoadOp::create(b, loc, type, mem, indices, mask, pass);
    } else {
      v = vector::LoadOp::create(b, loc, type, mem, indices);
    }
    if (elt != f32)
      v = arith::ExtFOp::create(b, loc, vecType, v);
    return v;
  }

  /// `body(start, width)` over [0, extent) in chunks of `step`: the whole
  /// chunks in an scf.for, then the remainder (width < step) once.
  void forEachChunk(int64_t extent, int64_t step,
                    function_ref<void(Value, int64_t)> body) {
    forLoop(idx(0), idx(extent / step * step), step,
            [&](Value start) { body(start, step); });
    if (extent % step)
      body(idx(extent / step * step), extent % step);
  }

  /// The register-tile step of both contractions:
  /// acc[r * N + c] += splat(scalars[r]) * vectors[c].
  SmallVector<Value> fmaOuterProduct(ArrayRef<Value> scalars,
                                     ArrayRef<Value> vectors, ValueRange acc) {
    return fmaOuterProduct(
        scalars, vectors.size(), [&](int64_t c) { return vectors[c]; }, acc);
  }

  /// The same with vector c made by `vectorAt(c)`. The operands of the
  /// smaller side are made first and stay live while the other side's go
  /// one at a time: with fewer scalars than vectors, vector by vector, so
  /// that a 3 x 4 tile needs 12 accumulators + 3 splats + 1 vector, exactly
  /// AVX2's 16 registers, instead of 17 and spills.
  SmallVector<Value> fmaOuterProduct(ArrayRef<Value> scalars,
                                     int64_t numVectors,
                                     function_ref<Value(int64_t)> vectorAt,
                                     ValueRange acc) {
    int64_t numScalars = scalars.size();
    auto splat = [&](int64_t r) -> Value {
      return vector::BroadcastOp::create(b, loc, vecType, scalars[r]);
    };
    bool byVector = numScalars < numVectors;
    int64_t numOuter = byVector ? numVectors : numScalars;
    int64_t numInner = byVector ? numScalars : numVectors;
    SmallVector<Value> inner;
    for (int64_t i = 0; i < numInner; ++i)
      inner.push_back(byVector ? splat(i) : vectorAt(i));
    SmallVector<Value> next(numScalars * numVectors);
    for (int64_t o = 0; o < numOuter; ++o) {
      Value x = byVector ? vectorAt(o) : splat(o);
      for (int64_t i = 0; i < numInner; ++i) {
        auto [r, c] = byVector ? std::pair(i, o) : std::pair(o, i);
        Value s = byVector ? inner[i] : x, v = byVector ? x : inner[i];
        next[r * numVectors + c] =
            vector::FMAOp::create(b, loc, s, v, acc[r * numVectors + c]);
      }
    }
    return next;
  }

  void packQueries(Value qt);
  void packQueryRows(Value qRows);
  Value sumEachVector(ArrayRef<Value> acc);
  SmallVector<int64_t> getSumLanes() const;
  void computeDotScores(Value p, Value j0, Value nk);
  void widenBlock(Value src, Value dst, Value j0, Value nk, int64_t width);
  void computeScores(Value p, Value j0, Value nk);
  void maskScores(Value p, Value j0, Value nk);
  SmallVector<Value> onlineSoftmax(Value p, Value alphaBuf, Value nk,
                                   ValueRange m, ValueRange l);
  void accumulateOutput(Value p, Value o, Value alphaBuf, Value j0, Value nk);
  void writeOutput(Value o, ValueRange l, Value lBuf);
  void setBlock(ValueRange ivs);
  void emitTask(ValueRange ivs);
  void emitGroupTask(ValueRange ivs, Value numBlocks);
  void zeroOutput(Value o);
  /// An f32 stack buffer, live for the task that emits it.
  Value scratch(ArrayRef<int64_t> shape) { return stackScratch(shape, f32); }
  void emitCombine(ValueRange ivs);

  int64_t w, qv, bq, bk, keyTile, splits;
  /// Row blocks per task (emitGroupTask when more than one). Not the base's
  /// `group`, the query heads per kv head.
  int64_t blocksPerTask = 1;
  /// Whether build() packs K and V into kPanel and vPanel.
  bool panels;
  int64_t d, dv, dvPad;
  /// Decoding: rows per block (a power of two, at most W/2) when scores are
  /// dot products along D instead of queries in the lanes, which would leave
  /// most lanes of every S^T FMA empty; 0 otherwise.
  int64_t dotRows = 0;

  // Per-task values.
  Value qtBuf, qRowsBuf, q0, nq;
  // The smallest and largest query index among the block's rows.
  Value iMin, iMax;
  Value blockIdx;
  // Partial outputs, maxima and sums of the key splits.
  Value partialO, partialM, partialL;
  // f32 copies of the current K and V blocks, for f16/bf16 inputs.
  Value kBlock, vBlock;
  // K packed once per call in key tiles, [b][h][Sk/keyTile][D][keyTile] f32,
  // when enough row blocks reuse it (null otherwise).
  Value kPanel;
  // V likewise, per column tile of the O accumulation:
  // [b][h][tile][Sk][kMaxValueVectors * W] f32.
  Value vPanel;
  void packPanels();
  /// A register tile of the O accumulation: `rows` queries x `vectors`
  /// vectors of Dv.
  struct ValueTile {
    int64_t vectors, rows;
  };
  int64_t getValueTileRows(int64_t vectors) const;
  SmallVector<ValueTile> getValueTiles() const;
};

} // namespace

//===----------------------------------------------------------------------===//
// Kernel pieces
//===----------------------------------------------------------------------===//

/// Qt[d][r] = scale log2(e) q[b, h, i, d] for the block's row r = (h, i),
/// zero for rows past the last: scores are computed in base 2, and the
/// softmax uses exp2 (see onlineSoftmax).
void FlashKernelBuilder::packQueries(Value qt) {
  Value lastRow = sub(rows, idx(1));
  if (llvm::isPowerOf2_64(w)) {
    // W rows at a time: their W-element chunks along D are loaded as
    // vectors and transposed in registers into W rows of Qt.
    Value scale = splat(op.getEffectiveScale() * flash::kLog2e);
    Value zeros = splat(0.0);
    for (int64_t g = 0; g < bq; g += w) {
      SmallVector<Value> heads, queries, valid;
      for (int64_t r = 0; r < w; ++r) {
        auto [h, query] = rowToHeadQuery(minIdx(add(q0, idx(g + r)), lastRow));
        heads.push_back(h);
        queries.push_back(query);
        valid.push_back(cmp(arith::CmpIPredicate::slt, idx(g + r), nq));
      }
      auto chunk = [&](Value d0, int64_t width) {
        SmallVector<Value> rowVecs;
        for (int64_t r = 0; r < w; ++r) {
          Value x = loadVector(qm, {bIdx, heads[r], queries[r], d0},
                               width < w ? idx(width) : Value());
          x = arith::MulFOp::create(b, loc, x, scale);
          rowVecs.push_back(
              arith::SelectOp::create(b, loc, valid[r], x, zeros));
        }
        SmallVector<Value> cols = flash::transposeLanes(b, loc, rowVecs);
        for (int64_t c = 0; c < width; ++c)
          vector::StoreOp::create(b, loc, cols[c], qt,
                                  ValueRange{add(d0, idx(c)), idx(g)});
      };
      forEachChunk(d, w, chunk);
    }
    return;
  }
  Value scale = f32Const(op.getEffectiveScale() * flash::kLog2e);
  Value zero = f32Const(0.0);
  forLoop(idx(0), idx(bq), 1, [&](Value i) {
    Value row = add(q0, i);
    Value valid =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, i, nq);
    auto [hv, qi] = rowToHeadQuery(minIdx(row, lastRow));
    Value h = hv, query = qi;
    forLoop(idx(0), idx(d), 1, [&](Value dd) {
      Value x = loadScalar(qm, {bIdx, h, query, dd});
      x = arith::MulFOp::create(b, loc, x, scale);
      x = arith::SelectOp::create(b, loc, valid, x, zero);
      memref::StoreOp::create(b, loc, x, qt, ValueRange{dd, i});
    });
  });
}

/// dst[r][:] = f32(src[b, kvHead, j0 + r, :]) for r < nk, whole vectors with
/// zeros past `width`. Widening each f16/bf16 K/V block once per task (when
/// it is not packed once per call) keeps the conversion out of the register
/// tiles.
void FlashKernelBuilder::widenBlock(Value src, Value dst, Value j0, Value nk,
                                    int64_t width) {
  forLoop(idx(0), nk, 1, [&](Value r) {
    for (int64_t e = 0; e < width; e += w) {
      Value v = loadVector(src, {bIdx, kvHead, add(j0, r), idx(e)},
                           e + w > width ? idx(width - e) : Value());
      vector::StoreOp::create(b, loc, v, dst, ValueRange{r, idx(e)});
    }
  });
}

/// P[r][:] = K[j0 + r] . Qt for r < nk, in tiles of keyTile keys. Rows of
/// the last tile past nk read a clamped key and are ignored later.
void FlashKernelBuilder::computeScores(Value p, Value j0, Value nk) {
  if (dotRows)
    return computeDotScores(p, j0, nk);
  Value lastKey = sub(sk, idx(1));
  forLoop(idx(0), nk, keyTile, [&](Value jj) {
    SmallVector<Value> keys;
    for (int64_t r = 0; r < keyTile; ++r)
      keys.push_back(minIdx(add(add(j0, jj), idx(r)), lastKey));
    Value keyTileIdx =
        kPanel ? arith::DivUIOp::create(b, loc, add(j0, jj), idx(keyTile))
                     .getResult()
               : Value();
    for (int64_t c0 = 0; c0 < qv; c0 += kScoreQueryVectors) {
      int64_t vecs = std::min(kScoreQueryVectors, qv - c0);
      SmallVector<Value> init(keyTile * vecs, splat(0.0));
      auto loop = scf::ForOp::create(
          b, loc, idx(0), idx(d), idx(1), init,
          [&](OpBuilder &, Location, Value dd, ValueRange acc) {
            SmallVector<Value> qvec;
            for (int64_t c = 0; c < vecs; ++c)
              qvec.push_back(vector::LoadOp::create(
                  b, loc, vecType, qtBuf, ValueRange{dd, idx((c0 + c) * w)}));
            SmallVector<Value> kElems;
            for (int64_t r = 0; r < keyTile; ++r)
              kElems.push_back(
                  kPanel ? memref::LoadOp::create(
                               b, loc, kPanel,
                               ValueRange{bIdx, kvHead, keyTileIdx, dd, idx(r)})
                               .getResult()
                  : kBlock
                      ? memref::LoadOp::create(b, loc, kBlock,
                                               ValueRange{add(jj, idx(r)), dd})
                            .getResult()
                      : loadScalar(km, {bIdx, kvHead, keys[r], dd}));
            scf::YieldOp::create(b, loc, fmaOuterProduct(kElems, qvec, acc));
          });
      for (int64_t r = 0; r < keyTile; ++r)
        for (int64_t c = 0; c < vecs; ++c)
          vector::StoreOp::create(
              b, loc, loop.getResult(r * vecs + c), p,
              ValueRange{add(jj, idx(r)), idx((c0 + c) * w)});
    }
  });
}

/// Qr[r][:] = scale log2(e) q[b, h, i, :] for the block's row r = (h, i),
/// zero for rows past the last and past D: the rows of the dot-product
/// scores.
void FlashKernelBuilder::packQueryRows(Value qRows) {
  Value scale = splat(op.getEffectiveScale() * flash::kLog2e);
  Value zero = splat(0.0);
  Value lastRow = sub(rows, idx(1));
  for (int64_t r = 0; r < dotRows; ++r) {
    Value valid = cmp(arith::CmpIPredicate::slt, idx(r), nq);
    auto [hv, qi] = rowToHeadQuery(minIdx(add(q0, idx(r)), lastRow));
    Value h = hv, query = qi;
    forEachChunk(d, w, [&](Value e, int64_t width) {
      Value x =
          loadVector(qm, {bIdx, h, query, e}, width < w ? idx(width) : Value());
      x = arith::MulFOp::create(b, loc, x, scale);
      x = arith::SelectOp::create(b, loc, valid, x, zero);
      vector::StoreOp::create(b, loc, x, qRows, ValueRange{idx(r), e});
    });
  }
}

/// The accumulator each lane of sumEachVector's result sums, for W
/// accumulators: the tree below fixes this order.
SmallVector<int64_t> FlashKernelBuilder::getSumLanes() const {
  SmallVector<SmallVector<int64_t>> ids;
  for (int64_t i = 0; i < w; ++i)
    ids.push_back({i});
  while (ids.size() > 1) {
    SmallVector<SmallVector<int64_t>> next;
    for (size_t i = 0; i < ids.size(); i += 2) {
      SmallVector<int64_t> merged;
      for (auto [x, y] : llvm::zip_equal(ids[i], ids[i + 1]))
        merged.append({x, y});
      next.push_back(std::move(merged));
    }
    ids = std::move(next);
  }
  return ids.front();
}

/// Lane l of the result is the sum of the lanes of acc[getSumLanes()[l]]:
/// a transposing reduction of W accumulators in log2(W) levels, each halving
/// the vectors with two shuffles and one add per pair, instead of W
/// horizontal reductions.
Value FlashKernelBuilder::sumEachVector(ArrayRef<Value> acc) {
  assert(static_cast<int64_t>(acc.size()) == w && "one accumulator per lane");
  SmallVector<Value> vecs(acc.begin(), acc.end());
  // Each vector holds w / len segments of len lanes; a segment sums to one
  // accumulator. A level folds each segment in half and interleaves the
  // folded segments of a pair of vectors.
  for (int64_t len = w; vecs.size() > 1; len /= 2) {
    int64_t half = len / 2;
    SmallVector<int64_t> lo, hi;
    for (int64_t seg = 0; seg < w / len; ++seg)
      for (int64_t src = 0; src < 2; ++src)
        for (int64_t l = 0; l < half; ++l) {
          lo.push_back(src * w + seg * len + l);
          hi.push_back(src * w + seg * len + half + l);
        }
    SmallVector<Value> next;
    for (size_t i = 0; i < vecs.size(); i += 2) {
      Value a = vector::ShuffleOp::create(b, loc, vecs[i], vecs[i + 1], lo);
      Value c = vector::ShuffleOp::create(b, loc, vecs[i], vecs[i + 1], hi);
      next.push_back(arith::AddFOp::create(b, loc, a, c));
    }
    vecs = std::move(next);
  }
  return vecs.front();
}

/// Decoding scores: P[r][i] = K[j0 + r] . Qr[i] for the block's dotRows rows,
/// W / dotRows keys at a time. Each (key, row) pair accumulates products of
/// whole vectors along D (K read in place, rows of K contiguous), and one
/// transposing reduction turns the W accumulators into one vector of scores.
/// Lanes of P past dotRows are left as they are (zero, or a previous
/// block's finite values): they belong to no row.
void FlashKernelBuilder::computeDotScores(Value p, Value j0, Value nk) {
  int64_t keys = w / dotRows;
  SmallVector<int64_t> lanes = getSumLanes();
  // Accumulator slot lanes[l] holds the pair of lane l: key l / dotRows,
  // row l % dotRows.
  SmallVector<int64_t> keyOf(w), rowOf(w);
  for (int64_t l = 0; l < w; ++l) {
    keyOf[lanes[l]] = l / dotRows;
    rowOf[lanes[l]] = l % dotRows;
  }
  Value lastKey = sub(sk, idx(1));
  int64_t fullChunks = d / w;
  forLoop(idx(0), nk, keys, [&](Value jj) {
    SmallVector<Value> keyIdx;
    for (int64_t k = 0; k < keys; ++k)
      keyIdx.push_back(minIdx(add(add(j0, jj), idx(k)), lastKey));
    // Decoding streams K and V from memory once: asking for the keys' V
    // rows now, while K is read, keeps two streams in flight (f32
    // Sk=4096 on one AVX2 thread: 4.4-5.5 -> 3.2-4.4 ms).
    int64_t perLine =
        kCacheLineBytes /
        (cast<MemRefType>(vm.getType()).getElementTypeBitWidth() / 8);
    for (int64_t k = 0; k < keys; ++k)
      for (int64_t e = 0; e < dv; e += perLine)
        memref::PrefetchOp::create(
            b, loc, vm, ValueRange{bIdx, kvHead, keyIdx[k], idx(e)},
            /*isWrite=*/false, /*localityHint=*/3, /*isDataCache=*/true);
    // acc[slot] += K[key] chunk * Qr[row] chunk.
    auto step = [&](Value e, Value valid, ValueRange acc) {
      SmallVector<Value> kVec, qVec;
      for (int64_t k = 0; k < keys; ++k)
        kVec.push_back(loadVector(km, {bIdx, kvHead, keyIdx[k], e}, valid));
      for (int64_t r = 0; r < dotRows; ++r)
        qVec.push_back(vector::LoadOp::create(b, loc, vecType, qRowsBuf,
                                              ValueRange{idx(r), e}));
      SmallVector<Value> next;
      for (int64_t slot = 0; slot < w; ++slot)
        next.push_back(vector::FMAOp::create(b, loc, kVec[keyOf[slot]],
                                             qVec[rowOf[slot]], acc[slot]));
      return next;
    };
    SmallVector<Value> init(w, splat(0.0));
    auto loop = scf::ForOp::create(
        b, loc, idx(0), idx(fullChunks * w), idx(w), init,
        [&](OpBuilder &, Location, Value e, ValueRange acc) {
          scf::YieldOp::create(b, loc, step(e, Value(), acc));
        });
    SmallVector<Value> acc(loop.getResults());
    if (d % w)
      acc = step(idx(fullChunks * w), idx(d % w), acc);
    Value sums = sumEachVector(acc);
    for (int64_t k = 0; k < keys; ++k) {
      Value scores = vector::ExtractStridedSliceOp::create(
          b, loc, sums, ArrayRef<int64_t>{k * dotRows},
          ArrayRef<int64_t>{dotRows}, ArrayRef<int64_t>{1});
      vector::StoreOp::create(b, loc, scores, p,
                              ValueRange{add(jj, idx(k)), idx(0)});
    }
  });
}

/// Softcap, the mask operand, and causal/window masking on P[0:nk].
void FlashKernelBuilder::maskScores(Value p, Value j0, Value nk) {
  // Scores are in base 2: x log2(e) for a natural-unit x. The cap scales
  // with them, and additive masks are scaled into them.
  if (FloatAttr capAttr = op.getSoftcapAttr()) {
    double cap = capAttr.getValueAsDouble() * flash::kLog2e;
    Value capV = splat(cap), invCap = splat(1.0 / cap);
    forLoop(idx(0), nk, 1, [&](Value r) {
      for (int64_t c = 0; c < qv; ++c) {
        SmallVector<Value, 2> at{r, idx(c * w)};
        Value s = vector::LoadOp::create(b, loc, vecType, p, at);
        Value t = math::TanhOp::create(
            b, loc, arith::MulFOp::create(b, loc, s, invCap));
        vector::StoreOp::create(b, loc, arith::MulFOp::create(b, loc, t, capV),
                                p, at);
      }
    });
  }

  Value negInf = f32Const(-std::numeric_limits<double>::infinity());
  Value log2e = f32Const(flash::kLog2e);
  if (maskm) {
    // Element by element: the mask is strided across the query lanes.
    auto mType = cast<MemRefType>(maskm.getType());
    bool isBool = mType.getElementType().isInteger(1);
    forLoop(idx(0), nq, 1, [&](Value i) {
      auto [hv, qi] = rowToHeadQuery(add(q0, i));
      Value h = hv, query = qi;
      SmallVector<Value> base = {bIdx, h};
      for (int64_t dim = 0; dim < 2; ++dim)
        if (mType.getDimSize(dim) == 1)
          base[dim] = idx(0);
      Value row = mType.getDimSize(2) == 1 ? idx(0) : query;
      forLoop(idx(0), nk, 1, [&](Value r) {
        Value col = mType.getDimSize(3) == 1 ? idx(0) : add(j0, r);
        SmallVector<Value> at = {base[0], base[1], row, col};
        Value s = memref::LoadOp::create(b, loc, p, ValueRange{r, i});
        if (isBool) {
          Value keep = memref::LoadOp::create(b, loc, maskm, at);
          s = arith::SelectOp::create(b, loc, keep, s, negInf);
        } else {
          s = math::FmaOp::create(b, loc, loadScalar(maskm, at), log2e, s);
        }
        memref::StoreOp::create(b, loc, s, p, ValueRange{r, i});
      });
    });
  }

  std::optional<ArrayRef<int64_t>> window = op.getWindow();
  if (!op.getCausal() && !window)
    return;
  // Key j is kept for query i when lo <= j - i - (Sk - Sq) <= hi.
  int64_t lo, hi;
  std::tie(lo, hi) = flash::getDiagonalBounds(op);
  // The block is fully kept when its extreme (key, query) pairs are:
  // diag ranges over [j0 - iMax, j0 + nk - 1 - iMin] - offset.
  Value diagMin = sub(sub(j0, iMax), offset);
  Value diagMax = sub(sub(add(j0, sub(nk, idx(1))), iMin), offset);
  Value inside = arith::AndIOp::create(
      b, loc,
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, diagMin,
                            idx(lo)),
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sle, diagMax,
                            idx(hi)));
  // Lane arithmetic in i32 (one register per 8 lanes on AVX2) when every
  // diagonal offset fits, else i64.
  RankedTensorType qType = op.getQuery().getType();
  RankedTensorType kType = op.getKey().getType();
  bool narrow = !qType.isDynamicDim(2) && !kType.isDynamicDim(2) &&
                qType.getDimSize(2) < (int64_t(1) << 30) &&
                kType.getDimSize(2) < (int64_t(1) << 30);
  Type laneInt = narrow ? b.getI32Type() : b.getI64Type();
  if (narrow) {
    lo = std::max<int64_t>(lo, std::numeric_limits<int32_t>::min());
    hi = std::min<int64_t>(hi, std::numeric_limits<int32_t>::max());
  }
  auto vecIdx = VectorType::get({w}, laneInt);
  scf::IfOp::create(
      b, loc, inside,
      [&](OpBuilder &, Location) { scf::YieldOp::create(b, loc); },
      [&](OpBuilder &, Location) {
        // The query index of each lane: (q0 + c*W + lane) mod Sq.
        Value q0i = arith::IndexCastOp::create(b, loc, laneInt, q0);
        Value sqV = vector::BroadcastOp::create(
            b, loc, vecIdx, arith::IndexCastOp::create(b, loc, laneInt, sq));
        Value offI = arith::IndexCastOp::create(b, loc, laneInt, offset);
        SmallVector<Attribute> laneIds;
        for (int64_t i = 0; i < w; ++i)
          laneIds.push_back(b.getIntegerAttr(laneInt, i));
        Value iota = arith::ConstantOp::create(
            b, loc, DenseElementsAttr::get(vecIdx, laneIds));
        Value loV = vector::BroadcastOp::create(
            b, loc, vecIdx,
            arith::ConstantOp::create(b, loc, b.getIntegerAttr(laneInt, lo)));
        Value hiV = vector::BroadcastOp::create(
            b, loc, vecIdx,
            arith::ConstantOp::create(b, loc, b.getIntegerAttr(laneInt, hi)));
        Value negInfV = splat(-std::numeric_limits<double>::infinity());
        SmallVector<Value> laneQuery;
        for (int64_t c = 0; c < qv; ++c) {
          Value rowsV = arith::AddIOp::create(
              b, loc, iota,
              vector::BroadcastOp::create(
                  b, loc, vecIdx,
                  arith::AddIOp::create(
                      b, loc, q0i,
                      arith::ConstantOp::create(
                          b, loc, b.getIntegerAttr(laneInt, c * w)))));
          laneQuery.push_back(arith::RemUIOp::create(b, loc, rowsV, sqV));
        }
        forLoop(idx(0), nk, 1, [&](Value r) {
          Value j = arith::IndexCastOp::create(b, loc, laneInt, add(j0, r));
          // diag = j - i - offset, for each lane's query index i.
          Value baseV = vector::BroadcastOp::create(
              b, loc, vecIdx, arith::SubIOp::create(b, loc, j, offI));
          for (int64_t c = 0; c < qv; ++c) {
            Value diag = arith::SubIOp::create(b, loc, baseV, laneQuery[c]);
            Value keep = arith::AndIOp::create(
                b, loc,
                arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, diag,
                                      loV),
                arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sle, diag,
                                      hiV));
            SmallVector<Value, 2> at{r, idx(c * w)};
            Value s = vector::LoadOp::create(b, loc, vecType, p, at);
            s = arith::SelectOp::create(b, loc, keep, s, negInfV);
            vector::StoreOp::create(b, loc, s, p, at);
          }
        });
        scf::YieldOp::create(b, loc);
      });
}

/// Updates the running max and sum with P[0:nk], turns P into
/// probabilities relative to the new max, and leaves O's rescale factors in
/// `alphaBuf` (accumulateOutput applies them). Returns the new (m..., l...)
/// vectors.
SmallVector<Value> FlashKernelBuilder::onlineSoftmax(Value p, Value alphaBuf,
                                                     Value nk, ValueRange m,
                                                     ValueRange l) {
  // m' = max(m, max_r P[r]), two rows per step so that the chain through
  // the running max is half as long. `x > y ? x : y` is one vmaxps on x86,
  // where arith.maximumf needs NaN fix-ups; a NaN score still makes its row
  // NaN, through exp().
  auto greater = [&](Value x, Value y) -> Value {
    return arith::SelectOp::create(
        b, loc, arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, y),
        x, y);
  };
  auto row = [&](Value r, int64_t c) -> Value {
    return vector::LoadOp::create(b, loc, vecType, p,
                                  ValueRange{r, idx(c * w)});
  };
  Value pairs = arith::DivUIOp::create(b, loc, nk, idx(2));
  auto pairLoop = scf::ForOp::create(
      b, loc, idx(0), pairs, idx(1), m,
      [&](OpBuilder &, Location, Value r, ValueRange acc) {
        Value r0 = mul(r, idx(2)), r1 = add(r0, idx(1));
        SmallVector<Value> next;
        for (int64_t c = 0; c < qv; ++c)
          next.push_back(greater(greater(row(r1, c), row(r0, c)), acc[c]));
        scf::YieldOp::create(b, loc, next);
      });
  Value odd = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne,
                                    mul(pairs, idx(2)), nk);
  auto maxLoop = scf::IfOp::create(
      b, loc, odd,
      [&](OpBuilder &, Location) {
        SmallVector<Value> next;
        for (int64_t c = 0; c < qv; ++c)
          next.push_back(
              greater(row(mul(pairs, idx(2)), c), pairLoop.getResult(c)));
        scf::YieldOp::create(b, loc, next);
      },
      [&](OpBuilder &, Location) {
        scf::YieldOp::create(b, loc, pairLoop.getResults());
      });
  // A lane that has seen no kept key keeps max -inf: shift it by 0 so that
  // exp() gives 0 rather than NaN.
  Value negInf = splat(-std::numeric_limits<double>::infinity());
  SmallVector<Value> mNew, shift, alpha;
  for (int64_t c = 0; c < qv; ++c) {
    mNew.push_back(maxLoop.getResult(c));
    Value empty = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                        mNew[c], negInf);
    shift.push_back(
        arith::SelectOp::create(b, loc, empty, splat(0.0), mNew[c]));
    alpha.push_back(
        exp2(arith::SubFOp::create(b, loc, m[c], shift[c]).getResult()));
    vector::StoreOp::create(b, loc, alpha[c], alphaBuf, ValueRange{idx(c * w)});
  }
  // P = exp(P - m'), and its row sums.
  SmallVector<Value> zeros(qv, splat(0.0));
  auto expLoop = scf::ForOp::create(
      b, loc, idx(0), nk, idx(1), zeros,
      [&](OpBuilder &, Location, Value r, ValueRange acc) {
        SmallVector<Value> next;
        for (int64_t c = 0; c < qv; ++c) {
          SmallVector<Value, 2> at{r, idx(c * w)};
          Value s = vector::LoadOp::create(b, loc, vecType, p, at);
          Value e =
              exp2(arith::SubFOp::create(b, loc, s, shift[c]).getResult());
          vector::StoreOp::create(b, loc, e, p, at);
          next.push_back(arith::AddFOp::create(b, loc, acc[c], e));
        }
        scf::YieldOp::create(b, loc, next);
      });
  SmallVector<Value> result = mNew;
  for (int64_t c = 0; c < qv; ++c)
    result.push_back(
        vector::FMAOp::create(b, loc, l[c], alpha[c], expLoop.getResult(c)));
  return result;
}

/// Rows of an O register tile `vectors` wide: as many as the accumulators
/// allow, dividing Bq so that no tile runs past the block (4 when a block is
/// one vector of rows, as in decoding, whose few rows would leave most of a
/// taller tile unused).
int64_t FlashKernelBuilder::getValueTileRows(int64_t vectors) const {
  if (bq <= w)
    return dotRows ? std::min<int64_t>(4, dotRows) : 4;
  int64_t rows = std::min(bq, getAccumulators(w) / vectors);
  while (bq % rows)
    --rows;
  return rows;
}

/// Column tiles of the O accumulation, greedily the width that fills the
/// most accumulators (the wider on ties: fewer broadcasts of P); never
/// leaving a lone vector when avoidable, since its FMAs are latency-bound.
SmallVector<FlashKernelBuilder::ValueTile>
FlashKernelBuilder::getValueTiles() const {
  SmallVector<ValueTile> tiles;
  for (int64_t left = dvPad / w; left > 0;) {
    int64_t best = 0;
    for (int64_t v = 1; v <= std::min(left, kMaxValueVectors); ++v) {
      if (left - v == 1 && left > 2)
        continue;
      if (!best || v * getValueTileRows(v) >= best * getValueTileRows(best))
        best = v;
    }
    tiles.push_back({best, getValueTileRows(best)});
    left -= best;
  }
  return tiles;
}

/// O[i][:] = alpha[i] O[i][:] + sum_{r < nk} P[r][i] * V[j0 + r][:], tile
/// by tile: the rescale rides on the tile's loads instead of a pass of its
/// own over O.
void FlashKernelBuilder::accumulateOutput(Value p, Value o, Value alphaBuf,
                                          Value j0, Value nk) {
  int64_t e0 = 0;
  SmallVector<ValueTile> valueTiles = getValueTiles();
  for (int64_t tile = 0, e = valueTiles.size(); tile < e; ++tile) {
    int64_t vecs = valueTiles[tile].vectors;
    int64_t queryTile = valueTiles[tile].rows;
    // Only the query tiles that hold rows of this block.
    Value rowsUsed = mul(arith::CeilDivUIOp::create(b, loc, nq, idx(queryTile)),
                         idx(queryTile));
    forLoop(idx(0), rowsUsed, queryTile, [&](Value i0) {
      SmallVector<Value> init;
      for (int64_t ii = 0; ii < queryTile; ++ii) {
        Value row = add(i0, idx(ii));
        Value alpha = vector::BroadcastOp::create(
            b, loc, vecType,
            memref::LoadOp::create(b, loc, alphaBuf, ValueRange{row}));
        for (int64_t c = 0; c < vecs; ++c)
          init.push_back(arith::MulFOp::create(
              b, loc,
              vector::LoadOp::create(b, loc, vecType, o,
                                     ValueRange{row, idx(e0 + c * w)}),
              alpha));
      }
      // Under a causal mask or a window, the keys of the block past the
      // tile's last row's end (or before its first row's start) have P = 0:
      // on the diagonal block this skips most of the masked triangle.
      Value from = idx(0), to = nk;
      if (op.getCausal() || op.getWindow()) {
        Value tileRows = minIdx(idx(queryTile), sub(nq, i0));
        std::tie(from, to) = flash::getBlockKeysOfRows(
            *this, op, add(q0, i0), tileRows, j0, nk, sq, offset, sk);
      }
      auto loop = scf::ForOp::create(
          b, loc, from, to, idx(1), init,
          [&](OpBuilder &, Location, Value r, ValueRange acc) {
            Value key = add(j0, r);
            auto vvec = [&](int64_t c) -> Value {
              if (vPanel)
                return vector::LoadOp::create(
                    b, loc, vecType, vPanel,
                    ValueRange{bIdx, kvHead, idx(tile), key, idx(c * w)});
              if (vBlock)
                return vector::LoadOp::create(b, loc, vecType, vBlock,
                                              ValueRange{r, idx(e0 + c * w)});
              return loadVector(vm, {bIdx, kvHead, key, idx(e0 + c * w)},
                                e0 + (c + 1) * w > dv ? idx(dv - e0 - c * w)
                                                      : Value());
            };
            SmallVector<Value> pElems;
            for (int64_t ii = 0; ii < queryTile; ++ii)
              pElems.push_back(memref::LoadOp::create(
                  b, loc, p, ValueRange{r, add(i0, idx(ii))}));
            scf::YieldOp::create(b, loc,
                                 fmaOuterProduct(pElems, vecs, vvec, acc));
          });
      for (int64_t ii = 0; ii < queryTile; ++ii)
        for (int64_t c = 0; c < vecs; ++c)
          vector::StoreOp::create(
              b, loc, loop.getResult(ii * vecs + c), o,
              ValueRange{add(i0, idx(ii)), idx(e0 + c * w)});
    });
    e0 += vecs * w;
  }
}

/// out[b, h, i, :] = O[r] / l[r] for the block's rows r = (h, i), and 0
/// where l[r] == 0.
void FlashKernelBuilder::writeOutput(Value o, ValueRange l, Value lBuf) {
  for (int64_t c = 0; c < qv; ++c)
    vector::StoreOp::create(b, loc, l[c], lBuf, ValueRange{idx(c * w)});
  Type outElt = cast<MemRefType>(om.getType()).getElementType();
  Value zero = f32Const(0.0), one = f32Const(1.0);
  forLoop(idx(0), nq, 1, [&](Value i) {
    Value li = memref::LoadOp::create(b, loc, lBuf, ValueRange{i});
    Value empty =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, li, zero);
    Value inv = arith::SelectOp::create(b, loc, empty, zero,
                                        arith::DivFOp::create(b, loc, one, li));
    auto [hv, qi] = rowToHeadQuery(add(q0, i));
    Value h = hv, query = qi;
    Value invVec = vector::BroadcastOp::create(b, loc, vecType, inv);
    auto outVec = VectorType::get({w}, outElt);
    // Whole vectors (O has dvPad columns); a row narrower than that
    // ends with a masked store.
    auto store = [&](Value e, int64_t valid) {
      Value x = vector::LoadOp::create(b, loc, vecType, o, ValueRange{i, e});
      x = arith::MulFOp::create(b, loc, x, invVec);
      if (outElt != f32)
        x = arith::TruncFOp::create(b, loc, outVec, x);
      SmallVector<Value> at = {bIdx, h, query, e};
      if (valid == w) {
        vector::StoreOp::create(b, loc, x, om, at);
        return;
      }
      Value mask = vector::CreateMaskOp::create(
          b, loc, VectorType::get({w}, b.getI1Type()), ValueRange{idx(valid)});
      vector::MaskedStoreOp::create(b, loc, om, at, mask, x);
    };
    forEachChunk(dv, w, store);
  });
}

//===----------------------------------------------------------------------===//
// Kernel
//===----------------------------------------------------------------------===//

/// Kp[b][h][t][d][r] = f32(K[b][h][t * keyTile + r][d]), zero past Sk: the
/// keys of an S^T register tile then sit in one contiguous stream instead of
/// keyTile rows. With a power-of-two keyTile, written by keyTile x keyTile
/// transposes in registers. Vp[b][h][c][j][:] = f32(V[b][h][j][column tile c]):
/// each pass of the O accumulation streams one contiguous panel.
void FlashKernelBuilder::packPanels() {
  Value tiles = arith::CeilDivUIOp::create(b, loc, sk, idx(keyTile));
  int64_t dyn = ShapedType::kDynamic;
  kPanel = allocScratch(MemRefType::get({dyn, dyn, dyn, d, keyTile}, f32),
                        ValueRange{batch, kvHeads, tiles});
  Value lastKey = sub(sk, idx(1));
  Value zero = f32Const(0.0);
  scf::ParallelOp::create(
      b, loc, ValueRange{idx(0), idx(0), idx(0)},
      ValueRange{batch, kvHeads, tiles}, ValueRange{idx(1), idx(1), idx(1)},
      [&](OpBuilder &, Location, ValueRange ivs) {
        SmallVector<Value> keys, valid;
        for (int64_t r = 0; r < keyTile; ++r) {
          Value j = add(mul(ivs[2], idx(keyTile)), idx(r));
          valid.push_back(cmp(arith::CmpIPredicate::slt, j, sk));
          keys.push_back(minIdx(j, lastKey));
        }
        // Element by element for tiles that a transpose would not serve: one
        // key, or past 16 lanes.
        int64_t lanes = llvm::PowerOf2Ceil(keyTile);
        if (keyTile == 1 || lanes > 16) {
          for (int64_t r = 0; r < keyTile; ++r)
            forLoop(idx(0), idx(d), 1, [&](Value dd) {
              Value x = loadScalar(km, {ivs[0], ivs[1], keys[r], dd});
              x = arith::SelectOp::create(b, loc, valid[r], x, zero);
              memref::StoreOp::create(
                  b, loc, x, kPanel,
                  ValueRange{ivs[0], ivs[1], ivs[2], dd, idx(r)});
            });
          return;
        }
        // Blocks of `lanes` (key, d) pairs, keys past keyTile zero,
        // transposed in registers; each column keeps its first keyTile
        // lanes.
        Type elt = cast<MemRefType>(km.getType()).getElementType();
        auto rowType = VectorType::get({lanes}, elt);
        auto f32Row = VectorType::get({lanes}, f32);
        Value zeros = arith::ConstantOp::create(
            b, loc, DenseElementsAttr::get(f32Row, b.getF32FloatAttr(0)));
        auto block = [&](Value d0, int64_t width) {
          SmallVector<Value> rows(lanes, zeros);
          for (int64_t r = 0; r < keyTile; ++r) {
            SmallVector<Value> at = {ivs[0], ivs[1], keys[r], d0};
            Value x;
            if (width == lanes) {
              x = vector::LoadOp::create(b, loc, rowType, km, at);
            } else {
              Value mask = vector::CreateMaskOp::create(
                  b, loc, VectorType::get({lanes}, b.getI1Type()),
                  ValueRange{idx(width)});
              Value pass = arith::ConstantOp::create(
                  b, loc, DenseElementsAttr::get(rowType, b.getZeroAttr(elt)));
              x = vector::MaskedLoadOp::create(b, loc, rowType, km, at, mask,
                                               pass);
            }
            if (elt != f32)
              x = arith::ExtFOp::create(b, loc, f32Row, x);
            rows[r] = arith::SelectOp::create(b, loc, valid[r], x, zeros);
          }
          SmallVector<Value> cols = flash::transposeLanes(b, loc, rows);
          for (int64_t c = 0; c < width; ++c) {
            Value col = cols[c];
            if (keyTile < lanes)
              col = vector::ExtractStridedSliceOp::create(
                  b, loc, col, /*offsets=*/ArrayRef<int64_t>{0},
                  /*sizes=*/ArrayRef<int64_t>{keyTile},
                  /*strides=*/ArrayRef<int64_t>{1});
            vector::StoreOp::create(
                b, loc, col, kPanel,
                ValueRange{ivs[0], ivs[1], ivs[2], add(d0, idx(c)), idx(0)});
          }
        };
        forEachChunk(d, lanes, block);
      });

  SmallVector<ValueTile> valueTiles = getValueTiles();
  vPanel = allocScratch(
      MemRefType::get({dyn, dyn, static_cast<int64_t>(valueTiles.size()), dyn,
                       kMaxValueVectors * w},
                      f32),
      ValueRange{batch, kvHeads, sk});
  scf::ParallelOp::create(
      b, loc, ValueRange{idx(0), idx(0), idx(0)},
      ValueRange{batch, kvHeads, sk}, ValueRange{idx(1), idx(1), idx(1)},
      [&](OpBuilder &, Location, ValueRange ivs) {
        int64_t e0 = 0;
        for (auto [tile, vt] : llvm::enumerate(valueTiles)) {
          for (int64_t c = 0; c < vt.vectors; ++c, e0 += w) {
            Value x = loadVector(vm, {ivs[0], ivs[1], ivs[2], idx(e0)},
                                 e0 + w > dv ? idx(dv - e0) : Value());
            vector::StoreOp::create(
                b, loc, x, vPanel,
                ValueRange{ivs[0], ivs[1], idx(tile), ivs[2], idx(c * w)});
          }
        }
      });
}

Value FlashKernelBuilder::build() {
  bindOperands();
  if (panels)
    packPanels();
  Value numBlocks = arith::CeilDivUIOp::create(b, loc, rows, idx(bq));

  // With split keys, each task leaves an unnormalized partial output and its
  // running max and sum; a second loop combines them by log-sum-exp.
  if (splits > 1) {
    auto partial = [&](ArrayRef<int64_t> tail) {
      SmallVector<int64_t> shape = {splits, ShapedType::kDynamic,
                                    ShapedType::kDynamic, ShapedType::kDynamic};
      shape.append(tail.begin(), tail.end());
      return allocScratch(MemRefType::get(shape, f32),
                          ValueRange{batch, kvHeads, numBlocks});
    };
    partialO = partial({bq, dvPad});
    partialM = partial({bq});
    partialL = partial({bq});
  }

  SmallVector<Value> lbs(splits > 1 ? 4 : 3, idx(0));
  SmallVector<Value> steps(lbs.size(), idx(1));
  SmallVector<Value> ubs = {batch, kvHeads, numBlocks};
  if (splits > 1)
    ubs.push_back(idx(splits));
  if (blocksPerTask > 1)
    ubs[2] = arith::CeilDivUIOp::create(b, loc, numBlocks, idx(blocksPerTask));
  scf::ParallelOp::create(b, loc, lbs, ubs, steps,
                          [&](OpBuilder &, Location, ValueRange ivs) {
                            inAllocaScope([&] {
                              if (blocksPerTask > 1)
                                emitGroupTask(ivs, numBlocks);
                              else
                                emitTask(ivs);
                            });
                          });

  if (splits > 1)
    scf::ParallelOp::create(
        b, loc, ValueRange{idx(0), idx(0), idx(0)},
        ValueRange(ubs).take_front(3), ValueRange{idx(1), idx(1), idx(1)},
        [&](OpBuilder &, Location, ValueRange ivs) { emitCombine(ivs); });

  releaseScratch();
  return resultTensor();
}

/// Sets the block coordinates of a task: `ivs` are (batch, kv head, row
/// block[, split]).
void FlashKernelBuilder::setBlock(ValueRange ivs) {
  bIdx = ivs[0];
  kvHead = ivs[1];
  blockIdx = ivs[2];
  q0 = mul(blockIdx, idx(bq));
  nq = minIdx(idx(bq), sub(rows, q0));
}

/// O = 0, every row of the block.
void FlashKernelBuilder::zeroOutput(Value o) {
  Value zero = splat(0.0);
  forLoop(idx(0), idx(bq), 1, [&](Value i) {
    for (int64_t e = 0; e < dvPad; e += w)
      vector::StoreOp::create(b, loc, zero, o, ValueRange{i, idx(e)});
  });
}

void FlashKernelBuilder::emitTask(ValueRange ivs) {
  setBlock(ivs);

  std::tie(iMin, iMax) = flash::getQueryRange(*this, q0, nq, sq);
  Value jStart, jEnd;
  std::tie(jStart, jEnd) =
      flash::getKeyRange(*this, op, iMin, iMax, offset, sk);
  // Key tiles of the panel start at multiples of keyTile; the keys this adds
  // before the band are masked.
  if (kPanel)
    jStart =
        mul(arith::DivUIOp::create(b, loc, jStart, idx(keyTile)), idx(keyTile));
  if (splits > 1) {
    // This split's share, in whole key blocks.
    Value chunk = mul(
        arith::CeilDivUIOp::create(
            b, loc,
            arith::CeilDivUIOp::create(b, loc, sub(jEnd, jStart), idx(splits)),
            idx(bk)),
        idx(bk));
    Value from = minIdx(add(jStart, mul(ivs[3], chunk)), jEnd);
    jEnd = minIdx(add(from, chunk), jEnd);
    jStart = from;
  }

  Value o = scratch({bq, dvPad});
  // The dot-product scores are written W / dotRows keys at a time.
  int64_t pRows = dotRows ? llvm::alignTo(bk, w / dotRows) : bk;
  Value p = scratch({pRows, bq});
  Value alphaBuf = scratch({bq});
  Value lBuf = scratch({bq});
  kBlock = vBlock = nullptr;
  if (dotRows) {
    // Lanes past dotRows are never scores; they start finite.
    qRowsBuf =
        scratch({dotRows, static_cast<int64_t>(llvm::divideCeil(d, w)) * w});
    packQueryRows(qRowsBuf);
    forLoop(idx(0), idx(pRows), 1, [&](Value r) {
      vector::StoreOp::create(b, loc, splat(0.0), p, ValueRange{r, idx(0)});
    });
  } else {
    qtBuf = scratch({d, bq});
    packQueries(qtBuf);
  }
  // f16/bf16 K and V blocks are widened once per task for the row tiles
  // that share them; decoding's one row tile widens them in registers.
  if (!dotRows && !op.getQuery().getType().getElementType().isF32()) {
    if (!kPanel)
      kBlock = scratch({bk, static_cast<int64_t>(llvm::divideCeil(d, w)) * w});
    if (!vPanel)
      vBlock = scratch({bk, dvPad});
  }

  zeroOutput(o);

  SmallVector<Value> init(qv, splat(-std::numeric_limits<double>::infinity()));
  init.append(qv, splat(0.0));
  auto keyLoop = scf::ForOp::create(
      b, loc, jStart, jEnd, idx(bk), init,
      [&](OpBuilder &, Location, Value j0, ValueRange state) {
        Value nk = minIdx(idx(bk), sub(jEnd, j0));
        if (kBlock)
          widenBlock(km, kBlock, j0, nk, d);
        if (vBlock)
          widenBlock(vm, vBlock, j0, nk, dv);
        computeScores(p, j0, nk);
        maskScores(p, j0, nk);
        SmallVector<Value> next = onlineSoftmax(
            p, alphaBuf, nk, state.take_front(qv), state.drop_front(qv));
        accumulateOutput(p, o, alphaBuf, j0, nk);
        scf::YieldOp::create(b, loc, next);
      });
  ValueRange m = keyLoop.getResults().take_front(qv);
  ValueRange l = keyLoop.getResults().drop_front(qv);
  if (splits == 1)
    return writeOutput(o, l, lBuf);

  // Partial results of this split.
  SmallVector<Value> at = {ivs[3], bIdx, kvHead, blockIdx};
  for (int64_t c = 0; c < qv; ++c) {
    SmallVector<Value> vecAt = at;
    vecAt.push_back(idx(c * w));
    vector::StoreOp::create(b, loc, m[c], partialM, vecAt);
    vector::StoreOp::create(b, loc, l[c], partialL, vecAt);
  }
  forLoop(idx(0), nq, 1, [&](Value i) {
    for (int64_t e = 0; e < dvPad; e += w) {
      SmallVector<Value> oAt = at;
      oAt.append({i, idx(e)});
      Value x =
          vector::LoadOp::create(b, loc, vecType, o, ValueRange{i, idx(e)});
      vector::StoreOp::create(b, loc, x, partialO, oAt);
    }
  });
}

/// A task of `blocksPerTask` consecutive row blocks of one kv head, `ivs` =
/// (batch, kv head, group index), `numBlocks` the row blocks per kv head. The
/// blocks take turns on each key block, so the K/V panel rows it reads stay in
/// L2 for all but the first: with one block per task, a kv head whose panels
/// outgrow L2 (S=512 D=128 f32: 512 KiB) streams them from L3 once per block.
/// Each block keeps its own Q^T, O and running max and sum. Without a sliding
/// window every block's key range starts at 0, so one key loop serves them all,
/// up to the largest end; a block whose range ends earlier (causal) skips the
/// blocks past it.
void FlashKernelBuilder::emitGroupTask(ValueRange ivs, Value numBlocks) {
  Value oAll = scratch({blocksPerTask, bq, dvPad});
  Value qtAll = scratch({blocksPerTask, d, bq});
  Value mAll = scratch({blocksPerTask, bq});
  Value lAll = scratch({blocksPerTask, bq});
  Value p = scratch({bk, bq});
  Value alphaBuf = scratch({bq});
  Value lBuf = scratch({bq});
  kBlock = vBlock = nullptr;

  Value first = mul(ivs[2], idx(blocksPerTask));
  Value blocks = minIdx(idx(blocksPerTask), sub(numBlocks, first));
  // Block g of the group: sets the block's coordinates and Q^T, and returns
  // its O.
  auto selectBlock = [&](Value g) {
    setBlock({ivs[0], ivs[1], add(first, g)});
    std::tie(iMin, iMax) = flash::getQueryRange(*this, q0, nq, sq);
    qtBuf = sliceOf(qtAll, g);
    return sliceOf(oAll, g);
  };
  auto loadState = [&](Value buf, Value g) {
    SmallVector<Value> state;
    for (int64_t c = 0; c < qv; ++c)
      state.push_back(vector::LoadOp::create(b, loc, vecType, buf,
                                             ValueRange{g, idx(c * w)}));
    return state;
  };
  auto storeState = [&](ValueRange state, Value buf, Value g) {
    for (int64_t c = 0; c < qv; ++c)
      vector::StoreOp::create(b, loc, state[c], buf, ValueRange{g, idx(c * w)});
  };

  Value zero = splat(0.0);
  Value negInf = splat(-std::numeric_limits<double>::infinity());
  forLoop(idx(0), blocks, 1, [&](Value g) {
    Value o = selectBlock(g);
    packQueries(qtBuf);
    zeroOutput(o);
    storeState(SmallVector<Value>(qv, negInf), mAll, g);
    storeState(SmallVector<Value>(qv, zero), lAll, g);
  });
  // The group's key range ends where its rows' last key is (the rows of one
  // kv head are (query head, query) pairs, so a later block may end earlier).
  Value groupRows =
      minIdx(mul(blocks, idx(bq)), sub(rows, mul(first, idx(bq))));
  auto [groupMin, groupMax] =
      flash::getQueryRange(*this, mul(first, idx(bq)), groupRows, sq);

  Value keyEnd =
      flash::getKeyRange(*this, op, groupMin, groupMax, offset, sk).second;
  forLoop(idx(0), keyEnd, bk, [&](Value j0) {
    forLoop(idx(0), blocks, 1, [&](Value g) {
      Value o = selectBlock(g);
      Value jEnd = flash::getKeyRange(*this, op, iMin, iMax, offset, sk).second;
      Value live = cmp(arith::CmpIPredicate::ult, j0, jEnd);
      scf::IfOp::create(b, loc, live, [&](OpBuilder &, Location) {
        Value nk = minIdx(idx(bk), sub(jEnd, j0));
        computeScores(p, j0, nk);
        maskScores(p, j0, nk);
        SmallVector<Value> next = onlineSoftmax(
            p, alphaBuf, nk, loadState(mAll, g), loadState(lAll, g));
        accumulateOutput(p, o, alphaBuf, j0, nk);
        storeState(ArrayRef<Value>(next).take_front(qv), mAll, g);
        storeState(ArrayRef<Value>(next).drop_front(qv), lAll, g);
        scf::YieldOp::create(b, loc);
      });
    });
  });

  forLoop(idx(0), blocks, 1, [&](Value g) {
    Value o = selectBlock(g);
    writeOutput(o, loadState(lAll, g), lBuf);
  });
}

/// out[row] = sum_s exp(m_s - m) O_s / sum_s exp(m_s - m) l_s with
/// m = max_s m_s, and 0 where no split kept a key.
void FlashKernelBuilder::emitCombine(ValueRange ivs) {
  setBlock(ivs);
  Type outElt = cast<MemRefType>(om.getType()).getElementType();
  Value negInf = f32Const(-std::numeric_limits<double>::infinity());
  Value zero = f32Const(0.0), one = f32Const(1.0);
  forLoop(idx(0), nq, 1, [&](Value i) {
    auto at = [&](Value s) {
      return SmallVector<Value>{s, bIdx, kvHead, blockIdx, i};
    };
    // acc = step(acc, s) over the splits s.
    auto overSplits = [&](Value init, function_ref<Value(Value, Value)> step) {
      return scf::ForOp::create(
                 b, loc, idx(0), idx(splits), idx(1), ValueRange{init},
                 [&](OpBuilder &, Location, Value s, ValueRange acc) {
                   scf::YieldOp::create(b, loc, step(acc[0], s));
                 })
          .getResult(0);
    };
    Value mMax = overSplits(negInf, [&](Value acc, Value s) -> Value {
      Value ms = memref::LoadOp::create(b, loc, partialM, at(s));
      return arith::MaximumFOp::create(b, loc, acc, ms);
    });
    Value shift = arith::SelectOp::create(
        b, loc,
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, mMax, negInf),
        zero, mMax);
    // Weights of the splits and the total sum.
    auto weight = [&](Value s) {
      Value ms = memref::LoadOp::create(b, loc, partialM, at(s));
      return math::Exp2Op::create(b, loc,
                                  arith::SubFOp::create(b, loc, ms, shift))
          .getResult();
    };
    Value total = overSplits(zero, [&](Value acc, Value s) -> Value {
      Value ls = memref::LoadOp::create(b, loc, partialL, at(s));
      return arith::AddFOp::create(
          b, loc, acc, arith::MulFOp::create(b, loc, weight(s), ls));
    });
    Value inv = arith::SelectOp::create(
        b, loc,
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, total, zero),
        zero, arith::DivFOp::create(b, loc, one, total));
    auto [hv, qi] = rowToHeadQuery(add(q0, i));
    Value h = hv, query = qi;
    forLoop(idx(0), idx(dv), 1, [&](Value e) {
      Value sum = overSplits(zero, [&](Value acc, Value s) -> Value {
        SmallVector<Value> oAt = at(s);
        oAt.push_back(e);
        Value x = memref::LoadOp::create(b, loc, partialO, oAt);
        return arith::AddFOp::create(
            b, loc, acc, arith::MulFOp::create(b, loc, weight(s), x));
      });
      Value x = arith::MulFOp::create(b, loc, sum, inv);
      if (outElt != f32)
        x = arith::TruncFOp::create(b, loc, outElt, x);
      memref::StoreOp::create(b, loc, x, om, ValueRange{bIdx, h, query, e});
    });
  });
}

//===----------------------------------------------------------------------===//
// Pass
//===----------------------------------------------------------------------===//

namespace {
struct AttnFlashPass : attn::impl::AttnFlashPassBase<AttnFlashPass> {
  using Base::Base;

  void runOnOperation() override {
    FlashOptions options;
    options.vectorWidth = vectorWidth > 0 ? vectorWidth : getHostVectorWidth();
    options.queryBlock = queryBlock; // 0: chosen per op.
    options.keyBlock = keyBlock;
    options.keySplits = keySplits;
    options.threads = threads;
    options.amx = amx;
    options.bf16Dot = bf16Dot;
    options.workspaces = workspaces;
    options.blocksPerTask = blocksPerTask;
    if (options.vectorWidth < 4 || options.vectorWidth % 4 ||
        options.queryBlock < 0 || options.queryBlock % options.vectorWidth ||
        options.keyBlock < 1 || options.blocksPerTask < 0) {
      getOperation()->emitError()
          << "attn-flash: vector-width must be a multiple of 4, query-block a "
             "multiple of vector-width, key-block positive, blocks-per-task "
             "non-negative";
      return signalPassFailure();
    }
    SmallVector<SdpaOp> ops;
    getOperation()->walk([&](SdpaOp op) { ops.push_back(op); });
    for (SdpaOp op : ops) {
      if (failed(checkIndexableShapes(op)))
        return signalPassFailure();
      OpBuilder b(op);
      flash::PairProducts products =
          getKeySplits(op, resolveOptions(op, options)) == 1
              ? flash::getPairProducts(op, options)
              : flash::PairProducts::None;
      Value result =
          products != flash::PairProducts::None
              ? flash::buildPairKernel(b, op.getLoc(), op, products, options)
              : FlashKernelBuilder(b, op.getLoc(), op, options).build();
      flash::replaceSdpa(op, result);
    }
  }
};
} // namespace
