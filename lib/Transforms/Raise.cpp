//===- Raise.cpp - unfused attention in upstream dialects to attn -*- C++
//-*-===//
//
// Part of the attn-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Finds `softmax(Q K^T * scale + mask) V` written as separate linalg, tosa
// and arith/math ops and replaces it by one `attn.sdpa`.
//
// Every tensor value is read as a scalar expression over an iteration space:
// elementwise producers (linalg ops with parallel iterators, arith/math on
// tensors, tosa elementwise ops, transposes and broadcasts) are expanded into
// their bodies, with the indexing maps composed, so that an op-by-op graph and
// the same graph after elementwise fusion look alike. Contractions and
// reductions stay leaves, and the matcher looks into them explicitly.
//
// The match works outwards from the P@V contraction:
//   P  = exp(s - max_j s) / sum_j exp(s - max_j s)   (or linalg.softmax)
//   s  = [mask](softcap(scale * (Q K^T)))           masks: + M,
//   select(B,s,-inf)
// and every value strictly between Q K^T and P@V must have no other user, so
// that no computation the rewrite drops is still needed.
//
//===----------------------------------------------------------------------===//

#include "attn/IR/AttnOps.h"
#include "attn/Transforms/Passes.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallBitVector.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/Debug.h"

#include <cmath>
#include <deque>
#include <limits>
#include <numeric>

#define DEBUG_TYPE "attn-raise"

namespace mlir {
namespace attn {
#define GEN_PASS_DEF_ATTNRAISEPASS
#include "attn/Transforms/Passes.h.inc"
} // namespace attn
} // namespace mlir

using namespace mlir;
using namespace mlir::attn;

namespace {

//===----------------------------------------------------------------------===//
// Scalar expressions over an iteration space
//===----------------------------------------------------------------------===//

enum class Fn {
  Add,
  Sub,
  Mul,
  Div,
  Max,
  Exp,
  Tanh,
  Recip,
  Neg,
  Select,
  CmpF,
  CmpI,
  AndI,
  OrI,
  XOrI,
  AddI,
  SubI,
  Cast,
};

struct Expr {
  enum class Kind { Leaf, Const, Index, Apply };
  Kind kind = Kind::Const;
  /// Leaf: `value[map(iteration)]`.
  Value value;
  AffineMap map;
  /// Const.
  double constant = 0.0;
  /// Index: an iteration dimension.
  unsigned dim = 0;
  /// Apply.
  Fn fn = Fn::Add;
  int64_t predicate = 0;
  SmallVector<Expr *, 3> operands;
  /// The tensor an Apply node was read from, when an op of its own computed
  /// it (`origin[originMap(iteration)]`): lets a subexpression that the
  /// matcher does not interpret become an operand again.
  Value origin;
  AffineMap originMap;

  bool isConst(double c) const { return kind == Kind::Const && constant == c; }
  bool isApply(Fn f) const { return kind == Kind::Apply && fn == f; }
};

/// Expression nodes visited per built expression: bounds the work on large
/// elementwise graphs that are not attention.
constexpr int kExpansionBudget = 512;

/// The value of a splat floating-point or integer constant.
static std::optional<double> getScalarConstant(Value v) {
  if (auto splat = v.getDefiningOp<tensor::SplatOp>())
    return getScalarConstant(splat.getInput());
  Attribute attr;
  if (!matchPattern(v, m_Constant(&attr))) {
    auto constOp = v.getDefiningOp<tosa::ConstOp>();
    if (!constOp)
      return std::nullopt;
    attr = constOp.getValues();
  }
  if (auto elements = dyn_cast<DenseElementsAttr>(attr)) {
    if (!elements.isSplat())
      return std::nullopt;
    attr = elements.getSplatValue<Attribute>();
  }
  if (auto f = dyn_cast<FloatAttr>(attr))
    return f.getValueAsDouble();
  if (auto i = dyn_cast<IntegerAttr>(attr)) {
    if (i.getType().isInteger(1))
      return i.getValue().getBoolValue() ? 1.0 : 0.0;
    return static_cast<double>(i.getValue().getSExtValue());
  }
  return std::nullopt;
}

/// The map that reads a TOSA operand broadcast (by TOSA's rules: equal rank,
/// unit dims stretch) to the shape of `result`.
static AffineMap getTosaBroadcastMap(Value operand, Value result) {
  auto operandType = cast<ShapedType>(operand.getType());
  auto resultType = cast<ShapedType>(result.getType());
  MLIRContext *ctx = operand.getContext();
  SmallVector<AffineExpr> exprs;
  for (int64_t d = 0, e = operandType.getRank(); d < e; ++d) {
    if (operandType.getDimSize(d) == 1 && resultType.getDimSize(d) != 1)
      exprs.push_back(getAffineConstantExpr(0, ctx));
    else
      exprs.push_back(getAffineDimExpr(d, ctx));
  }
  return AffineMap::get(resultType.getRank(), 0, exprs, ctx);
}

/// Builds expressions, expanding elementwise producers.
class ExprBuilder {
public:
  /// `value[map(iteration)]`, expanded through elementwise producers.
  Expr *read(Value value, AffineMap map) {
    budget = kExpansionBudget;
    return readImpl(value, map);
  }

  /// The expression `yielded` computes in the body of `op`, over the
  /// iteration space that `toOp` maps to `op`'s loops.
  Expr *body(linalg::LinalgOp op, Value yielded, AffineMap toOp) {
    budget = kExpansionBudget;
    return bodyImpl(op, yielded, toOp);
  }

  /// `e` with its leaves and indices moved through `remap` (target space ->
  /// the space of `e`).
  Expr *remap(Expr *e, AffineMap toSpace) {
    budget = kExpansionBudget;
    return remapImpl(e, toSpace);
  }

private:
  Expr *remapImpl(Expr *e, AffineMap toSpace) {
    switch (e->kind) {
    case Expr::Kind::Const:
      return e;
    case Expr::Kind::Leaf:
      // Read again: a leaf may expand in the new space (a collapsed batch
      // dim written as the linearization of two dims).
      return readImpl(e->value, e->map.compose(toSpace));
    case Expr::Kind::Index:
      return index(toSpace.getResult(e->dim));
    case Expr::Kind::Apply: {
      Expr *n = make(Expr::Kind::Apply);
      n->fn = e->fn;
      n->predicate = e->predicate;
      for (Expr *operand : e->operands) {
        Expr *m = remapImpl(operand, toSpace);
        if (!m)
          return nullptr;
        n->operands.push_back(m);
      }
      if (e->origin) {
        n->origin = e->origin;
        n->originMap = e->originMap.compose(toSpace);
      }
      return n;
    }
    }
    llvm_unreachable("unknown expression kind");
  }

public:
  Expr *leaf(Value value, AffineMap map) {
    Expr *e = make(Expr::Kind::Leaf);
    e->value = value;
    e->map = map;
    return e;
  }

  Expr *constant(double c) {
    Expr *e = make(Expr::Kind::Const);
    e->constant = c;
    return e;
  }

private:
  Expr *make(Expr::Kind kind) {
    pool.emplace_back();
    pool.back().kind = kind;
    return &pool.back();
  }

  Expr *index(AffineExpr e) {
    if (auto dim = dyn_cast<AffineDimExpr>(e)) {
      Expr *n = make(Expr::Kind::Index);
      n->dim = dim.getPosition();
      return n;
    }
    if (auto c = dyn_cast<AffineConstantExpr>(e))
      return constant(static_cast<double>(c.getValue()));
    return nullptr;
  }

  Expr *apply(Fn fn, ArrayRef<Expr *> operands, int64_t predicate = 0) {
    if (llvm::is_contained(operands, nullptr))
      return nullptr;
    Expr *e = make(Expr::Kind::Apply);
    e->fn = fn;
    e->predicate = predicate;
    e->operands.assign(operands.begin(), operands.end());
    return e;
  }

  Expr *readImpl(Value value, AffineMap map) {
    if (std::optional<double> c = getScalarConstant(value))
      return constant(*c);
    Expr *e = nullptr;
    if (--budget > 0)
      e = expand(value, map);
    if (!e)
      return leaf(value, map);
    if (e->kind == Expr::Kind::Apply && !e->origin) {
      e->origin = value;
      e->originMap = map;
    }
    return e;
  }

  /// The expression of an elementwise producer of `value`, or null.
  Expr *expand(Value value, AffineMap map) {
    Operation *def = value.getDefiningOp();
    if (!def || !isa<ShapedType>(value.getType()))
      return nullptr;
    if (auto linalgOp = dyn_cast<linalg::LinalgOp>(def))
      return expandLinalg(linalgOp, cast<OpResult>(value), map);
    if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(def))
      return readCollapsed(collapse.getSrc(),
                           collapse.getReassociationIndices(), map);
    if (auto expandOp = dyn_cast<tensor::ExpandShapeOp>(def))
      return readExpanded(expandOp.getSrc(), expandOp.getReassociationIndices(),
                          expandOp.getResultType().getShape(), map);
    if (isa<tosa::TosaDialect>(def->getDialect()))
      return expandTosa(def, map);
    if (def->getNumResults() == 1 &&
        isa<arith::ArithDialect, math::MathDialect>(def->getDialect()))
      return scalarOp(def, [&](Value operand) -> Expr * {
        if (!isa<ShapedType>(operand.getType()))
          return nullptr;
        return readImpl(operand, map);
      });
    return nullptr;
  }

  Expr *expandLinalg(linalg::LinalgOp op, OpResult result, AffineMap map) {
    if (op.getNumReductionLoops() != 0 || !op.hasPureTensorSemantics())
      return nullptr;
    AffineMap outMap = op.getIndexingMapMatchingResult(result);
    if (!outMap.isPermutation())
      return nullptr;
    AffineMap toOp = inversePermutation(outMap).compose(map);
    Operation *yield = op.getBlock()->getTerminator();
    return bodyImpl(op, yield->getOperand(result.getResultNumber()), toOp);
  }

