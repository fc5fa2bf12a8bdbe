//===- Executor.cpp - JIT compile and run attn functions --------*- C++ -*-===//
//
// Part of the attn-mlir project.
//
//===----------------------------------------------------------------------===//

#include "attn/Runtime/Executor.h"
#include "attn/IR/AttnDialect.h"
#include "attn/IR/AttnInterfaces.h"
#include "attn/IR/AttnOps.h"
#include "attn/Pipelines/Pipelines.h"
#include "attn/Runtime/CudaRuntime.h"
#include "attn/Support/InputLimits.h"
#include "attn/Transforms/Passes.h"
#include "attn/Transforms/Transforms.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <cstring>
#include <mutex>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#if defined(__linux__) && defined(__x86_64__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

#ifndef ATTN_MLIR_LIB_DIR
#define ATTN_MLIR_LIB_DIR "/usr/lib/llvm-22/lib"
#endif

using namespace mlir;
using namespace mlir::attn;
using llvm::createStringError;
using llvm::Expected;
using llvm::StringRef;

//===----------------------------------------------------------------------===//
// DiagnosticCapture
//===----------------------------------------------------------------------===//

/// `file:line:col: ` of the first file location inside `loc`, if any.
static std::string formatLocation(Location loc) {
  std::string result;
  loc->walk([&](Location l) {
    if (auto file = dyn_cast<FileLineColLoc>(l)) {
      result =
          (file.getFilename().strref() + ":" + llvm::Twine(file.getLine()) +
           ":" + llvm::Twine(file.getColumn()) + ": ")
              .str();
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return result;
}

DiagnosticCapture::DiagnosticCapture(MLIRContext *ctx) : ctx(ctx) {
  handlerId = ctx->getDiagEngine().registerHandler([this](Diagnostic &diag) {
    if (diag.getSeverity() != DiagnosticSeverity::Error)
      return success();
    if (first.empty()) {
      first = formatLocation(diag.getLocation()) + diag.str();
      // One line: fold multi-line messages.
      std::replace(first.begin(), first.end(), '\n', ' ');
    }
    return success();
  });
}

DiagnosticCapture::~DiagnosticCapture() {
  ctx->getDiagEngine().eraseHandler(handlerId);
}

std::string DiagnosticCapture::takeError(StringRef fallback) {
  std::string result = first.empty() ? fallback.str() : first;
  first.clear();
  return result;
}

//===----------------------------------------------------------------------===//
// Entry and signature
//===----------------------------------------------------------------------===//

static std::string typeToString(Type type) {
  std::string s;
  llvm::raw_string_ostream os(s);
  type.print(os);
  return s;
}

static Expected<TensorSignature> getSignature(Type type, StringRef what) {
  auto tensorType = dyn_cast<RankedTensorType>(type);
  if (!tensorType)
    return createStringError("%s has type %s; entries take and return ranked "
                             "tensors",
                             what.str().c_str(), typeToString(type).c_str());
  std::optional<ElementKind> kind = getElementKind(tensorType.getElementType());
  if (!kind)
    return createStringError("%s has element type %s; supported are f32, f16, "
                             "bf16, i1 and i64",
                             what.str().c_str(),
                             typeToString(tensorType.getElementType()).c_str());
  return TensorSignature{*kind, llvm::to_vector(tensorType.getShape()),
                         typeToString(type)};
}

Expected<OwningOpRef<ModuleOp>> attn::parseModuleFile(StringRef path,
                                                      MLIRContext *context) {
  auto file = llvm::MemoryBuffer::getFileOrSTDIN(path, /*IsText=*/true);
  if (!file)
    return createStringError("cannot read '%s': %s", path.str().c_str(),
                             file.getError().message().c_str());
  if (llvm::Error err = checkInputLimits((*file)->getBuffer(), path))
    return std::move(err);
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(*file), llvm::SMLoc());
  DiagnosticCapture capture(context);
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, context);
  if (!module)
    return createStringError(
        capture.takeError(("cannot parse '" + path + "'").str()));
  return module;
}

Expected<func::FuncOp> attn::findEntry(ModuleOp module, StringRef name) {
  func::FuncOp entry;
  if (!name.empty()) {
    entry = module.lookupSymbol<func::FuncOp>(name);
    if (!entry)
      return createStringError("no function named '%s'", name.str().c_str());
  } else {
    SmallVector<func::FuncOp> publicFuncs;
    for (auto f : module.getOps<func::FuncOp>())
      if (f.isPublic() && !f.isDeclaration())
        publicFuncs.push_back(f);
    if (publicFuncs.size() == 1)
      entry = publicFuncs.front();
    else if (!(entry = module.lookupSymbol<func::FuncOp>("main")))
      return createStringError(
          publicFuncs.empty()
              ? "no public function to run"
              : "several public functions and none named 'main'; pick one "
                "with --entry");
  }
  if (entry.isDeclaration())
    return createStringError("entry '%s' is only a declaration",
                             entry.getSymName().str().c_str());
  FunctionType type = entry.getFunctionType();
  for (auto [i, t] : llvm::enumerate(type.getInputs()))
    if (Expected<TensorSignature> sig =
            getSignature(t, ("argument " + llvm::Twine(i)).str());
        !sig)
      return sig.takeError();
  for (auto [i, t] : llvm::enumerate(type.getResults()))
    if (Expected<TensorSignature> sig =
            getSignature(t, ("result " + llvm::Twine(i)).str());
        !sig)
      return sig.takeError();
  return entry;
}

static SmallVector<TensorSignature> signatures(TypeRange types) {
  SmallVector<TensorSignature> result;
  for (Type t : types)
    result.push_back(cantFail(getSignature(t, "")));
  return result;
}

SmallVector<TensorSignature> attn::getInputSignature(func::FuncOp entry) {
  return signatures(entry.getFunctionType().getInputs());
}

SmallVector<TensorSignature> attn::getResultSignature(func::FuncOp entry) {
  return signatures(entry.getFunctionType().getResults());
}

//===----------------------------------------------------------------------===//
// Run-time shape check
//===----------------------------------------------------------------------===//

/// Replaces the uses of `value` by a cast back to `oldType`, except in attn
/// ops, which see the refined type directly.
static void castForNonAttnUsers(OpBuilder &b, Value value, Type oldType) {
  if (value.getType() == oldType)
    return;
  auto cast = tensor::CastOp::create(b, value.getLoc(), oldType, value);
  value.replaceUsesWithIf(cast, [&](OpOperand &use) {
    return use.getOwner() != cast && !isa<AttnOpInterface>(use.getOwner());
  });
}

Expected<std::optional<double>>
attn::checkShapesAndCountFlops(ModuleOp module, StringRef entryName,
                               ArrayRef<SmallVector<int64_t>> shapes) {
  OwningOpRef<ModuleOp> clone = module.clone();
  MLIRContext *ctx = clone->getContext();
  ctx->getOrLoadDialect<tensor::TensorDialect>();
  DiagnosticCapture capture(ctx);
  // Attention written in upstream ops counts as the attn ops it raises to,
  // whichever pipeline runs it.
  {
    PassManager pm(ctx);
    pm.addPass(createAttnRaisePass());
    if (failed(pm.run(*clone)))
      return createStringError(capture.takeError("raising failed").c_str());
  }
  auto entry = clone->lookupSymbol<func::FuncOp>(entryName);

  // Give the arguments their run-time shapes, remembering the declared ones.
  DenseMap<Value, Type> declaredTypes;
  Block &body = entry.getBody().front();
  OpBuilder b = OpBuilder::atBlockBegin(&body);
  SmallVector<Type> argTypes;
  for (auto [arg, shape] : llvm::zip_equal(body.getArguments(), shapes)) {
    auto oldType = cast<RankedTensorType>(arg.getType());
    declaredTypes[arg] = oldType;
    arg.setType(oldType.clone(shape));
    argTypes.push_back(arg.getType());
    castForNonAttnUsers(b, arg, oldType);
  }
  entry.setFunctionType(
      FunctionType::get(ctx, argTypes, entry.getFunctionType().getResults()));

  // Propagate them through the attn ops in program order, checking each.
  std::optional<double> flops = 0.0;
  WalkResult walk = entry.walk([&](AttnOpInterface op) {
    // A mask dim declared dynamic is compiled as the full dim: a run-time
    // size of 1 against a larger full dim would read out of bounds.
    RankedTensorType declaredMask;
    Value mask = isa<SdpaOp>(op)     ? cast<SdpaOp>(op).getMask()
                 : isa<ScoresOp>(op) ? cast<ScoresOp>(op).getMask()
                                     : Value();
    if (mask)
      declaredMask =
          cast<RankedTensorType>(declaredTypes.lookup_or(mask, mask.getType()));
    for (OpOperand &operand : op->getOpOperands())
      if (auto castOp = operand.get().getDefiningOp<tensor::CastOp>())
        if (isa<RankedTensorType>(castOp.getSource().getType()))
          operand.set(castOp.getSource());
    if (mask) {
      auto q = cast<RankedTensorType>(op->getOperand(0).getType());
      auto k = cast<RankedTensorType>(op->getOperand(1).getType());
      auto actual = cast<RankedTensorType>(
          op->getOperand(isa<SdpaOp>(op) ? 3 : 2).getType());
      int64_t full[4] = {q.getDimSize(0), q.getDimSize(1), q.getDimSize(2),
                         k.getDimSize(2)};
      for (int64_t i = 0; i < 4; ++i)
        if (declaredMask.isDynamicDim(i) && actual.getDimSize(i) == 1 &&
            full[i] != 1) {
          op->emitOpError("mask dim ")
              << i << " is declared dynamic but is 1 at run time; declare "
              << "it as 1 to broadcast";
          return WalkResult::interrupt();
        }
    }
    if (failed(mlir::verify(op, /*verifyRecursively=*/false)))
      return WalkResult::interrupt();
    for (Value result : op->getResults()) {
      auto oldType = cast<RankedTensorType>(result.getType());
      declaredTypes[result] = oldType;
      SmallVector<int64_t> shape = op.getExpectedResultShape();
      for (auto [d, old] : llvm::zip_equal(shape, oldType.getShape()))
        if (ShapedType::isDynamic(d))
          d = old;
      result.setType(oldType.clone(shape));
      b.setInsertionPointAfter(op);
      castForNonAttnUsers(b, result, oldType);
    }
    std::optional<double> opFlops = op.getFlopCount();
    flops = (flops && opFlops) ? std::optional<double>(*flops + *opFlops)
                               : std::nullopt;
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return createStringError(
        "input shapes are inconsistent: %s",
        capture.takeError("shape verification failed").c_str());
  return flops;
}

//===----------------------------------------------------------------------===//
// Executor
//===----------------------------------------------------------------------===//

Executor::~Executor() = default;

/// Parses a textual pipeline into `pm`, accepting both `builtin.module(...)`
/// and a bare list of module passes.
static LogicalResult parsePipelineText(StringRef text, OpPassManager &pm,
                                       llvm::raw_ostream &errs) {
  StringRef trimmed = text.trim();
  if (trimmed.consume_front("builtin.module(")) {
    if (!trimmed.consume_back(")")) {
      errs << "unbalanced parentheses in pipeline '" << text << "'";
      return failure();
    }
  }
  return parsePassPipeline(trimmed, pm, errs);
}

bool attn::requestAmx() {
  static const bool granted = [] {
#if defined(__linux__) && defined(__x86_64__)
    if (!hostHasCPUFeature("amx-tile") || !hostHasCPUFeature("amx-bf16"))
      return false;
    // Linux keeps the 8 KiB of tile state off until a process asks for it;
    // without it the first tile instruction raises SIGILL.
    constexpr long kReqXcompPerm = 0x1023, kXfeatureXtiledata = 18;
    return syscall(SYS_arch_prctl, kReqXcompPerm, kXfeatureXtiledata) == 0;
#else
    return false;
#endif
  }();
  return granted;
}

Expected<OwningOpRef<ModuleOp>>
attn::lowerToLLVM(ModuleOp module, StringRef entryName,
                  const ExecutorOptions &options) {
  OwningOpRef<ModuleOp> lowered = module.clone();
  MLIRContext *ctx = lowered->getContext();
  registerBuiltinDialectTranslation(*ctx);
  registerLLVMDialectTranslation(*ctx);
  registerOpenMPDialectTranslation(*ctx);
  DiagnosticCapture capture(ctx);

  // A C-compatible wrapper taking descriptor pointers, and read-only inputs
  // so that repeated calls see the same data.
  auto entry = lowered->lookupSymbol<func::FuncOp>(entryName);
  entry->setAttr("llvm.emit_c_interface", UnitAttr::get(ctx));
  for (unsigned i = 0, e = entry.getNumArguments(); i < e; ++i)
    entry.setArgAttr(i, "bufferization.writable", BoolAttr::get(ctx, false));

  PassManager pm = PassManager::on<ModuleOp>(ctx);
  if (options.pipeline == "cpu") {
    CpuPipelineOptions cpuOptions;
    cpuOptions.threads = options.threads;
    cpuOptions.amx = options.amx && requestAmx();
    cpuOptions.bf16Dot = options.bf16Dot && hostHasCPUFeature("avx512bf16");
    buildCpuPipeline(pm, cpuOptions);
  } else if (options.pipeline == "reference") {
    buildReferencePipeline(pm);
  } else if (options.pipeline == "gpu") {
    GpuPipelineOptions gpuOptions;
    if (!options.chip.empty())
      gpuOptions.chip = options.chip;
    std::string err;
    llvm::raw_string_ostream os(err);
    if (failed(buildGpuPipeline(pm, gpuOptions, os)))
      return createStringError("%s", err.c_str());
  } else {
    std::string err;
    llvm::raw_string_ostream os(err);
    if (failed(parsePipelineText(options.pipeline, pm, os))) {
      std::replace(err.begin(), err.end(), '\n', ' ');
      return createStringError("bad pipeline '%s': %s",
                               options.pipeline.c_str(),
                               StringRef(err).trim().str().c_str());
    }
  }
  if (failed(pm.run(*lowered)))
    return createStringError(
        "compilation failed: %s",
        capture.takeError("the pass pipeline failed").c_str());

  // Everything must be in the LLVM (or OpenMP) dialect now.
  Operation *leftover = nullptr;
  lowered->walk([&](Operation *op) {
    // OpenMP ops translate to LLVM IR directly.
    // So do GPU binaries and their launches (offloading translation).
    if (op != lowered->getOperation() &&
        !isa_and_present<LLVM::LLVMDialect, omp::OpenMPDialect>(
            op->getDialect()) &&
        !isa<gpu::BinaryOp, gpu::LaunchFuncOp>(op)) {
      leftover = op;
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  if (leftover)
    return createStringError("pipeline '%s' did not lower everything to the "
                             "LLVM dialect: '%s' remains",
                             options.pipeline.c_str(),
                             leftover->getName().getStringRef().str().c_str());

  return lowered;
}

Expected<std::unique_ptr<Executor>>
Executor::create(ModuleOp module, StringRef entryName,
                 const ExecutorOptions &options) {
  static std::once_flag initTargets;
  std::call_once(initTargets, [] {
    // Custom pipelines may ask for AMX code too.
    (void)requestAmx();
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
#ifdef __GLIBC__
    // Compiled functions allocate their intermediates (megabytes each) per
    // call. glibc serves such blocks with fresh mmaps and unmaps them on
    // free, so every call would page-fault all of them in again; keep them
    // on the heap and let freed memory be reused instead.
    mallopt(M_MMAP_THRESHOLD, 1 << 30);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
  });

  Expected<func::FuncOp> entryOrErr = findEntry(module, entryName);
  if (!entryOrErr)
    return entryOrErr.takeError();
  auto exec = std::unique_ptr<Executor>(new Executor());
  exec->gpu = options.pipeline == "gpu";
  ExecutorOptions resolved = options;
  if (exec->gpu) {
    // Before compiling: the kernels target the device's architecture.
    if (llvm::Error err = cuda::initialize())
      return err;
    if (resolved.chip.empty())
      resolved.chip = getGpuPipelineChip(cuda::getChip());
  }
  exec->entryName = entryOrErr->getSymName().str();
  exec->inputs = getInputSignature(*entryOrErr);
  exec->results = getResultSignature(*entryOrErr);

  Expected<OwningOpRef<ModuleOp>> loweredOrErr =
      lowerToLLVM(module, exec->entryName, resolved);
  if (!loweredOrErr)
    return loweredOrErr.takeError();
  OwningOpRef<ModuleOp> lowered = std::move(*loweredOrErr);
  DiagnosticCapture capture(lowered->getContext());
  // A custom pipeline (e.g. attn-gpu-pipeline with its own options) may
  // produce GPU kernels too: they run through the CUDA runtime.
  if (!exec->gpu && !lowered->getOps<gpu::BinaryOp>().empty()) {
    if (llvm::Error err = cuda::initialize())
      return err;
    exec->gpu = true;
  }

  static const std::string runnerUtils =
      std::string(ATTN_MLIR_LIB_DIR) + "/libmlir_c_runner_utils.so";
  static const std::string openmp =
      std::string(ATTN_MLIR_LIB_DIR) + "/libomp.so";
  SmallVector<StringRef> libs = {runnerUtils, openmp};
  ExecutionEngineOptions engineOptions;
  auto transformer = makeOptimizingTransformer(/*optLevel=*/3,
                                               /*sizeLevel=*/0, nullptr);
  engineOptions.transformer = transformer;
  engineOptions.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Aggressive;
  engineOptions.sharedLibPaths = libs;
  engineOptions.enableGDBNotificationListener = false;
  // ATTN_MLIR_PERF=1 names the JIT-compiled functions for `perf record -k 1`
  // and `perf inject --jit` (docs/performance.md).
  engineOptions.enablePerfNotificationListener =
      std::getenv("ATTN_MLIR_PERF") != nullptr;
  Expected<std::unique_ptr<ExecutionEngine>> engine =
      ExecutionEngine::create(*lowered, engineOptions);
  if (!engine) {
    std::string msg = llvm::toString(engine.takeError());
    return createStringError("JIT compilation failed: %s",
                             capture.takeError(msg).c_str());
  }
  exec->engine = std::move(*engine);
  // The global constructors load the kernels through the mgpu* calls.
  if (exec->gpu)
    exec->engine->registerSymbols(cuda::getSymbols);
  // The JIT generates machine code at the first lookup: do it here, so that
  // compiling pays for it rather than the first call (~0.1 s for one
  // attn.sdpa).
  exec->engine->initialize();
  if (exec->gpu)
    if (llvm::Error err = cuda::takeError())
      return err;
  Expected<void (*)(void **)> entry =
      exec->engine->lookupPacked("_mlir_ciface_" + exec->entryName);
  if (!entry)
    return entry.takeError();
  exec->entry = *entry;
  return exec;
}

static std::string formatShape(ArrayRef<int64_t> shape) {
  std::string s;
  for (auto [i, d] : llvm::enumerate(shape))
    s += (i ? "x" : "") +
         (ShapedType::isDynamic(d) ? std::string("?") : std::to_string(d));
  return s.empty() ? "scalar" : s;
}

Expected<SmallVector<HostTensor>>
Executor::run(ArrayRef<const HostTensor *> args) {
  if (args.size() != inputs.size())
    return createStringError("'%s' takes %zu inputs, got %zu",
                             entryName.c_str(), inputs.size(), args.size());
  // Memref descriptors: {allocated, aligned, offset, sizes[r], strides[r]}.
  SmallVector<SmallVector<int64_t>> descriptors;
  for (auto [i, arg] : llvm::enumerate(args)) {
    const TensorSignature &sig = inputs[i];
    if (arg->getKind() != sig.kind)
      return createStringError("input %zu: expected element type %s, got %s", i,
                               getElementName(sig.kind).str().c_str(),
                               getElementName(arg->getKind()).str().c_str());
    ArrayRef<int64_t> shape = arg->getShape();
    bool ok = shape.size() == sig.shape.size();
    for (size_t d = 0; ok && d < shape.size(); ++d)
      ok = ShapedType::isDynamic(sig.shape[d]) || sig.shape[d] == shape[d];
    if (!ok)
      return createStringError("input %zu: expected shape %s (%s), got %s", i,
                               formatShape(sig.shape).c_str(),
                               sig.typeString.c_str(),
                               formatShape(shape).c_str());
    SmallVector<int64_t> desc;
    auto ptr = reinterpret_cast<intptr_t>(arg->getData());
    desc.append({ptr, ptr, 0});
    desc.append(shape.begin(), shape.end());
    SmallVector<int64_t> strides(shape.size(), 1);
    for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d)
      strides[d] = strides[d + 1] * shape[d + 1];
    desc.append(strides.begin(), strides.end());
    descriptors.push_back(std::move(desc));
  }

  size_t resultWords = 0;
  for (const TensorSignature &sig : results)
    resultWords += 3 + 2 * sig.shape.size();
  SmallVector<int64_t> resultBuffer(std::max<size_t>(resultWords, 1), 0);

  SmallVector<void *> argValues;
  if (!results.empty())
    argValues.push_back(resultBuffer.data());
  for (SmallVector<int64_t> &desc : descriptors)
    argValues.push_back(desc.data());
  SmallVector<void *> packed;
  for (void *&v : argValues)
    packed.push_back(&v);
  entry(packed.data());
  if (gpu)
    if (llvm::Error err = cuda::takeError())
      return std::move(err);

  // Results are owned by the caller (the deallocation pipeline guarantees
  // fresh buffers). A dense row-major result alone in its allocation is
  // returned as it is; others are copied out and their buffers freed.
  struct ResultView {
    void *allocated;
    char *data;
    ArrayRef<int64_t> sizes, strides;
  };
  SmallVector<ResultView> views;
  llvm::DenseMap<void *, unsigned> users;
  size_t pos = 0;
  for (const TensorSignature &sig : results) {
    int64_t rank = sig.shape.size();
    ResultView view;
    view.allocated = reinterpret_cast<void *>(resultBuffer[pos]);
    view.data = reinterpret_cast<char *>(resultBuffer[pos + 1]) +
                resultBuffer[pos + 2] * getElementSize(sig.kind);
    view.sizes = ArrayRef<int64_t>(&resultBuffer[pos + 3], rank);
    view.strides = ArrayRef<int64_t>(&resultBuffer[pos + 3 + rank], rank);
    pos += 3 + 2 * rank;
    ++users[view.allocated];
    views.push_back(view);
  }

  SmallVector<HostTensor> outputs;
  llvm::Error error = llvm::Error::success();
  SmallVector<void *> toFree;
  for (auto [sig, view] : llvm::zip_equal(results, views)) {
    int64_t rank = view.sizes.size();
    bool dense = true;
    for (int64_t d = rank - 1, stride = 1; d >= 0; --d) {
      dense &= view.sizes[d] == 1 || view.strides[d] == stride;
      stride *= view.sizes[d];
    }
    if (!error && dense && users[view.allocated] == 1) {
      outputs.push_back(
          HostTensor::adopt(sig.kind, view.sizes, view.allocated, view.data));
      continue;
    }
    if (!llvm::is_contained(toFree, view.allocated))
      toFree.push_back(view.allocated);
    if (error)
      continue;
    Expected<HostTensor> out = HostTensor::allocate(sig.kind, view.sizes);
    if (!out) {
      error = out.takeError();
      continue;
    }
    size_t elt = getElementSize(sig.kind);
    char *dst = static_cast<char *>(out->getData());
    // Strided copy, one memcpy per run of the innermost dim when it is
    // contiguous, else element by element.
    int64_t n = out->getNumElements();
    int64_t run =
        rank && view.strides[rank - 1] == 1 ? view.sizes[rank - 1] : 1;
    int64_t outer = rank ? rank - (run > 1 ? 1 : 0) : 0;
    SmallVector<int64_t> idx(rank, 0);
    for (int64_t linear = 0; run > 0 && linear < n; linear += run) {
      int64_t srcOffset = 0;
      for (int64_t d = 0; d < rank; ++d)
        srcOffset += idx[d] * view.strides[d];
      std::memcpy(dst + linear * elt, view.data + srcOffset * elt, run * elt);
      for (int64_t d = outer - 1; d >= 0; --d) {
        if (++idx[d] < view.sizes[d])
          break;
        idx[d] = 0;
      }
    }
    outputs.push_back(std::move(*out));
  }
  for (void *p : toFree)
    std::free(p);
  if (error)
    return std::move(error);
  return outputs;
}
