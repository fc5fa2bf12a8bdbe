//===- GpuFlash.cpp - FlashAttention-2 kernels for NVIDIA GPUs --*- C++ -*-===//
//
// Part of the attn-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Lowers attn.sdpa to a `gpu.launch` in the FlashAttention-2 structure, with
// the host side (device buffers, copies in and out) around it:
//
//   grid (row tile, batch x kv head): a block's 64 rows are (query head,
//     query) pairs of one kv head, so that grouped-query heads share every
//     K/V tile; 4 warps of 16 rows each
//   Q tile -> shared (cp.async) -> registers (ldmatrix), once
//   K/V tiles -> shared, double buffered: tile j + 1 is in flight while
//     tile j is used
//   S = Q K^T and O += P V on tensor cores (mma.sync m16n8k16, f32
//     accumulators); the online softmax runs on the accumulator registers,
//     each thread owning two rows, reduced across the 4 threads of a row
//     with shuffles
//
// The key range of a tile (causal/window skipping) and the diagonal mask
// bounds come from FlashCommon, shared with the CPU kernels.
//
//===----------------------------------------------------------------------===//

#include "FlashCommon.h"
#include "attn/Transforms/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <limits>

namespace mlir {
namespace attn {
#define GEN_PASS_DEF_ATTNGPUFLASHPASS
#include "attn/Transforms/Passes.h.inc"
} // namespace attn
} // namespace mlir

using namespace mlir;
using namespace mlir::attn;

namespace {

constexpr int64_t kWarps = 4;
constexpr int64_t kWarpSize = 32;
constexpr int64_t kThreads = kWarps * kWarpSize;
/// Query rows per warp: the M of mma.sync m16n8k16.
constexpr int64_t kWarpRows = 16;
constexpr int64_t kQueryTile = kWarps * kWarpRows;
/// Elements per cp.async (16 bytes of f16/bf16).
constexpr int64_t kCopyElements = 8;
/// Padding of each shared-memory row, in elements: rows of D + 8 halves
/// put the 8 rows an ldmatrix reads in 8 distinct 16-byte bank groups.
constexpr int64_t kRowPad = 8;
/// Dynamic shared memory the kernels may use: what every sm_80+ part has
/// (sm_86/89 allow 99 KiB per block).
constexpr int64_t kMaxSharedBytes = 96 * 1024;
constexpr int64_t kMaxHeadDim = 128;

int64_t getSharedBytes(int64_t d, int64_t dv, int64_t keyTile) {
  return 2 * (kQueryTile * (d + kRowPad) + 2 * keyTile * (d + kRowPad) +
              2 * keyTile * (dv + kRowPad));
}

/// Emits the host side and the kernel of one attn.sdpa.
class GpuFlashBuilder : IndexBuilder {
public:
  GpuFlashBuilder(OpBuilder &b, Location loc, SdpaOp op, int64_t keyTile,
                  int64_t splits)
      : IndexBuilder(b, loc), op(op), keyTile(keyTile), splits(splits),
        elt(op.getQuery().getType().getElementType()), f32(b.getF32Type()),
        d(op.getQuery().getType().getDimSize(3)),
        dv(op.getValue().getType().getDimSize(3)) {}

  /// Returns the result tensor.
  Value build();

private:
  Value f32Const(double v) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  }
  Value select(Value c, Value x, Value y) {
    return arith::SelectOp::create(b, loc, c, x, y);
  }
  Value divu(Value x, Value y) { return arith::DivUIOp::create(b, loc, x, y); }
  Value remu(Value x, Value y) { return arith::RemUIOp::create(b, loc, x, y); }
  Value maxf(Value x, Value y) {
    return arith::MaximumFOp::create(b, loc, x, y);
  }
  /// 2^x by ex2.approx.ftz (2^-inf = 0). Inline PTX: math.exp2 and
  /// llvm.intr.exp2 become libdevice calls, which need the CUDA toolkit to
  /// link.
  Value exp2(Value x) {
    return LLVM::InlineAsmOp::create(
               b, loc, f32, ValueRange{x}, "ex2.approx.ftz.f32 $0, $1;", "=f,f",
               /*has_side_effects=*/false, /*is_align_stack=*/false,
               LLVM::tailcallkind::TailCallKind::None, LLVM::AsmDialectAttr(),
               ArrayAttr())
        .getResult(0);
  }
  Value fma(Value x, Value y, Value z) {
    return arith::AddFOp::create(b, loc, arith::MulFOp::create(b, loc, x, y),
                                 z);
  }
  Value shuffleXor(Value x, int32_t offset) {
    return gpu::ShuffleOp::create(b, loc, x, offset, kWarpSize,
                                  gpu::ShuffleMode::XOR)
        .getShuffleResult();
  }
  /// Reduces `x` over the 4 threads that share a row of every fragment.
  Value rowReduce(Value x, bool isMax) {
    for (int32_t offset : {1, 2}) {
      Value y = shuffleXor(x, offset);
      x = isMax ? maxf(x, y) : arith::AddFOp::create(b, loc, x, y).getResult();
    }
    return x;
  }
  /// Rows 2i, 2i+1 of an ldmatrix.x4 result: one B fragment, or `frags`
  /// itself when it is one (.x2).
  Value half(Value frags, int64_t i) {
    if (cast<VectorType>(frags.getType()).getDimSize(0) == 2)
      return frags;
    return vector::ExtractStridedSliceOp::create(
        b, loc, frags, ArrayRef<int64_t>{2 * i, 0}, ArrayRef<int64_t>{2, 2},
        ArrayRef<int64_t>{1, 1});
  }
  /// c + a b on tensor cores (m16n8k16, f32 accumulators), fragments as
  /// nvgpu.mma.sync takes them.
  Value mma(Value a, Value bFrag, Value c);
  Value deviceCopy(Value host, bool copyIn);
  void emitKernel(gpu::LaunchOp launch);
  /// The second kernel of key splits: one thread per output element.
  void emitCombine(gpu::LaunchOp launch);
  /// Issues the cp.async of rows [row0, row0 + rows) of a tile, `cols`
  /// elements each, into `dst[prefix..., r, :]`, appending their tokens to
  /// `tokens`. Rows at or past `limit` are zero-filled; `source` maps a
  /// (clamped) row to its (head, sequence index) in `src`.
  void copyTile(Value dst, ValueRange prefix, Value src, Value row0,
                Value limit, int64_t rows, int64_t cols,
                function_ref<std::pair<Value, Value>(Value)> source,
                SmallVectorImpl<Value> &tokens);
  /// Closes the copies issued so far into one group.
  Value commitGroup(ArrayRef<Value> tokens) {
    return nvgpu::DeviceAsyncCreateGroupOp::create(
               b, loc, nvgpu::DeviceAsyncTokenType::get(b.getContext()), tokens)
        .getAsyncToken();
  }
  /// Scales a tile's scores (and applies the softcap) into base 2.
  void scaleScores(SmallVectorImpl<Value> &s);
  /// Applies the mask operand, the causal/window bounds and the end of the
  /// keys to a tile of scores starting at key `key0` (-inf where dropped).
  void maskScores(SmallVectorImpl<Value> &s, Value key0);