  Expr *bodyImpl(linalg::LinalgOp op, Value v, AffineMap toOp) {
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      if (arg.getOwner() != op.getBlock()) {
        std::optional<double> c = getScalarConstant(v);
        return c ? constant(*c) : nullptr;
      }
      OpOperand &operand = op->getOpOperand(arg.getArgNumber());
      if (op.isDpsInit(&operand))
        return nullptr;
      if (!isa<ShapedType>(operand.get().getType())) {
        std::optional<double> c = getScalarConstant(operand.get());
        return c ? constant(*c) : nullptr;
      }
      if (--budget <= 0)
        return nullptr;
      return readImpl(operand.get(),
                      op.getMatchingIndexingMap(&operand).compose(toOp));
    }
    Operation *def = v.getDefiningOp();
    if (!op->isProperAncestor(def)) {
      std::optional<double> c = getScalarConstant(v);
      return c ? constant(*c) : nullptr;
    }
    if (auto indexOp = dyn_cast<linalg::IndexOp>(def))
      return index(toOp.getResult(indexOp.getDim()));
    if (std::optional<double> c = getScalarConstant(v))
      return constant(*c);
    if (--budget <= 0)
      return nullptr;
    return scalarOp(def,
                    [&](Value operand) { return bodyImpl(op, operand, toOp); });
  }

  /// `expand_shape(src)` read at `map`: each source dim is the row-major
  /// linearization of its group of result dims.
  Expr *readExpanded(Value src, ArrayRef<ReassociationIndices> groups,
                     ArrayRef<int64_t> resultShape, AffineMap map) {
    MLIRContext *ctx = src.getContext();
    SmallVector<AffineExpr> exprs;
    for (const ReassociationIndices &group : groups) {
      AffineExpr e = getAffineConstantExpr(0, ctx);
      int64_t stride = 1;
      for (int64_t d : llvm::reverse(group)) {
        if (group.size() > 1 && ShapedType::isDynamic(resultShape[d]))
          return nullptr;
        e = e + map.getResult(d) * stride;
        stride *= group.size() > 1 ? resultShape[d] : 1;
      }
      exprs.push_back(e);
    }
    return readImpl(src, AffineMap::get(map.getNumDims(), 0, exprs, ctx));
  }

  /// `collapse_shape(src)` read at `map`: each merged index must be a
  /// row-major linearization, term by term, of the source dims it covers
  /// (unit source dims read 0). The sizes of the loops it is written in are
  /// checked where the operands are materialized.
  Expr *readCollapsed(Value src, ArrayRef<ReassociationIndices> groups,
                      AffineMap map) {
    MLIRContext *ctx = src.getContext();
    ArrayRef<int64_t> srcShape = cast<ShapedType>(src.getType()).getShape();
    SmallVector<AffineExpr> exprs;
    for (auto [g, group] : llvm::enumerate(groups)) {
      AffineExpr e = map.getResult(g);
      if (group.size() == 1) {
        exprs.push_back(e);
        continue;
      }
      SmallVector<int64_t> coeffs(map.getNumDims(), 0);
      int64_t constant = 0;
      if (!getLinearTerms(e, 1, coeffs, constant) || constant != 0)
        return nullptr;
      // Row-major strides; non-unit dims take the term of their stride
      // first, then a unit dim may take a leftover term of its stride (that
      // loop spans the unit dim, so it is 0 there).
      SmallVector<int64_t> strides(group.size());
      int64_t stride = 1;
      for (int64_t t = group.size() - 1; t >= 0; --t) {
        int64_t size = srcShape[group[t]];
        if (ShapedType::isDynamic(size))
          return nullptr;
        strides[t] = stride;
        stride *= size;
      }
      SmallVector<AffineExpr> groupExprs(group.size());
      for (int unit = 0; unit < 2; ++unit) {
        for (int64_t t = group.size() - 1; t >= 0; --t) {
          if ((srcShape[group[t]] == 1) != (unit == 1))
            continue;
          auto it = llvm::find(coeffs, strides[t]);
          if (it == coeffs.end()) {
            if (!unit)
              return nullptr;
            groupExprs[t] = getAffineConstantExpr(0, ctx);
            continue;
          }
          groupExprs[t] = getAffineDimExpr(it - coeffs.begin(), ctx);
          *it = 0;
        }
      }
      if (llvm::any_of(coeffs, [](int64_t c) { return c != 0; }))
        return nullptr;
      llvm::append_range(exprs, groupExprs);
    }
    return readImpl(src, AffineMap::get(map.getNumDims(), 0, exprs, ctx));
  }

public:
  /// Adds `scale * e` to `coeffs` (per dim) and `constant`; false unless `e`
  /// is a linear combination of dims.
  static bool getLinearTerms(AffineExpr e, int64_t scale,
                             SmallVectorImpl<int64_t> &coeffs,
                             int64_t &constant) {
    if (auto dim = dyn_cast<AffineDimExpr>(e)) {
      coeffs[dim.getPosition()] += scale;
      return true;
    }
    if (auto c = dyn_cast<AffineConstantExpr>(e)) {
      constant += scale * c.getValue();
      return true;
    }
    auto bin = dyn_cast<AffineBinaryOpExpr>(e);
    if (!bin)
      return false;
    if (bin.getKind() == AffineExprKind::Add)
      return getLinearTerms(bin.getLHS(), scale, coeffs, constant) &&
             getLinearTerms(bin.getRHS(), scale, coeffs, constant);
    if (bin.getKind() == AffineExprKind::Mul)
      if (auto c = dyn_cast<AffineConstantExpr>(bin.getRHS()))
        return getLinearTerms(bin.getLHS(), scale * c.getValue(), coeffs,
                              constant);
    return false;
  }

private:
  Expr *expandTosa(Operation *def, AffineMap map) {
    Value result = def->getResult(0);
    if (auto reshape = dyn_cast<tosa::ReshapeOp>(def)) {
      auto srcType = cast<ShapedType>(reshape.getInput1().getType());
      auto dstType = cast<ShapedType>(reshape.getType());
      if (!srcType.hasStaticShape() || !dstType.hasStaticShape())
        return nullptr;
      if (srcType.getShape() == dstType.getShape())
        return readImpl(reshape.getInput1(), map);
      if (dstType.getRank() < srcType.getRank()) {
        if (auto groups = getReassociationIndicesForCollapse(
                srcType.getShape(), dstType.getShape()))
          return readCollapsed(reshape.getInput1(), *groups, map);
      } else if (auto groups = getReassociationIndicesForCollapse(
                     dstType.getShape(), srcType.getShape())) {
        return readExpanded(reshape.getInput1(), *groups, dstType.getShape(),
                            map);
      }
      return nullptr;
    }
    // tile along unit dims is a broadcast (grouped-query K/V heads).
    if (auto tile = dyn_cast<tosa::TileOp>(def)) {
      auto inType = cast<ShapedType>(tile.getInput1().getType());
      auto outType = cast<ShapedType>(tile.getType());
      if (!inType.hasStaticShape() || !outType.hasStaticShape())
        return nullptr;
      SmallVector<AffineExpr> exprs;
      for (int64_t d = 0, e = inType.getRank(); d < e; ++d) {
        if (inType.getDimSize(d) == outType.getDimSize(d))
          exprs.push_back(map.getResult(d));
        else if (inType.getDimSize(d) == 1)
          exprs.push_back(getAffineConstantExpr(0, def->getContext()));
        else
          return nullptr;
      }
      return readImpl(
          tile.getInput1(),
          AffineMap::get(map.getNumDims(), 0, exprs, def->getContext()));
    }
    if (auto equal = dyn_cast<tosa::EqualOp>(def))
      return apply(
          Fn::CmpF,
          {readImpl(
               equal.getInput1(),
               getTosaBroadcastMap(equal.getInput1(), result).compose(map)),
           readImpl(
               equal.getInput2(),
               getTosaBroadcastMap(equal.getInput2(), result).compose(map))},
          static_cast<int64_t>(arith::CmpFPredicate::OEQ));
    auto operand = [&](Value v) -> Expr * {
      return readImpl(v, getTosaBroadcastMap(v, result).compose(map));
    };
    if (auto transpose = dyn_cast<tosa::TransposeOp>(def)) {
      // output[x] = input[y] with y[perms[i]] = x[i].
      ArrayRef<int32_t> perms = transpose.getPerms();
      SmallVector<AffineExpr> exprs(perms.size());
      for (auto [i, p] : llvm::enumerate(perms))
        exprs[p] = getAffineDimExpr(i, def->getContext());
      AffineMap inputMap =
          AffineMap::get(perms.size(), 0, exprs, def->getContext());
      return readImpl(transpose.getInput1(), inputMap.compose(map));
    }
    if (auto mul = dyn_cast<tosa::MulOp>(def)) {
      std::optional<double> shift = getScalarConstant(mul.getShift());
      if (!shift || *shift != 0.0)
        return nullptr;
      return apply(Fn::Mul,
                   {operand(mul.getInput1()), operand(mul.getInput2())});
    }
    if (auto op = dyn_cast<tosa::AddOp>(def))
      return apply(Fn::Add, {operand(op.getInput1()), operand(op.getInput2())});
    if (auto op = dyn_cast<tosa::SubOp>(def))
      return apply(Fn::Sub, {operand(op.getInput1()), operand(op.getInput2())});
    if (auto op = dyn_cast<tosa::MaximumOp>(def))
      return apply(Fn::Max, {operand(op.getInput1()), operand(op.getInput2())});
    if (auto op = dyn_cast<tosa::ExpOp>(def))
      return apply(Fn::Exp, {operand(op.getInput1())});
    if (auto op = dyn_cast<tosa::TanhOp>(def))
      return apply(Fn::Tanh, {operand(op.getInput())});
    if (auto op = dyn_cast<tosa::ReciprocalOp>(def))
      return apply(Fn::Recip, {operand(op.getInput1())});
    if (auto op = dyn_cast<tosa::CastOp>(def)) {
      if (!isa<FloatType>(getElementTypeOrSelf(op.getInput().getType())) ||
          !isa<FloatType>(getElementTypeOrSelf(op.getType())))
        return nullptr;
      return apply(Fn::Cast, {operand(op.getInput())});
    }
    if (auto op = dyn_cast<tosa::SelectOp>(def))
      return apply(Fn::Select,
                   {operand(op.getInput1()), operand(op.getInput2()),
                    operand(op.getInput3())});
    if (auto op = dyn_cast<tosa::LogicalAndOp>(def))
      return apply(Fn::AndI,
                   {operand(op.getInput1()), operand(op.getInput2())});
    return nullptr;
  }

  /// An arith/math op applied to operands that `operandExpr` builds.
  Expr *scalarOp(Operation *def, function_ref<Expr *(Value)> operandExpr) {
    auto unary = [&](Fn fn) {
      return apply(fn, {operandExpr(def->getOperand(0))});
    };
    auto binary = [&](Fn fn, int64_t predicate = 0) {
      return apply(
          fn,
          {operandExpr(def->getOperand(0)), operandExpr(def->getOperand(1))},
          predicate);
    };
    return TypeSwitch<Operation *, Expr *>(def)
        .Case([&](arith::AddFOp) { return binary(Fn::Add); })
        .Case([&](arith::SubFOp) { return binary(Fn::Sub); })
        .Case([&](arith::MulFOp) { return binary(Fn::Mul); })
        .Case([&](arith::DivFOp) { return binary(Fn::Div); })
        .Case<arith::MaximumFOp, arith::MaxNumFOp>(
            [&](auto) { return binary(Fn::Max); })
        .Case([&](arith::NegFOp) { return unary(Fn::Neg); })
        .Case([&](math::ExpOp) { return unary(Fn::Exp); })
        .Case([&](math::TanhOp) { return unary(Fn::Tanh); })
        .Case<arith::ExtFOp, arith::TruncFOp, arith::IndexCastOp,
              arith::IndexCastUIOp, arith::ExtSIOp, arith::TruncIOp>(
            [&](auto) { return unary(Fn::Cast); })
        .Case([&](arith::ExtUIOp op) -> Expr * {
          // Zero-extending is value-preserving only from i1.
          if (!getElementTypeOrSelf(op.getIn().getType()).isInteger(1))
            return nullptr;
          return unary(Fn::Cast);
        })
        .Case([&](arith::AddIOp) { return binary(Fn::AddI); })
        .Case([&](arith::SubIOp) { return binary(Fn::SubI); })
        .Case([&](arith::AndIOp) { return binary(Fn::AndI); })
        .Case([&](arith::OrIOp) { return binary(Fn::OrI); })
        .Case([&](arith::XOrIOp) { return binary(Fn::XOrI); })
        .Case([&](arith::CmpFOp op) {
          return binary(Fn::CmpF, static_cast<int64_t>(op.getPredicate()));
        })
        .Case([&](arith::CmpIOp op) {
          return binary(Fn::CmpI, static_cast<int64_t>(op.getPredicate()));
        })
        .Case([&](arith::SelectOp) -> Expr * {
          return apply(Fn::Select, {operandExpr(def->getOperand(0)),
                                    operandExpr(def->getOperand(1)),
                                    operandExpr(def->getOperand(2))});
        })
        .Default([](Operation *) { return nullptr; });
  }

  std::deque<Expr> pool;
  int budget = kExpansionBudget;
};

