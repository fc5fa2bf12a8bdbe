//===- CudaRuntime.h - the CUDA driver, loaded at run time ------*- C++ -*-===//
//
// Part of the attn-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The small runtime behind `--attn-gpu-pipeline` code: the `mgpu*` entry
// points that `gpu-to-llvm` and the gpu.binary translation call (module
// load, launch, stream, device memory), implemented on the CUDA driver API
// that is opened with dlopen("libcuda.so.1") when first needed. Nothing
// links against CUDA, so the project builds and runs without it, and says
// clearly why when a GPU run is asked for on a machine that has none.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_CUDARUNTIME_H
#define ATTN_RUNTIME_CUDARUNTIME_H

#include "llvm/ExecutionEngine/Orc/Core.h"
#include "llvm/ExecutionEngine/Orc/Mangling.h"
#include "llvm/Support/Error.h"

#include <string>

namespace mlir {
namespace attn {
namespace cuda {

/// Opens the driver, initializes it and makes device 0's primary context
/// current on the calling thread. Idempotent; the error says what is
/// missing (no libcuda, no device, a driver error).
llvm::Error initialize();

/// The `sm_XY` name of device 0 (initialize() must have succeeded).
std::string getChip();

/// The device's name, e.g. "NVIDIA H100 80GB HBM3".
std::string getDeviceName();

/// The first error of an `mgpu*` call since the last takeError(), if any.
/// After an error the calls do nothing until it is taken.
llvm::Error takeError();

/// Milliseconds the kernels launched since the last reset ran, measured
/// with CUDA events around each launch (host<->device copies excluded).
double getKernelMillis();
void resetKernelMillis();

/// The `mgpu*` functions, for ExecutionEngine::registerSymbols.
llvm::orc::SymbolMap getSymbols(llvm::orc::MangleAndInterner interner);

} // namespace cuda
} // namespace attn
} // namespace mlir

#endif // ATTN_RUNTIME_CUDARUNTIME_H
