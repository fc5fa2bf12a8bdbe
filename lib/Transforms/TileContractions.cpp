//===- TileContractions.cpp - linalg contractions as tiled matmuls -*- C++ -*-//
//
// Part of the attn-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Frontends leave the projections around attention (and everything else that
// is a matmul) as linalg contractions: linalg.matmul, batch_matmul, their
// transposed-operand forms and contraction generics. This pass gives them the
// kernel of the projections (TiledMatmul.h) by viewing any contraction as
//
//   C(t, m, n) = C0 + sum_k A(t, m, k) B(t, k, n)
//
// with t the linearized batch dims, m the linearized M dims, and k the K dims
// iterated as nested loops; operands are read through their indexing maps, so
// transposed layouts need no copies.
//
//===----------------------------------------------------------------------===//

#include "TiledMatmul.h"
#include "attn/Transforms/Passes.h"
#include "attn/Transforms/Transforms.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Matchers.h"

namespace mlir {
namespace attn {
#define GEN_PASS_DEF_ATTNTILECONTRACTIONSPASS
#include "attn/Transforms/Passes.h.inc"
} // namespace attn
} // namespace mlir

using namespace mlir;
using namespace mlir::attn;

namespace {

/// A contraction as the kernel sees it: inputs read through copies,
/// transposes and broadcasts (so that a weight broadcast over the batch is
/// read once, and the dims it was broadcast along become M dims).
struct Contraction {
  linalg::LinalgOp op;
  Value lhs, rhs;
  SmallVector<AffineMap> maps;
  linalg::ContractionDimensions dims;
};

/// If `v` is a pure copy of another tensor (linalg.transpose, broadcast,
/// copy, or a generic yielding its input), returns that tensor and composes
/// `map` (from loops to `v`'s indices) into one to its indices.
Value lookThroughCopy(Value v, AffineMap &map) {
  while (auto copy = v.getDefiningOp<linalg::LinalgOp>()) {
    if (copy.getNumDpsInputs() != 1 || copy.getNumDpsInits() != 1 ||
        copy.getNumReductionLoops() != 0 || !copy.hasPureTensorSemantics())
      return v;
    Block *body = copy.getBlock();
    auto yield = cast<linalg::YieldOp>(body->getTerminator());
    if (body->getOperations().size() != 1 ||
        yield.getOperand(0) != body->getArgument(0))
      return v;
    AffineMap in = copy.getIndexingMapsArray()[0];
    AffineMap out = copy.getIndexingMapsArray()[1];
    if (!out.isPermutation())
      return v;
    map = in.compose(inversePermutation(out)).compose(map);
    v = copy.getDpsInputs()[0];
  }
  return v;
}

/// The contractions this pass takes: float operands, one N dim, and every
/// loop a batch, M, N or K dim read through a permutation.
FailureOr<Contraction> matchContraction(linalg::LinalgOp op) {
  if (!op.hasPureTensorSemantics() || !linalg::isaContractionOpInterface(op))
    return failure();
  Contraction c;
  c.op = op;
  c.maps = op.getIndexingMapsArray();
  c.lhs = lookThroughCopy(op.getDpsInputs()[0], c.maps[0]);
  c.rhs = lookThroughCopy(op.getDpsInputs()[1], c.maps[1]);
  SmallVector<Value, 3> operands = {c.lhs, c.rhs, op.getDpsInits()[0]};
  for (auto [v, map] : llvm::zip(operands, c.maps)) {
    auto type = dyn_cast<RankedTensorType>(v.getType());
    if (!type || !isa<FloatType>(type.getElementType()) ||
        !map.isProjectedPermutation(/*allowZeroInResults=*/false))
      return failure();
  }
  FailureOr<linalg::ContractionDimensions> dims =
      linalg::inferContractionDims(c.maps);
  if (failed(dims) || dims->n.size() != 1 || dims->m.empty() ||
      dims->k.empty() ||
      dims->batch.size() + dims->m.size() + dims->n.size() + dims->k.size() !=
          op.getNumLoops())
    return failure();
  c.dims = *dims;
  return c;
}

/// An elementwise add that is the contraction's only user and adds a tensor
/// indexed by the N dim alone (a linear layer's bias, broadcast over the
/// rows): the kernel adds it in its epilogue instead of materializing the
/// product and the broadcast.
struct BiasAdd {
  linalg::GenericOp op;
  Value bias;
  /// From the result's dims to the bias's indices: each is the N dim or 0.
  AffineMap map;
};

std::optional<BiasAdd> matchBiasAdd(const Contraction &c) {
  Value product = c.op->getResult(0);
  if (!product.hasOneUse())
    return std::nullopt;
  auto add = dyn_cast<linalg::GenericOp>(*product.getUsers().begin());
  if (!add || add.getNumDpsInputs() != 2 || add.getNumDpsInits() != 1 ||
      !add.hasPureTensorSemantics() ||
      add.getNumParallelLoops() != add.getNumLoops() ||
      add.getResult(0).getType() != product.getType())
    return std::nullopt;
  Block *body = add.getBlock();
  auto yield = cast<linalg::YieldOp>(body->getTerminator());
  auto addf = yield.getOperand(0).getDefiningOp<arith::AddFOp>();
  if (body->getOperations().size() != 2 || !addf || addf->getBlock() != body ||
      !llvm::is_contained(addf->getOperands(), body->getArgument(0)) ||
      !llvm::is_contained(addf->getOperands(), body->getArgument(1)))
    return std::nullopt;
  unsigned self = add.getDpsInputs()[0] == product ? 0 : 1;
  SmallVector<AffineMap> maps = add.getIndexingMapsArray();
  if (add.getDpsInputs()[self] != product || !maps[self].isIdentity() ||
      !maps[2].isIdentity())
    return std::nullopt;

  BiasAdd bias{add, add.getDpsInputs()[1 - self], maps[1 - self]};
  bias.bias = lookThroughCopy(bias.bias, bias.map);
  auto type = dyn_cast<RankedTensorType>(bias.bias.getType());
  if (!type || !isa<FloatType>(type.getElementType()))
    return std::nullopt;
  // The result dim that holds N.
  unsigned nDim = c.dims.n.front();
  std::optional<unsigned> nResult =
      c.maps[2].getResultPosition(getAffineDimExpr(nDim, add.getContext()));
  for (AffineExpr e : bias.map.getResults()) {
    auto dim = dyn_cast<AffineDimExpr>(e);
    auto cst = dyn_cast<AffineConstantExpr>(e);
    if (!(dim && nResult && dim.getPosition() == *nResult) &&
        !(cst && cst.getValue() == 0))
      return std::nullopt;
  }
  return bias;
}

/// True when `init` is all zeros, so the sums need not be added to it.
bool isZeroInit(Value init) {
  if (auto fill = init.getDefiningOp<linalg::FillOp>())
    return matchPattern(fill.getInputs().front(), m_AnyZeroFloat());
  return matchPattern(init, m_AnyZeroFloat());
}

/// Reshapes and transposes between the contraction (or its bias add) and
/// their only use, as frontends split and merge heads: the kernel stores
/// straight into the layout of the last transpose instead of materializing
/// each step. Taken only up to a transpose (an expand_shape alone is a view
/// already), and only for a zero init, whose C0 need not be copied.
struct OutputLayout {
  struct Step {
    /// An expand_shape: per source dim, the static sizes it splits into.
    SmallVector<SmallVector<int64_t>> groups;
    /// Else a transpose: result dim i is source dim permutation[i].
    SmallVector<int64_t> permutation;
  };
  SmallVector<Step> steps;
  /// The ops folded, first to last; the last one's result is replaced.
  SmallVector<Operation *> ops;
};

OutputLayout matchOutputLayout(Value result) {
  OutputLayout layout, taken;
  while (result.hasOneUse()) {
    Operation *user = *result.getUsers().begin();
    OutputLayout::Step step;
    if (auto expand = dyn_cast<tensor::ExpandShapeOp>(user)) {
      ArrayRef<int64_t> shape = expand.getResultType().getShape();
      for (const ReassociationIndices &group :
           expand.getReassociationIndices()) {
        SmallVector<int64_t> sizes;
        for (int64_t i : group)
          sizes.push_back(shape[i]);
        // Splitting a dynamic dim needs sizes computed after the
        // contraction; not taken.
        if (sizes.size() > 1 && llvm::is_contained(sizes, ShapedType::kDynamic))
          return taken;
        step.groups.push_back(std::move(sizes));
      }
    } else if (auto transpose = dyn_cast<linalg::TransposeOp>(user)) {
      if (!transpose.hasPureTensorSemantics())
        return taken;
      step.permutation.assign(transpose.getPermutation().begin(),
                              transpose.getPermutation().end());
    } else {
      break;
    }
    layout.steps.push_back(std::move(step));
    layout.ops.push_back(user);
    result = user->getResult(0);
    if (!layout.steps.back().permutation.empty())
      taken = layout;
  }
  return taken;
}

class ContractionLowering {
public:
  ContractionLowering(OpBuilder &b, const Contraction &c,
                      const std::optional<BiasAdd> &bias,
                      const OutputLayout &layout, int64_t w)
      : b(b), loc(c.op->getLoc()), op(c.op), dims(c.dims), maps(c.maps),
        lhsTensor(c.lhs), rhsTensor(c.rhs), bias(bias), layout(layout), w(w) {}

