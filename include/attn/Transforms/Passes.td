//===- Passes.td - attn transformation passes --------------*- tablegen -*-===//
//
// Part of the attn-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_TRANSFORMS_PASSES_TD
#define ATTN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def AttnRaisePass : Pass<"attn-raise"> {
  let summary = "Raise unfused attention in upstream dialects to attn.sdpa";
  let description = [{
    Finds `softmax(Q K^T * scale + mask) V` written as separate upstream ops
    and replaces it by one `attn.sdpa`:
    ```mlir
    %s = linalg.batch_matmul ins(%q, %kt : ...) outs(%zero : ...)
    %t = linalg.generic {...} ins(%s : ...) { mulf by 0.125 }
    %m = linalg.generic {...} ins(%t : ...) { max-reduce over the keys }
    ... exp(t - m), sum-reduce, divide ...
    %o = linalg.batch_matmul ins(%p, %v : ...) outs(%zero : ...)
    ```
    becomes
    ```mlir
    %o = attn.sdpa %q4, %k4, %v4 {scale = 0.125 : f32} : (...) -> ...
    ```
    Contractions may be `linalg.matmul`/`batch_matmul`, contraction
    `linalg.generic`s or `tosa.matmul`, on 2-D, 3-D or 4-D tensors, with K^T
    from a transpose or an indexing map. Elementwise steps may be
    `linalg.generic`s (fused or not), linalg named ops, arith/math on
    tensors or TOSA ops. The softmax may be `linalg.softmax` or its expansion
    (max-reduce, subtract, exp, sum-reduce, divide or multiply by the
    reciprocal). Constant factors on the scores, on Q or on K fold into
    `scale`; `x + M` becomes an additive mask, `select(B, x, -inf)` an i1
    mask, and comparisons of the query and key indices become `causal` or
    `window` when they match the bottom-right alignment of `attn.sdpa`.
    `tanh` capping becomes `softcap`. Grouped-query K/V written as a
    broadcast of `Hkv` heads read the `Hkv` heads directly.

    Reads see through `collapse_shape`/`expand_shape`/`tosa.reshape`, so
    heads folded into the batch of a 3-D `batch_matmul` (as torch-mlir
    writes attention) match; merged head dims of projection outputs are split
    back with an `expand_shape`. Guards that zero the rows with no kept key
    (PyTorch SDPA's, ONNX Attention's) are dropped, as `attn.sdpa` does that.

    Nothing is rewritten unless the whole chain matches and every value
    between Q K^T and the P V contraction has no other user. See
    `docs/raising.md` for the accepted forms and what is refused.
  }];
  let options = [
    Option<"remarks", "remarks", "bool", /*default=*/"false",
           "Emit a remark on each softmax-weighted contraction that is not "
           "raised, saying why">,
  ];
  let dependentDialects = [
    "::mlir::attn::AttnDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def AttnFusePass : Pass<"attn-fuse"> {
  let summary = "Fuse scores -> softmax -> weighted_sum chains into attn.sdpa";
  let description = [{
    Rewrites the unfused stage chain
    ```mlir
    %s = attn.scores %q, %k {causal} : (...) -> tensor<1x8x64x64xf32>
    %p = attn.softmax %s : (...) -> tensor<1x8x64x64xf32>
    %o = attn.weighted_sum %p, %v : (...) -> tensor<1x8x64x32xf32>
    ```
    into
    ```mlir
    %o = attn.sdpa %q, %k, %v {causal} : (...) -> tensor<1x8x64x32xf32>
    ```
    The softmax may also be a `linalg.softmax` over the key dimension. A
    chain fuses only when the scores and probabilities have no other users
    and the key and value head counts agree.

    It also folds constant rescaling into `scale`: `attn.scores` of
    `q * c` (an `arith.mulf`/`arith.divf` by a splat constant) becomes
    `attn.scores` of `q` with `scale * c`, and a splat rescaling of the scores
    between `attn.scores` and the softmax is folded the same way when it
    commutes with the masks (no softcap, no additive mask, `c > 0`).
  }];
  let dependentDialects = ["::mlir::attn::AttnDialect"];
}

