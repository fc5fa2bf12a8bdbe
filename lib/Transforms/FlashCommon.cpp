//===- FlashCommon.cpp - pieces shared by the flash kernels -----*- C++ -*-===//
//
// Part of the attn-mlir project.
//
//===----------------------------------------------------------------------===//

#include "FlashCommon.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/X86Vector/X86VectorDialect.h"

#include <limits>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::flash;

std::optional<int64_t> flash::getStaticRowsPerKvHead(SdpaOp op) {
  RankedTensorType q = op.getQuery().getType(), k = op.getKey().getType();
  if (q.isDynamicDim(1) || q.isDynamicDim(2) || k.isDynamicDim(1) ||
      k.getDimSize(1) == 0)
    return std::nullopt;
  return q.getDimSize(1) / k.getDimSize(1) * q.getDimSize(2);
}

std::pair<int64_t, int64_t> flash::getDiagonalBounds(SdpaOp op) {
  std::optional<ArrayRef<int64_t>> window = op.getWindow();
  int64_t lo = window ? -(*window)[0] : std::numeric_limits<int32_t>::min();
  int64_t hi = op.getCausal() ? 0 : std::numeric_limits<int32_t>::max();
  if (window)
    hi = std::min<int64_t>(hi, (*window)[1]);
  return {lo, hi};
}

Value flash::exp2(OpBuilder &b, Location loc, Value t,
                  ArrayRef<float> coefficients, bool avx512) {
  auto type = cast<VectorType>(t.getType());
  auto intType = VectorType::get(type.getShape(), b.getI32Type());
  auto fSplat = [&](float v) -> Value {
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(type, b.getF32FloatAttr(v)));
  };
  auto iSplat = [&](int32_t v) -> Value {
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(intType, b.getI32IntegerAttr(v)));
  };
  auto polynomial = [&](Value f) {
    Value poly = fSplat(coefficients.back());
    for (float c : llvm::reverse(coefficients.drop_back()))
      poly = math::FmaOp::create(b, loc, poly, f, fSplat(c));
    return poly;
  };
  if (avx512 && type.getNumElements() == 16) {
    // poly(t - floor(t)) * 2^floor(t) in one vscalefps, whose mask zeroes
    // the lanes below 2^-126 (-inf included): no clamp, no exponent
    // arithmetic, no subnormal. A NaN t is unordered, so it stays unmasked
    // and gives NaN.
    Value keep = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UGE, t,
                                       fSplat(-126.0f));
    Value mask = vector::ExtractOp::create(
        b, loc,
        vector::BitCastOp::create(b, loc, VectorType::get({1}, b.getI16Type()),
                                  keep),
        ArrayRef<int64_t>{0});
    Value f =
        arith::SubFOp::create(b, loc, t, math::FloorOp::create(b, loc, t));
    // The op's operands go to llvm.x86.avx512.mask.scalef.ps.512 in order:
    // (scaled, exponents, passthrough, mask, rounding), whatever their names.
    // Rounding 4 is _MM_FROUND_CUR_DIRECTION (MXCSR's mode).
    return x86vector::MaskScaleFOp::create(
        b, loc, type, polynomial(f), t, fSplat(0.0f), mask,
        arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(4)));
  }
  // t < -127 ? -127 : t is one vmaxps that keeps a NaN t (arith.maximumf
  // needs NaN fix-ups, and a plain max would turn NaN into 2^-127).
  Value lowest = fSplat(-127.0f);
  t = arith::SelectOp::create(
      b, loc,
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, t, lowest),
      lowest, t);
  Value n = math::FloorOp::create(b, loc, t);
  Value poly = polynomial(arith::SubFOp::create(b, loc, t, n));
  Value bits = arith::ShLIOp::create(
      b, loc,
      arith::AddIOp::create(b, loc, arith::FPToSIOp::create(b, loc, intType, n),
                            iSplat(127)),
      iSplat(23));
  return arith::MulFOp::create(b, loc, poly,
                               arith::BitcastOp::create(b, loc, type, bits));
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

