//===- Pipelines.cpp - attn compilation pipelines ---------------*- C++ -*-===//
//
// Part of the attn-mlir project.
//
//===----------------------------------------------------------------------===//

#include "attn/Pipelines/Pipelines.h"
#include "attn/Conversion/Passes.h"
#include "attn/Transforms/Passes.h"
#include "attn/Transforms/Transforms.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/TosaToLinalg/TosaToLinalg.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void attn::buildTosaLegalization(OpPassManager &pm) {
  TosaToLinalgOptions tosaOptions;
  tosaOptions.disableTosaDecompositions = false;
  tosaOptions.aggressiveReduceConstant = true;
  OpPassManager &funcPm = pm.nest<func::FuncOp>();
  funcPm.addPass(createTosaToArithPass());
  funcPm.addPass(createTosaToTensorPass());
  // No profile validation: frontends cast to f64 for torch's all-masked-row
  // guard, which TOSA's profiles do not allow but the conversions lower.
  tosa::addTosaToLinalgPasses(pm, tosaOptions, TosaToLinalgNamedOptions(),
                              /*validationOptions=*/std::nullopt);
  // tosa-to-linalg decomposes some ops (tile) into tosa.reshape and consts.
  OpPassManager &afterPm = pm.nest<func::FuncOp>();
  afterPm.addPass(createTosaToArithPass());
  afterPm.addPass(createTosaToTensorPass());
}

/// Raises (before and after the TOSA legalization: TOSA graphs are matched
/// as TOSA, and what tosa-to-linalg expands, e.g. its softmax, as linalg)
/// and fuses attention, as the cpu and gpu pipelines start.
static void buildRaiseAndFuse(OpPassManager &pm, bool raise, bool fuse) {
  using namespace attn;
  if (raise)
    pm.addPass(createAttnRaisePass());
  attn::buildTosaLegalization(pm);
  if (raise)
    pm.addPass(createAttnRaisePass());
  if (fuse)
    pm.addPass(createAttnFusePass());
}

/// Lowers the upstream ops the earlier passes left (arith/math on tensors,
/// aggregates such as linalg.softmax) to linalg and bufferizes, with
/// identity-layout memrefs at function boundaries.
static void buildBufferization(OpPassManager &pm) {
  using namespace attn;
  pm.addNestedPass<func::FuncOp>(createConvertElementwiseToLinalgPass());
  pm.addPass(createAttnDecomposeAggregatesPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  bufferization::OneShotBufferizePassOptions bufferizeOptions;
  bufferizeOptions.bufferizeFunctionBoundaries = true;
  bufferizeOptions.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferizeOptions));
}

/// Math, memrefs and loops to the LLVM dialect: LLVM intrinsics where they
/// exist (fma, exp, ...), libm for the rest (tanh has no LLVM lowering).
static void buildMathMemRefAndLoopsToLLVM(OpPassManager &pm) {
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  // Before scf-to-cf: memref.alloca_scope must still hold a single block
  // when it is lowered to stacksave/stackrestore.
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createSCFToControlFlowPass());
}

/// Whether the host rounds f32 to bf16 in one instruction. Without it LLVM
/// lowers each lane's `fptrunc` to a call of `__truncsfbf2`: on AVX2, 2.6 ms
/// of bf16 B=1 H=8 S=512 D=128's 10 ms went to those calls for the output.
static bool hostConvertsToBF16() {
  return attn::hostHasCPUFeature("avx512bf16") ||
         attn::hostHasCPUFeature("avxneconvert");
}

