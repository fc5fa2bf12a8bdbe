//===- attn-compile.cpp - ahead-of-time compilation of attn IR --*- C++ -*-===//
//
// Part of the attn-mlir project.
//
//===----------------------------------------------------------------------===//
//
// attn-compile FILE.mlir -o kernel.o --header kernel.h [--entry=NAME]
//              [--pipeline=cpu|reference] [--amx]
//              [--bf16-dot=false]
// attn-compile FILE.mlir --target=sm_80|sm_90|... -o kernel.ptx|kernel.cubin
//              [--header kernel.h]
//
// Writes a relocatable host object (position independent) with the entry's
// C interface, and a C header declaring `int NAME(const T *in..., T *out...)`
// on dense row-major buffers. The object calls malloc/free and, for the cpu
// pipeline, the OpenMP runtime (link with -lomp).
//
// With a GPU target, writes the entry's kernel from --attn-gpu-pipeline:
// PTX (needs no CUDA), or a cubin assembled by ptxas when the output ends in
// .cubin; the header then gives its name and launch configuration.
//
//===----------------------------------------------------------------------===//

#include "attn/InitAll.h"
#include "attn/Pipelines/Pipelines.h"
#include "attn/Runtime/Executor.h"
#include "attn/Runtime/HostTensor.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/SmallSet.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"

using namespace mlir;
using namespace mlir::attn;
namespace cl = llvm::cl;

static cl::OptionCategory compileCategory("attn-compile options");
static cl::opt<std::string> inputFile(cl::Positional, cl::desc("FILE.mlir"),
                                      cl::cat(compileCategory));
static cl::opt<std::string> outputFile("o", cl::desc("Object file to write"),
                                       cl::value_desc("kernel.o"),
                                       cl::cat(compileCategory));
static cl::opt<std::string> headerFile("header", cl::desc("C header to write"),
                                       cl::value_desc("kernel.h"),
                                       cl::cat(compileCategory));
static cl::opt<std::string> entryName("entry", cl::desc("Function to compile"),
                                      cl::cat(compileCategory));
static cl::opt<std::string> pipelineName("pipeline",
                                         cl::desc("cpu (default) or reference"),
                                         cl::init("cpu"),
                                         cl::cat(compileCategory));
static cl::opt<std::string>
    target("target",
           cl::desc("host (default), or a GPU (sm_80, sm_86, sm_87, sm_89, "
                    "sm_90, sm_90a): writes the entry's kernel"),
           cl::init("host"), cl::cat(compileCategory));

static cl::opt<bool>
    amx("amx",
        cl::desc("bf16 attention on AMX tiles when this host has AMX-BF16; the "
                 "program must then ask Linux for the tile state "
                 "(arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA)) before "
                 "calling the entry"),
        cl::init(false), cl::cat(compileCategory));

static cl::opt<bool>
    bf16Dot("bf16-dot",
            cl::desc("bf16 attention on AVX-512 BF16 dot products when this "
                     "host has them and AMX is not used (default: on)"),
            cl::init(true), cl::cat(compileCategory));

static cl::opt<std::string>
    ptxasPath("ptxas",
              cl::desc("ptxas to assemble a .cubin with (default: PATH, then "
                       "/usr/local/cuda/bin)"),
              cl::cat(compileCategory));

static int fail(const llvm::Twine &message) {
  std::string line = message.str();
  std::replace(line.begin(), line.end(), '\n', ' ');
  llvm::errs() << "attn-compile: error: " << line << "\n";
  return 1;
}

static const char *cType(ElementKind kind) {
  switch (kind) {
  case ElementKind::F32:
    return "float";
  case ElementKind::F16:
  case ElementKind::BF16:
    return "uint16_t";
  case ElementKind::I1:
    return "uint8_t";
  case ElementKind::I64:
    return "int64_t";
  }
  return "void";
}