static Expr *stripCasts(Expr *e) {
  while (e && e->isApply(Fn::Cast))
    e = e->operands[0];
  return e;
}

/// Structural equality, looking through casts.
static bool isEquivalent(Expr *a, Expr *b) {
  a = stripCasts(a);
  b = stripCasts(b);
  if (a->kind != b->kind)
    return false;
  switch (a->kind) {
  case Expr::Kind::Leaf:
    return a->value == b->value && a->map == b->map;
  case Expr::Kind::Const:
    return a->constant == b->constant;
  case Expr::Kind::Index:
    return a->dim == b->dim;
  case Expr::Kind::Apply:
    if (a->fn != b->fn || a->predicate != b->predicate ||
        a->operands.size() != b->operands.size())
      return false;
    for (auto [x, y] : llvm::zip(a->operands, b->operands))
      if (!isEquivalent(x, y))
        return false;
    return true;
  }
  return false;
}

/// A tensor operand: `value[map(iteration)]`.
struct Access {
  Value value;
  AffineMap map;
};

/// `e` as a tensor read, when it is a leaf or was computed by an op.
static std::optional<Access> getAccess(Expr *e) {
  if (e->kind == Expr::Kind::Leaf)
    return Access{e->value, e->map};
  if (e->kind == Expr::Kind::Apply && e->origin)
    return Access{e->origin, e->originMap};
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Contractions and reductions
//===----------------------------------------------------------------------===//

/// The loops `e` reads.
static void collectLoops(Expr *e, llvm::SmallBitVector &loops) {
  switch (e->kind) {
  case Expr::Kind::Leaf:
    for (AffineExpr r : e->map.getResults())
      r.walk([&](AffineExpr x) {
        if (auto dim = dyn_cast<AffineDimExpr>(x))
          loops.set(dim.getPosition());
      });
    return;
  case Expr::Kind::Index:
    loops.set(e->dim);
    return;
  case Expr::Kind::Const:
    return;
  case Expr::Kind::Apply:
    for (Expr *operand : e->operands)
      collectLoops(operand, loops);
    return;
  }
}

/// `acc + lhs * rhs` summed over one loop, from 0. The multiplicands may be
/// expressions of several inputs (elementwise producers fused into the
/// contraction); casts around them are looked through, as attn.sdpa
/// accumulates in f32 anyway.
struct Contraction {
  Operation *op = nullptr;
  Expr *lhs = nullptr, *rhs = nullptr;
  unsigned numLoops = 0;
  /// Loops: batch dims (outer to inner, as the result lays them out), the
  /// lhs-only dim m, the rhs-only dim n and the reduced dim k. The result is
  /// `[batch..., m, n]`.
  SmallVector<unsigned> batch;
  unsigned m = 0, n = 0, k = 0;
};

static std::optional<Contraction> getContraction(Operation *op,
                                                 ExprBuilder &builder) {
  if (!op)
    return std::nullopt;
  MLIRContext *ctx = op->getContext();
  if (auto matmul = dyn_cast<tosa::MatMulOp>(op)) {
    std::optional<double> aZp = getScalarConstant(matmul.getAZp());
    std::optional<double> bZp = getScalarConstant(matmul.getBZp());
    if (!aZp || !bZp || *aZp != 0.0 || *bZp != 0.0)
      return std::nullopt;
    auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
    Contraction c;
    c.op = op;
    c.numLoops = 4;
    c.batch = {0};
    c.m = 1;
    c.n = 2;
    c.k = 3;
    c.lhs = builder.read(matmul.getA(),
                         AffineMap::get(4, 0, {d(0), d(1), d(3)}, ctx));
    c.rhs = builder.read(matmul.getB(),
                         AffineMap::get(4, 0, {d(0), d(3), d(2)}, ctx));
    return c;
  }
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  if (!linalgOp || !linalgOp.hasPureTensorSemantics() ||
      linalgOp.getNumDpsInits() != 1 || linalgOp->getNumResults() != 1 ||
      linalgOp.getNumReductionLoops() != 1)
    return std::nullopt;
  Contraction c;
  c.op = op;
  c.numLoops = linalgOp.getNumLoops();
  if (c.numLoops < 3 || c.numLoops > 6)
    return std::nullopt;
  SmallVector<unsigned> reductionDims;
  linalgOp.getReductionDims(reductionDims);
  c.k = reductionDims[0];
  // The result layout fixes the loops: [batch..., m, n].
  OpOperand *init = linalgOp.getDpsInitOperand(0);
  AffineMap outMap = linalgOp.getMatchingIndexingMap(init);
  if (outMap.getNumResults() != c.numLoops - 1 ||
      !outMap.isProjectedPermutation())
    return std::nullopt;
  for (AffineExpr r : outMap.getResults().drop_back(2))
    c.batch.push_back(cast<AffineDimExpr>(r).getPosition());
  c.m = cast<AffineDimExpr>(outMap.getResult(c.numLoops - 3)).getPosition();
  c.n = cast<AffineDimExpr>(outMap.getResult(c.numLoops - 2)).getPosition();

  // The body: yield acc + x * y.
  Block *block = linalgOp.getBlock();
  BlockArgument acc = linalgOp.getMatchingBlockArgument(init);
  auto add =
      block->getTerminator()->getOperand(0).getDefiningOp<arith::AddFOp>();
  if (!add || add->getBlock() != block)
    return std::nullopt;
  Value product = add.getLhs() == acc ? add.getRhs() : add.getLhs();
  if ((add.getLhs() == acc) == (add.getRhs() == acc))
    return std::nullopt;
  while (
      isa_and_nonnull<arith::ExtFOp, arith::TruncFOp>(product.getDefiningOp()))
    product = product.getDefiningOp()->getOperand(0);
  auto mul = product.getDefiningOp<arith::MulFOp>();
  if (!mul || mul->getBlock() != block)
    return std::nullopt;
  AffineMap loops = AffineMap::getMultiDimIdentityMap(c.numLoops, ctx);
  c.lhs = builder.body(linalgOp, mul.getLhs(), loops);
  c.rhs = builder.body(linalgOp, mul.getRhs(), loops);
  if (!c.lhs || !c.rhs)
    return std::nullopt;
  c.lhs = stripCasts(c.lhs);
  c.rhs = stripCasts(c.rhs);
  llvm::SmallBitVector lhsLoops(c.numLoops), rhsLoops(c.numLoops);
  collectLoops(c.lhs, lhsLoops);
  collectLoops(c.rhs, rhsLoops);
  if (lhsLoops.test(c.n) && rhsLoops.test(c.m)) {
    std::swap(c.lhs, c.rhs);
    std::swap(lhsLoops, rhsLoops);
  }
  llvm::SmallBitVector wantLhs(c.numLoops), wantRhs(c.numLoops);
  for (unsigned b : c.batch) {
    wantLhs.set(b);
    wantRhs.set(b);
  }
  wantLhs.set(c.m);
  wantLhs.set(c.k);
  wantRhs.set(c.n);
  wantRhs.set(c.k);
  // The rhs (K or V) may be broadcast along batch dims (grouped heads).
  if (lhsLoops != wantLhs || !rhsLoops.test(c.n) || !rhsLoops.test(c.k) ||
      (rhsLoops & ~wantRhs).any())
    return std::nullopt;
  // The accumulator must start at zero.
  Expr *start = builder.read(
      init->get(), AffineMap::getMultiDimIdentityMap(
                       cast<ShapedType>(init->get().getType()).getRank(), ctx));
  if (!start->isConst(0.0))
    return std::nullopt;
  return c;
}

struct Reduction {
  enum class Kind { Max, Sum, And };
  Kind kind = Kind::Sum;
  Operation *op = nullptr;
  /// The reduced expression over the reduction's loops.
  Expr *operand = nullptr;
  unsigned numLoops = 0;
  unsigned reducedLoop = 0;
  /// Loops -> result dims.
  AffineMap resultMap;
};

/// Matches a reduction over one loop: `max` from -inf or `sum` from 0.
static std::optional<Reduction> getReduction(Value value,
                                             ExprBuilder &builder) {
  Operation *def = value.getDefiningOp();
  if (!def)
    return std::nullopt;
  MLIRContext *ctx = value.getContext();
  if (isa<tosa::ReduceMaxOp, tosa::ReduceSumOp, tosa::ReduceAllOp>(def)) {
    Value input = def->getOperand(0);
    auto inputType = cast<ShapedType>(input.getType());
    unsigned rank = inputType.getRank();
    unsigned axis = cast<IntegerAttr>(def->getAttr("axis")).getInt();
    Reduction r;
    r.kind = isa<tosa::ReduceMaxOp>(def)   ? Reduction::Kind::Max
             : isa<tosa::ReduceSumOp>(def) ? Reduction::Kind::Sum
                                           : Reduction::Kind::And;
    r.op = def;
    r.numLoops = rank;
    r.reducedLoop = axis;
    AffineMap identity = AffineMap::getMultiDimIdentityMap(rank, ctx);
    r.operand = builder.read(input, identity);
    SmallVector<AffineExpr> exprs(identity.getResults());
    exprs[axis] = getAffineConstantExpr(0, ctx);
    r.resultMap = AffineMap::get(rank, 0, exprs, ctx);
    return r;
  }
  auto op = dyn_cast<linalg::LinalgOp>(def);
  if (!op || !op.hasPureTensorSemantics() || op.getNumReductionLoops() != 1)
    return std::nullopt;
  unsigned resultNumber = cast<OpResult>(value).getResultNumber();
  SmallVector<unsigned> reductionDims;
  op.getReductionDims(reductionDims);
  Reduction r;
  r.op = def;
  r.numLoops = op.getNumLoops();
  r.reducedLoop = reductionDims[0];
  OpOperand *init = op.getDpsInitOperand(resultNumber);
  r.resultMap = op.getMatchingIndexingMap(init);
  if (!r.resultMap.isProjectedPermutation(/*allowZeroInResults=*/true))
    return std::nullopt;
  Block *block = op.getBlock();
  BlockArgument acc = op.getMatchingBlockArgument(init);
  Value yielded = block->getTerminator()->getOperand(resultNumber);
  Operation *combiner = yielded.getDefiningOp();
  if (!combiner || combiner->getBlock() != block)
    return std::nullopt;
  Value element;
  // max(x, acc), or select(x > acc, x, acc) as argmax-style bodies write it.
  if (isa<arith::MaximumFOp, arith::MaxNumFOp, arith::AddFOp, arith::AndIOp>(
          combiner)) {
    r.kind = isa<arith::AddFOp>(combiner)   ? Reduction::Kind::Sum
             : isa<arith::AndIOp>(combiner) ? Reduction::Kind::And
                                            : Reduction::Kind::Max;
    if (combiner->getOperand(1) == acc)
      element = combiner->getOperand(0);
    else if (combiner->getOperand(0) == acc)
      element = combiner->getOperand(1);
  } else if (auto select = dyn_cast<arith::SelectOp>(combiner)) {
    auto cmp = select.getCondition().getDefiningOp<arith::CmpFOp>();
    using P = arith::CmpFPredicate;
    if (cmp && select.getFalseValue() == acc && cmp.getRhs() == acc &&
        cmp.getLhs() == select.getTrueValue() &&
        llvm::is_contained({P::OGT, P::OGE, P::UGT, P::UGE},
                           cmp.getPredicate())) {
      r.kind = Reduction::Kind::Max;
      element = select.getTrueValue();
    }
  }
  if (!element || element == acc)
    return std::nullopt;
  r.operand = builder.body(op, element,
                           AffineMap::getMultiDimIdentityMap(r.numLoops, ctx));
  if (!r.operand)
    return std::nullopt;
  // The start value: -inf (or the lowest float) for max, 0 for sum, true
  // for and.
  Expr *start = builder.read(
      init->get(), AffineMap::getMultiDimIdentityMap(
                       cast<ShapedType>(init->get().getType()).getRank(), ctx));
  if (start->kind != Expr::Kind::Const)
    return std::nullopt;
  switch (r.kind) {
  case Reduction::Kind::Sum:
    if (start->constant != 0.0)
      return std::nullopt;
    break;
  case Reduction::Kind::Max:
    if (start->constant > -3.0e38)
      return std::nullopt;
    break;
  case Reduction::Kind::And:
    if (start->constant != 1.0)
      return std::nullopt;
    break;
  }
  return r;
}

/// The operand of reduction `r`, whose result is read as `resultRead` in the
/// scores space, expressed in the scores space with the reduced loop on
/// dimension `keyDim`. Null when the read does not line up.
static Expr *alignReduction(const Reduction &r, AffineMap resultRead,
                            unsigned keyDim, ExprBuilder &builder) {
  MLIRContext *ctx = resultRead.getContext();
  // The reduced value is broadcast along the keys.
  if (resultRead.isFunctionOfDim(keyDim))
    return nullptr;
  SmallVector<AffineExpr> toLoops(r.numLoops);
  toLoops[r.reducedLoop] = getAffineDimExpr(keyDim, ctx);
  for (auto [pos, expr] : llvm::enumerate(r.resultMap.getResults()))
    if (auto dim = dyn_cast<AffineDimExpr>(expr))
      toLoops[dim.getPosition()] = resultRead.getResult(pos);
  if (llvm::any_of(toLoops, [](AffineExpr e) { return !e; }))
    return nullptr;
  return builder.remap(
      r.operand, AffineMap::get(resultRead.getNumDims(), 0, toLoops, ctx));
}

//===----------------------------------------------------------------------===//
// The attention match
//===----------------------------------------------------------------------===//

/// Keys kept by index comparisons: lo <= j - i <= hi.
struct KeyBand {
  int64_t lo = std::numeric_limits<int64_t>::min();
  int64_t hi = std::numeric_limits<int64_t>::max();
};

/// `ci * i + cj * j + c0` for the index expressions of the query (i) and key
/// (j) dims.
struct Linear {
  int64_t ci = 0, cj = 0, c0 = 0;
};

static std::optional<Linear> getLinear(Expr *e, unsigned queryDim,
                                       unsigned keyDim) {
  e = stripCasts(e);
  switch (e->kind) {
  case Expr::Kind::Const:
    if (e->constant != std::floor(e->constant) || std::fabs(e->constant) > 1e15)
      return std::nullopt;
    return Linear{0, 0, static_cast<int64_t>(e->constant)};
  case Expr::Kind::Index:
    if (e->dim == queryDim)
      return Linear{1, 0, 0};
    if (e->dim == keyDim)
      return Linear{0, 1, 0};
    return std::nullopt;
  case Expr::Kind::Apply: {
    if (!e->isApply(Fn::AddI) && !e->isApply(Fn::SubI))
      return std::nullopt;
    std::optional<Linear> a = getLinear(e->operands[0], queryDim, keyDim);
    std::optional<Linear> b = getLinear(e->operands[1], queryDim, keyDim);
    if (!a || !b)
      return std::nullopt;
    int64_t s = e->isApply(Fn::AddI) ? 1 : -1;
    return Linear{a->ci + s * b->ci, a->cj + s * b->cj, a->c0 + s * b->c0};
  }
  case Expr::Kind::Leaf:
    return std::nullopt;
  }
  return std::nullopt;
}

/// A constant i1 mask read as [.., i, j] (unit dims elsewhere) that keeps
/// exactly the keys of one band lo <= j - i <= hi.
static bool addConstantBand(Expr *e, unsigned queryDim, unsigned keyDim,
                            KeyBand &band) {
  DenseElementsAttr attr;
  if (!matchPattern(e->value, m_Constant(&attr)) ||
      !attr.getElementType().isInteger(1))
    return false;
  auto type = cast<ShapedType>(attr.getType());
  int64_t rank = type.getRank();
  if (rank < 2 || e->map.getNumResults() != rank ||
      e->map.getResult(rank - 2) !=
          getAffineDimExpr(queryDim, e->value.getContext()) ||
      e->map.getResult(rank - 1) !=
          getAffineDimExpr(keyDim, e->value.getContext()))
    return false;
  for (int64_t d = 0; d + 2 < rank; ++d)
    if (type.getDimSize(d) != 1)
      return false;
  int64_t sq = type.getDimSize(rank - 2), sk = type.getDimSize(rank - 1);
  if (sq * sk > (1 << 24))
    return false;
  SmallVector<bool> keep = llvm::to_vector(attr.getValues<bool>());
  // The band is the range of j - i over kept entries; it must keep all of it.
  int64_t lo = std::numeric_limits<int64_t>::max();
  int64_t hi = std::numeric_limits<int64_t>::min();
  for (int64_t i = 0; i < sq; ++i)
    for (int64_t j = 0; j < sk; ++j)
      if (keep[i * sk + j]) {
        lo = std::min(lo, j - i);
        hi = std::max(hi, j - i);
      }
  if (lo > hi)
    return false;
  for (int64_t i = 0; i < sq; ++i)
    for (int64_t j = 0; j < sk; ++j)
      if (keep[i * sk + j] != (j - i >= lo && j - i <= hi))
        return false;
  // Bounds the matrix itself implies carry no information.
  if (lo > -sq + 1)
    band.lo = std::max(band.lo, lo);
  if (hi < sk - 1)
    band.hi = std::min(band.hi, hi);
  return true;
}

/// Intersects `band` with the keys that condition `e` keeps.
static bool addBandCondition(Expr *e, unsigned queryDim, unsigned keyDim,
                             KeyBand &band) {
  e = stripCasts(e);
  // `and true` keeps everything the other side keeps.
  if (e->kind == Expr::Kind::Const && e->constant != 0.0)
    return true;
  // A constant i1 [Sq, Sk] mask that is a band: torch's tril buffers.
  if (e->kind == Expr::Kind::Leaf)
    return addConstantBand(e, queryDim, keyDim, band);
  if (e->isApply(Fn::AndI))
    return addBandCondition(e->operands[0], queryDim, keyDim, band) &&
           addBandCondition(e->operands[1], queryDim, keyDim, band);
  if (!e->isApply(Fn::CmpI))
    return false;
  std::optional<Linear> a = getLinear(e->operands[0], queryDim, keyDim);
  std::optional<Linear> b = getLinear(e->operands[1], queryDim, keyDim);
  if (!a || !b)
    return false;
  using P = arith::CmpIPredicate;
  auto pred = static_cast<P>(e->predicate);
  // Unsigned compares agree with signed ones on the non-negative values that
  // indices plus non-negative offsets take.
  bool isUnsigned = llvm::is_contained({P::ult, P::ule, P::ugt, P::uge}, pred);
  if (isUnsigned && (a->c0 < 0 || b->c0 < 0 || a->ci < 0 || a->cj < 0 ||
                     b->ci < 0 || b->cj < 0))
    return false;
  // a - b = s * (j - i) + c.
  Linear d{a->ci - b->ci, a->cj - b->cj, a->c0 - b->c0};
  if (d.cj == 0 || d.ci != -d.cj || (d.cj != 1 && d.cj != -1))
    return false;
  // Written as `s*(j-i) + c <op> 0`; turn it into bounds on j - i.
  int64_t s = d.cj, c = d.c0;
  auto lessEq = [&](int64_t bound) { // s*(j-i) + c <= bound
    if (s == 1)
      band.hi = std::min(band.hi, bound - c);
    else
      band.lo = std::max(band.lo, c - bound);
  };
  auto greaterEq = [&](int64_t bound) { // s*(j-i) + c >= bound
    if (s == 1)
      band.lo = std::max(band.lo, bound - c);
    else
      band.hi = std::min(band.hi, c - bound);
  };
  switch (pred) {
  case P::sle:
  case P::ule:
    lessEq(0);
    return true;
  case P::slt:
  case P::ult:
    lessEq(-1);
    return true;
  case P::sge:
  case P::uge:
    greaterEq(0);
    return true;
  case P::sgt:
  case P::ugt:
    greaterEq(1);
    return true;
  case P::eq:
    lessEq(0);
    greaterEq(0);
    return true;
  default:
    return false;
  }
}

/// What was found around Q K^T.
struct ScoresMatch {
  Contraction qk;
  /// How the scores space reads the result of Q K^T.
  AffineMap qkRead;
  double scale = 1.0;
  std::optional<double> softcap;
  /// An additive mask or an i1 mask (true keeps), in the scores space.
  std::optional<Access> mask;
  bool maskIsBool = false;
  /// An i1 mask that is true where keys are dropped.
  bool maskInverted = false;
  /// Index comparisons that drop keys, if any.
  std::optional<KeyBand> band;
  /// The i1 tensor holding exactly that band, if there is one.
  std::optional<Access> bandTensor;
};

/// Whether `e` reads the result of a contraction.
static bool readsContraction(Expr *e, ExprBuilder &builder) {
  e = stripCasts(e);
  if (e->kind == Expr::Kind::Leaf) {
    Operation *def = e->value.getDefiningOp();
    return def && getContraction(def, builder).has_value();
  }
  if (e->kind != Expr::Kind::Apply)
    return false;
  return llvm::any_of(e->operands,
                      [&](Expr *o) { return readsContraction(o, builder); });
}

/// Peels masks, softcap and scaling off the scores expression `s` (rank
/// `rank`, keys on the last dim) down to Q K^T.
///
/// The peeling goes from the outside in, and each layer must sit where
/// attn.sdpa applies it: scale innermost, then softcap, then the masks. Bool
/// masks (select with -inf) and additive masks commute with each other, and a
/// bool mask commutes with a positive scale.
static std::optional<ScoresMatch> matchScores(Expr *s, unsigned rank,
                                              ExprBuilder &builder) {
  ScoresMatch match;
  unsigned queryDim = rank - 2, keyDim = rank - 1;
  bool sawScale = false, sawSoftcap = false;
  int bandConditions = 0;
  const double negInf = -std::numeric_limits<double>::infinity();
  auto takeMask = [&](Expr *m, bool isBool) {
    if (match.mask)
      return false;
    std::optional<Access> access = getAccess(m);
    if (!access)
      return false;
    match.mask = access;
    match.maskIsBool = isBool;
    return true;
  };
  auto takeCondition = [&](Expr *cond) {
    KeyBand band = match.band.value_or(KeyBand());
    if (addBandCondition(cond, queryDim, keyDim, band)) {
      match.band = band;
      // The tensor the band was computed into, should it not be
      // expressible as causal/window.
      match.bandTensor = bandConditions++ == 0 ? getAccess(cond) : std::nullopt;
      return true;
    }
    return takeMask(cond, /*isBool=*/true);
  };
  for (int guard = 0; guard < 64; ++guard) {
    s = stripCasts(s);
    if (s->kind == Expr::Kind::Leaf) {
      // Q K^T read as [batch..., i, j]; its batch dims may be any function
      // of the scores' batch dims (heads folded into one batch dim).
      MLIRContext *ctx = s->map.getContext();
      unsigned n = s->map.getNumResults();
      if (n < 2 || s->map.getResult(n - 2) != getAffineDimExpr(queryDim, ctx) ||
          s->map.getResult(n - 1) != getAffineDimExpr(keyDim, ctx))
        return std::nullopt;
      for (AffineExpr e : s->map.getResults().drop_back(2))
        if (e.isFunctionOfDim(queryDim) || e.isFunctionOfDim(keyDim))
          return std::nullopt;
      std::optional<Contraction> qk =
          getContraction(s->value.getDefiningOp(), builder);
      if (!qk || qk->batch.size() + 2 != n)
        return std::nullopt;
      match.qk = *qk;
      match.qkRead = s->map;
      return match;
    }
    if (s->kind != Expr::Kind::Apply)
      return std::nullopt;
    auto constantOperand = [&](unsigned i) -> std::optional<double> {
      Expr *e = stripCasts(s->operands[i]);
      if (e->kind == Expr::Kind::Const)
        return e->constant;
      return std::nullopt;
    };

    if (s->isApply(Fn::Add) || s->isApply(Fn::Sub)) {
      // A finite constant added to every score leaves the softmax unchanged.
      if (std::optional<double> c = constantOperand(1);
          c && std::isfinite(*c)) {
        s = s->operands[0];
        continue;
      }
      if (s->isApply(Fn::Sub))
        return std::nullopt;
      if (std::optional<double> c = constantOperand(0);
          c && std::isfinite(*c)) {
        s = s->operands[1];
        continue;
      }
      // An additive mask: the side Q K^T does not flow into.
      bool lhsScores = readsContraction(s->operands[0], builder);
      bool rhsScores = readsContraction(s->operands[1], builder);
      if (lhsScores == rhsScores)
        return std::nullopt;
      // select(B, 0, -inf) added is the i1 mask B (torch's float causal
      // masks): it commutes like one.
      if (Expr *m = stripCasts(s->operands[lhsScores ? 1 : 0]);
          m->isApply(Fn::Select) && stripCasts(m->operands[1])->isConst(0.0) &&
          stripCasts(m->operands[2])->isConst(negInf) && !sawSoftcap &&
          match.scale > 0.0) {
        if (!takeCondition(m->operands[0]))
          return std::nullopt;
        s = s->operands[lhsScores ? 0 : 1];
        continue;
      }
      if (sawScale || sawSoftcap)
        return std::nullopt;
      if (!takeMask(s->operands[lhsScores ? 1 : 0], /*isBool=*/false))
        return std::nullopt;
      s = s->operands[lhsScores ? 0 : 1];
      continue;
    }

    if (s->isApply(Fn::Select)) {
      if (sawSoftcap || match.scale < 0.0)
        return std::nullopt;
      Expr *cond = s->operands[0];
      if (stripCasts(s->operands[2])->isConst(negInf)) {
        if (!takeCondition(cond))
          return std::nullopt;
        s = s->operands[1];
        continue;
      }
      if (stripCasts(s->operands[1])->isConst(negInf)) {
        // select(c, -inf, s) keeps !c: an index band with the inverted
        // comparison, or the mask tensor c negated.
        Expr *cmp = stripCasts(cond);
        if (cmp->isApply(Fn::CmpI)) {
          Expr *inverted = builder.constant(0);
          *inverted = *cmp;
          inverted->origin = Value();
          inverted->predicate = static_cast<int64_t>(arith::invertPredicate(
              static_cast<arith::CmpIPredicate>(cmp->predicate)));
          KeyBand band = match.band.value_or(KeyBand());
          if (addBandCondition(inverted, queryDim, keyDim, band)) {
            match.band = band;
            s = s->operands[2];
            continue;
          }
        }
        if (!takeMask(cond, /*isBool=*/true))
          return std::nullopt;
        match.maskInverted = true;
        s = s->operands[2];
        continue;
      }
      return std::nullopt;
    }

    if (s->isApply(Fn::Mul)) {
      // softcap: c * tanh(x / c) or c * tanh(x * (1/c)).
      bool matched = false;
      for (unsigned capSide : {1u, 0u}) {
        std::optional<double> cap = constantOperand(capSide);
        Expr *t = stripCasts(s->operands[1 - capSide]);
        if (!cap || !(*cap > 0.0) || !std::isfinite(*cap) ||
            !t->isApply(Fn::Tanh))
          continue;
        Expr *x = stripCasts(t->operands[0]);
        std::optional<double> inner;
        Expr *factor = x->kind == Expr::Kind::Apply && x->operands.size() == 2
                           ? stripCasts(x->operands[1])
                           : nullptr;
        if (factor && factor->kind == Expr::Kind::Const) {
          if (x->isApply(Fn::Div))
            inner = 1.0 / factor->constant;
          else if (x->isApply(Fn::Mul))
            inner = factor->constant;
        }
        if (!inner || std::fabs(*inner * *cap - 1.0) > 1e-6)
          continue;
        if (sawScale || sawSoftcap)
          return std::nullopt;
        match.softcap = *cap;
        sawSoftcap = true;
        s = x->operands[0];
        matched = true;
        break;
      }
      if (matched)
        continue;
    }

    // Scaling: x * c, c * x, x / c.
    std::optional<double> factor;
    Expr *rest = nullptr;
    if (s->isApply(Fn::Mul)) {
      if ((factor = constantOperand(1)))
        rest = s->operands[0];
      else if ((factor = constantOperand(0)))
        rest = s->operands[1];
    } else if (s->isApply(Fn::Div)) {
      if ((factor = constantOperand(1)) && *factor != 0.0) {
        factor = 1.0 / *factor;
        rest = s->operands[0];
      }
    }
    if (!rest || !std::isfinite(*factor) || *factor == 0.0)
      return std::nullopt;
    match.scale *= *factor;
    sawScale = true;
    s = rest;
  }
  return std::nullopt;
}

/// When `e` reads the result of a `kind` reduction over the keys, the
/// reduced expression in the scores space; else null.
static Expr *getReducedOverKeys(Expr *e, Reduction::Kind kind, unsigned keyDim,
                                ExprBuilder &builder) {
  e = stripCasts(e);
  if (e->kind != Expr::Kind::Leaf)
    return nullptr;
  std::optional<Reduction> r = getReduction(e->value, builder);
  if (!r || r->kind != kind)
    return nullptr;
  return alignReduction(*r, e->map, keyDim, builder);
}

/// Matches the softmax over the last dim that produces `p`; returns its
/// input.
static Expr *matchSoftmax(Expr *p, unsigned rank, ExprBuilder &builder) {
  MLIRContext *ctx = p->map ? p->map.getContext() : nullptr;
  unsigned keyDim = rank - 1;
  p = stripCasts(p);
  if (p->kind == Expr::Kind::Leaf) {
    auto softmax = p->value.getDefiningOp<linalg::SoftmaxOp>();
    if (!softmax || softmax.getDimension() != keyDim ||
        p->map != AffineMap::getMultiDimIdentityMap(rank, ctx))
      return nullptr;
    return builder.read(softmax.getInput(), p->map);
  }
  // e / z, e * (1 / z), (1 / z) * e.
  Expr *e = nullptr, *z = nullptr;
  auto reciprocal = [](Expr *x) -> Expr * {
    x = stripCasts(x);
    if (x->isApply(Fn::Recip))
      return x->operands[0];
    if (x->isApply(Fn::Div) && stripCasts(x->operands[0])->isConst(1.0))
      return x->operands[1];
    return nullptr;
  };
  if (p->isApply(Fn::Div)) {
    e = p->operands[0];
    z = p->operands[1];
  } else if (p->isApply(Fn::Mul)) {
    if ((z = reciprocal(p->operands[1])))
      e = p->operands[0];
    else if ((z = reciprocal(p->operands[0])))
      e = p->operands[1];
  }
  if (!e || !z)
    return nullptr;
  Expr *exp = stripCasts(e);
  if (!exp->isApply(Fn::Exp))
    return nullptr;
  // The sum of e over the keys.
  Expr *summed = getReducedOverKeys(z, Reduction::Kind::Sum, keyDim, builder);
  if (!summed || !isEquivalent(summed, e))
    return nullptr;
  // exp(s - max_j s), or exp(s) without the shift.
  Expr *x = stripCasts(exp->operands[0]);
  if (!x->isApply(Fn::Sub))
    return x;
  Expr *s = x->operands[0];
  Expr *maxed =
      getReducedOverKeys(x->operands[1], Reduction::Kind::Max, keyDim, builder);
  if (!maxed)
    return x;
  return isEquivalent(maxed, s) ? s : nullptr;
}

//===----------------------------------------------------------------------===//
// Rewriting
//===----------------------------------------------------------------------===//

/// For each dim of the tensor `access` reads, the position in `dims` of the
/// loop it reads, or -1 for a unit dim read at 0. None when the access is not
/// a transposed and broadcast read of those loops.
static std::optional<SmallVector<int64_t>>
getReadPositions(const Access &access, ArrayRef<unsigned> dims,
                 ArrayRef<int64_t> loopSizes = {}) {
  auto type = dyn_cast<RankedTensorType>(access.value.getType());
  if (!type || access.map.getNumResults() != type.getRank())
    return std::nullopt;
  SmallVector<int64_t> target;
  for (auto [pos, expr] : llvm::enumerate(access.map.getResults())) {
    if (auto c = dyn_cast<AffineConstantExpr>(expr)) {
      if (c.getValue() != 0 || type.getDimSize(pos) != 1)
        return std::nullopt;
      // A unit dim read at 0 in the place of a unit loop that nothing else
      // reads stands for that loop (keeps [1, H, S, D] as it is).
      if (pos < dims.size() && dims[pos] < loopSizes.size() &&
          loopSizes[dims[pos]] == 1 && !access.map.isFunctionOfDim(dims[pos]) &&
          !llvm::is_contained(target, static_cast<int64_t>(pos))) {
        target.push_back(pos);
        continue;
      }
      target.push_back(-1);
      continue;
    }
    auto dim = dyn_cast<AffineDimExpr>(expr);
    if (!dim)
      return std::nullopt;
    const unsigned *it = llvm::find(dims, dim.getPosition());
    if (it == dims.end())
      return std::nullopt;
    int64_t t = it - dims.begin();
    if (llvm::is_contained(target, t))
      return std::nullopt;
    // The tensor dim spans exactly the loop (a merged dim split back into
    // the loops it was linearized from must have their sizes).
    if (dim.getPosition() < loopSizes.size() &&
        !ShapedType::isDynamic(loopSizes[dim.getPosition()]) &&
        !type.isDynamicDim(pos) &&
        type.getDimSize(pos) != loopSizes[dim.getPosition()])
      return std::nullopt;
    target.push_back(t);
  }
  if (llvm::all_of(target, [](int64_t t) { return t < 0; }))
    return std::nullopt;
  return target;
}

/// A tensor dim read as the row-major linearization of several loops
/// (`x[.., (h * D + d), ..]`, a projection output before its heads are split
/// off by a view) is expanded into one dim per loop, so that the read
/// becomes a transposed and broadcast one. Returns the new read, creating
/// the `tensor.expand_shape` (recorded in `created`), or the read unchanged.
/// None when a merged dim does not split exactly.
static std::optional<Access>
splitMergedDims(OpBuilder &b, Location loc, const Access &access,
                ArrayRef<int64_t> loopSizes,
                SmallVectorImpl<Operation *> &created) {
  auto type = dyn_cast<RankedTensorType>(access.value.getType());
  if (!type)
    return std::nullopt;
  MLIRContext *ctx = b.getContext();
  SmallVector<ReassociationIndices> groups;
  SmallVector<int64_t> shape;
  SmallVector<AffineExpr> exprs;
  bool split = false;
  for (auto [pos, e] : llvm::enumerate(access.map.getResults())) {
    ReassociationIndices group;
    if (isa<AffineDimExpr, AffineConstantExpr>(e)) {
      group.push_back(shape.size());
      shape.push_back(type.getDimSize(pos));
      exprs.push_back(e);
      groups.push_back(group);
      continue;
    }
    SmallVector<int64_t> coeffs(access.map.getNumDims(), 0);
    int64_t constant = 0;
    int64_t size = type.getDimSize(pos);
    if (!ExprBuilder::getLinearTerms(e, 1, coeffs, constant) || constant != 0 ||
        ShapedType::isDynamic(size))
      return std::nullopt;
    SmallVector<std::pair<int64_t, unsigned>> terms;
    for (auto [d, c] : llvm::enumerate(coeffs)) {
      if (c < 0)
        return std::nullopt;
      if (c > 0)
        terms.push_back({c, d});
    }
    llvm::sort(terms, [](auto x, auto y) { return x.first > y.first; });
    if (terms.empty() || terms.back().first != 1)
      return std::nullopt;
    for (auto [t, term] : llvm::enumerate(terms)) {
      int64_t above = t == 0 ? size : terms[t - 1].first;
      if (above % term.first != 0)
        return std::nullopt;
      int64_t loopSize = above / term.first;
      unsigned d = term.second;
      if (d < loopSizes.size() && !ShapedType::isDynamic(loopSizes[d]) &&
          loopSizes[d] != loopSize)
        return std::nullopt;
      group.push_back(shape.size());
      shape.push_back(loopSize);
      exprs.push_back(getAffineDimExpr(d, ctx));
    }
    groups.push_back(group);
    split = true;
  }
  if (!split)
    return access;
  auto expanded = tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), access.value,
      groups);
  created.push_back(expanded);
  return Access{expanded.getResult(),
                AffineMap::get(access.map.getNumDims(), 0, exprs, ctx)};
}