  SdpaOp op;
  int64_t keyTile;
  /// Key splits: blocks that share a row tile's keys, combined by a second
  /// kernel (1: none).
  int64_t splits;
  Type elt, f32;
  int64_t d, dv;
  // Device buffers; with key splits, each split's unnormalized O and its
  // rows' (max, sum), [split, B, H, Sq, Dv] and [split, B, H, Sq, 2], f32.
  Value dq, dk, dvBuf, dmask, dout, partO, partML;
  // Kernel values. A block's rows are the (query head, query) pairs of one
  // kv head, row = h * Sq + i for query head kvHead * G + h, as in the CPU
  // kernels: grouped-query heads share every K/V tile.
  Value lane, tid, g, t4, bIdx, kvHead, group, sq, sk, offset, rows;
  /// The thread's two fragment rows (g and g + 8 of its warp): whether they
  /// exist, their query head and query index.
  Value rowValid[2], rowHead[2], rowQuery[2];
};

Value GpuFlashBuilder::mma(Value a, Value bFrag, Value c) {
  if (elt.isF16())
    return nvgpu::MmaSyncOp::create(b, loc, a, bFrag, c,
                                    ArrayRef<int64_t>{16, 8, 16});
  // bf16: nvvm.mma.sync directly, since nvgpu's lowering has no bf16 types.
  // A and B registers are pairs of bf16 packed in an i32.
  auto packRows = [&](Value frag) {
    SmallVector<Value> regs;
    auto type = cast<VectorType>(frag.getType());
    auto i32x1 = VectorType::get({1}, b.getI32Type());
    for (int64_t r = 0; r < type.getDimSize(0); ++r) {
      Value row = vector::ExtractOp::create(b, loc, frag, r);
      Value packed = vector::BitCastOp::create(b, loc, i32x1, row);
      regs.push_back(vector::ExtractOp::create(b, loc, packed, 0));
    }
    return regs;
  };
  SmallVector<Value> acc;
  for (int64_t r = 0; r < 2; ++r)
    for (int64_t e = 0; e < 2; ++e)
      acc.push_back(
          vector::ExtractOp::create(b, loc, c, ArrayRef<int64_t>{r, e}));
  auto resultType = LLVM::LLVMStructType::getLiteral(b.getContext(),
                                                     SmallVector<Type>(4, f32));
  Value d = NVVM::MmaOp::create(
      b, loc, resultType, packRows(a), packRows(bFrag), acc, {16, 8, 16},
      std::nullopt, std::nullopt,
      std::array<NVVM::MMATypes, 2>{NVVM::MMATypes::bf16, NVVM::MMATypes::bf16},
      std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                     NVVM::MMALayout::col});
  SmallVector<Value> out;
  for (int64_t i = 0; i < 4; ++i)
    out.push_back(LLVM::ExtractValueOp::create(b, loc, d, i));
  return vector::FromElementsOp::create(b, loc, c.getType(), out);
}

Value GpuFlashBuilder::deviceCopy(Value host, bool copyIn) {
  auto type = cast<MemRefType>(host.getType());
  SmallVector<Value> sizes;
  for (int64_t i = 0; i < type.getRank(); ++i)
    if (type.isDynamicDim(i))
      sizes.push_back(memref::DimOp::create(b, loc, host, i));
  auto alloc = gpu::AllocOp::create(b, loc, type, /*asyncToken=*/Type(),
                                    ValueRange{}, sizes, ValueRange{});
  // Device buffers are freed here, by gpu.dealloc: buffer deallocation must
  // leave them alone.
  alloc->setAttr(bufferization::BufferizationDialect::kManualDeallocation,
                 b.getUnitAttr());
  Value dev = alloc.getMemref();
  if (copyIn)
    gpu::MemcpyOp::create(b, loc, Type(), ValueRange{}, dev, host);
  return dev;
}

