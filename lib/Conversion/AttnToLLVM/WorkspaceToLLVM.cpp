//===- WorkspaceToLLVM.cpp - attn workspaces to the LLVM dialect ----------===//
//
// Part of the attn-mlir project.
//
//===----------------------------------------------------------------------===//
//
// attn.workspace_acquire and attn.workspace_release become calls of helpers
// emitted into the module, so compiled objects need no runtime library:
//
//   block = [64-byte header: capacity (index), owning slot (ptr)][data ...]
//   acquire(slot, bytes): take the block kept in `slot` (an atomic exchange
//     with null); reuse it if it is large enough, else free it and
//     aligned_alloc a new one; return its data.
//   release(data): put the block back into its slot if the slot is empty (a
//     compare-and-swap with null), else free it.
//
// Every acquire op has a slot of its own, a pointer global; a module
// destructor (llvm.mlir.global_dtors) frees the blocks the slots keep.
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/AttnToLLVM.h"

#include "attn/IR/AttnDialect.h"
#include "attn/IR/AttnOps.h"
#include "mlir/Conversion/ConvertToLLVM/ToLLVMInterface.h"
#include "mlir/Conversion/LLVMCommon/MemRefBuilder.h"
#include "mlir/Conversion/LLVMCommon/Pattern.h"
#include "mlir/Dialect/LLVMIR/FunctionCallUtils.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinOps.h"

using namespace mlir;
using namespace mlir::attn;

namespace {

constexpr int64_t kHeaderBytes = 64;
constexpr int64_t kSlotOffset = 8;
constexpr StringLiteral kAcquireName = "__attn_workspace_acquire";
constexpr StringLiteral kReleaseName = "__attn_workspace_release";
constexpr StringLiteral kFreeKeptName = "__attn_workspace_free_kept";
constexpr StringLiteral kSlotName = "__attn_workspace_slot";

/// Builds the module-level helpers with a rewriter of the conversion.
struct HelperBuilder {
  HelperBuilder(ConversionPatternRewriter &b, ModuleOp module, Type indexType)
      : b(b), module(module), loc(module.getLoc()), indexType(indexType),
        ptrType(LLVM::LLVMPointerType::get(b.getContext())), i8(b.getI8Type()) {
  }

  Value constant(int64_t v) {
    return LLVM::ConstantOp::create(b, loc, indexType, v);
  }
  Value null() { return LLVM::ZeroOp::create(b, loc, ptrType); }
  Value offset(Value ptr, int64_t bytes) {
    return LLVM::GEPOp::create(b, loc, ptrType, i8, ptr,
                               ArrayRef<LLVM::GEPArg>{bytes});
  }

  /// `name` of `type`, with `body` at the start of the module unless the
  /// module has it already.
  FailureOr<LLVM::LLVMFuncOp>
  getOrCreate(StringRef name, Type result, ArrayRef<Type> params,
              function_ref<LogicalResult(LLVM::LLVMFuncOp)> body) {
    if (auto fn = module.lookupSymbol<LLVM::LLVMFuncOp>(name))
      return fn;
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(module.getBody());
    auto fn = LLVM::LLVMFuncOp::create(
        b, loc, name, LLVM::LLVMFunctionType::get(result, params),
        LLVM::Linkage::Internal);
    SmallVector<Location> locs(params.size(), loc);
    b.createBlock(&fn.getBody(), {}, params, locs);
    if (failed(body(fn)))
      return failure();
    return fn;
  }