/// Reads `access` (over some loops) as a tensor laid out along `dims` (loops
/// of the same space): transposed where needed, with unit dims for loops it
/// is broadcast along. The access must pass getReadPositions.
static Value materialize(OpBuilder &b, Location loc, const Access &access,
                         ArrayRef<unsigned> dims, ArrayRef<int64_t> loopSizes) {
  auto type = cast<RankedTensorType>(access.value.getType());
  SmallVector<int64_t> target = *getReadPositions(access, dims, loopSizes);
  Value v = access.value;
  // Drop unit dims that read nothing.
  SmallVector<int64_t> kept;
  for (int64_t t : target)
    if (t >= 0)
      kept.push_back(t);
  if (kept.size() != target.size()) {
    SmallVector<ReassociationIndices> groups;
    ReassociationIndices pending;
    for (auto [pos, t] : llvm::enumerate(target)) {
      pending.push_back(pos);
      if (t >= 0) {
        groups.push_back(pending);
        pending.clear();
      }
    }
    if (!pending.empty()) {
      if (groups.empty())
        groups.push_back({});
      llvm::append_range(groups.back(), pending);
    }
    SmallVector<int64_t> shape;
    for (auto [pos, t] : llvm::enumerate(target))
      if (t >= 0)
        shape.push_back(type.getDimSize(pos));
    auto collapsedType = RankedTensorType::get(shape, type.getElementType());
    v = tensor::CollapseShapeOp::create(b, loc, collapsedType, v, groups);
  }
  // Order the remaining dims as `dims` does.
  SmallVector<int64_t> order(kept.size());
  std::iota(order.begin(), order.end(), 0);
  llvm::sort(order, [&](int64_t x, int64_t y) { return kept[x] < kept[y]; });
  if (!llvm::is_sorted(kept)) {
    auto vType = cast<RankedTensorType>(v.getType());
    SmallVector<OpFoldResult> sizes;
    for (int64_t src : order)
      sizes.push_back(tensor::getMixedSize(b, loc, v, src));
    Value empty =
        tensor::EmptyOp::create(b, loc, sizes, vType.getElementType());
    v = linalg::TransposeOp::create(b, loc, v, empty, order)->getResult(0);
    llvm::sort(kept);
  }
  // Unit dims for the loops it is broadcast along.
  if (kept.size() != dims.size()) {
    auto vType = cast<RankedTensorType>(v.getType());
    SmallVector<int64_t> shape(dims.size(), 1);
    for (auto [i, t] : llvm::enumerate(kept))
      shape[t] = vType.getDimSize(i);
    SmallVector<ReassociationIndices> groups;
    ReassociationIndices pending;
    for (int64_t d = 0, e = dims.size(), next = 0; d < e; ++d) {
      pending.push_back(d);
      if (next < static_cast<int64_t>(kept.size()) && kept[next] == d) {
        groups.push_back(pending);
        pending.clear();
        ++next;
      }
    }
    if (!pending.empty()) {
      if (groups.empty())
        groups.push_back({});
      llvm::append_range(groups.back(), pending);
    }
    auto expandedType = RankedTensorType::get(shape, vType.getElementType());
    v = tensor::ExpandShapeOp::create(b, loc, expandedType, v, groups);
  }
  return v;
}