Value GpuFlashBuilder::build() {
  auto toBuffer = [&](Value t) -> Value {
    auto type = cast<RankedTensorType>(t.getType());
    return bufferization::ToBufferOp::create(
        b, loc, MemRefType::get(type.getShape(), type.getElementType()), t,
        /*read_only=*/true);
  };
  Value hq = toBuffer(op.getQuery()), hk = toBuffer(op.getKey()),
        hv = toBuffer(op.getValue());
  Value hmask = op.getMask() ? toBuffer(op.getMask()) : Value();
  RankedTensorType rType = op.getResult().getType();
  SmallVector<Value> rSizes;
  for (int64_t i = 0; i < 4; ++i)
    if (rType.isDynamicDim(i))
      rSizes.push_back(memref::DimOp::create(b, loc, i < 3 ? hq : hv, i));
  auto rMemType = MemRefType::get(rType.getShape(), rType.getElementType());
  Value hout = memref::AllocOp::create(b, loc, rMemType, rSizes);

  dq = deviceCopy(hq, true);
  dk = deviceCopy(hk, true);
  dvBuf = deviceCopy(hv, true);
  if (hmask)
    dmask = deviceCopy(hmask, true);
  dout = deviceCopy(hout, false);
  if (splits > 1) {
    SmallVector<Value> sizes;
    for (int64_t i = 0; i < 3; ++i)
      if (rType.isDynamicDim(i))
        sizes.push_back(memref::DimOp::create(b, loc, hq, i));
    auto scratch = [&](int64_t last) {
      SmallVector<int64_t> shape = {splits};
      llvm::append_range(shape, rType.getShape().take_front(3));
      shape.push_back(last);
      auto alloc =
          gpu::AllocOp::create(b, loc, MemRefType::get(shape, f32), Type(),
                               ValueRange{}, sizes, ValueRange{});
      alloc->setAttr(bufferization::BufferizationDialect::kManualDeallocation,
                     b.getUnitAttr());
      return alloc.getMemref();
    };
    partO = scratch(dv);
    partML = scratch(2);
  }

  // Grid: row tiles x (batch x kv heads), at least 1 x 1 (the kernel returns
  // at once for empty problems: CUDA rejects empty grids).
  Value batch = memref::DimOp::create(b, loc, hq, 0);
  Value heads = memref::DimOp::create(b, loc, hq, 1);
  Value hostSq = memref::DimOp::create(b, loc, hq, 2);
  Value hostKvHeads = memref::DimOp::create(b, loc, hk, 1);
  Value hostRows = mul(divu(heads, hostKvHeads), hostSq);
  Value tiles = divu(add(hostRows, idx(kQueryTile - 1)), idx(kQueryTile));
  Value one = idx(1);
  int64_t sharedBytes = getSharedBytes(d, dv, keyTile);
  Value shared = arith::ConstantOp::create(
      b, loc, b.getI32IntegerAttr(static_cast<int32_t>(sharedBytes)));
  auto launch = gpu::LaunchOp::create(
      b, loc, maxIdx(tiles, one), maxIdx(mul(batch, hostKvHeads), one),
      idx(splits), idx(kThreads), one, one, shared);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&launch.getBody().front());
    emitKernel(launch);
    gpu::TerminatorOp::create(b, loc);
  }
  if (splits > 1) {
    Value elements = mul(mul(batch, heads), mul(hostSq, idx(dv)));
    Value blocks = divu(add(elements, idx(kThreads - 1)), idx(kThreads));
    auto combine = gpu::LaunchOp::create(b, loc, maxIdx(blocks, one), one, one,
                                         idx(kThreads), one, one);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&combine.getBody().front());
    emitCombine(combine);
    gpu::TerminatorOp::create(b, loc);
  }

  gpu::MemcpyOp::create(b, loc, Type(), ValueRange{}, hout, dout);
  for (Value dev : {dq, dk, dvBuf, dmask, dout, partO, partML})
    if (dev)
      gpu::DeallocOp::create(b, loc, Type(), ValueRange{}, dev)
          ->setAttr(bufferization::BufferizationDialect::kManualDeallocation,
                    b.getUnitAttr());
  return bufferization::ToTensorOp::create(b, loc, rType, hout,
                                           /*restrict=*/true,
                                           /*writable=*/true);
}

void GpuFlashBuilder::copyTile(
    Value dst, ValueRange prefix, Value src, Value row0, Value limit,
    int64_t rows, int64_t cols,
    function_ref<std::pair<Value, Value>(Value)> source,
    SmallVectorImpl<Value> &tokens) {
  int64_t chunksPerRow = cols / kCopyElements;
  int64_t chunks = rows * chunksPerRow;
  Value lastRow = maxIdx(sub(limit, idx(1)), idx(0));
  for (int64_t i = 0; i < chunks; i += kThreads) {
    Value c = add(tid, idx(i));
    auto emit = [&]() {
      Value r = divu(c, idx(chunksPerRow));
      Value col = mul(remu(c, idx(chunksPerRow)), idx(kCopyElements));
      Value row = add(row0, r);
      // Rows past the end are zero-filled (0 source bytes) from a valid
      // address.
      Value valid = cmp(arith::CmpIPredicate::slt, row, limit);
      Value count = select(valid, idx(kCopyElements), idx(0));
      SmallVector<Value> dstIdx(prefix.begin(), prefix.end());
      dstIdx.append({r, col});
      auto [srcHead, srcRow] = source(minIdx(row, lastRow));
      return nvgpu::DeviceAsyncCopyOp::create(
                 b, loc, dst, dstIdx, src,
                 ValueRange{bIdx, srcHead, srcRow, col},
                 b.getIndexAttr(kCopyElements), count, b.getUnitAttr())
          .getAsyncToken();
    };
    if (i + kThreads <= chunks) {
      tokens.push_back(emit());
      continue;
    }
    // A partial last round: threads past the tile copy nothing.
    scf::IfOp::create(b, loc, cmp(arith::CmpIPredicate::ult, c, idx(chunks)),
                      [&](OpBuilder &, Location) {
                        emit();
                        scf::YieldOp::create(b, loc);
                      });
  }
}