/// The C header: descriptor types, the C-interface declaration and a wrapper
/// on dense buffers that copies each result out and frees it.
static std::string makeHeader(StringRef name, StringRef source,
                              ArrayRef<TensorSignature> inputs,
                              ArrayRef<TensorSignature> results) {
  std::string h;
  llvm::raw_string_ostream os(h);
  std::string guard = ("ATTN_KERNEL_" + name.upper() + "_H");
  os << "/* Generated by attn-compile from " << source << ": entry @" << name
     << ". Link with the object file and -lomp. */\n"
     << "#ifndef " << guard << "\n#define " << guard << "\n\n"
     << "#include <stdint.h>\n#include <stdlib.h>\n#include <string.h>\n\n"
     << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
  llvm::SmallSet<size_t, 4> ranks;
  for (const TensorSignature &sig :
       llvm::concat<const TensorSignature>(inputs, results))
    ranks.insert(sig.shape.size());
  // Guarded: a program may include the headers of several kernels.
  for (size_t rank : ranks) {
    std::string typeGuard = "ATTN_MEMREF_" + std::to_string(rank) + "D";
    os << "#ifndef " << typeGuard << "\n#define " << typeGuard << "\n"
       << "typedef struct {\n  void *allocated;\n  void *aligned;\n"
       << "  int64_t offset;\n";
    if (rank)
      os << "  int64_t sizes[" << rank << "];\n  int64_t strides[" << rank
         << "];\n";
    os << "} attn_memref_" << rank << "d;\n#endif\n\n";
  }
  std::string resultType = "void";
  if (results.size() == 1) {
    resultType = "attn_memref_" + std::to_string(results[0].shape.size()) + "d";
  } else if (results.size() > 1) {
    os << "typedef struct {\n";
    for (auto [i, sig] : llvm::enumerate(results))
      os << "  attn_memref_" << sig.shape.size() << "d r" << i << ";\n";
    os << "} " << name << "_results;\n\n";
    resultType = (name + "_results").str();
  }
  os << "void _mlir_ciface_" << name << "(";
  bool first = true;
  if (!results.empty()) {
    os << resultType << " *";
    first = false;
  }
  for (const TensorSignature &sig : inputs) {
    os << (first ? "" : ", ") << "attn_memref_" << sig.shape.size() << "d *";
    first = false;
  }
  os << ");\n\n";

  // The wrapper.
  os << "/* " << name << "(";
  first = true;
  for (auto [i, sig] : llvm::enumerate(inputs)) {
    os << (first ? "" : ", ") << "in" << i << ": " << sig.typeString;
    first = false;
  }
  for (auto [i, sig] : llvm::enumerate(results))
    os << (first ? "" : ", ") << "out" << i << ": " << sig.typeString;
  os << "), dense row-major buffers (f16/bf16 as uint16_t bits, i1 as bytes).\n"
     << "   Returns 0. */\n";
  os << "static inline int " << name << "(";
  first = true;
  for (auto [i, sig] : llvm::enumerate(inputs)) {
    os << (first ? "" : ", ") << "const " << cType(sig.kind) << " *in" << i;
    first = false;
  }
  for (auto [i, sig] : llvm::enumerate(results)) {
    os << (first ? "" : ", ") << cType(sig.kind) << " *out" << i;
    first = false;
  }
  os << ") {\n";
  for (auto [i, sig] : llvm::enumerate(inputs)) {
    size_t rank = sig.shape.size();
    os << "  attn_memref_" << rank << "d a" << i << " = {(void *)in" << i
       << ", (void *)in" << i << ", 0";
    if (rank) {
      SmallVector<int64_t> strides(rank, 1);
      for (int64_t d = static_cast<int64_t>(rank) - 2; d >= 0; --d)
        strides[d] = strides[d + 1] * sig.shape[d + 1];
      os << ", {";
      llvm::interleaveComma(sig.shape, os);
      os << "}, {";
      llvm::interleaveComma(strides, os);
      os << "}";
    }
    os << "};\n";
  }
  if (!results.empty())
    os << "  " << resultType << " res;\n";
  os << "  _mlir_ciface_" << name << "(";
  first = true;
  if (!results.empty()) {
    os << "&res";
    first = false;
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    os << (first ? "" : ", ") << "&a" << i;
    first = false;
  }
  os << ");\n";
  for (auto [i, sig] : llvm::enumerate(results)) {
    std::string r = results.size() == 1 ? "res" : "res.r" + std::to_string(i);
    int64_t n = 1;
    for (int64_t d : sig.shape)
      n *= d;
    size_t elt = getElementSize(sig.kind);
    os << "  memcpy(out" << i << ", (char *)" << r << ".aligned + " << r
       << ".offset * " << elt << ", " << n * static_cast<int64_t>(elt)
       << ");\n";
    os << "  free(" << r << ".allocated);\n";
  }
  os << "  return 0;\n}\n\n#ifdef __cplusplus\n}\n#endif\n\n#endif\n";
  return h;
}