/// The logical negation of i1 tensor `mask`.
static Value invertMask(OpBuilder &b, Location loc, Value mask) {
  auto type = cast<RankedTensorType>(mask.getType());
  Value empty = tensor::EmptyOp::create(
      b, loc, tensor::getMixedSizes(b, loc, mask), type.getElementType());
  AffineMap identity =
      AffineMap::getMultiDimIdentityMap(type.getRank(), b.getContext());
  SmallVector<utils::IteratorType> iterators(type.getRank(),
                                             utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, type, mask, empty, ArrayRef<AffineMap>{identity, identity},
             iterators,
             [](OpBuilder &nb, Location nloc, ValueRange args) {
               Value t = arith::ConstantIntOp::create(nb, nloc, 1, 1);
               Value x = arith::XOrIOp::create(nb, nloc, args[0], t);
               linalg::YieldOp::create(nb, nloc, x);
             })
      .getResult(0);
}

/// How a `[batch..., S, D]` tensor with 0 to 3 batch dims becomes
/// `[B, H, S, D]`: unit dims in front of fewer than two batch dims, and
/// `[B, Hkv, g]` heads merged into `[B, Hkv * g]`.
static SmallVector<ReassociationIndices> getRank4Groups(int64_t rank) {
  switch (rank) {
  case 2:
    return {{0, 1, 2}, {3}};
  case 3:
    return {{0, 1}, {2}, {3}};
  case 5:
    return {{0}, {1, 2}, {3}, {4}};
  default:
    return {};
  }
}