void GpuFlashBuilder::scaleScores(SmallVectorImpl<Value> &s) {
  float scale = op.getScale() ? op.getScale()->convertToFloat()
                              : 1.0f / std::sqrt(static_cast<float>(d));
  std::optional<APFloat> cap = op.getSoftcap();
  for (Value &x : s) {
    if (cap) {
      // cap * tanh(scale * s / cap), tanh(u) = 1 - 2 / (2^(2 log2(e) u) + 1),
      // which needs no libdevice; then into base 2.
      float c = cap->convertToFloat();
      Value u = arith::MulFOp::create(b, loc, x, f32Const(scale / c));
      Value e =
          exp2(arith::MulFOp::create(b, loc, u, f32Const(2.0 * flash::kLog2e)));
      Value tanh = arith::SubFOp::create(
          b, loc, f32Const(1.0),
          arith::DivFOp::create(
              b, loc, f32Const(2.0),
              arith::AddFOp::create(b, loc, e, f32Const(1.0))));
      x = arith::MulFOp::create(b, loc, tanh, f32Const(c * flash::kLog2e));
    } else {
      x = arith::MulFOp::create(b, loc, x, f32Const(scale * flash::kLog2e));
    }
  }
}

void GpuFlashBuilder::maskScores(SmallVectorImpl<Value> &s, Value key0) {
  auto [lo, hi] = flash::getDiagonalBounds(op);
  bool lower = lo > std::numeric_limits<int32_t>::min();
  bool upper = hi < std::numeric_limits<int32_t>::max();
  Value ninf = f32Const(-std::numeric_limits<float>::infinity());
  Value lastQuery = maxIdx(sub(sq, idx(1)), idx(0));
  Value lastKey = maxIdx(sub(sk, idx(1)), idx(0));
  // Mask dims of size 1 broadcast.
  SmallVector<Value> maskDims;
  if (dmask)
    for (int64_t i = 0; i < 4; ++i)
      maskDims.push_back(memref::DimOp::create(b, loc, dmask, i));
  auto maskIndex = [&](int64_t dim, Value i) -> Value {
    auto type = cast<MemRefType>(dmask.getType());
    if (!type.isDynamicDim(dim))
      return type.getDimSize(dim) == 1 ? idx(0) : i;
    return select(cmp(arith::CmpIPredicate::eq, maskDims[dim], idx(1)), idx(0),
                  i);
  };
  int64_t perRow = s.size() / 2;
  for (int64_t r = 0; r < 2; ++r) {
    Value i = rowQuery[r];
    for (int64_t c = 0; c < perRow; ++c) {
      // Fragment column c: n tile c / 2, element c % 2.
      Value j = add(key0, add(mul(t4, idx(2)), idx((c / 2) * 8 + c % 2)));
      Value &x = s[r * perRow + c];
      Value keep = cmp(arith::CmpIPredicate::slt, j, sk);
      Value diag = sub(sub(j, i), offset);
      if (lower)
        keep = arith::AndIOp::create(
            b, loc, keep, cmp(arith::CmpIPredicate::sge, diag, idx(lo)));
      if (upper)
        keep = arith::AndIOp::create(
            b, loc, keep, cmp(arith::CmpIPredicate::sle, diag, idx(hi)));
      if (dmask) {
        Value m = memref::LoadOp::create(
            b, loc, dmask,
            ValueRange{maskIndex(0, bIdx), maskIndex(1, rowHead[r]),
                       maskIndex(2, minIdx(i, lastQuery)),
                       maskIndex(3, minIdx(j, lastKey))});
        if (m.getType().isInteger(1)) {
          keep = arith::AndIOp::create(b, loc, keep, m);
        } else {
          if (m.getType() != f32)
            m = arith::ExtFOp::create(b, loc, f32, m);
          x = fma(m, f32Const(flash::kLog2e), x);
        }
      }
      x = select(keep, x, ninf);
    }
  }
}

