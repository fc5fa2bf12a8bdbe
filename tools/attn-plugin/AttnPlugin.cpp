//===- AttnPlugin.cpp - attn dialect and passes as an MLIR plugin -*- C++
//-*-===//
//
// Part of the attn-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Loads into upstream tools:
//   mlir-opt --load-dialect-plugin=AttnPlugin.so \
//            --load-pass-plugin=AttnPlugin.so --attn-fuse ...
//
//===----------------------------------------------------------------------===//

#include "attn/InitAll.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/Plugins/DialectPlugin.h"
#include "mlir/Tools/Plugins/PassPlugin.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/Compiler.h"

extern "C" LLVM_ATTRIBUTE_WEAK mlir::DialectPluginLibraryInfo
mlirGetDialectPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "AttnPlugin", LLVM_VERSION_STRING,
          [](mlir::DialectRegistry *registry) {
            mlir::attn::registerAttnDialect(*registry);
          }};
}

extern "C" LLVM_ATTRIBUTE_WEAK mlir::PassPluginLibraryInfo
mlirGetPassPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "AttnPlugin", LLVM_VERSION_STRING,
          []() { mlir::attn::registerAttnPassesAndPipelines(); }};
}