def AttnDecomposePass : Pass<"attn-decompose"> {
  let summary = "Decompose attn.sdpa into scores, softmax and weighted_sum";
  let description = [{
    The inverse of `--attn-fuse`:
    ```mlir
    %o = attn.sdpa %q, %k, %v {causal} : (...) -> tensor<1x8x64x32xf16>
    ```
    becomes
    ```mlir
    %s = attn.scores %q, %k {causal, scale = ...} : (...) -> tensor<1x8x64x64xf32>
    %p = attn.softmax %s : (...) -> tensor<1x8x64x64xf32>
    %o = attn.weighted_sum %p, %v : (...) -> tensor<1x8x64x32xf16>
    ```
    The scores and probabilities are `f32`, so low-precision inputs keep the
    `f32` accumulation of `attn.sdpa`. The scale is made explicit.
  }];
  let dependentDialects = ["::mlir::attn::AttnDialect"];
}

def AttnDecomposeAggregatesPass : Pass<"attn-decompose-aggregates"> {
  let summary = "Decompose linalg aggregate ops such as linalg.softmax";
  let description = [{
    Replaces each op implementing `AggregatedOpInterface` (`linalg.softmax`)
    by the ops its decomposition gives (`linalg.generic` reductions and
    elementwise ops), so that graphs from other frontends that were not
    raised still lower through loops.
  }];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect", "::mlir::arith::ArithDialect",
    "::mlir::math::MathDialect", "::mlir::tensor::TensorDialect"
  ];
}