void GpuFlashBuilder::emitKernel(gpu::LaunchOp launch) {
  tid = launch.getThreadIds().x;
  Value warp = divu(tid, idx(kWarpSize));
  lane = remu(tid, idx(kWarpSize));
  g = divu(lane, idx(4));
  t4 = remu(lane, idx(4));
  Value batch = memref::DimOp::create(b, loc, dq, 0);
  Value heads = memref::DimOp::create(b, loc, dq, 1);
  sq = memref::DimOp::create(b, loc, dq, 2);
  Value kvHeads = memref::DimOp::create(b, loc, dk, 1);
  sk = memref::DimOp::create(b, loc, dk, 2);
  offset = sub(sk, sq);
  Value bh = launch.getBlockIds().y;
  bIdx = divu(bh, kvHeads);
  kvHead = remu(bh, kvHeads);
  group = divu(heads, kvHeads);
  rows = mul(group, sq);
  // Under causal masking the last tiles see the most keys: they start first,
  // so that the grid does not end on a few long blocks.
  Value tile = launch.getBlockIds().x;
  if (op.getCausal())
    tile = sub(sub(launch.getGridSize().x, idx(1)), tile);
  Value q0 = mul(tile, idx(kQueryTile));

  Value inRange = arith::AndIOp::create(
      b, loc, cmp(arith::CmpIPredicate::ult, bh, mul(batch, kvHeads)),
      cmp(arith::CmpIPredicate::ult, q0, rows));
  auto ifOp = scf::IfOp::create(b, loc, inRange, /*withElseRegion=*/false);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&ifOp.getThenRegion().front());

  // Rows to (query head, query); Sq > 0 here.
  auto rowSource = [&](Value row) -> std::pair<Value, Value> {
    return {add(mul(kvHead, group), divu(row, sq)), remu(row, sq)};
  };
  Value lastRow = sub(rows, idx(1));
  for (int64_t r = 0; r < 2; ++r) {
    Value row = add(add(q0, mul(warp, idx(kWarpRows))), add(g, idx(8 * r)));
    rowValid[r] = cmp(arith::CmpIPredicate::ult, row, rows);
    std::tie(rowHead[r], rowQuery[r]) = rowSource(minIdx(row, lastRow));
  }

  // Shared memory: Q tile, then two K tiles, then two V tiles.
  auto workgroup =
      gpu::AddressSpaceAttr::get(b.getContext(), gpu::AddressSpace::Workgroup);
  Value smem = gpu::DynamicSharedMemoryOp::create(
      b, loc,
      MemRefType::get({ShapedType::kDynamic}, b.getI8Type(),
                      MemRefLayoutAttrInterface(), workgroup));
  int64_t ldq = d + kRowPad, ldv = dv + kRowPad;
  auto view = [&](ArrayRef<int64_t> shape, int64_t byteOffset) -> Value {
    return memref::ViewOp::create(
        b, loc,
        MemRefType::get(shape, elt, MemRefLayoutAttrInterface(), workgroup),
        smem, idx(byteOffset), ValueRange{});
  };
  Value qs = view({kQueryTile, ldq}, 0);
  int64_t kOffset = 2 * kQueryTile * ldq;
  Value ks = view({2, keyTile, ldq}, kOffset);
  Value vs = view({2, keyTile, ldv}, kOffset + 2 * 2 * keyTile * ldq);

  // The keys any query of the tile keeps (causal/window skipping): its
  // queries are exact within one head, all of them when it spans two.
  // (Plain values, not structured bindings: the loop body captures them.)
  Value iMin, iMax, kStart, kEnd;
  std::tie(iMin, iMax) = flash::getQueryRange(
      *this, q0, minIdx(idx(kQueryTile), sub(rows, q0)), sq);
  std::tie(kStart, kEnd) =
      flash::getKeyRange(*this, op, iMin, iMax, offset, sk);
  Value nTiles = divu(add(sub(kEnd, kStart), idx(keyTile - 1)), idx(keyTile));
  // With key splits, this block takes a share of whole tiles.
  Value split = launch.getBlockIds().z;
  Value tilesPerSplit = divu(add(nTiles, idx(splits - 1)), idx(splits));
  Value t0 = minIdx(mul(split, tilesPerSplit), nTiles);
  Value t1 = minIdx(add(t0, tilesPerSplit), nTiles);

  // One group per K/V tile pair, so that waiting for tile j leaves tile
  // j + 1 in flight.
  auto keySource = [&](Value key) -> std::pair<Value, Value> {
    return {kvHead, key};
  };
  auto copyKv = [&](Value buffer, Value key0) {
    SmallVector<Value> tokens;
    copyTile(ks, buffer, dk, key0, kEnd, keyTile, d, keySource, tokens);
    copyTile(vs, buffer, dvBuf, key0, kEnd, keyTile, dv, keySource, tokens);
    return commitGroup(tokens);
  };
  SmallVector<Value> qTokens;
  copyTile(qs, {}, dq, q0, rows, kQueryTile, d, rowSource, qTokens);
  commitGroup(qTokens);
  Value first = copyKv(idx(0), add(kStart, mul(t0, idx(keyTile))));
  // Q has landed once at most one group (K/V tile 0) is in flight.
  nvgpu::DeviceAsyncWaitOp::create(b, loc, first, b.getI32IntegerAttr(1));
  gpu::BarrierOp::create(b, loc);

  auto fragType = [&](int64_t n, Type t) { return VectorType::get({n, 2}, t); };
  // Q fragments (A of m16n8k16) of the warp's 16 rows: ldmatrix.x4 whose
  // matrices are rows 0-7/8-15 x columns k..k+7/k+8..k+15.
  Value laneMod8 = remu(lane, idx(8));
  Value laneDiv8 = divu(lane, idx(8));
  Value qRow = add(mul(warp, idx(kWarpRows)),
                   add(laneMod8, mul(remu(laneDiv8, idx(2)), idx(8))));
  Value qCol = mul(divu(lane, idx(16)), idx(8));
  SmallVector<Value> qFrags;
  for (int64_t kk = 0; kk < d / 16; ++kk)
    qFrags.push_back(nvgpu::LdMatrixOp::create(
        b, loc, fragType(4, elt), qs, ValueRange{qRow, add(qCol, idx(kk * 16))},
        /*transpose=*/false,
        /*numTiles=*/4));

  // Loop state: running max and sum of the thread's two rows, O tiles.
  Value ninf = f32Const(-std::numeric_limits<float>::infinity());
  auto accType = fragType(2, f32);
  Value zeroAcc = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(accType, b.getF32FloatAttr(0.0f)));
  SmallVector<Value> init = {ninf, ninf, f32Const(0.0), f32Const(0.0)};
  for (int64_t n = 0; n < dv / 8; ++n)
    init.push_back(zeroAcc);

  int64_t nTilesS = keyTile / 8;
  auto loop = scf::ForOp::create(
      b, loc, t0, t1, idx(1), init,
      [&](OpBuilder &, Location, Value jt, ValueRange state) {
        Value buffer = remu(sub(jt, t0), idx(2));
        Value key0 = add(kStart, mul(jt, idx(keyTile)));
        // Prefetch tile jt + 1 into the other buffer (zero-filled past the
        // last tile), then wait for tile jt.
        Value next = copyKv(sub(idx(1), buffer), add(key0, idx(keyTile)));
        nvgpu::DeviceAsyncWaitOp::create(b, loc, next, b.getI32IntegerAttr(1));
        gpu::BarrierOp::create(b, loc);

        // S = Q K^T. B fragments of 8 keys by ldmatrix.x4 whose matrices are
        // columns k, k+8, k+16, k+24: two k-steps per load (.x2 for a last
        // odd step).
        Value kRow = laneMod8;
        SmallVector<Value> sAcc(nTilesS, zeroAcc);
        for (int64_t kk = 0; kk < d / 16; kk += 2) {
          bool pair = kk + 1 < d / 16;
          Value kCol = mul(pair ? laneDiv8 : remu(laneDiv8, idx(2)), idx(8));
          for (int64_t n = 0; n < nTilesS; ++n) {
            Value frags = nvgpu::LdMatrixOp::create(
                b, loc, fragType(pair ? 4 : 2, elt), ks,
                ValueRange{buffer, add(kRow, idx(n * 8)),
                           add(kCol, idx(kk * 16))},
                /*transpose=*/false, /*numTiles=*/pair ? 4 : 2);
            sAcc[n] = mma(qFrags[kk], half(frags, 0), sAcc[n]);
            if (pair)
              sAcc[n] = mma(qFrags[kk + 1], half(frags, 1), sAcc[n]);
          }
        }
        // The thread's scores: row r (g, g + 8), column c (tile c / 2,
        // element c % 2).
        SmallVector<Value> s;
        for (int64_t r = 0; r < 2; ++r)
          for (int64_t n = 0; n < nTilesS; ++n)
            for (int64_t e = 0; e < 2; ++e)
              s.push_back(vector::ExtractOp::create(b, loc, sAcc[n],
                                                    ArrayRef<int64_t>{r, e}));
        scaleScores(s);

        // Masking only where the tile needs it: keys past Sk, a mask
        // operand, or a causal/window bound crossing the tile.
        auto [lo, hi] = flash::getDiagonalBounds(op);
        Value needsMask =
            cmp(arith::CmpIPredicate::sgt, add(key0, idx(keyTile)), sk);
        if (dmask)
          needsMask = arith::ConstantIntOp::create(b, loc, 1, 1);
        if (hi < std::numeric_limits<int32_t>::max())
          needsMask = arith::OrIOp::create(
              b, loc, needsMask,
              cmp(arith::CmpIPredicate::sgt,
                  sub(sub(add(key0, idx(keyTile - 1)), iMin), offset),
                  idx(hi)));
        if (lo > std::numeric_limits<int32_t>::min())
          needsMask =
              arith::OrIOp::create(b, loc, needsMask,
                                   cmp(arith::CmpIPredicate::slt,
                                       sub(sub(key0, iMax), offset), idx(lo)));
        SmallVector<Type> sTypes(s.size(), f32);
        auto maskIf = scf::IfOp::create(b, loc, sTypes, needsMask,
                                        /*withElseRegion=*/true);
        {
          OpBuilder::InsertionGuard g2(b);
          b.setInsertionPointToStart(&maskIf.getThenRegion().front());
          SmallVector<Value> masked(s);
          maskScores(masked, key0);
          scf::YieldOp::create(b, loc, masked);
          b.setInsertionPointToStart(&maskIf.getElseRegion().front());
          scf::YieldOp::create(b, loc, s);
        }
        s.assign(maskIf.getResults().begin(), maskIf.getResults().end());

        // Online softmax, per row (base 2). A row with no kept key so far
        // keeps m = -inf and uses 0 as its reference, so that its
        // probabilities are exp2(-inf) = 0, not NaN.
        int64_t perRow = s.size() / 2;
        SmallVector<Value> next2 = {state[0], state[1], state[2], state[3]};
        SmallVector<Value> alpha(2);
        for (int64_t r = 0; r < 2; ++r) {
          Value mx = s[r * perRow];
          for (int64_t c = 1; c < perRow; ++c)
            mx = maxf(mx, s[r * perRow + c]);
          Value mNew = maxf(state[r], rowReduce(mx, /*isMax=*/true));
          Value mRef =
              select(arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                           mNew, ninf),
                     f32Const(0.0), mNew);
          alpha[r] = exp2(arith::SubFOp::create(b, loc, state[r], mRef));
          Value sum = f32Const(0.0);
          for (int64_t c = 0; c < perRow; ++c) {
            Value &x = s[r * perRow + c];
            x = exp2(arith::SubFOp::create(b, loc, x, mRef));
            sum = arith::AddFOp::create(b, loc, sum, x);
          }
          // The thread's partial sum: the row's total is reduced once, at
          // the end.
          next2[r] = mNew;
          next2[2 + r] = fma(state[2 + r], alpha[r], sum);
        }

        // O = alpha O + P V: P's A fragments are the S accumulators of two
        // neighbouring n tiles, rounded to the input type; V's B fragments
        // by ldmatrix.x2.trans of 16 keys x 8 columns.
        Value alphaVec = vector::FromElementsOp::create(
            b, loc, accType,
            ValueRange{alpha[0], alpha[0], alpha[1], alpha[1]});
        SmallVector<Value> o;
        for (int64_t n = 0; n < dv / 8; ++n)
          o.push_back(arith::MulFOp::create(b, loc, state[4 + n], alphaVec));
        // V's B fragments by ldmatrix.x4.trans: 16 keys x columns n*8 and
        // n*8+8, two n-tiles per load.
        Value vRow = remu(lane, idx(16));
        Value vCol = mul(divu(lane, idx(16)), idx(8));
        for (int64_t kk = 0; kk < keyTile / 16; ++kk) {
          SmallVector<Value> pElts;
          for (int64_t h = 0; h < 2; ++h)
            for (int64_t r = 0; r < 2; ++r)
              for (int64_t e = 0; e < 2; ++e)
                pElts.push_back(arith::TruncFOp::create(
                    b, loc, elt, s[r * perRow + (2 * kk + h) * 2 + e]));
          Value pFrag =
              vector::FromElementsOp::create(b, loc, fragType(4, elt), pElts);
          for (int64_t n = 0; n < dv / 8; n += 2) {
            Value frags = nvgpu::LdMatrixOp::create(
                b, loc, fragType(4, elt), vs,
                ValueRange{buffer, add(vRow, idx(kk * 16)),
                           add(vCol, idx(n * 8))},
                /*transpose=*/true, /*numTiles=*/4);
            o[n] = mma(pFrag, half(frags, 0), o[n]);
            o[n + 1] = mma(pFrag, half(frags, 1), o[n + 1]);
          }
        }
        // Every warp is done with this buffer before it is refilled.
        gpu::BarrierOp::create(b, loc);
        next2.append(o);
        scf::YieldOp::create(b, loc, next2);
      });
  // The last prefetch (of zeros) lands before the block exits.
  nvgpu::DeviceAsyncWaitOp::create(b, loc, first, b.getI32IntegerAttr(0));

  // out = O / l, 0 for rows with no kept key; rows past Sq are not stored.
  // With key splits: this split's O, max and sum, for the combine kernel.
  Type outElt = op.getResult().getType().getElementType();
  for (int64_t r = 0; r < 2; ++r) {
    Value l = rowReduce(loop.getResult(2 + r), /*isMax=*/false);
    if (splits > 1) {
      scf::IfOp::create(b, loc, rowValid[r], [&](OpBuilder &, Location) {
        SmallVector<Value> at = {split, bIdx, rowHead[r], rowQuery[r]};
        for (int64_t n = 0; n < dv / 8; ++n) {
          Value pair = vector::ExtractOp::create(b, loc, loop.getResult(4 + n),
                                                 ArrayRef<int64_t>{r});
          SmallVector<Value> col(at);
          col.push_back(add(mul(t4, idx(2)), idx(n * 8)));
          vector::StoreOp::create(b, loc, pair, partO, col,
                                  /*nontemporal=*/false, llvm::Align(8));
        }
        Value ml =
            vector::FromElementsOp::create(b, loc, VectorType::get({2}, f32),
                                           ValueRange{loop.getResult(r), l});
        SmallVector<Value> mlAt(at);
        mlAt.push_back(idx(0));
        vector::StoreOp::create(b, loc, ml, partML, mlAt,
                                /*nontemporal=*/false, llvm::Align(8));
        scf::YieldOp::create(b, loc);
      });
      continue;
    }
    Value inv =
        select(arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, l,
                                     f32Const(0.0)),
               arith::DivFOp::create(b, loc, f32Const(1.0), l), f32Const(0.0));
    scf::IfOp::create(b, loc, rowValid[r], [&](OpBuilder &, Location) {
      for (int64_t n = 0; n < dv / 8; ++n) {
        SmallVector<Value> elts;
        for (int64_t e = 0; e < 2; ++e) {
          Value x = vector::ExtractOp::create(b, loc, loop.getResult(4 + n),
                                              ArrayRef<int64_t>{r, e});
          x = arith::MulFOp::create(b, loc, x, inv);
          if (outElt != f32)
            x = arith::TruncFOp::create(b, loc, outElt, x);
          elts.push_back(x);
        }
        Value vec = vector::FromElementsOp::create(
            b, loc, VectorType::get({2}, outElt), elts);
        // The pair starts at an even column of a row of even length: one
        // 4-byte (8 for f32) store rather than two.
        vector::StoreOp::create(
            b, loc, vec, dout,
            ValueRange{bIdx, rowHead[r], rowQuery[r],
                       add(mul(t4, idx(2)), idx(n * 8))},
            /*nontemporal=*/false,
            llvm::Align(2 * outElt.getIntOrFloatBitWidth() / 8));
      }
      scf::YieldOp::create(b, loc);
    });
  }
}