static Value toRank4(OpBuilder &b, Location loc, Value v) {
  auto type = cast<RankedTensorType>(v.getType());
  int64_t rank = type.getRank();
  if (rank == 4)
    return v;
  if (rank == 5)
    return tensor::CollapseShapeOp::create(b, loc, v, getRank4Groups(rank));
  SmallVector<int64_t> shape(4 - rank, 1);
  llvm::append_range(shape, type.getShape());
  return tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), v,
      getRank4Groups(rank));
}

/// The inverse of toRank4, to `type`.
static Value fromRank4(OpBuilder &b, Location loc, Value v,
                       RankedTensorType type) {
  if (type.getRank() == 4)
    return v;
  auto vType = cast<RankedTensorType>(v.getType());
  if (type.getRank() == 5)
    return tensor::ExpandShapeOp::create(
        b, loc, type.clone(vType.getElementType()), v, getRank4Groups(5));
  SmallVector<int64_t> shape(vType.getShape().drop_front(4 - type.getRank()));
  return tensor::CollapseShapeOp::create(
      b, loc, RankedTensorType::get(shape, vType.getElementType()), v,
      getRank4Groups(type.getRank()));
}

/// Grouped-query K or V written as a repeat of `Hkv` heads to `H` (a
/// broadcast and a collapse, in any of the forms reads see through): with
/// the head index h = hkv * G + g, `access` (over [b, h, i, j, x]) reads its
/// tensor without g. Returns that read over [b, hkv, g, i, j, x].
static std::optional<Access>
getGroupedRead(const Access &access, int64_t groupSize, ExprBuilder &builder) {
  MLIRContext *ctx = access.map.getContext();
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  AffineMap toGrouped = AffineMap::get(
      6, 0, {d(0), d(1) * groupSize + d(2), d(3), d(4), d(5)}, ctx);
  Expr *e = builder.read(access.value, access.map.compose(toGrouped));
  if (e->kind != Expr::Kind::Leaf || e->map.isFunctionOfDim(2))
    return std::nullopt;
  return Access{e->value, e->map};
}

/// Finds and rewrites the attention that ends in contraction `root`.
class AttentionRaiser {
public:
  AttentionRaiser(Operation *root, bool remarks)
      : root(root), remarks(remarks) {}

