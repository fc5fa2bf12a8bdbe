//===- attn-fuzz.cpp - libFuzzer target over the attn passes ----*- C++ -*-===//
//
// Part of the attn-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Parses its input as MLIR, verifies it, and runs one of the attn passes or
// pipelines on it (chosen by a hash of the input, so that one corpus entry
// keeps meeting the same pass). Anything but a crash, a sanitizer report or
// a hang is fine: diagnostics are swallowed. Built with
// -DATTN_ENABLE_FUZZER=ON by scripts/fuzz.sh.
//
//===----------------------------------------------------------------------===//

#include "attn/InitAll.h"
#include "attn/Support/InputLimits.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/ADT/Hashing.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>

using namespace mlir;

static const char *const kPipelines[] = {
    "builtin.module(attn-fuse)",
    "builtin.module(attn-raise)",
    "builtin.module(attn-decompose)",
    "builtin.module(func.func(attn-flash{vector-width=8}))",
    "builtin.module(func.func(attn-tile-projections{vector-width=8}))",
    "builtin.module(func.func(attn-tile-contractions{vector-width=8}))",
    "builtin.module(convert-attn-to-linalg)",
    "builtin.module(attn-cpu-pipeline)",
    "builtin.module(attn-reference-pipeline)",
    "builtin.module(attn-gpu-flash)",
};

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  attn::registerAllPasses();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // The MLIR lexer stops at a NUL past the end of its buffer, as files read
  // through MemoryBuffer and std::string data guarantee; libFuzzer's buffer
  // has none, so it is copied.
  std::string source(reinterpret_cast<const char *>(data), size);
  llvm::StringRef text = source;
  if (llvm::Error err = attn::checkInputLimits(text, "<fuzz>")) {
    llvm::consumeError(std::move(err));
    return 0;
  }
  DialectRegistry registry;
  attn::registerAllDialects(registry);
  MLIRContext context(registry, MLIRContext::Threading::DISABLED);
  ScopedDiagnosticHandler silence(&context,
                                  [](Diagnostic &) { return success(); });
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(text, &context);
  if (!module || failed(verify(*module)))
    return 0;
  const char *pipeline =
      kPipelines[llvm::hash_value(text) % std::size(kPipelines)];
  PassManager pm(&context);
  std::string errors;
  llvm::raw_string_ostream os(errors);
  if (failed(parsePassPipeline(pipeline, pm, os)))
    return 0;
  (void)pm.run(*module);
  return 0;
}