void GpuFlashBuilder::emitCombine(gpu::LaunchOp launch) {
  // Element e of the result, [b, h, i, c] row-major.
  Value e =
      add(mul(launch.getBlockIds().x, idx(kThreads)), launch.getThreadIds().x);
  SmallVector<Value> sizes;
  for (int64_t i = 0; i < 3; ++i)
    sizes.push_back(memref::DimOp::create(b, loc, dout, i));
  Value total = mul(mul(sizes[0], sizes[1]), mul(sizes[2], idx(dv)));
  scf::IfOp::create(
      b, loc, cmp(arith::CmpIPredicate::ult, e, total),
      [&](OpBuilder &, Location) {
        Value c = remu(e, idx(dv));
        Value rest = divu(e, idx(dv));
        Value i = remu(rest, sizes[2]);
        rest = divu(rest, sizes[2]);
        Value h = remu(rest, sizes[1]);
        Value bi = divu(rest, sizes[1]);
        auto load = [&](Value mem, Value s, Value last) -> Value {
          return memref::LoadOp::create(b, loc, mem,
                                        ValueRange{s, bi, h, i, last});
        };
        // The largest split max (base 2), 0 when every split is empty.
        Value ninf = f32Const(-std::numeric_limits<float>::infinity());
        auto maxLoop = scf::ForOp::create(
            b, loc, idx(0), idx(splits), idx(1), ValueRange{ninf},
            [&](OpBuilder &, Location, Value s, ValueRange acc) {
              scf::YieldOp::create(
                  b, loc, ValueRange{maxf(acc[0], load(partML, s, idx(0)))});
            });
        Value m = maxLoop.getResult(0);
        Value mRef = select(
            arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, m, ninf),
            f32Const(0.0), m);
        auto sumLoop = scf::ForOp::create(
            b, loc, idx(0), idx(splits), idx(1),
            ValueRange{f32Const(0.0), f32Const(0.0)},
            [&](OpBuilder &, Location, Value s, ValueRange acc) {
              Value w = exp2(
                  arith::SubFOp::create(b, loc, load(partML, s, idx(0)), mRef));
              scf::YieldOp::create(
                  b, loc,
                  ValueRange{fma(load(partML, s, idx(1)), w, acc[0]),
                             fma(load(partO, s, c), w, acc[1])});
            });
        Value l = sumLoop.getResult(0);
        Value x =
            select(arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, l,
                                         f32Const(0.0)),
                   arith::DivFOp::create(b, loc, sumLoop.getResult(1), l),
                   f32Const(0.0));
        Type outElt = op.getResult().getType().getElementType();
        if (outElt != f32)
          x = arith::TruncFOp::create(b, loc, outElt, x);
        memref::StoreOp::create(b, loc, x, dout, ValueRange{bi, h, i, c});
        scf::YieldOp::create(b, loc);
      });
}

