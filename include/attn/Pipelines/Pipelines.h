//===- Pipelines.h - attn compilation pipelines -----------------*- C++ -*-===//
//
// Part of the attn-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_PIPELINES_PIPELINES_H
#define ATTN_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassOptions.h"

namespace mlir {
class OpPassManager;
namespace attn {

/// Options of `--attn-cpu-pipeline`.
struct CpuPipelineOptions : public PassPipelineOptions<CpuPipelineOptions> {
  PassOptions::Option<bool> fuse{
      *this, "fuse",
      llvm::cl::desc("Fuse attention stage chains into attn.sdpa first"),
      llvm::cl::init(true)};
};

/// Options of `--attn-reference-pipeline` (none yet; kept for symmetry with
/// the registration API).
struct ReferencePipelineOptions
    : public PassPipelineOptions<ReferencePipelineOptions> {};

/// Legalizes TOSA (if any) to linalg/arith/tensor on every function.
void buildTosaLegalization(OpPassManager &pm);

/// Bufferizes linalg-on-tensors code, lowers it to loops and then to the LLVM
/// dialect. Entry functions keep identity-layout memref signatures so that
/// callers can pass plain dense buffers.
void buildLoopsToLLVMPipeline(OpPassManager &pm);

/// The `reference` pipeline: TOSA legalization, `--convert-attn-to-linalg`
/// (unfused, materialized scores) and a plain loop lowering to LLVM.
void buildReferencePipeline(OpPassManager &pm,
                            const ReferencePipelineOptions &options = {});

/// The `cpu` pipeline: attn (and upstream) IR to the LLVM dialect for the
/// host CPU.
void buildCpuPipeline(OpPassManager &pm, const CpuPipelineOptions &options);

/// Registers `--attn-cpu-pipeline` and `--attn-reference-pipeline`.
void registerAttnPipelines();

} // namespace attn
} // namespace mlir

#endif // ATTN_PIPELINES_PIPELINES_H