/// --target=sm_*: runs --attn-gpu-pipeline on the entry and writes its
/// kernel (PTX or cubin) and, with --header, its launch configuration.
static int compileForGpu(ModuleOp module, StringRef name) {
  if (pipelineName != "cpu" && pipelineName != "gpu")
    return fail("--target=" + target +
                " compiles with the gpu pipeline; "
                "--pipeline=" +
                pipelineName.getValue() + " is for the host");
  GpuPipelineOptions options;
  options.chip = target.getValue();
  // One kernel a launch: no key splits, whose combine is a second kernel.
  options.keySplits = 1;
  bool cubin = StringRef(outputFile).ends_with(".cubin");
  if (cubin) {
    std::string ptxas = ptxasPath;
    if (ptxas.empty()) {
      auto found = llvm::sys::findProgramByName("ptxas");
      if (!found)
        found = llvm::sys::findProgramByName("ptxas", {"/usr/local/cuda/bin"});
      if (!found)
        return fail("writing a .cubin needs ptxas (the CUDA toolkit), which "
                    "is not on PATH or in /usr/local/cuda/bin; write a .ptx "
                    "instead or pass --ptxas=PATH");
      ptxas = *found;
    }
    // The toolkit root: ptxas is in its bin/.
    options.format = "bin";
    options.toolkit =
        llvm::sys::path::parent_path(llvm::sys::path::parent_path(ptxas)).str();
  }

  // Only the entry's kernels.
  OwningOpRef<ModuleOp> lowered = module.clone();
  for (auto func : llvm::make_early_inc_range(lowered->getOps<func::FuncOp>()))
    if (func.getSymName() != name && func.isPublic())
      func.setPrivate();
  MLIRContext *ctx = lowered->getContext();
  DiagnosticCapture capture(ctx);
  PassManager pm = PassManager::on<ModuleOp>(ctx);
  pm.addPass(createSymbolDCEPass());
  std::string err;
  llvm::raw_string_ostream os(err);
  if (failed(buildGpuPipeline(pm, options, os)))
    return fail(err);
  if (failed(pm.run(*lowered)))
    return fail("compilation failed: " +
                capture.takeError("the GPU pipeline failed"));

  SmallVector<gpu::BinaryOp> binaries =
      llvm::to_vector(lowered->getOps<gpu::BinaryOp>());
  if (binaries.empty())
    return fail("@" + name + " launches no GPU kernel (it has no attn.sdpa)");
  if (binaries.size() > 1)
    return fail("@" + name + " launches " + std::to_string(binaries.size()) +
                " kernels; --target writes one (split the function)");
  gpu::BinaryOp binary = binaries.front();
  auto object = cast<gpu::ObjectAttr>(binary.getObjects()[0]);
  StringRef bytes = object.getObject().getValue();
  // PTX is embedded with its terminating NUL.
  if (!cubin)
    bytes = bytes.rtrim('\0');
  std::error_code ec;
  llvm::raw_fd_ostream out(outputFile, ec, llvm::sys::fs::OF_None);
  if (ec)
    return fail("cannot write '" + outputFile + "': " + ec.message());
  out << bytes;
  out.close();

  if (!headerFile.empty()) {
    // The launch: its block size and dynamic shared memory are constants.
    gpu::LaunchFuncOp launch;
    lowered->walk([&](gpu::LaunchFuncOp op) { launch = op; });
    auto constant = [](Value v) -> int64_t {
      llvm::APInt value;
      if (matchPattern(v, m_ConstantInt(&value)))
        return value.getSExtValue();
      return -1;
    };
    std::string kernel = launch.getKernelName().str();
    std::string upper = StringRef(kernel).upper();
    llvm::raw_fd_ostream header(headerFile, ec, llvm::sys::fs::OF_Text);
    if (ec)
      return fail("cannot write '" + headerFile + "': " + ec.message());
    SmallVector<TensorSignature> inputs =
        getInputSignature(module.lookupSymbol<func::FuncOp>(name));
    header << "/* Generated by attn-compile: the " << target << " kernel of @"
           << name << " in " << llvm::sys::path::filename(outputFile) << ".\n"
           << " * Load it with cuModuleLoad/cuModuleLoadData and launch "
           << kernel << " with\n"
           << " *   grid (ceil(H / Hkv * Sq / 64), B * Hkv, 1), block ("
           << constant(launch.getBlockSizeX()) << ", 1, 1),\n"
           << " *   dynamic shared memory " << upper
           << "_SHARED_BYTES (opt in above 48 KiB with\n"
           << " *   cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES)).\n"
           << " * Parameters: for each of q, k, v";
    if (inputs.size() > 3)
      header << ", mask";
    header << " and the output, in that order, a\n"
           << " * memref descriptor passed flat: allocated and aligned device "
              "pointers,\n"
           << " * offset, then the 4 sizes and 4 strides (int64). */\n"
           << "#ifndef ATTN_GPU_" << upper << "_H\n#define ATTN_GPU_" << upper
           << "_H\n\n"
           << "#define " << upper << "_NAME \"" << kernel << "\"\n"
           << "#define " << upper << "_BLOCK_THREADS "
           << constant(launch.getBlockSizeX()) << "\n"
           << "#define " << upper << "_QUERY_TILE 64\n"
           << "#define " << upper << "_SHARED_BYTES "
           << constant(launch.getDynamicSharedMemorySize()) << "\n\n#endif\n";
  }
  return 0;
}

