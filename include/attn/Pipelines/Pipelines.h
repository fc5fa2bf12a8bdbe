//===- Pipelines.h - attn compilation pipelines -----------------*- C++ -*-===//
//
// Part of the attn-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_PIPELINES_PIPELINES_H
#define ATTN_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassOptions.h"
#include "mlir/Support/LLVM.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir {
class OpPassManager;
namespace attn {

/// Options of `--attn-cpu-pipeline`.
struct CpuPipelineOptions : public PassPipelineOptions<CpuPipelineOptions> {
  PassOptions::Option<bool> raise{
      *this, "raise",
      llvm::cl::desc("Raise unfused attention in upstream dialects to "
                     "attn.sdpa first (--attn-raise)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> fuse{
      *this, "fuse",
      llvm::cl::desc("Fuse attention stage chains into attn.sdpa first"),
      llvm::cl::init(true)};
  PassOptions::Option<unsigned> threads{
      *this, "threads",
      llvm::cl::desc("Worker threads (0: the OpenMP runtime's default, all "
                     "cores)"),
      llvm::cl::init(0)};
  PassOptions::Option<int64_t> vectorWidth{
      *this, "vector-width",
      llvm::cl::desc("f32 lanes per vector (0: the host's widest)"),
      llvm::cl::init(0)};
  PassOptions::Option<int64_t> queryBlock{
      *this, "query-block",
      llvm::cl::desc("Rows per flash block (0: chosen per op)"),
      llvm::cl::init(0)};
  PassOptions::Option<int64_t> keyBlock{*this, "key-block",
                                        llvm::cl::desc("Keys per flash block"),
                                        llvm::cl::init(96)};
  PassOptions::Option<int64_t> keySplits{
      *this, "key-splits",
      llvm::cl::desc("Split each row block's keys across tasks (0: automatic "
                     "for decode-like shapes)"),
      llvm::cl::init(0)};
  PassOptions::Option<int64_t> blocksPerTask{
      *this, "blocks-per-task",
      llvm::cl::desc("Row blocks per flash task, taking turns on each K/V "
                     "block (0: chosen per op)"),
      llvm::cl::init(0)};
  PassOptions::Option<bool> amx{
      *this, "amx",
      llvm::cl::desc("bf16 attention on AMX tiles (needs AMX-BF16 and the "
                     "OS permission for AMX state at run time)"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> bf16Dot{
      *this, "bf16-dot",
      llvm::cl::desc("bf16 attention on AVX-512 BF16 dot products when not "
                     "on AMX tiles (needs AVX512-BF16)"),
      llvm::cl::init(false)};
};

/// Options of `--attn-gpu-pipeline`.
struct GpuPipelineOptions : public PassPipelineOptions<GpuPipelineOptions> {
  PassOptions::Option<bool> raise{
      *this, "raise",
      llvm::cl::desc("Raise unfused attention in upstream dialects to "
                     "attn.sdpa first (--attn-raise)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> fuse{
      *this, "fuse",
      llvm::cl::desc("Fuse attention stage chains into attn.sdpa first"),
      llvm::cl::init(true)};
  PassOptions::Option<std::string> chip{
      *this, "chip",
      llvm::cl::desc("Target GPU: sm_80, sm_86, sm_89, sm_90 or sm_90a"),
      llvm::cl::init("sm_80")};
  PassOptions::Option<std::string> format{
      *this, "format",
      llvm::cl::desc("Kernel binary: isa (PTX text, needs no CUDA), bin "
                     "(cubin, needs ptxas) or fatbin"),
      llvm::cl::init("isa")};
  PassOptions::Option<std::string> toolkit{
      *this, "toolkit",
      llvm::cl::desc("CUDA toolkit root for bin/fatbin (ptxas, fatbinary); "
                     "empty: CUDA_ROOT or the PATH"),
      llvm::cl::init("")};
  PassOptions::Option<int64_t> keyBlock{
      *this, "key-block",
      llvm::cl::desc("Keys per shared-memory tile (a multiple of 16)"),
      llvm::cl::init(64)};
  PassOptions::Option<int64_t> keySplits{
      *this, "key-splits",
      llvm::cl::desc("Blocks sharing a row tile's keys, combined by a second "
                     "kernel (0: automatic for decoding; 1: never)"),
      llvm::cl::init(0)};
};

/// Options of `--attn-reference-pipeline` (none yet; kept for symmetry with
/// the registration API).
struct ReferencePipelineOptions
    : public PassPipelineOptions<ReferencePipelineOptions> {};

/// Legalizes TOSA (if any) to linalg/arith/tensor on every function.
void buildTosaLegalization(OpPassManager &pm);

/// Bufferizes linalg-on-tensors code, lowers it to loops and then to the LLVM
/// dialect. Entry functions keep identity-layout memref signatures so that
/// callers can pass plain dense buffers. With `parallel`, scf.parallel loops
/// become OpenMP worksharing loops over `threads` threads (0: all cores) and
/// exp/tanh use vectorizable polynomials; otherwise they call libm.
void buildLoopsToLLVMPipeline(OpPassManager &pm, bool parallel = false,
                              unsigned threads = 0);

/// The `reference` pipeline: TOSA legalization, `--convert-attn-to-linalg`
/// (unfused, materialized scores) and a plain loop lowering to LLVM.
void buildReferencePipeline(OpPassManager &pm,
                            const ReferencePipelineOptions &options = {});

/// The `cpu` pipeline: attn (and upstream) IR to the LLVM dialect for the
/// host CPU.
void buildCpuPipeline(OpPassManager &pm, const CpuPipelineOptions &options);

/// The `gpu` pipeline: attn (and upstream) IR to NVIDIA GPU kernels,
/// serialized into a `gpu.binary`, and host code in the LLVM dialect that
/// moves the operands to the device, launches the kernels and copies the
/// results back (through the `mgpu*` runtime calls). Checks the options and
/// returns failure with a message on `errorStream` for bad values.
LogicalResult buildGpuPipeline(OpPassManager &pm,
                               const GpuPipelineOptions &options,
                               llvm::raw_ostream &errorStream = llvm::errs());

/// The `chip` to compile for on a device `sm_XY`: its own when the gpu
/// pipeline knows it, else the newest older one it knows (the driver
/// compiles PTX forward, e.g. sm_90 PTX on sm_100 and sm_120).
std::string getGpuPipelineChip(llvm::StringRef deviceChip);

/// Registers `--attn-cpu-pipeline`, `--attn-gpu-pipeline` and
/// `--attn-reference-pipeline`.
void registerAttnPipelines();

} // namespace attn
} // namespace mlir

#endif // ATTN_PIPELINES_PIPELINES_H
