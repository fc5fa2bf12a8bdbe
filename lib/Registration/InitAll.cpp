//===- InitAll.cpp - register attn and upstream MLIR ------------*- C++ -*-===//
//
// Part of the attn-mlir project.
//
//===----------------------------------------------------------------------===//

#include "attn/InitAll.h"
#include "attn/Conversion/AttnToLLVM.h"
#include "attn/Conversion/Passes.h"
#include "attn/IR/AttnDialect.h"
#include "attn/Pipelines/Pipelines.h"
#include "attn/Transforms/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

using namespace mlir;

void attn::registerAttnDialect(DialectRegistry &registry) {
  registry.insert<AttnDialect>();
  registerConvertAttnToLLVMInterface(registry);
  registerGpuLaunchMemoryEffects(registry);
}

void attn::registerAttnPassesAndPipelines() {
  registerAttnPasses();
  registerAttnConversionPasses();
  registerAttnPipelines();
}

void attn::registerAllDialects(DialectRegistry &registry) {
  registerAttnDialect(registry);
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  // gpu-module-to-binary translates kernels to LLVM IR in-process.
  mlir::registerAllToLLVMIRTranslations(registry);
}

void attn::registerAllPasses() {
  mlir::registerAllPasses();
  registerAttnPassesAndPipelines();
}