/// Key splits for `op`: with static shapes whose row tiles would fill few
/// multiprocessors (decoding: Sq small, Sk long), enough splits for about
/// `kTargetBlocks` blocks, each with at least two key tiles.
int64_t chooseKeySplits(SdpaOp op, int64_t keyTile, int64_t requested) {
  if (requested > 0)
    return requested;
  constexpr int64_t kTargetBlocks = 256;
  RankedTensorType q = op.getQuery().getType(), k = op.getKey().getType();
  if (!q.hasStaticShape() || !k.hasStaticShape() || k.getDimSize(1) == 0)
    return 1;
  int64_t rows = q.getDimSize(1) / k.getDimSize(1) * q.getDimSize(2);
  int64_t blocks = q.getDimSize(0) * k.getDimSize(1) *
                   ((rows + kQueryTile - 1) / kQueryTile);
  int64_t keyTiles = (k.getDimSize(2) + keyTile - 1) / keyTile;
  if (blocks == 0 || blocks * 2 > kTargetBlocks)
    return 1;
  int64_t splits = std::max<int64_t>(
      1, std::min((kTargetBlocks + blocks - 1) / blocks, keyTiles / 2));
  // As many splits as the tiles fill: none is left empty.
  int64_t tilesPerSplit = (keyTiles + splits - 1) / splits;
  return (keyTiles + tilesPerSplit - 1) / tilesPerSplit;
}