  Value build();

private:
  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value toBuffer(Value t) { return toReadOnlyBuffer(b, loc, t); }
  Value product(ArrayRef<unsigned> loops) {
    if (loops.empty())
      return idx(1);
    Value p = extents[loops.front()];
    for (unsigned d : loops.drop_front())
      p = arith::MulIOp::create(b, loc, p, extents[d]);
    return p;
  }
  /// Sets ivs[loops...] from their row-major linearization `linear`.
  void delinearize(Value linear, ArrayRef<unsigned> loops,
                   MutableArrayRef<Value> ivs) {
    for (unsigned i = loops.size(); i-- > 0;) {
      if (i == 0) {
        ivs[loops[i]] = linear;
        break;
      }
      ivs[loops[i]] = arith::RemUIOp::create(b, loc, linear, extents[loops[i]]);
      linear = arith::DivUIOp::create(b, loc, linear, extents[loops[i]]);
    }
  }
  /// Indices (or, with `sizes`, the extents) of the contraction's result
  /// carried through the layout's steps.
  SmallVector<Value> applyLayout(SmallVector<Value> values, bool sizes) {
    for (const OutputLayout::Step &step : layout.steps) {
      SmallVector<Value> next;
      if (!step.permutation.empty()) {
        for (int64_t p : step.permutation)
          next.push_back(values[p]);
      } else {
        for (auto [value, group] : llvm::zip_equal(values, step.groups)) {
          // Row-major delinearization over the group's sizes.
          SmallVector<Value> parts(group.size());
          Value rest = value;
          for (size_t j = group.size(); j-- > 1;) {
            if (sizes) {
              parts[j] = idx(group[j]);
              continue;
            }
            parts[j] = arith::RemUIOp::create(b, loc, rest, idx(group[j]));
            rest = arith::DivUIOp::create(b, loc, rest, idx(group[j]));
          }
          parts[0] = sizes && group.size() > 1 ? idx(group[0]) : rest;
          next.append(parts.begin(), parts.end());
        }
      }
      values = std::move(next);
    }
    return values;
  }
  /// Whether W consecutive columns n (from a multiple of W) stay consecutive
  /// in the final layout: N's innermost piece is the innermost dim there and
  /// holds whole vectors.
  bool storesWholeVectors(unsigned nResult) {
    unsigned pos = nResult;
    int64_t piece = ShapedType::kDynamic;
    for (const OutputLayout::Step &step : layout.steps) {
      if (!step.permutation.empty()) {
        pos = llvm::find(step.permutation, pos) - step.permutation.begin();
        continue;
      }
      unsigned first = 0;
      for (unsigned i = 0; i < pos; ++i)
        first += step.groups[i].size();
      if (step.groups[pos].size() > 1)
        piece = step.groups[pos].back();
      pos = first + step.groups[pos].size() - 1;
    }
    unsigned rank =
        layout.steps.empty()
            ? maps[2].getNumResults()
            : cast<RankedTensorType>(layout.ops.back()->getResult(0).getType())
                  .getRank();
    return pos + 1 == rank && (ShapedType::isDynamic(piece) || piece % w == 0);
  }
  /// Indices of operand `i` at loop indices `ivs`.
  SmallVector<Value> at(unsigned i, ArrayRef<Value> ivs) {
    SmallVector<Value> indices;
    for (AffineExpr e : maps[i].getResults())
      indices.push_back(ivs[cast<AffineDimExpr>(e).getPosition()]);
    return indices;
  }