  LogicalResult run() {
    ExprBuilder builder;
    std::optional<Contraction> pv = getContraction(root, builder);
    if (!pv)
      return failure();
    MLIRContext *ctx = root->getContext();
    auto dim = [&](unsigned d) { return getAffineDimExpr(d, ctx); };

    // The scores space [batch..., i, j]: P V's loops, or, when P is a
    // collapse of its batch dims (torch-mlir folds the heads into the batch
    // of a 3-D batch_matmul), the space before the collapse.
    rank = pv->batch.size() + 2;
    SmallVector<AffineExpr> batchExprs;
    for (unsigned t = 0; t < pv->batch.size(); ++t)
      batchExprs.push_back(dim(t));
    auto toPvLoops = [&](unsigned numDims, AffineExpr mExpr, AffineExpr kExpr,
                         AffineExpr nExpr) {
      SmallVector<AffineExpr> loops(pv->numLoops);
      for (auto [t, loop] : llvm::enumerate(pv->batch))
        loops[loop] = batchExprs[t];
      loops[pv->m] = mExpr;
      loops[pv->k] = kExpr;
      loops[pv->n] = nExpr;
      return AffineMap::get(numDims, 0, loops, ctx);
    };
    AffineExpr zero = getAffineConstantExpr(0, ctx);
    Expr *p = builder.remap(
        pv->lhs, toPvLoops(rank, dim(rank - 2), dim(rank - 1), zero));
    if (!p)
      return debug("P is not a read of the scores space");
    sShape = getLoopSizes(*pv);
    if (Value pOperand = getProbsOperand(*pv)) {
      if (std::optional<SmallVector<ReassociationIndices>> groups =
              getCollapseGroups(pOperand)) {
        Value src = pOperand.getDefiningOp()->getOperand(0);
        ArrayRef<int64_t> srcShape = cast<ShapedType>(src.getType()).getShape();
        unsigned srcRank = srcShape.size();
        if (groups->size() == rank && (*groups)[rank - 2].size() == 1 &&
            (*groups)[rank - 1].size() == 1 && srcRank <= 5) {
          rank = srcRank;
          batchExprs.clear();
          for (unsigned t = 0; t + 2 < groups->size(); ++t) {
            AffineExpr e = zero;
            int64_t stride = 1;
            for (int64_t d : llvm::reverse((*groups)[t])) {
              // A unit dim's index is 0: leave it out of the linearization
              // so that reads through other reshapes of it line up.
              if (srcShape[d] != 1)
                e = e + dim(d) * stride;
              stride *= srcShape[d];
            }
            batchExprs.push_back(e);
          }
          p = builder.remap(
              pv->lhs, toPvLoops(rank, dim(rank - 2), dim(rank - 1), zero));
          if (!p)
            return debug("P is not a read of the scores space");
          sShape = llvm::to_vector(srcShape);
          liftGroups = std::move(*groups);
        }
      }
    }
    if (rank < 2 || rank > 5)
      return debug("unsupported number of batch dims");

    // torch's SDPA zeroes the rows whose scores are all -inf:
    // select(all_j(s == -inf), 0, P). attn.sdpa does that by definition.
    Expr *guard = nullptr;
    if (Expr *sel = stripCasts(p); sel->isApply(Fn::Select) &&
                                   stripCasts(sel->operands[1])->isConst(0.0)) {
      guard = sel->operands[0];
      p = sel->operands[2];
    }
    Expr *s = matchSoftmax(p, rank, builder);
    if (!s)
      return debug("P is not a softmax over the keys");
    sawSoftmax = true;
    if (guard && !isAllMaskedGuard(guard, s, builder))
      return debug("P is selected by something other than the all-masked "
                   "row guard");
    std::optional<ScoresMatch> scores = matchScores(s, rank, builder);
    if (!scores)
      return debug("softmax input is not masked, scaled Q K^T");
    const Contraction &qk = scores->qk;
    double scale = scores->scale;

    // Q, K over [batch..., i, j, d] and V over [batch..., i, j, e].
    SmallVector<AffineExpr> qkLoops(qk.numLoops);
    for (auto [t, loop] : llvm::enumerate(qk.batch))
      qkLoops[loop] = dropUnitDims(scores->qkRead.getResult(t));
    qkLoops[qk.m] = dim(rank - 2);
    qkLoops[qk.n] = dim(rank - 1);
    qkLoops[qk.k] = dim(rank);
    AffineMap toQkLoops = AffineMap::get(rank + 1, 0, qkLoops, ctx);
    Expr *qExpr = builder.remap(qk.lhs, toQkLoops);
    Expr *kExpr = builder.remap(qk.rhs, toQkLoops);
    Expr *vExpr = builder.remap(
        pv->rhs, toPvLoops(rank + 1, zero, dim(rank - 1), dim(rank)));
    if (!qExpr || !kExpr || !vExpr)
      return debug("q, k or v is not a tensor read");
    // Constant factors on q and k fold into the scale.
    std::optional<Access> q = peelScale(qExpr, scale);
    std::optional<Access> k = peelScale(kExpr, scale);
    std::optional<Access> v = getAccess(stripCasts(vExpr));
    if (!q || !k || !v)
      return debug("q, k or v is not a tensor read");
    if (!std::isfinite(scale) || std::fabs(scale) > 3.4e38 || scale == 0.0)
      return debug("scale does not fit f32");

    // Every value strictly between Q K^T and P V must be used only there.
    SetVector<Operation *> forward, backward;
    getForwardSlice(qk.op, &forward);
    BackwardSliceOptions backwardOptions;
    backwardOptions.inclusive = false;
    (void)getBackwardSlice(root, &backward, backwardOptions);
    SmallPtrSet<Operation *, 16> interior;
    interior.insert(qk.op);
    for (Operation *op : forward)
      if (backward.contains(op))
        interior.insert(op);
    for (Operation *op : interior)
      for (Operation *user : op->getUsers())
        if (user != root && !interior.contains(user))
          return debug("an intermediate has another user");
    auto dependsOnScores = [&](Value v) {
      Operation *def = v.getDefiningOp();
      return def && (interior.contains(def) || forward.contains(def));
    };
    if (dependsOnScores(q->value) || dependsOnScores(k->value) ||
        dependsOnScores(v->value) ||
        (scores->mask && dependsOnScores(scores->mask->value)))
      return debug("an operand depends on the scores");

    return rewrite(*pv, *scores, *q, *k, *v, scale, builder);
  }

private:
  /// A reason not to raise; a remark on the P V contraction when asked for,
  /// once the graph looked like attention (a softmax feeding it).
  LogicalResult debug(const Twine &why) {
    if (remarks && sawSoftmax)
      root->emitRemark("not raised to attn.sdpa: ") << why;
    LLVM_DEBUG(llvm::dbgs() << "attn-raise: " << root->getName() << " at "
                            << root->getLoc() << ": " << why << "\n");
    return failure();
  }

  /// Strips constant factors off a contraction operand into `scale`.
  static std::optional<Access> peelScale(Expr *e, double &scale) {
    double factor = 1.0;
    std::optional<Access> whole = getAccess(e);
    for (;;) {
      e = stripCasts(e);
      if (e->isApply(Fn::Mul)) {
        Expr *lhs = stripCasts(e->operands[0]);
        Expr *rhs = stripCasts(e->operands[1]);
        if (rhs->kind == Expr::Kind::Const) {
          factor *= rhs->constant;
          e = lhs;
          continue;
        }
        if (lhs->kind == Expr::Kind::Const) {
          factor *= lhs->constant;
          e = rhs;
          continue;
        }
      } else if (e->isApply(Fn::Div)) {
        Expr *rhs = stripCasts(e->operands[1]);
        if (rhs->kind == Expr::Kind::Const && rhs->constant != 0.0) {
          factor /= rhs->constant;
          e = e->operands[0];
          continue;
        }
      }
      break;
    }
    std::optional<Access> access = getAccess(e);
    if (!access || factor == 0.0 || !std::isfinite(factor))
      return whole;
    scale *= factor;
    return access;
  }

  LogicalResult rewrite(const Contraction &pv, const ScoresMatch &scores,
                        Access q, Access k, Access v, double scale,
                        ExprBuilder &builder) {
    Location loc = root->getLoc();
    OpBuilder b(root);
    auto rootType = cast<RankedTensorType>(root->getResult(0).getType());

    auto elementType = [](Value v) {
      return cast<ShapedType>(v.getType()).getElementType();
    };
    Type qElem = elementType(q.value);
    if (elementType(k.value) != qElem || elementType(v.value) != qElem ||
        !isa<Float32Type, Float16Type, BFloat16Type>(qElem))
      return debug("q, k and v element types differ or are unsupported");
    Type resultElem = rootType.getElementType();
    if (resultElem != qElem && !resultElem.isF32())
      return debug("result element type is neither q's nor f32");
    if (scores.mask) {
      Type maskElem = elementType(scores.mask->value);
      if (scores.maskIsBool ? !maskElem.isInteger(1)
                            : (maskElem != qElem && !maskElem.isF32()))
        return debug("unsupported mask element type");
    }

    // Where the band of kept keys matches causal/window, say so; otherwise
    // it becomes an i1 mask.
    UnitAttr causal;
    DenseI64ArrayAttr window;
    std::optional<Access> bandAsMask;
    int64_t sq = sShape[rank - 2];
    int64_t sk = sShape[rank - 1];
    if (scores.band) {
      const KeyBand &band = *scores.band;
      constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
      constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
      bool expressible =
          !ShapedType::isDynamic(sq) && !ShapedType::isDynamic(sk);
      int64_t o = expressible ? sk - sq : 0;
      if (expressible) {
        if (band.hi < o || (band.lo != kMin && band.lo > o))
          expressible = false;
      }
      if (!expressible && (!scores.bandTensor || scores.mask))
        return debug("masked band is not causal/window aligned to the "
                     "bottom-right");
      if (!expressible) {
        // Keep the band as the i1 mask it was computed into.
        bandAsMask = scores.bandTensor;
      } else if (band.hi == o && band.lo == kMin) {
        causal = b.getUnitAttr();
      } else {
        int64_t left = band.lo == kMin ? sq + sk : o - band.lo;
        int64_t right = band.hi == kMax ? sq + sk : band.hi - o;
        left = std::min(left, sq + sk);
        right = std::min(right, sq + sk);
        window = b.getDenseI64ArrayAttr({left, right});
      }
    }

    // Q and K over [batch..., i, j, d], V over [batch..., i, j, e].
    SmallVector<unsigned> qDims, kDims;
    for (unsigned d = 0; d + 2 < rank; ++d)
      qDims.push_back(d);
    kDims = qDims;
    qDims.append({rank - 2, rank});
    kDims.append({rank - 1, rank});
    SmallVector<unsigned> vDims = kDims;

    SmallVector<unsigned> sDims = llvm::to_vector(llvm::seq<unsigned>(0, rank));
    SmallVector<int64_t> loopSizes(sShape);
    loopSizes.push_back(ShapedType::kDynamic);
    // Grouped-query heads written as a repeat of the K/V heads: the largest
    // group size G for which K and V read their tensors without the
    // position in the group. Checked before any IR is created.
    std::optional<Access> kHeads, vHeads;
    SmallVector<unsigned> headDims = {0, 1, 4, 5};
    SmallVector<int64_t> groupedSizes;
    if (rank == 4 && !ShapedType::isDynamic(sShape[1])) {
      int64_t heads = sShape[1];
      for (int64_t g = heads; g > 1 && !kHeads; --g) {
        if (heads % g != 0)
          continue;
        groupedSizes = {sShape[0], heads / g, g,
                        sShape[2], sShape[3], ShapedType::kDynamic};
        std::optional<Access> kg = getGroupedRead(k, g, builder);
        std::optional<Access> vg = getGroupedRead(v, g, builder);
        if (kg && vg && getReadPositions(*kg, headDims, groupedSizes) &&
            getReadPositions(*vg, headDims, groupedSizes)) {
          kHeads = kg;
          vHeads = vg;
        }
      }
    }
    // Split merged dims first; on a failure below, erase what that created.
    SmallVector<Operation *> created;
    std::optional<Access> mask = bandAsMask ? bandAsMask : scores.mask;
    bool maskInverted = bandAsMask ? false : scores.maskInverted;
    auto fail = [&](const Twine &why) {
      for (Operation *op : llvm::reverse(created))
        op->erase();
      return debug(why);
    };
    {
      std::optional<Access> q2 = splitMergedDims(b, loc, q, loopSizes, created);
      std::optional<Access> k2 = splitMergedDims(b, loc, k, loopSizes, created);
      std::optional<Access> v2 = splitMergedDims(b, loc, v, loopSizes, created);
      if (!q2 || !k2 || !v2)
        return fail("q, k or v merges dims that do not split into its loops");
      q = *q2;
      k = *k2;
      v = *v2;
      if (mask) {
        std::optional<Access> m2 =
            splitMergedDims(b, loc, *mask, loopSizes, created);
        if (!m2)
          return fail("the mask merges dims that do not split into its loops");
        mask = *m2;
      }
    }
    std::optional<SmallVector<int64_t>> qRead =
        getReadPositions(q, qDims, loopSizes);
    std::optional<SmallVector<int64_t>> kRead =
        getReadPositions(k, kDims, loopSizes);
    std::optional<SmallVector<int64_t>> vRead =
        getReadPositions(v, vDims, loopSizes);
    if (!qRead || !kRead || !vRead)
      return fail("q, k or v is not a plain read");
    // Which batch dims a tensor reads (bit i: batch dim i).
    auto batchRead = [&](ArrayRef<int64_t> read) {
      // A batch dim of size 1 counts as read: broadcasting it is reading it.
      unsigned bits = 0;
      for (unsigned d = 0; d + 2 < rank; ++d)
        if (sShape[d] == 1)
          bits |= 1u << d;
      for (int64_t t : read)
        if (t >= 0 && t < static_cast<int64_t>(rank) - 2)
          bits |= 1u << t;
      return bits;
    };
    unsigned all = (1u << (rank - 2)) - 1;
    // K and V may skip only the batch dim that becomes grouped heads: the
    // only one (rank 3), the heads (rank 4), or the group (rank 5).
    unsigned kBits = batchRead(*kRead), vBits = batchRead(*vRead);
    unsigned groupBit = rank == 3 ? 1u : rank == 4 ? 2u : rank == 5 ? 4u : 0u;
    if (batchRead(*qRead) != all || kBits != vBits ||
        (kBits != all && kBits != (all & ~groupBit)))
      return fail("k/v broadcast along batch dims attn.sdpa cannot express");
    if (rank == 5 &&
        (ShapedType::isDynamic(sShape[1]) || ShapedType::isDynamic(sShape[2])))
      return fail("dynamic grouped heads");
    if (mask) {
      std::optional<SmallVector<int64_t>> maskRead =
          getReadPositions(*mask, sDims, loopSizes);
      if (!maskRead)
        return fail("mask is not a broadcast read of the scores");
      unsigned bits = batchRead(*maskRead);
      if (rank == 5 && ((bits >> 1) & 1) != ((bits >> 2) & 1))
        return fail("mask broadcast along only part of the grouped heads");
    }

    // The match is complete: from here on the IR changes.
    Value qT = materialize(b, loc, q, qDims, loopSizes);
    Value kT, vT;
    if (kHeads && vHeads) {
      kT = materialize(b, loc, *kHeads, headDims, groupedSizes);
      vT = materialize(b, loc, *vHeads, headDims, groupedSizes);
    } else {
      kT = materialize(b, loc, k, kDims, loopSizes);
      vT = materialize(b, loc, v, vDims, loopSizes);
    }
    Value maskT;
    if (mask)
      maskT = materialize(b, loc, *mask, sDims, loopSizes);
    if (maskInverted)
      maskT = invertMask(b, loc, maskT);
    qT = toRank4(b, loc, qT);
    kT = toRank4(b, loc, kT);
    vT = toRank4(b, loc, vT);
    if (maskT)
      maskT = toRank4(b, loc, maskT);

    auto q4 = cast<RankedTensorType>(qT.getType());
    auto v4 = cast<RankedTensorType>(vT.getType());
    auto resultType =
        RankedTensorType::get({q4.getDimSize(0), q4.getDimSize(1),
                               q4.getDimSize(2), v4.getDimSize(3)},
                              resultElem);
    auto sdpa = SdpaOp::create(
        b, loc, resultType, qT, kT, vT, maskT, b.getF32FloatAttr(scale), causal,
        window,
        scores.softcap ? b.getF32FloatAttr(*scores.softcap) : FloatAttr());
    // Back to the layout of the P V result: [batch..., Sq, Dv] of the scores
    // space, with its batch dims merged as P V merged them.
    SmallVector<int64_t> outShape(sShape.begin(), sShape.end() - 1);
    outShape.push_back(v4.getDimSize(3));
    Value result = fromRank4(b, loc, sdpa.getResult(),
                             RankedTensorType::get(outShape, resultElem));
    if (liftGroups)
      result = tensor::CollapseShapeOp::create(b, loc, result, *liftGroups);
    if (result.getType() != rootType)
      result = tensor::CastOp::create(b, loc, rootType, result);
    root->getResult(0).replaceAllUsesWith(result);
    return success();
  }

