//===- attn-opt.cpp - attn-mlir optimizer driver ----------------*- C++ -*-===//
//
// Part of the attn-mlir project.
//
//===----------------------------------------------------------------------===//

#include "attn/InitAll.h"
#include "attn/Support/InputLimits.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  mlir::attn::registerAllDialects(registry);
  mlir::attn::registerAllPasses();
  auto [inputFilename, outputFilename] = mlir::registerAndParseCLIOptions(
      argc, argv, "attn-mlir optimizer driver\n", registry);

  // Input nested deeper than the parser's recursion can take is rejected
  // before parsing (see attn/Support/InputLimits.h). stdin is read by
  // MlirOptMain itself.
  if (inputFilename != "-") {
    std::string errorMessage;
    std::unique_ptr<llvm::MemoryBuffer> file =
        mlir::openInputFile(inputFilename, &errorMessage);
    if (file) {
      if (llvm::Error err =
              mlir::attn::checkInputLimits(file->getBuffer(), inputFilename)) {
        llvm::errs() << "error: " << llvm::toString(std::move(err)) << "\n";
        return 1;
      }
    }
  }
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, inputFilename, outputFilename, registry));
}