  OpBuilder &b;
  Location loc;
  linalg::LinalgOp op;
  const linalg::ContractionDimensions &dims;
  ArrayRef<AffineMap> maps;
  Value lhsTensor, rhsTensor;
  const std::optional<BiasAdd> &bias;
  const OutputLayout &layout;
  int64_t w;
  SmallVector<Value> extents;
};

} // namespace

Value ContractionLowering::build() {
  for (Range range : op.createLoopRanges(b, loc))
    extents.push_back(getValueOrCreateConstantIndexOp(b, loc, range.size));
  Value lhs = toBuffer(lhsTensor);
  Value rhs = toBuffer(rhsTensor);
  Value init = op.getDpsInits()[0];
  auto resultType = cast<RankedTensorType>(
      layout.ops.empty() ? init.getType()
                         : layout.ops.back()->getResult(0).getType());
  Type outElt = resultType.getElementType();
  // The result's sizes, from the loop extents, in the final layout.
  SmallVector<Value> sizes = applyLayout(at(2, extents), /*sizes=*/true);
  SmallVector<Value> dynSizes;
  for (int64_t i = 0; i < resultType.getRank(); ++i)
    if (resultType.isDynamicDim(i))
      dynSizes.push_back(sizes[i]);
  Value out = memref::AllocOp::create(
      b, loc, MemRefType::get(resultType.getShape(), outElt), dynSizes);
  bool accumulate = !isZeroInit(init);
  if (accumulate)
    memref::CopyOp::create(b, loc, toBuffer(init), out);
  unsigned nDim = dims.n.front();
  TiledMatmul mm;
  mm.vectorWidth = w;
  mm.problems = product(dims.batch);
  mm.rows = product(dims.m);
  mm.cols = extents[nDim];
  for (unsigned d : dims.k)
    mm.depth.push_back(extents[d]);
  mm.sharedB = dims.batch.empty();
  // Broadcast straight from A when its innermost dim is the one K dim.
  mm.directA =
      dims.k.size() == 1 &&
      cast<RankedTensorType>(lhsTensor.getType()).getElementType().isF32() &&
      cast<AffineDimExpr>(maps[0].getResults().back()).getPosition() ==
          dims.k.front();
  auto rowIndices = [&](OpBuilder &, Location, Value t, Value row) {
    SmallVector<Value> ivs(op.getNumLoops());
    delinearize(t, dims.batch, ivs);
    delinearize(row, dims.m, ivs);
    return ivs;
  };
  mm.rowIndices = rowIndices;
  auto loadA = [&](OpBuilder &, Location, ArrayRef<Value> row, ValueRange k) {
    SmallVector<Value> ivs(row);
    for (auto [d, iv] : llvm::zip_equal(dims.k, k))
      ivs[d] = iv;
    return memref::LoadOp::create(b, loc, lhs, at(0, ivs)).getResult();
  };
  mm.loadA = loadA;
  auto loadB = [&](OpBuilder &, Location, Value t, Value k, Value n) {
    SmallVector<Value> ivs(op.getNumLoops());
    delinearize(t, dims.batch, ivs);
    delinearize(k, dims.k, ivs);
    ivs[nDim] = n;
    return memref::LoadOp::create(b, loc, rhs, at(1, ivs)).getResult();
  };
  mm.loadB = loadB;
  auto store = [&](OpBuilder &, Location, ArrayRef<Value> row, Value n, Value v,
                   Value mask) {
    SmallVector<Value> ivs(row);
    ivs[nDim] = n;
    SmallVector<Value> indices = applyLayout(at(2, ivs), /*sizes=*/false);
    auto vecType = dyn_cast<VectorType>(v.getType());
    Type outType = vecType ? Type(VectorType::get({w}, outElt)) : outElt;
    if (accumulate) {
      Value c0;
      if (!vecType)
        c0 = memref::LoadOp::create(b, loc, out, indices);
      else if (mask)
        c0 = vector::MaskedLoadOp::create(
            b, loc, outType, out, indices, mask,
            arith::ConstantOp::create(b, loc, b.getZeroAttr(outType)));
      else
        c0 = vector::LoadOp::create(b, loc, outType, out, indices);
      if (outElt != b.getF32Type())
        c0 = arith::ExtFOp::create(b, loc, v.getType(), c0);
      v = arith::AddFOp::create(b, loc, v, c0);
    }
    if (outElt != b.getF32Type())
      v = arith::TruncFOp::create(b, loc, outType, v);
    if (!vecType)
      memref::StoreOp::create(b, loc, v, out, indices);
    else if (mask)
      vector::MaskedStoreOp::create(b, loc, out, indices, mask, v);
    else
      vector::StoreOp::create(b, loc, v, out, indices);
  };
  mm.store = store;
  Value biasBuffer = bias ? toBuffer(bias->bias) : Value();
  auto loadBias = [&](OpBuilder &, Location, Value n) {
    SmallVector<Value> indices;
    for (AffineExpr e : bias->map.getResults())
      indices.push_back(isa<AffineDimExpr>(e) ? n : idx(0));
    return memref::LoadOp::create(b, loc, biasBuffer, indices).getResult();
  };
  if (bias)
    mm.loadBias = loadBias;
  // Whole vectors only where N is the result's innermost (contiguous) dim.
  mm.vectorStores = storesWholeVectors(
      *maps[2].getResultPosition(getAffineDimExpr(nDim, b.getContext())));
  emitTiledMatmul(b, loc, mm);
  return bufferization::ToTensorOp::create(b, loc, resultType, out,
                                           /*restrict=*/true,
                                           /*writable=*/true);
}