std::pair<Value, Value> flash::getBlockKeysOfRows(IndexBuilder &ib, SdpaOp op,
                                                  Value r0, Value count,
                                                  Value j0, Value nk, Value sq,
                                                  Value offset, Value sk) {
  auto [iMin, iMax] = getQueryRange(ib, r0, count, sq);
  auto [start, end] = getKeyRange(ib, op, iMin, iMax, offset, sk);
  Value to = ib.minIdx(nk, ib.sub(ib.maxIdx(end, j0), j0));
  Value from = ib.minIdx(to, ib.sub(ib.maxIdx(start, j0), j0));
  return {from, to};
}

/// A transpose the kernels can read or write in place: the innermost dim
/// stays innermost, so rows remain contiguous (vector loads and stores), and
/// only the strides of the other dims change.
static bool isRowPreservingTranspose(Operation *op) {
  auto transpose = dyn_cast_or_null<linalg::TransposeOp>(op);
  if (!transpose || !transpose.hasPureTensorSemantics())
    return false;
  ArrayRef<int64_t> perm = transpose.getPermutation();
  return perm.back() == static_cast<int64_t>(perm.size()) - 1;
}

linalg::TransposeOp flash::getFusedResultTranspose(SdpaOp op) {
  Value result = op.getResult();
  if (!result.hasOneUse() ||
      !isRowPreservingTranspose(*result.getUsers().begin()))
    return nullptr;
  return cast<linalg::TransposeOp>(*result.getUsers().begin());
}

SmallVector<Value> flash::transposeLanes(OpBuilder &b, Location loc,
                                         ArrayRef<Value> rows) {
  int64_t n = rows.size();
  assert(llvm::isPowerOf2_64(n) &&
         cast<VectorType>(rows.front().getType()).getNumElements() == n &&
         "a square of power-of-two vectors");
  SmallVector<Value> out(rows.begin(), rows.end());
  // Stage s: for rows i and i + s (bit s of i clear), lane j of row i with
  // bit s set trades places with lane j - s of row i + s.
  for (int64_t s = n / 2; s >= 1; s /= 2) {
    SmallVector<int64_t> lo, hi;
    for (int64_t j = 0; j < n; ++j) {
      lo.push_back(j & s ? n + j - s : j);
      hi.push_back(j & s ? n + j : j + s);
    }
    for (int64_t i = 0; i < n; ++i) {
      if (i & s)
        continue;
      Value a = out[i], c = out[i + s];
      out[i] = vector::ShuffleOp::create(b, loc, a, c, lo);
      out[i + s] = vector::ShuffleOp::create(b, loc, a, c, hi);
    }
  }
  return out;
}

void flash::replaceSdpa(SdpaOp op, Value result) {
  if (linalg::TransposeOp transpose = getFusedResultTranspose(op)) {
    transpose.getResult()[0].replaceAllUsesWith(result);
    transpose.erase();
  } else {
    op.getResult().replaceAllUsesWith(result);
  }
  op.erase();
}