def AttnFlashPass : Pass<"attn-flash"> {
  let summary = "Tile attn.sdpa into a fused online-softmax kernel";
  let description = [{
    Replaces each `attn.sdpa` by a FlashAttention-style kernel on buffers
    that never materializes the `[Sq, Sk]` scores:
    ```
    parallel over (b, h, query block of Bq rows):
      Qt = scale * q[b, h, block]^T            (packed [D, Bq], f32)
      m = -inf, l = 0, O = 0
      for key blocks [j0, j0 + Bk) kept by causal/window:
        S^T = K[j0:j0+Bk] Qt                   (register tiles: 4 keys x Bq
                                                with 8 lanes, 8 keys with 16)
        softcap, mask, causal/window (-inf), only where the block needs it
        m' = max(m, max_j S^T); alpha = exp(m - m'); P = exp(S^T - m')
        l = alpha l + sum_j P; O = alpha O + P^T V[j0:j0+Bk]
                                               (register tiles of rows x up
                                                to 4 vectors of Dv, each over
                                                its rows' causal/window keys)
      out = O / l  (0 for a row with no kept key)
    ```
    Queries sit in the SIMD lanes, so the running max and sum are vertical
    vector operations; `V` rows are read contiguously and `K` elements are
    broadcast. When at least four row blocks share a kv head (static
    shapes), K and V are packed once per call into f32 panels that the
    register tiles stream. Grouped-query heads read
    key/value head `h / (H / Hkv)` in place. f16/bf16 inputs are widened to
    f32 as they are loaded, except bf16 with at least 16 rows per kv head
    under `amx` or `bf16-dot`: K and V are then packed in bf16 pairs once
    per call, and both contractions run on pair products (AMX tiles,
    `amx.tile_mulf`, or 6-row x 4-vector register tiles of
    `x86vector.avx512.dot`) with queries in rows and an f32 softmax per
    row. The kernel is written in the `vector`, `scf` and
    `memref` dialects between `bufferization.to_buffer` and
    `bufferization.to_tensor`; the outer loop is an `scf.parallel`. On
    AVX-512 hosts the 16-lane exp2 uses `x86vector.avx512.mask.scalef`
    (lowered by `convert-vector-to-llvm{enable-x86vector}`).
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", /*default=*/"0",
           "f32 lanes per vector (0: the host's widest, 16 with AVX-512, 8 "
           "otherwise)">,
    Option<"queryBlock", "query-block", "int64_t", /*default=*/"0",
           "Rows (query head x query pairs) per block, a multiple of "
           "vector-width (0: per op, up to 3 vectors for f32, and for "
           "f16/bf16 with K/V panels, 8 otherwise)">,
    Option<"keyBlock", "key-block", "int64_t", /*default=*/"96",
           "Keys per block">,
    Option<"keySplits", "key-splits", "int64_t", /*default=*/"0",
           "Split each row block's keys across this many tasks, combined by "
           "log-sum-exp (0: automatic for static shapes with fewer row blocks "
           "than threads, as in decoding)">,
    Option<"threads", "threads", "int64_t", /*default=*/"0",
           "Threads to keep busy when choosing key splits (0: the host's "
           "cores)">,
    Option<"amx", "amx", "bool", /*default=*/"false",
           "Run bf16 attention with at least 16 rows per key/value head on "
           "AMX tiles (tdpbf16ps). The code then needs AMX-BF16 and, on "
           "Linux, the process's permission for AMX state "
           "(arch_prctl(ARCH_REQ_XCOMP_PERM)), which attn-run and the Python "
           "package request">,
    Option<"bf16Dot", "bf16-dot", "bool", /*default=*/"false",
           "Run bf16 attention with at least 16 rows per key/value head on "
           "AVX-512 BF16 dot products (vdpbf16ps on bf16 pairs, f32 "
           "accumulators) when it does not run on AMX tiles, instead of "
           "widening it to f32. The code then needs AVX512-BF16; attn-run "
           "and the Python package set it on such hosts">,
    Option<"workspaces", "workspaces", "bool", /*default=*/"false",
           "Keep the per-call heap scratch (packed K/V panels, partial "
           "results of split keys) between calls in attn.workspace_acquire "
           "buffers, lowered by convert-to-llvm, instead of memref.alloc">,
    Option<"blocksPerTask", "blocks-per-task", "int64_t", /*default=*/"0",
           "Row blocks per task, taking turns on each K/V block so that all "
           "but the first read it from L2 (with packed K/V panels, unsplit "
           "keys and no sliding window; else 1). 0: 4 with 16 lanes when a "
           "kv head's K and V panels take more than 1 MiB, else 1">,
  ];
  let dependentDialects = [
    "::mlir::amx::AMXDialect", "::mlir::attn::AttnDialect", "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::math::MathDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect",
    "::mlir::x86vector::X86VectorDialect"
  ];
}

def AttnGpuFlashPass : Pass<"attn-gpu-flash"> {
  let summary = "Lower attn.sdpa to FlashAttention-2 kernels for NVIDIA GPUs";
  let description = [{
    Replaces each `attn.sdpa` (f16 or bf16 q/k/v, head dims multiples of 16
    up to 128) by a `gpu.launch` in the FlashAttention-2 structure, with its
    host side: device buffers (`gpu.alloc`), copies in and out
    (`gpu.memcpy`).
    ```
    rows of a kv head: (query head, query) pairs, row = h * Sq + i
    grid (ceil(G * Sq / 64), B * Hkv), 128 threads: 4 warps x 16 rows
      Q tile -> shared (nvgpu.device_async_copy) -> registers (ldmatrix.x4)
      m = -inf, l = 0, O = 0                 (registers, f32)
      for key tiles of Bk keys kept by causal/window:
        prefetch tile j+1 into the other shared buffer (cp.async), wait for j
        S = Q K^T                            (mma.sync m16n8k16, ldmatrix.x4)
        scale, softcap; mask / causal / window / keys past Sk (-inf), only
          in tiles that need it
        m' = max(m, rowmax S); alpha = 2^(m - m'); P = 2^(S - m')
        l = alpha l + rowsum P; O = alpha O + P V  (P from S's registers,
          V by ldmatrix.x4.trans)
      out = O / l  (0 for a row with no kept key)
    ```
    The softmax runs in base 2 (`log2(e)` folded into the scale) on
    `ex2.approx`; row maxima and sums are reduced over the 4 threads of a
    row with `gpu.shuffle xor`. Shared-memory rows are padded by 8 elements
    so that ldmatrix reads are free of bank conflicts. The query heads of a
    kv head share a block's rows (and every K/V tile it loads); a block's
    key range covers all its queries. Rows beyond the last and keys beyond
    `Sk` are zero-filled by the copies and never stored or kept.

    When few row tiles would leave most multiprocessors idle (decoding),
    each tile's keys are split across blocks (grid z) that write their
    unnormalized O, row max and row sum; a second kernel combines them by
    log-sum-exp, as the CPU kernel's key splits do.
  }];
  let options = [
    Option<"keyBlock", "key-block", "int64_t", /*default=*/"64",
           "Keys per shared-memory tile (a multiple of 16)">,
    Option<"keySplits", "key-splits", "int64_t", /*default=*/"0",
           "Split each row tile's keys across this many blocks, combined by "
           "a second kernel (0: automatic, for static shapes with few row "
           "tiles, as in decoding; 1: never)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::gpu::GPUDialect", "::mlir::LLVM::LLVMDialect",
    "::mlir::NVVM::NVVMDialect",
    "::mlir::memref::MemRefDialect", "::mlir::nvgpu::NVGPUDialect",
    "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect"
  ];
}

def AttnTileProjectionsPass : Pass<"attn-tile-projections"> {
  let summary = "Lower attn.project and attn.output_project to tiled CPU matmuls";
  let description = [{
    Each projection becomes a register-blocked, parallel matmul on buffers:
    the weight (`torch.nn.Linear` layout `[N, K]`) is packed once per call
    into `[K, N]` f32 with its rows padded to whole vectors, and
    `scf.parallel` tasks compute tiles of 6 rows x 2 vectors of outputs
    (12 accumulators; input elements broadcast, packed weight rows loaded),
    add the bias and store straight into the head-split `[B, H, S, D]`
    (`attn.project`) or merged `[B, S, E]` (`attn.output_project`) result.
    Accumulation is f32 whatever the element type.
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", /*default=*/"0",
           "f32 lanes per vector (0: the host's widest)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def AttnTileContractionsPass : Pass<"attn-tile-contractions"> {
  let summary = "Lower linalg contractions to tiled, vectorized, parallel CPU "
                "matmuls";
  let description = [{
    Gives the projections' kernel to the contractions frontends leave around
    attention (and anywhere else): `linalg.matmul`, `linalg.batch_matmul`,
    their transposed-operand forms and contraction `linalg.generic`s with
    float operands. Each is viewed as
    `C(t, m, n) = C0 + sum_k A(t, m, k) B(t, k, n)`, with `t` the batch
    dims, `m` the M dims (several are linearized), one N dim and the K dims
    as nested loops. B is packed per batch (once when there is no batch) as
    `[K, N]` f32 with N padded to whole tiles; `scf.parallel` tasks compute
    tiles of 6 rows x 2 vectors with 12 vector accumulators, reading A and
    writing C through their indexing maps, so transposed layouts cost no
    copies. The result is `C0` plus the sums, accumulated in f32; an
    all-zero `C0` (a `linalg.fill` of 0) is not read.

    Contractions with several N dims, integer operands or broadcast operands
    are left as they are.
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", /*default=*/"0",
           "f32 lanes per vector (0: the host's widest)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect", "::mlir::vector::VectorDialect"
  ];
}

def AttnApproximateMathPass : Pass<"attn-approximate-math"> {
  let summary = "Expand exp, tanh and bf16 rounding into vector code";
  let description = [{
    Rewrites `math.exp` and `math.tanh` (scalar or vector, f32) into MLIR's
    polynomial approximations, so that the kernels' vector code stays in
    vector registers instead of calling scalar `expf`/`tanhf` per lane.
    The approximations are accurate to a few ulp in f32.

    With `include-bf16`, f32 -> bf16 `arith.truncf` (and bf16 -> f32
    `arith.extf`) become integer code too: rounding to nearest even, NaN
    kept a quiet NaN. x86 without AVX512-BF16 or AVX-NE-CONVERT has no
    instruction for the rounding, and LLVM calls `__truncsfbf2` once per
    lane instead. The CPU pipeline sets it for such hosts.
  }];
  let options = [
    Option<"includeBf16", "include-bf16", "bool", /*default=*/"false",
           "Also expand f32 -> bf16 truncf and bf16 -> f32 extf">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def AttnOmpSchedulePass : Pass<"attn-omp-schedule"> {
  let summary = "Give OpenMP worksharing loops without a schedule one";
  let description = [{
    Sets the `schedule` clause of every `omp.wsloop` that has none, which
    is what `convert-scf-to-openmp` produces. The CPU pipeline runs it with
    `guided`: on a machine whose cores are not all equally fast at a given
    moment (a VM's vCPUs, a busy SMT sibling), a static schedule makes every
    call as slow as its slowest thread, while guided chunks let the others
    take over its share. Chunks start at about remaining / threads and
    shrink, so tiny iterations (panel packing) take few atomic grabs, unlike
    `dynamic` with chunk 1. A loop that already has a schedule keeps it.
  }];
  let options = [
    Option<"kind", "kind", "::mlir::omp::ClauseScheduleKind",
           /*default=*/"::mlir::omp::ClauseScheduleKind::Guided",
           "The schedule to set",
           [{::llvm::cl::values(
             clEnumValN(::mlir::omp::ClauseScheduleKind::Static, "static",
                        "contiguous equal chunks, one per thread"),
             clEnumValN(::mlir::omp::ClauseScheduleKind::Dynamic, "dynamic",
                        "one iteration per grab"),
             clEnumValN(::mlir::omp::ClauseScheduleKind::Guided, "guided",
                        "shrinking chunks, grabbed as threads free up"),
             clEnumValN(::mlir::omp::ClauseScheduleKind::Runtime, "runtime",
                        "what OMP_SCHEDULE says when the program runs"))}]>
  ];
  let dependentDialects = ["::mlir::omp::OpenMPDialect"];
}

#endif // ATTN_TRANSFORMS_PASSES_TD