  /// Sizes of the loops of `c` in the order [batch..., m, k] (P's layout
  /// for P V).
  static SmallVector<int64_t> getLoopSizes(const Contraction &c) {
    SmallVector<int64_t> loops(c.numLoops, ShapedType::kDynamic);
    if (auto linalgOp = dyn_cast<linalg::LinalgOp>(c.op))
      loops = linalgOp.getStaticLoopRanges();
    else if (auto matmul = dyn_cast<tosa::MatMulOp>(c.op)) {
      ArrayRef<int64_t> a = matmul.getA().getType().getShape();
      ArrayRef<int64_t> b = matmul.getB().getType().getShape();
      loops = {a[0], a[1], b[2], a[2]};
    }
    SmallVector<int64_t> sizes;
    for (unsigned loop : c.batch)
      sizes.push_back(loops[loop]);
    sizes.push_back(loops[c.m]);
    sizes.push_back(loops[c.k]);
    return sizes;
  }

  /// `e` with the scores dims of size 1 replaced by 0 (their only index).
  AffineExpr dropUnitDims(AffineExpr e) const {
    MLIRContext *ctx = e.getContext();
    SmallVector<AffineExpr> dims;
    for (unsigned d = 0; d < rank + 1; ++d)
      dims.push_back(d < sShape.size() && sShape[d] == 1
                         ? getAffineConstantExpr(0, ctx)
                         : getAffineDimExpr(d, ctx));
    return simplifyAffineExpr(e.replaceDims(dims), rank + 1, 0);
  }

  /// The operand of P V that holds P, read as [batch..., m, k].
  static Value getProbsOperand(const Contraction &pv) {
    if (auto matmul = dyn_cast<tosa::MatMulOp>(pv.op))
      return matmul.getA();
    auto linalgOp = cast<linalg::LinalgOp>(pv.op);
    MLIRContext *ctx = pv.op->getContext();
    for (OpOperand *operand : linalgOp.getDpsInputOperands()) {
      AffineMap map = linalgOp.getMatchingIndexingMap(operand);
      unsigned n = map.getNumResults();
      if (n == pv.batch.size() + 2 &&
          map.getResult(n - 2) == getAffineDimExpr(pv.m, ctx) &&
          map.getResult(n - 1) == getAffineDimExpr(pv.k, ctx))
        return operand->get();
    }
    return Value();
  }

  /// The reassociation of a collapsing reshape that `v` is the result of.
  static std::optional<SmallVector<ReassociationIndices>>
  getCollapseGroups(Value v) {
    Operation *def = v.getDefiningOp();
    if (auto collapse = dyn_cast_or_null<tensor::CollapseShapeOp>(def)) {
      if (!collapse.getSrcType().hasStaticShape())
        return std::nullopt;
      return collapse.getReassociationIndices();
    }
    if (auto reshape = dyn_cast_or_null<tosa::ReshapeOp>(def)) {
      auto srcType = cast<ShapedType>(reshape.getInput1().getType());
      auto dstType = cast<ShapedType>(reshape.getType());
      if (!srcType.hasStaticShape() || !dstType.hasStaticShape() ||
          dstType.getRank() >= srcType.getRank())
        return std::nullopt;
      return getReassociationIndicesForCollapse(srcType.getShape(),
                                                dstType.getShape());
    }
    return std::nullopt;
  }

  /// all_j(s[.., j] == -inf), broadcast along the keys, with `s` the
  /// softmax input.
  bool isAllMaskedGuard(Expr *guard, Expr *s, ExprBuilder &builder) {
    guard = stripCasts(guard);
    const double negInf = -std::numeric_limits<double>::infinity();
    // ONNX's Attention: max_j(M) == -inf with M added to the scores. Such a
    // row of M makes every score of the row -inf.
    if (guard->isApply(Fn::CmpF) &&
        guard->predicate == static_cast<int64_t>(arith::CmpFPredicate::OEQ)) {
      for (unsigned side : {0u, 1u}) {
        if (!stripCasts(guard->operands[1 - side])->isConst(negInf))
          continue;
        Expr *x = getReducedOverKeys(guard->operands[side],
                                     Reduction::Kind::Max, rank - 1, builder);
        if (x && isAdditiveTerm(x, s))
          return true;
      }
      return false;
    }
    Expr *cmp =
        getReducedOverKeys(guard, Reduction::Kind::And, rank - 1, builder);
    if (!cmp)
      return false;
    cmp = stripCasts(cmp);
    if (!cmp->isApply(Fn::CmpF) ||
        cmp->predicate != static_cast<int64_t>(arith::CmpFPredicate::OEQ))
      return false;
    for (unsigned side : {0u, 1u})
      if (stripCasts(cmp->operands[1 - side])->isConst(negInf) &&
          isEquivalent(cmp->operands[side], s))
        return true;
    return false;
  }

  /// Whether a row of `x` that is all -inf makes the same row of `s` all
  /// -inf: `x` is `s`, or is added into it below positive scalings and
  /// -inf selects.
  static bool isAdditiveTerm(Expr *x, Expr *s) {
    s = stripCasts(s);
    if (isEquivalent(x, s))
      return true;
    if (s->isApply(Fn::Add))
      return isAdditiveTerm(x, s->operands[0]) ||
             isAdditiveTerm(x, s->operands[1]);
    if (s->isApply(Fn::Select) &&
        stripCasts(s->operands[2])
            ->isConst(-std::numeric_limits<double>::infinity()))
      return isAdditiveTerm(x, s->operands[1]);
    if (s->isApply(Fn::Mul) || s->isApply(Fn::Div)) {
      Expr *c = stripCasts(s->operands[1]);
      if (c->kind == Expr::Kind::Const && c->constant > 0.0)
        return isAdditiveTerm(x, s->operands[0]);
      if (s->isApply(Fn::Mul)) {
        c = stripCasts(s->operands[0]);
        if (c->kind == Expr::Kind::Const && c->constant > 0.0)
          return isAdditiveTerm(x, s->operands[1]);
      }
    }
    return false;
  }

  Operation *root;
  bool remarks;
  bool sawSoftmax = false;
  /// Rank and sizes of the scores space.
  unsigned rank = 0;
  SmallVector<int64_t> sShape;
  /// How P V merges the batch dims of the scores space, if it does.
  std::optional<SmallVector<ReassociationIndices>> liftGroups;
};

/// Erases what the rewrite left dead, from `root` backwards.
static void eraseDeadSlice(Operation *root) {
  SetVector<Operation *> slice;
  BackwardSliceOptions options;
  options.inclusive = true;
  // Constants captured by the bodies of linalg ops die with them.
  options.omitUsesFromAbove = false;
  (void)getBackwardSlice(root, &slice, options);
  for (Operation *op : llvm::reverse(slice))
    if (isOpTriviallyDead(op))
      op->erase();
}

struct AttnRaisePass : attn::impl::AttnRaisePassBase<AttnRaisePass> {
  using AttnRaisePassBase::AttnRaisePassBase;

  void runOnOperation() override {
    // Each rewrite changes the graph; look again until nothing matches.
    for (;;) {
      Operation *raised = nullptr;
      getOperation()->walk([&](Operation *op) {
        if (!isa<linalg::LinalgOp, tosa::MatMulOp>(op))
          return WalkResult::advance();
        if (succeeded(AttentionRaiser(op, remarks).run())) {
          raised = op;
          return WalkResult::interrupt();
        }
        return WalkResult::advance();
      });
      if (!raised)
        break;
      eraseDeadSlice(raised);
    }
  }
};

} // namespace