namespace {
struct AttnTileContractionsPass
    : attn::impl::AttnTileContractionsPassBase<AttnTileContractionsPass> {
  using Base::Base;

  void runOnOperation() override {
    int64_t width = vectorWidth > 0 ? vectorWidth : getHostVectorWidth();
    // Matched one at a time: lowering one replaces values that a later
    // contraction may read. Lowering erases contractions and bias adds only,
    // and an add is never a contraction, so the list stays valid.
    SmallVector<linalg::LinalgOp> ops;
    getOperation()->walk([&](linalg::LinalgOp op) {
      if (linalg::isaContractionOpInterface(op))
        ops.push_back(op);
    });
    for (linalg::LinalgOp op : ops) {
      FailureOr<Contraction> match = matchContraction(op);
      if (failed(match))
        continue;
      Contraction &c = *match;
      std::optional<BiasAdd> bias = matchBiasAdd(c);
      Operation *last = bias ? bias->op.getOperation() : c.op.getOperation();
      OutputLayout layout;
      if (isZeroInit(c.op.getDpsInits()[0]))
        layout = matchOutputLayout(last->getResult(0));
      // The bias may be computed between the contraction and the add.
      OpBuilder b(last);
      Value result = ContractionLowering(b, c, bias, layout, width).build();
      if (!layout.ops.empty())
        last = layout.ops.back();
      last->getResult(0).replaceAllUsesWith(result);
      // The folded chain, then the add and the contraction, now unused.
      for (Operation *folded : llvm::reverse(layout.ops))
        folded->erase();
      if (bias)
        bias->op->erase();
      c.op->erase();
    }
  }
};
} // namespace