void SdpaKernelBase::bindOperands() {
  auto toBuffer = [&](Value t) -> Value {
    auto type = cast<RankedTensorType>(t.getType());
    return bufferization::ToBufferOp::create(
        b, loc, MemRefType::get(type.getShape(), type.getElementType()), t,
        /*read_only=*/true);
  };
  // Heads split by a transpose of [B, S, H, D] (what frontends emit after
  // the projections) are read in place, through a strided view.
  auto operand = [&](Value t) -> Value {
    if (!isRowPreservingTranspose(t.getDefiningOp()))
      return toBuffer(t);
    auto transpose = t.getDefiningOp<linalg::TransposeOp>();
    return memref::TransposeOp::create(
        b, loc, toBuffer(transpose.getInput()),
        AffineMapAttr::get(AffineMap::getPermutationMap(
            transpose.getPermutation(), b.getContext())));
  };
  qm = operand(op.getQuery());
  km = operand(op.getKey());
  vm = operand(op.getValue());
  if (Value mask = op.getMask())
    maskm = toBuffer(mask);

  // The result is written in the layout of a transpose that merges the
  // heads back, when that is its only use.
  RankedTensorType rType = op.getResult().getType();
  SmallVector<Value> sizes;
  for (int64_t i = 0; i < 4; ++i)
    sizes.push_back(
        memref::DimOp::create(b, loc, i < 3 ? qm : vm, i).getResult());
  SmallVector<int64_t> perm = {0, 1, 2, 3};
  resultType = rType;
  linalg::TransposeOp transpose = getFusedResultTranspose(op);
  if (transpose) {
    perm.assign(transpose.getPermutation().begin(),
                transpose.getPermutation().end());
    resultType = cast<RankedTensorType>(transpose.getResult()[0].getType());
  }
  SmallVector<Value> dynSizes;
  for (int64_t i = 0; i < 4; ++i)
    if (resultType.isDynamicDim(i))
      dynSizes.push_back(sizes[perm[i]]);
  resultBuffer = memref::AllocOp::create(
      b, loc,
      MemRefType::get(resultType.getShape(), resultType.getElementType()),
      dynSizes);
  om = resultBuffer;
  if (transpose)
    om = memref::TransposeOp::create(
        b, loc, resultBuffer,
        AffineMapAttr::get(AffineMap::getPermutationMap(
            invertPermutationVector(perm), b.getContext())));

  batch = memref::DimOp::create(b, loc, qm, 0);
  Value heads = memref::DimOp::create(b, loc, qm, 1);
  sq = memref::DimOp::create(b, loc, qm, 2);
  sk = memref::DimOp::create(b, loc, km, 2);
  kvHeads = memref::DimOp::create(b, loc, km, 1);
  group = arith::DivUIOp::create(b, loc, heads, kvHeads);
  offset = sub(sk, sq);
  rows = mul(group, sq);
}

Value SdpaKernelBase::resultTensor() {
  return bufferization::ToTensorOp::create(b, loc, resultType, resultBuffer,
                                           /*restrict=*/true,
                                           /*writable=*/true);
}

void SdpaKernelBase::inAllocaScope(function_ref<void()> body) {
  auto scope = memref::AllocaScopeOp::create(b, loc, TypeRange{});
  Region &region = scope.getBodyRegion();
  if (region.empty())
    region.emplaceBlock();
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&region.front());
  body();
  memref::AllocaScopeReturnOp::create(b, loc, ValueRange{});
}

Value SdpaKernelBase::stackScratch(ArrayRef<int64_t> shape, Type elt) {
  return memref::AllocaOp::create(b, loc, MemRefType::get(shape, elt),
                                  b.getI64IntegerAttr(kCacheLineBytes));
}

Value SdpaKernelBase::sliceOf(Value buffer, Value i) {
  auto type = cast<MemRefType>(buffer.getType());
  int64_t rank = type.getRank();
  SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0));
  offsets[0] = i;
  SmallVector<OpFoldResult> sizes = {b.getIndexAttr(1)};
  for (int64_t dim : type.getShape().drop_front())
    sizes.push_back(b.getIndexAttr(dim));
  SmallVector<OpFoldResult> strides(rank, b.getIndexAttr(1));
  auto sliceType = memref::SubViewOp::inferRankReducedResultType(
      type.getShape().drop_front(), type, offsets, sizes, strides);
  return memref::SubViewOp::create(b, loc, cast<MemRefType>(sliceType), buffer,
                                   offsets, sizes, strides);
}

Value SdpaKernelBase::allocScratch(MemRefType type, ValueRange dynamicSizes) {
  if (!workspaces)
    return memref::AllocOp::create(b, loc, type, dynamicSizes,
                                   b.getI64IntegerAttr(kCacheLineBytes));
  Value buffer = WorkspaceAcquireOp::create(b, loc, type, dynamicSizes);
  acquired.push_back(buffer);
  return buffer;
}

void SdpaKernelBase::releaseScratch() {
  for (Value buffer : acquired)
    WorkspaceReleaseOp::create(b, loc, buffer);
  acquired.clear();
}

std::pair<Value, Value> SdpaKernelBase::rowToHeadQuery(Value row) {
  Value h = add(mul(kvHead, group), arith::DivUIOp::create(b, loc, row, sq));
  return {h, arith::RemUIOp::create(b, loc, row, sq)};
}
