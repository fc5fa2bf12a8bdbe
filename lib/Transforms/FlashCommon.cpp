//===- FlashCommon.cpp - pieces shared by the flash kernels -----*- C++ -*-===//
//
// Part of the attn-mlir project.
//
//===----------------------------------------------------------------------===//

#include "FlashCommon.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

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

void SdpaKernelBase::bindOperands() {
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
  return bufferization::ToTensorOp::create(b, loc, op.getResult().getType(), om,
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

std::pair<Value, Value> SdpaKernelBase::rowToHeadQuery(Value row) {
  Value h = add(mul(kvHead, group), arith::DivUIOp::create(b, loc, row, sq));
  return {h, arith::RemUIOp::create(b, loc, row, sq)};
}
