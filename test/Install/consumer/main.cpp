// Registers attn, parses an attention module, runs the CPU pipeline from C++
// (through the JIT runtime) and checks it against the reference lowering;
// then builds the GPU pipeline and checks its kernel (no GPU needed).
#include "attn/InitAll.h"
#include "attn/Pipelines/Pipelines.h"
#include "attn/Runtime/Executor.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

#include <cmath>
#include <cstdio>

static const char *kModule = R"mlir(
func.func @main(%q: tensor<1x4x33x16xf32>, %k: tensor<1x2x47x16xf32>,
                %v: tensor<1x2x47x16xf32>) -> tensor<1x4x33x16xf32> {
  %o = attn.sdpa %q, %k, %v {causal}
      : (tensor<1x4x33x16xf32>, tensor<1x2x47x16xf32>, tensor<1x2x47x16xf32>)
      -> tensor<1x4x33x16xf32>
  return %o : tensor<1x4x33x16xf32>
}
)mlir";

int main() {
  mlir::DialectRegistry registry;
  mlir::attn::registerAllDialects(registry);
  mlir::registerAllToLLVMIRTranslations(registry);
  mlir::MLIRContext context(registry);
  auto module = mlir::parseSourceString<mlir::ModuleOp>(kModule, &context);
  if (!module)
    return 1;

  // The pipeline through the C++ API, on a clone.
  mlir::OwningOpRef<mlir::ModuleOp> lowered = module->clone();
  mlir::PassManager pm = mlir::PassManager::on<mlir::ModuleOp>(&context);
  mlir::attn::CpuPipelineOptions options;
  mlir::attn::buildCpuPipeline(pm, options);
  if (mlir::failed(pm.run(*lowered))) {
    std::fprintf(stderr, "cpu pipeline failed\n");
    return 1;
  }

  // Execute both pipelines on the same inputs.
  using namespace mlir::attn;
  llvm::SmallVector<HostTensor> inputs;
  for (llvm::ArrayRef<int64_t> shape :
       {llvm::ArrayRef<int64_t>{1, 4, 33, 16}, {1, 2, 47, 16}, {1, 2, 47, 16}}) {
    HostTensor t = llvm::cantFail(HostTensor::allocate(ElementKind::F32, shape));
    for (int64_t i = 0; i < t.getNumElements(); ++i)
      t.setFromDouble(i, std::sin(0.37 * i + shape[1]));
    inputs.push_back(std::move(t));
  }
  llvm::SmallVector<const HostTensor *> ptrs;
  for (HostTensor &t : inputs)
    ptrs.push_back(&t);
  ExecutorOptions cpu, ref;
  ref.pipeline = "reference";
  auto cpuExec = Executor::create(*module, "main", cpu);
  auto refExec = Executor::create(*module, "main", ref);
  if (!cpuExec || !refExec) {
    std::fprintf(stderr, "compilation failed\n");
    return 1;
  }
  auto out = llvm::cantFail((*cpuExec)->run(ptrs));
  auto want = llvm::cantFail((*refExec)->run(ptrs));
  double diff = 0, norm = 0;
  for (int64_t i = 0; i < out[0].getNumElements(); ++i) {
    double d = out[0].getAsDouble(i) - want[0].getAsDouble(i);
    diff += d * d;
    norm += want[0].getAsDouble(i) * want[0].getAsDouble(i);
  }
  double rel = std::sqrt(diff / norm);
  std::printf("consumer: rel_l2_err %.3e %s\n", rel, rel < 1e-5 ? "ok" : "FAILED");
  if (rel >= 1e-5)
    return 1;

  // The GPU pipeline: the f16 version of the module becomes a gpu.binary
  // holding the kernel's PTX, and host code in the LLVM dialect.
  std::string f16 = kModule;
  for (size_t at; (at = f16.find("xf32>")) != std::string::npos;)
    f16.replace(at, 5, "xf16>");
  auto gpuModule = mlir::parseSourceString<mlir::ModuleOp>(f16, &context);
  mlir::PassManager gpuPm = mlir::PassManager::on<mlir::ModuleOp>(&context);
  mlir::attn::GpuPipelineOptions gpuOptions;
  gpuOptions.chip = "sm_90";
  if (!gpuModule || mlir::failed(mlir::attn::buildGpuPipeline(gpuPm, gpuOptions)) ||
      mlir::failed(gpuPm.run(*gpuModule))) {
    std::fprintf(stderr, "gpu pipeline failed\n");
    return 1;
  }
  int kernels = 0;
  gpuModule->walk([&](mlir::gpu::BinaryOp binary) {
    auto object = mlir::cast<mlir::gpu::ObjectAttr>(binary.getObjects()[0]);
    llvm::StringRef ptx = object.getObject().getValue();
    kernels += ptx.contains(".target sm_90") &&
               ptx.contains("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32");
  });
  std::printf("consumer: %d sm_90 kernel%s with mma.sync\n", kernels,
              kernels == 1 ? "" : "s");
  return kernels == 1 ? 0 : 1;
}
