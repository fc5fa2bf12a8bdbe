//===- Executor.h - JIT compile and run attn functions ----------*- C++ -*-===//
//
// Part of the attn-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Compiles a function of an attn module through a pipeline to the LLVM
// dialect, JIT-compiles it with MLIR's ExecutionEngine, and calls it on host
// tensors. Shared by attn-run and the Python package.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_EXECUTOR_H
#define ATTN_RUNTIME_EXECUTOR_H

#include "attn/Runtime/HostTensor.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>

namespace mlir {
class ExecutionEngine;
namespace func {
class FuncOp;
} // namespace func
namespace attn {

/// A tensor in an entry signature: element kind and shape (dynamic dims are
/// ShapedType::kDynamic).
struct TensorSignature {
  ElementKind kind;
  llvm::SmallVector<int64_t> shape;
  /// `tensor<2x?x64xf32>`.
  std::string typeString;
};

/// Reads and parses an MLIR file (`-` for stdin); errors are one line,
/// `file:line:col: message` for parse errors.
llvm::Expected<OwningOpRef<ModuleOp>> parseModuleFile(llvm::StringRef path,
                                                      MLIRContext *context);

/// Finds the entry: `name` when non-empty, else the only public function,
/// else `main`. Checks that it takes and returns ranked tensors of f32, f16,
/// bf16 or i1.
llvm::Expected<func::FuncOp> findEntry(ModuleOp module, llvm::StringRef name);

/// The signature of an entry found by findEntry.
llvm::SmallVector<TensorSignature> getInputSignature(func::FuncOp entry);
llvm::SmallVector<TensorSignature> getResultSignature(func::FuncOp entry);

/// Checks that concrete input shapes are consistent with the attn ops of
/// `entry` (dynamic dims that must agree, head counts that must divide) and
/// returns the attention FLOPs of one call, or none if some op's count is
/// unknown.
llvm::Expected<std::optional<double>>
checkShapesAndCountFlops(ModuleOp module, llvm::StringRef entry,
                         llvm::ArrayRef<llvm::SmallVector<int64_t>> shapes);

struct ExecutorOptions {
  /// `cpu`, `reference`, `gpu` (NVIDIA GPU kernels run through the CUDA
  /// driver, see CudaRuntime.h), or a pass pipeline (`builtin.module(...)`)
  /// that ends in the LLVM dialect.
  std::string pipeline = "cpu";
  /// Target of the `gpu` pipeline; empty: that of the CUDA device.
  std::string chip;
  /// Worker threads of the `cpu` pipeline; 0 picks all cores.
  unsigned threads = 0;
  /// Let the `cpu` pipeline run bf16 attention on AMX tiles when
  /// requestAmx() grants them.
  bool amx = true;
  /// Let the `cpu` pipeline run bf16 attention on AVX-512 BF16 dot products
  /// when the host has them (and AMX is not used).
  bool bf16Dot = true;
};

/// Whether this process may run AMX-BF16 code: the host has it and the OS
/// granted the tile state (asked for once, on Linux). The `cpu` pipeline
/// uses AMX for bf16 attention when it returns true.
bool requestAmx();

/// Lowers a clone of `module` with the options' pipeline to the LLVM (and
/// OpenMP) dialect, with a C interface (`_mlir_ciface_<entry>`, memref
/// descriptors by pointer) on `entry`, whose inputs are read-only.
llvm::Expected<OwningOpRef<ModuleOp>>
lowerToLLVM(ModuleOp module, llvm::StringRef entry,
            const ExecutorOptions &options);

class Executor {
public:
  ~Executor();

  /// Lowers a clone of `module` and JIT-compiles `entry`.
  static llvm::Expected<std::unique_ptr<Executor>>
  create(ModuleOp module, llvm::StringRef entry,
         const ExecutorOptions &options);

  /// Calls the entry. Inputs must match the signature (kinds, ranks, static
  /// dims); results are fresh host tensors.
  llvm::Expected<llvm::SmallVector<HostTensor>>
  run(llvm::ArrayRef<const HostTensor *> inputs);

  llvm::ArrayRef<TensorSignature> getInputs() const { return inputs; }
  /// Whether the entry runs kernels on the GPU (the `gpu` pipeline).
  bool isGpu() const { return gpu; }
  llvm::ArrayRef<TensorSignature> getResults() const { return results; }

private:
  Executor() = default;
  std::unique_ptr<ExecutionEngine> engine;
  /// The entry's packed wrapper, looked up (and so compiled) at creation.
  void (*entry)(void **) = nullptr;
  std::string entryName;
  llvm::SmallVector<TensorSignature> inputs, results;
  bool gpu = false;
};

/// Collects the first error diagnostic emitted on a context as one line,
/// `file:line:col: message`, while it is alive.
class DiagnosticCapture {
public:
  explicit DiagnosticCapture(MLIRContext *ctx);
  ~DiagnosticCapture();
  /// The first error, or `fallback` if there was none.
  std::string takeError(llvm::StringRef fallback);

private:
  MLIRContext *ctx;
  uint64_t handlerId;
  std::string first;
};

} // namespace attn
} // namespace mlir

#endif // ATTN_RUNTIME_EXECUTOR_H