/// Why `op` cannot run on the GPU kernel, or "".
std::string getUnsupportedReason(SdpaOp op, int64_t keyTile) {
  Type elt = op.getQuery().getType().getElementType();
  if (!elt.isF16() && !elt.isBF16())
    return "the GPU kernel takes f16 or bf16 q/k/v (tensor-core mma.sync); "
           "convert f32 inputs first";
  int64_t d = op.getQuery().getType().getDimSize(3);
  int64_t dv = op.getValue().getType().getDimSize(3);
  if (d % 16 || dv % 16 || d > kMaxHeadDim || dv > kMaxHeadDim)
    return "the GPU kernel needs head dims that are multiples of 16, up to " +
           std::to_string(kMaxHeadDim) + " (got D = " + std::to_string(d) +
           ", Dv = " + std::to_string(dv) + ")";
  if (getSharedBytes(d, dv, keyTile) > kMaxSharedBytes)
    return "key-block " + std::to_string(keyTile) + " needs " +
           std::to_string(getSharedBytes(d, dv, keyTile)) +
           " bytes of shared memory, more than " +
           std::to_string(kMaxSharedBytes);
  return "";
}

struct AttnGpuFlashPass : attn::impl::AttnGpuFlashPassBase<AttnGpuFlashPass> {
  using Base::Base;

  void runOnOperation() override {
    if (keyBlock < 16 || keyBlock % 16 || keySplits < 0 || keySplits > 1024) {
      getOperation()->emitError()
          << "attn-gpu-flash: key-block must be a positive multiple of 16 and "
             "key-splits in [0, 1024]";
      return signalPassFailure();
    }
    SmallVector<SdpaOp> ops;
    getOperation()->walk([&](SdpaOp op) { ops.push_back(op); });
    for (SdpaOp op : ops) {
      if (failed(checkIndexableShapes(op)))
        return signalPassFailure();
      std::string reason = getUnsupportedReason(op, keyBlock);
      if (!reason.empty()) {
        op.emitOpError("cannot be lowered to a GPU kernel: ") << reason;
        return signalPassFailure();
      }
      OpBuilder b(op);
      Value result = GpuFlashBuilder(b, op.getLoc(), op, keyBlock,
                                     chooseKeySplits(op, keyBlock, keySplits))
                         .build();
      op.getResult().replaceAllUsesWith(result);
      op.erase();
    }
  }
};

} // namespace

namespace {
struct LaunchFuncMemoryEffects
    : MemoryEffectOpInterface::ExternalModel<LaunchFuncMemoryEffects,
                                             gpu::LaunchFuncOp> {
  void
  getEffects(Operation *op,
             SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
                 &effects) const {
    for (OpOperand &operand : op->getOpOperands()) {
      if (!isa<BaseMemRefType>(operand.get().getType()))
        continue;
      effects.emplace_back(MemoryEffects::Read::get(), &operand,
                           SideEffects::DefaultResource::get());
      effects.emplace_back(MemoryEffects::Write::get(), &operand,
                           SideEffects::DefaultResource::get());
    }
  }
};
} // namespace

void attn::registerGpuLaunchMemoryEffects(DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, gpu::GPUDialect *) {
    gpu::LaunchFuncOp::attachInterface<LaunchFuncMemoryEffects>(*ctx);
  });
}