  FailureOr<LLVM::LLVMFuncOp> getAcquire() {
    return getOrCreate(
        kAcquireName, ptrType, {ptrType, indexType},
        [&](LLVM::LLVMFuncOp fn) -> LogicalResult {
          FailureOr<LLVM::LLVMFuncOp> alloc =
              LLVM::lookupOrCreateAlignedAllocFn(b, module, indexType);
          FailureOr<LLVM::LLVMFuncOp> free =
              LLVM::lookupOrCreateFreeFn(b, module);
          if (failed(alloc) || failed(free))
            return failure();
          Region &body = fn.getBody();
          Block *entry = &body.front();
          Value slot = entry->getArgument(0), bytes = entry->getArgument(1);
          Block *check = b.createBlock(&body, body.end());
          Block *drop = b.createBlock(&body, body.end());
          Block *fresh = b.createBlock(&body, body.end());
          Block *done = b.createBlock(&body, body.end(), {ptrType}, {loc});

          b.setInsertionPointToEnd(entry);
          Value kept =
              LLVM::AtomicRMWOp::create(b, loc, LLVM::AtomicBinOp::xchg, slot,
                                        null(), LLVM::AtomicOrdering::acq_rel);
          Value none = LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::eq,
                                            kept, null());
          LLVM::CondBrOp::create(b, loc, none, fresh, check);

          b.setInsertionPointToEnd(check);
          Value capacity = LLVM::LoadOp::create(b, loc, indexType, kept);
          Value fits = LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::uge,
                                            capacity, bytes);
          LLVM::CondBrOp::create(b, loc, fits, done, ValueRange{kept}, drop,
                                 ValueRange{});

          b.setInsertionPointToEnd(drop);
          LLVM::CallOp::create(b, loc, *free, ValueRange{kept});
          LLVM::BrOp::create(b, loc, fresh);

          // total = header + bytes rounded up to whole cache lines, as
          // aligned_alloc wants a multiple of the alignment.
          b.setInsertionPointToEnd(fresh);
          Value total = LLVM::AndOp::create(
              b, loc,
              LLVM::AddOp::create(b, loc, bytes,
                                  constant(kHeaderBytes + kHeaderBytes - 1)),
              constant(-kHeaderBytes));
          Value block =
              LLVM::CallOp::create(b, loc, *alloc,
                                   ValueRange{constant(kHeaderBytes), total})
                  .getResult();
          LLVM::StoreOp::create(
              b, loc,
              LLVM::SubOp::create(b, loc, total, constant(kHeaderBytes)),
              block);
          LLVM::StoreOp::create(b, loc, slot, offset(block, kSlotOffset));
          LLVM::BrOp::create(b, loc, ValueRange{block}, done);

          b.setInsertionPointToEnd(done);
          LLVM::ReturnOp::create(
              b, loc, ValueRange{offset(done->getArgument(0), kHeaderBytes)});
          return success();
        });
  }

  FailureOr<LLVM::LLVMFuncOp> getRelease() {
    return getOrCreate(
        kReleaseName, LLVM::LLVMVoidType::get(b.getContext()), {ptrType},
        [&](LLVM::LLVMFuncOp fn) -> LogicalResult {
          FailureOr<LLVM::LLVMFuncOp> free =
              LLVM::lookupOrCreateFreeFn(b, module);
          if (failed(free))
            return failure();
          Region &body = fn.getBody();
          Block *entry = &body.front();
          Block *drop = b.createBlock(&body, body.end());
          Block *done = b.createBlock(&body, body.end());

          b.setInsertionPointToEnd(entry);
          Value block = offset(entry->getArgument(0), -kHeaderBytes);
          Value slot =
              LLVM::LoadOp::create(b, loc, ptrType, offset(block, kSlotOffset));
          auto swap = LLVM::AtomicCmpXchgOp::create(
              b, loc, slot, null(), block, LLVM::AtomicOrdering::acq_rel,
              LLVM::AtomicOrdering::monotonic);
          Value kept = LLVM::ExtractValueOp::create(b, loc, swap, 1);
          LLVM::CondBrOp::create(b, loc, kept, done, drop);

          b.setInsertionPointToEnd(drop);
          LLVM::CallOp::create(b, loc, *free, ValueRange{block});
          LLVM::BrOp::create(b, loc, done);

          b.setInsertionPointToEnd(done);
          LLVM::ReturnOp::create(b, loc, ValueRange{});
          return success();
        });
  }

  /// The destructor that frees what the slots keep, registered in the
  /// module's llvm.mlir.global_dtors; slots add themselves to it.
  FailureOr<LLVM::LLVMFuncOp> getFreeKept() {
    bool created = !module.lookupSymbol(kFreeKeptName);
    FailureOr<LLVM::LLVMFuncOp> fn =
        getOrCreate(kFreeKeptName, LLVM::LLVMVoidType::get(b.getContext()), {},
                    [&](LLVM::LLVMFuncOp fn) {
                      b.setInsertionPointToEnd(&fn.getBody().front());
                      LLVM::ReturnOp::create(b, loc, ValueRange{});
                      return success();
                    });
    if (failed(fn) || !created)
      return fn;

    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToEnd(module.getBody());
    MLIRContext *ctx = b.getContext();
    SmallVector<Attribute> dtors, priorities, data;
    auto existing = llvm::to_vector(module.getOps<LLVM::GlobalDtorsOp>());
    for (LLVM::GlobalDtorsOp op : existing) {
      llvm::append_range(dtors, op.getDtors());
      llvm::append_range(priorities, op.getPriorities());
      llvm::append_range(data, op.getData());
      b.eraseOp(op);
    }
    dtors.push_back(FlatSymbolRefAttr::get(ctx, kFreeKeptName));
    priorities.push_back(b.getI32IntegerAttr(65535));
    data.push_back(LLVM::ZeroAttr::get(ctx));
    LLVM::GlobalDtorsOp::create(b, loc, b.getArrayAttr(dtors),
                                b.getArrayAttr(priorities),
                                b.getArrayAttr(data));
    return fn;
  }

  /// A new slot, null at start and freed by the module destructor; returns
  /// its address at the insertion point.
  FailureOr<Value> createSlot(Location useLoc) {
    FailureOr<LLVM::LLVMFuncOp> freeKept = getFreeKept();
    FailureOr<LLVM::LLVMFuncOp> free = LLVM::lookupOrCreateFreeFn(b, module);
    if (failed(freeKept) || failed(free))
      return failure();
    std::string name;
    for (unsigned i = 0;; ++i) {
      name = (kSlotName + "_" + Twine(i)).str();
      if (!module.lookupSymbol(name))
        break;
    }
    LLVM::GlobalOp slot;
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(module.getBody());
      slot = LLVM::GlobalOp::create(b, loc, ptrType, /*isConstant=*/false,
                                    LLVM::Linkage::Internal, name, Attribute(),
                                    /*alignment=*/8);
      b.createBlock(&slot.getInitializerRegion());
      LLVM::ReturnOp::create(b, loc, ValueRange{null()});

      b.setInsertionPoint(freeKept->getBody().front().getTerminator());
      Value kept =
          LLVM::AtomicRMWOp::create(b, loc, LLVM::AtomicBinOp::xchg,
                                    LLVM::AddressOfOp::create(b, loc, slot),
                                    null(), LLVM::AtomicOrdering::acq_rel);
      LLVM::CallOp::create(b, loc, *free, ValueRange{kept});
    }
    return Value(LLVM::AddressOfOp::create(b, useLoc, slot));
  }

  ConversionPatternRewriter &b;
  ModuleOp module;
  Location loc;
  Type indexType, ptrType, i8;
};