void attn::buildLoopsToLLVMPipeline(OpPassManager &pm, bool parallel,
                                    unsigned threads) {
  buildBufferization(pm);
  // Parallel dims of what is left (elementwise ops, reductions) become
  // scf.parallel, which the OpenMP lowering spreads over the threads.
  if (parallel)
    pm.addNestedPass<func::FuncOp>(createConvertLinalgToParallelLoopsPass());
  else
    pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  bufferization::buildBufferDeallocationPipeline(pm);

  if (parallel) {
    ConvertSCFToOpenMPPassOptions ompOptions;
    ompOptions.numThreads = threads;
    pm.addPass(createConvertSCFToOpenMPPass(ompOptions));
    pm.addPass(createAttnOmpSchedulePass());
    AttnApproximateMathPassOptions mathOptions;
    mathOptions.includeBf16 = !hostConvertsToBF16();
    pm.addPass(createAttnApproximateMathPass(mathOptions));
  }
  buildMathMemRefAndLoopsToLLVM(pm);
  // Masks, transfers and the like need the full vector lowering.
  if (parallel) {
    // x86vector: the flash kernel's AVX-512 exp2 (vscalefps).
    ConvertVectorToLLVMPassOptions vectorOptions;
    vectorOptions.x86Vector = true;
    pm.addPass(createConvertVectorToLLVMPass(vectorOptions));
  }
  pm.addPass(createConvertToLLVMPass());
  if (parallel)
    pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

void attn::buildReferencePipeline(OpPassManager &pm,
                                  const ReferencePipelineOptions &) {
  buildTosaLegalization(pm);
  pm.addPass(createConvertAttnToLinalgPass());
  buildLoopsToLLVMPipeline(pm);
}

void attn::buildCpuPipeline(OpPassManager &pm,
                            const CpuPipelineOptions &options) {
  buildRaiseAndFuse(pm, options.raise, options.fuse);
  AttnFlashPassOptions flashOptions;
  flashOptions.vectorWidth = options.vectorWidth;
  flashOptions.queryBlock = options.queryBlock;
  flashOptions.keyBlock = options.keyBlock;
  flashOptions.keySplits = options.keySplits;
  flashOptions.blocksPerTask = options.blocksPerTask;
  flashOptions.threads = options.threads;
  flashOptions.amx = options.amx;
  flashOptions.bf16Dot = options.bf16Dot;
  // The panels stay allocated between calls: freshly allocated, they were
  // paged in again on every call.
  flashOptions.workspaces = true;
  pm.addPass(createAttnFlashPass(flashOptions));
  AttnTileProjectionsPassOptions projectionOptions;
  projectionOptions.vectorWidth = options.vectorWidth;
  pm.addPass(createAttnTileProjectionsPass(projectionOptions));
  // Stages that did not fuse, then every contraction left in linalg
  // (projections written upstream, unfused scores) on the matmul kernel.
  pm.addPass(createConvertAttnToLinalgPass());
  AttnTileContractionsPassOptions contractionOptions;
  contractionOptions.vectorWidth = options.vectorWidth;
  pm.addPass(createAttnTileContractionsPass(contractionOptions));
  buildLoopsToLLVMPipeline(pm, /*parallel=*/true, options.threads);
}

/// The chips --attn-gpu-pipeline compiles for, oldest first: PTX ISA 8.0
/// (CUDA 12.0) covers them all.
static constexpr StringLiteral kGpuChips[] = {"sm_80", "sm_86", "sm_87",
                                              "sm_89", "sm_90", "sm_90a"};

/// The compute capability of `sm_XY[a]` (XY), 0 if it is not one.
static unsigned getCapability(StringRef chip) {
  unsigned capability = 0;
  chip.consume_back("a");
  if (!chip.consume_front("sm_") || chip.getAsInteger(10, capability))
    return 0;
  return capability;
}

std::string attn::getGpuPipelineChip(StringRef deviceChip) {
  unsigned capability = getCapability(deviceChip);
  StringRef best = kGpuChips[0];
  for (StringRef chip : kGpuChips)
    if (!chip.ends_with("a") && getCapability(chip) <= capability)
      best = chip;
  return best.str();
}

LogicalResult attn::buildGpuPipeline(OpPassManager &pm,
                                     const GpuPipelineOptions &options,
                                     llvm::raw_ostream &errorStream) {
  if (!llvm::is_contained(kGpuChips, options.chip)) {
    ArrayRef<StringLiteral> chips(kGpuChips);
    errorStream << "attn-gpu-pipeline: unsupported chip '" << options.chip
                << "' (expected " << llvm::join(chips.drop_back(), ", ")
                << " or " << chips.back() << ")";
    return failure();
  }
  if (options.format != "isa" && options.format != "bin" &&
      options.format != "fatbin") {
    errorStream << "attn-gpu-pipeline: unknown format '" << options.format
                << "' (expected isa, bin or fatbin)";
    return failure();
  }
  buildRaiseAndFuse(pm, options.raise, options.fuse);
  AttnGpuFlashPassOptions flashOptions;
  flashOptions.keyBlock = options.keyBlock;
  flashOptions.keySplits = options.keySplits;
  pm.addPass(createAttnGpuFlashPass(flashOptions));
  // Outlined before any canonicalization hoists the kernels' constants out
  // of their launches (they would become kernel arguments).
  pm.addPass(createGpuKernelOutliningPass());
  // What is left (stages that did not fuse, upstream ops) runs on the host.
  pm.addPass(createConvertAttnToLinalgPass());
  buildBufferization(pm);
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  bufferization::buildBufferDeallocationPipeline(pm);

  // Host transfers and launches on one stream.
  pm.addNestedPass<func::FuncOp>(createGpuAsyncRegionPass());
  GpuNVVMAttachTargetOptions target;
  target.chip = options.chip;
  target.features = "+ptx80";
  target.optLevel = 3;
  pm.addPass(createGpuNVVMAttachTarget(target));
  OpPassManager &kernelPm = pm.nest<gpu::GPUModuleOp>();
  kernelPm.addPass(createConvertNVGPUToNVVMPass());
  kernelPm.addPass(createSCFToControlFlowPass());
  kernelPm.addPass(createConvertGpuOpsToNVVMOps());
  kernelPm.addPass(createConvertVectorToLLVMPass());
  // Vector lowering leaves ub.poison, which serialization cannot translate.
  kernelPm.addPass(createUBToLLVMConversionPass());
  kernelPm.addPass(createCanonicalizerPass());
  kernelPm.addPass(createCSEPass());
  kernelPm.addPass(createReconcileUnrealizedCastsPass());

  // The host: loops and memrefs to LLVM, gpu ops to runtime calls.
  buildMathMemRefAndLoopsToLLVM(pm);
  pm.addPass(createGpuToLLVMConversionPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  GpuModuleToBinaryPassOptions binaryOptions;
  binaryOptions.compilationTarget = options.format;
  binaryOptions.toolkitPath = options.toolkit;
  pm.addPass(createGpuModuleToBinaryPass(binaryOptions));
  return success();
}

void attn::registerAttnPipelines() {
  PassPipelineRegistration<CpuPipelineOptions>(
      "attn-cpu-pipeline",
      "Compile attn (and upstream) IR to the LLVM dialect for the host CPU",
      buildCpuPipeline);
  // Registered by hand so that bad option values are reported as errors
  // rather than failing later in the NVPTX backend.
  registerPassPipeline(
      "attn-gpu-pipeline",
      "Compile attn (and upstream) IR to NVIDIA GPU kernels in a gpu.binary "
      "and host code in the LLVM dialect",
      [](OpPassManager &pm, StringRef optionsStr,
         function_ref<LogicalResult(const Twine &)> errorHandler) {
        GpuPipelineOptions options;
        if (failed(options.parseFromString(optionsStr)))
          return failure();
        std::string message;
        llvm::raw_string_ostream os(message);
        if (failed(buildGpuPipeline(pm, options, os)))
          return errorHandler(message);
        return success();
      },
      [](function_ref<void(const detail::PassOptions &)> optHandler) {
        optHandler(GpuPipelineOptions());
      });
  PassPipelineRegistration<ReferencePipelineOptions>(
      "attn-reference-pipeline",
      "Compile attn IR to the LLVM dialect through the unfused reference "
      "lowering",
      [](OpPassManager &pm, const ReferencePipelineOptions &options) {
        buildReferencePipeline(pm, options);
      });
}