int main(int argc, char **argv) {
  DialectRegistry registry;
  attn::registerAllDialects(registry);
  registerAllToLLVMIRTranslations(registry);
  attn::registerAllPasses();
  cl::HideUnrelatedOptions(compileCategory);
  std::string parseErrors;
  llvm::raw_string_ostream parseErrStream(parseErrors);
  if (!cl::ParseCommandLineOptions(
          argc, argv, "attn-compile: ahead-of-time compilation of attn IR\n",
          &parseErrStream)) {
    StringRef first = StringRef(parseErrors).split('\n').first;
    first.consume_front("attn-compile: ");
    return fail(first.empty() ? "bad command line" : first);
  }
  if (inputFile.empty())
    return fail("no input file (usage: attn-compile FILE.mlir -o kernel.o "
                "--header kernel.h)");
  if (outputFile.empty())
    return fail(target == "host" ? "no output file (-o kernel.o)"
                                 : "no output file (-o kernel.ptx)");

  MLIRContext context(registry);
  auto parsed = parseModuleFile(inputFile, &context);
  if (!parsed)
    return fail(llvm::toString(parsed.takeError()));
  OwningOpRef<ModuleOp> module = std::move(*parsed);

  auto entry = findEntry(*module, entryName);
  if (!entry)
    return fail(llvm::toString(entry.takeError()));
  std::string name = entry->getSymName().str();
  // Kernels take their sizes at launch: dynamic dims are fine there.
  if (target != "host")
    return compileForGpu(*module, name);
  SmallVector<TensorSignature> inputs = getInputSignature(*entry);
  SmallVector<TensorSignature> results = getResultSignature(*entry);
  for (const TensorSignature &sig :
       llvm::concat<const TensorSignature>(inputs, results))
    if (llvm::any_of(sig.shape, ShapedType::isDynamic))
      return fail("@" + name + " has the dynamic type " + sig.typeString +
                  "; ahead-of-time entries need static shapes");

  ExecutorOptions options;
  options.pipeline = pipelineName;
  // Off by default: the object's caller would have to hold the AMX state.
  options.amx = amx;
  options.bf16Dot = bf16Dot;
  auto lowered = lowerToLLVM(*module, name, options);
  if (!lowered)
    return fail(llvm::toString(lowered.takeError()));

  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  auto builder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!builder)
    return fail(llvm::toString(builder.takeError()));
  builder->setRelocationModel(llvm::Reloc::PIC_);
  builder->setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  auto machine = builder->createTargetMachine();
  if (!machine)
    return fail(llvm::toString(machine.takeError()));

  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(**lowered, llvmContext, inputFile);
  if (!llvmModule)
    return fail("translation to LLVM IR failed");
  ExecutionEngine::setupTargetTripleAndDataLayout(llvmModule.get(),
                                                  machine->get());
  if (llvm::Error err =
          makeOptimizingTransformer(3, 0, machine->get())(llvmModule.get()))
    return fail(llvm::toString(std::move(err)));

  std::error_code ec;
  llvm::raw_fd_ostream object(outputFile, ec, llvm::sys::fs::OF_None);
  if (ec)
    return fail("cannot write '" + outputFile + "': " + ec.message());
  llvm::legacy::PassManager codegen;
  if ((*machine)->addPassesToEmitFile(codegen, object, nullptr,
                                      llvm::CodeGenFileType::ObjectFile))
    return fail("the target cannot emit object files");
  codegen.run(*llvmModule);
  object.close();

  if (!headerFile.empty()) {
    llvm::raw_fd_ostream header(headerFile, ec, llvm::sys::fs::OF_Text);
    if (ec)
      return fail("cannot write '" + headerFile + "': " + ec.message());
    header << makeHeader(name, llvm::sys::path::filename(inputFile), inputs,
                         results);
  }
  return 0;
}