struct WorkspaceAcquireLowering : ConvertOpToLLVMPattern<WorkspaceAcquireOp> {
  using ConvertOpToLLVMPattern::ConvertOpToLLVMPattern;

  LogicalResult
  matchAndRewrite(WorkspaceAcquireOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    MemRefType type = op.getBuffer().getType();
    auto module = op->getParentOfType<ModuleOp>();
    if (!module || !isConvertibleAndHasIdentityMaps(type))
      return rewriter.notifyMatchFailure(op, "no module or no LLVM type");
    Location loc = op.getLoc();
    SmallVector<Value> sizes, strides;
    Value bytes;
    getMemRefDescriptorSizes(loc, type, adaptor.getDynamicSizes(), rewriter,
                             sizes, strides, bytes);
    HelperBuilder helpers(rewriter, module, getIndexType());
    FailureOr<LLVM::LLVMFuncOp> acquire = helpers.getAcquire();
    if (failed(acquire))
      return rewriter.notifyMatchFailure(op, "cannot declare the helpers");
    FailureOr<Value> slot = helpers.createSlot(loc);
    if (failed(slot))
      return rewriter.notifyMatchFailure(op, "cannot create the slot");
    Value data =
        LLVM::CallOp::create(rewriter, loc, *acquire, ValueRange{*slot, bytes})
            .getResult();
    Value descriptor =
        createMemRefDescriptor(loc, type, data, data, sizes, strides, rewriter);
    rewriter.replaceOp(op, descriptor);
    return success();
  }
};

struct WorkspaceReleaseLowering : ConvertOpToLLVMPattern<WorkspaceReleaseOp> {
  using ConvertOpToLLVMPattern::ConvertOpToLLVMPattern;

  LogicalResult
  matchAndRewrite(WorkspaceReleaseOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto module = op->getParentOfType<ModuleOp>();
    if (!module)
      return rewriter.notifyMatchFailure(op, "not in a module");
    HelperBuilder helpers(rewriter, module, getIndexType());
    FailureOr<LLVM::LLVMFuncOp> release = helpers.getRelease();
    if (failed(release))
      return rewriter.notifyMatchFailure(op, "cannot declare the helpers");
    MemRefDescriptor buffer(adaptor.getBuffer());
    LLVM::CallOp::create(
        rewriter, op.getLoc(), *release,
        ValueRange{buffer.allocatedPtr(rewriter, op.getLoc())});
    rewriter.eraseOp(op);
    return success();
  }
};

struct AttnToLLVMInterface : ConvertToLLVMPatternInterface {
  using ConvertToLLVMPatternInterface::ConvertToLLVMPatternInterface;

  void populateConvertToLLVMConversionPatterns(
      ConversionTarget &target, LLVMTypeConverter &converter,
      RewritePatternSet &patterns) const final {
    target.addIllegalOp<WorkspaceAcquireOp, WorkspaceReleaseOp>();
    populateAttnWorkspaceToLLVMPatterns(converter, patterns);
  }
};

} // namespace

void attn::populateAttnWorkspaceToLLVMPatterns(
    const LLVMTypeConverter &converter, RewritePatternSet &patterns) {
  patterns.add<WorkspaceAcquireLowering, WorkspaceReleaseLowering>(converter);
}

void attn::registerConvertAttnToLLVMInterface(DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *, AttnDialect *dialect) {
    dialect->addInterfaces<AttnToLLVMInterface>();
  });
}
