//===- attn-run.cpp - compile, run, check and time attn IR ------*- C++ -*-===//
//
// Part of the attn-mlir project.
//
//===----------------------------------------------------------------------===//
//
// attn-run FILE.mlir [--entry=NAME] [--input=a.npy ...] [--random --seed=N]
//                    [--shapes=2x8x128x64,...] [--output=out.npy ...]
//                    [--pipeline=cpu|reference|'PASSES'] [--threads=N]
//                    [--check] [--bench=N] [--json] [--device=cpu|cuda]
//
// Every failure prints one line `attn-run: error: ...` on stderr and exits 1.
//
//===----------------------------------------------------------------------===//

#include "attn/InitAll.h"
#include "attn/Runtime/CudaRuntime.h"
#include "attn/Runtime/Executor.h"
#include "attn/Runtime/HostTensor.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <random>
#include <thread>

using namespace mlir;
using namespace mlir::attn;
namespace cl = llvm::cl;

static cl::OptionCategory runCategory("attn-run options");

namespace {
/// Libraries linked into attn-run register a `--threads` option of their own;
/// drop it before ours registers. (Shared libraries initialize first.)
struct DropConflictingOptions {
  DropConflictingOptions() {
    auto &registered = cl::getRegisteredOptions();
    auto it = registered.find("threads");
    if (it != registered.end())
      it->second->removeArgument();
  }
} dropConflictingOptions;
} // namespace

static cl::opt<std::string> inputFile(cl::Positional, cl::desc("FILE.mlir"),
                                      cl::cat(runCategory));
static cl::opt<std::string>
    entryName("entry",
              cl::desc("Function to run (default: the only public function, "
                       "else 'main')"),
              cl::value_desc("name"), cl::cat(runCategory));
static cl::list<std::string>
    inputPaths("input", cl::desc("Input .npy files, in argument order"),
               cl::value_desc("file.npy"), cl::CommaSeparated,
               cl::cat(runCategory));
static cl::opt<bool>
    randomInputs("random",
                 cl::desc("Random inputs: standard normal floats, masks true "
                          "with probability 0.9"),
                 cl::cat(runCategory));
// Numeric options are parsed as strings: LLVM's parser would print value
// errors itself instead of reporting them to attn-run.
static cl::opt<std::string> seedText("seed", cl::desc("Seed of --random"),
                                     cl::value_desc("N"), cl::init("0"),
                                     cl::cat(runCategory));
static cl::opt<std::string>
    shapesText("shapes",
               cl::desc("Full shapes of every input for --random, e.g. "
                        "2x8x128x64,2x8x128x64 (dynamic dims default to 16)"),
               cl::value_desc("AxBx...,..."), cl::cat(runCategory));
static cl::list<std::string>
    outputPaths("output", cl::desc("Write the results as .npy, in order"),
                cl::value_desc("out.npy"), cl::CommaSeparated,
                cl::cat(runCategory));
static cl::opt<std::string> pipelineName(
    "pipeline",
    cl::desc("Lowering: 'cpu' (default; --attn-cpu-pipeline: fused, tiled, "
             "vectorized, multi-threaded flash kernel), 'reference' "
             "(--convert-attn-to-linalg and a plain "
             "loop lowering: unfused, materializes the scores), or a pass "
             "pipeline 'builtin.module(...)' that ends in the LLVM dialect"),
    cl::init("cpu"), cl::cat(runCategory));
static cl::opt<std::string> threadsText(
    "threads",
    cl::desc("Worker threads of the cpu pipeline (default: all cores)"),
    cl::value_desc("N"), cl::init("0"), cl::cat(runCategory));
static cl::opt<bool>
    check("check",
          cl::desc("Also run the reference pipeline and compare every result "
                   "(relative L2 error; exit 1 past the tolerance)"),
          cl::cat(runCategory));
static cl::opt<std::string>
    benchText("bench",
              cl::desc("Time N runs after a warm-up; print the median time "
                       "and GFLOP/s"),
              cl::value_desc("N"), cl::init("0"), cl::cat(runCategory));
static cl::opt<bool> jsonOutput("json",
                                cl::desc("Print one JSON object on stdout"),
                                cl::cat(runCategory));
static cl::opt<std::string>
    device("device", cl::desc("Where to run: cpu (default) or cuda"),
           cl::init("cpu"), cl::cat(runCategory));

static uint64_t seed = 0;
static unsigned benchRuns = 0;
static unsigned threads = 0;

/// Parses a non-negative integer option value.
template <typename T>
static bool parseCount(llvm::StringRef flag, llvm::StringRef text, T &value,
                       std::string &error) {
  unsigned long long v;
  if (text.trim().getAsInteger(10, v) ||
      v > static_cast<unsigned long long>(std::numeric_limits<T>::max())) {
    error =
        ("--" + flag + " expects a non-negative integer, got '" + text + "'")
            .str();
    return false;
  }
  value = static_cast<T>(v);
  return true;
}

static int reportError(llvm::StringRef message) {
  std::string line = message.str();
  std::replace(line.begin(), line.end(), '\n', ' ');
  llvm::errs() << "attn-run: error: " << llvm::StringRef(line).trim() << "\n";
  return 1;
}

static std::string formatShape(llvm::ArrayRef<int64_t> shape) {
  std::string s;
  for (auto [i, d] : llvm::enumerate(shape))
    s += (i ? "x" : "") +
         (ShapedType::isDynamic(d) ? std::string("?") : std::to_string(d));
  return s;
}

/// Parses `2x8x?x64`-free shapes: `2x8x128x64` (a scalar is the empty string).
static std::optional<llvm::SmallVector<int64_t>> parseShape(llvm::StringRef s) {
  llvm::SmallVector<int64_t> shape;
  llvm::SmallVector<llvm::StringRef> parts;
  s.trim().split(parts, 'x', -1, /*KeepEmpty=*/true);
  for (llvm::StringRef p : parts) {
    int64_t d;
    if (p.trim().getAsInteger(10, d) || d < 0)
      return std::nullopt;
    shape.push_back(d);
  }
  return shape;
}

/// The concrete shapes of the random inputs.
static llvm::Expected<llvm::SmallVector<llvm::SmallVector<int64_t>>>
randomShapes(llvm::ArrayRef<TensorSignature> sigs) {
  llvm::SmallVector<llvm::SmallVector<int64_t>> shapes;
  if (shapesText.empty()) {
    for (const TensorSignature &sig : sigs) {
      llvm::SmallVector<int64_t> shape = sig.shape;
      for (int64_t &d : shape)
        if (ShapedType::isDynamic(d))
          d = 16;
      shapes.push_back(shape);
    }
    return shapes;
  }
  llvm::SmallVector<llvm::StringRef> items;
  llvm::StringRef(shapesText).split(items, ',');
  if (items.size() != sigs.size())
    return llvm::createStringError(
        "--shapes gives %zu shapes but the entry takes %zu inputs",
        items.size(), sigs.size());
  for (auto [i, item] : llvm::enumerate(items)) {
    std::optional<llvm::SmallVector<int64_t>> shape = parseShape(item);
    if (!shape)
      return llvm::createStringError("--shapes: bad shape '%s'",
                                     item.str().c_str());
    shapes.push_back(*shape);
  }
  return shapes;
}

/// Checks a concrete shape against a signature.
static bool shapeMatches(llvm::ArrayRef<int64_t> shape,
                         const TensorSignature &sig) {
  if (shape.size() != sig.shape.size())
    return false;
  for (auto [d, s] : llvm::zip_equal(shape, sig.shape))
    if (!ShapedType::isDynamic(s) && s != d)
      return false;
  return true;
}

static llvm::Expected<llvm::SmallVector<HostTensor>>
makeInputs(llvm::ArrayRef<TensorSignature> sigs) {
  llvm::SmallVector<HostTensor> tensors;
  if (randomInputs) {
    if (!inputPaths.empty())
      return llvm::createStringError("--random and --input are exclusive");
    auto shapes = randomShapes(sigs);
    if (!shapes)
      return shapes.takeError();
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> normal(0.0, 1.0);
    std::bernoulli_distribution keep(0.9);
    for (auto [i, sig] : llvm::enumerate(sigs)) {
      if (!shapeMatches((*shapes)[i], sig))
        return llvm::createStringError(
            "--shapes: input %zu has shape %s but the entry expects %s", i,
            formatShape((*shapes)[i]).c_str(), sig.typeString.c_str());
      auto t = HostTensor::allocate(sig.kind, (*shapes)[i]);
      if (!t)
        return llvm::createStringError("input %zu: %s", i,
                                       llvm::toString(t.takeError()).c_str());
      for (int64_t e = 0, n = t->getNumElements(); e < n; ++e)
        t->setFromDouble(e, sig.kind == ElementKind::I1 ||
                                    sig.kind == ElementKind::I64
                                ? keep(rng)
                                : normal(rng));
      tensors.push_back(std::move(*t));
    }
    return tensors;
  }
  if (!shapesText.empty())
    return llvm::createStringError("--shapes applies only with --random");
  if (inputPaths.size() != sigs.size())
    return llvm::createStringError(
        "the entry takes %zu inputs but %zu were given (use --input=FILE.npy "
        "per argument, or --random)",
        sigs.size(), inputPaths.size());
  for (auto [i, path] : llvm::enumerate(inputPaths)) {
    auto t = readNpy(path);
    if (!t)
      return t.takeError();
    const TensorSignature &sig = sigs[i];
    if (t->getKind() != sig.kind)
      return llvm::createStringError(
          "input %zu ('%s'): element type %s does not match %s", i,
          path.c_str(), getElementName(t->getKind()).str().c_str(),
          sig.typeString.c_str());
    if (!shapeMatches(t->getShape(), sig))
      return llvm::createStringError(
          "input %zu ('%s'): shape %s does not match %s", i, path.c_str(),
          formatShape(t->getShape()).c_str(), sig.typeString.c_str());
    tensors.push_back(std::move(*t));
  }
  return tensors;
}

namespace {
struct Comparison {
  /// maxRef, the reference's largest finite magnitude, puts maxAbs in scale.
  double maxAbs = 0, maxRef = 0, relL2 = 0, tol = 0;
  bool ok = true;
};
} // namespace

static double toleranceFor(ElementKind kind) {
  switch (kind) {
  case ElementKind::F32:
    return 2e-5;
  case ElementKind::F16:
    return 5e-3;
  case ElementKind::BF16:
    return 3e-2;
  case ElementKind::I1:
  case ElementKind::I64:
    return 0;
  }
  return 0;
}

/// Relative L2 error against the reference; a NaN or Inf where the reference
/// has none always fails.
static Comparison compare(const HostTensor &out, const HostTensor &ref) {
  Comparison c;
  c.tol = toleranceFor(out.getKind());
  double diff2 = 0, ref2 = 0;
  bool badNonFinite = false;
  for (int64_t i = 0, n = out.getNumElements(); i < n; ++i) {
    double o = out.getAsDouble(i), r = ref.getAsDouble(i);
    if (!std::isfinite(o) || !std::isfinite(r)) {
      bool same = (std::isnan(o) && std::isnan(r)) || o == r;
      if (!same)
        badNonFinite = true;
      continue;
    }
    double d = o - r;
    c.maxAbs = std::max(c.maxAbs, std::fabs(d));
    c.maxRef = std::max(c.maxRef, std::fabs(r));
    diff2 += d * d;
    ref2 += r * r;
  }
  c.relL2 = ref2 > 0 ? std::sqrt(diff2 / ref2) : (diff2 > 0 ? INFINITY : 0.0);
  if (badNonFinite) {
    c.maxAbs = NAN;
    c.relL2 = NAN;
  }
  c.ok = !badNonFinite && c.relL2 <= c.tol;
  return c;
}

static int run(int argc, char **argv) {
  DialectRegistry registry;
  attn::registerAllDialects(registry);
  registerAllToLLVMIRTranslations(registry);
  attn::registerAllPasses();

  cl::HideUnrelatedOptions(runCategory);
  std::string parseErrors;
  llvm::raw_string_ostream parseErrStream(parseErrors);
  if (!cl::ParseCommandLineOptions(
          argc, argv,
          "attn-run: compile an attn-mlir function, run it on the host CPU, "
          "and optionally check and time it\n",
          &parseErrStream)) {
    llvm::StringRef first = llvm::StringRef(parseErrors).split('\n').first;
    first.consume_front("attn-run: ");
    first.consume_front(argv[0]);
    first.consume_front(": ");
    return reportError(first.empty() ? "bad command line" : first);
  }
  std::string valueError;
  if (!parseCount("seed", seedText, seed, valueError) ||
      !parseCount("bench", benchText, benchRuns, valueError) ||
      !parseCount("threads", threadsText, threads, valueError))
    return reportError(valueError);
  if (inputFile.empty())
    return reportError("no input file (usage: attn-run FILE.mlir [options])");
  if (device != "cpu" && device != "cuda")
    return reportError("--device must be cpu or cuda, got '" + device + "'");
  // The GPU pipeline runs on the GPU, whichever flag asked for it.
  bool gpu = device == "cuda" || pipelineName == "gpu";
  if (gpu && pipelineName != "cpu" && pipelineName != "gpu")
    return reportError("--device=cuda runs the gpu pipeline; --pipeline=" +
                       pipelineName.getValue() + " is for the CPU");
  std::string pipeline = gpu ? "gpu" : pipelineName.getValue();
  std::string deviceName;
  if (gpu) {
    // Before anything is compiled: say at once why a GPU run cannot happen.
    if (llvm::Error err = cuda::initialize())
      return reportError("--device=cuda: " + llvm::toString(std::move(err)));
    deviceName = cuda::getDeviceName() + " (" + cuda::getChip() + ")";
  }
  unsigned numThreads =
      threads ? threads : std::max(1u, std::thread::hardware_concurrency());

  MLIRContext context(registry);
  context.allowUnregisteredDialects(false);
  auto parsed = parseModuleFile(inputFile, &context);
  if (!parsed)
    return reportError(llvm::toString(parsed.takeError()));
  OwningOpRef<ModuleOp> module = std::move(*parsed);

  auto entry = findEntry(*module, entryName);
  if (!entry)
    return reportError(llvm::toString(entry.takeError()));
  std::string name = entry->getSymName().str();
  llvm::SmallVector<TensorSignature> inSigs = getInputSignature(*entry);
  llvm::SmallVector<TensorSignature> outSigs = getResultSignature(*entry);
  if (outputPaths.size() > outSigs.size())
    return reportError(llvm::formatv("{0} --output files for {1} results",
                                     outputPaths.size(), outSigs.size())
                           .str());

  auto inputs = makeInputs(inSigs);
  if (!inputs)
    return reportError(llvm::toString(inputs.takeError()));
  llvm::SmallVector<llvm::SmallVector<int64_t>> shapes;
  llvm::SmallVector<const HostTensor *> inputPtrs;
  for (HostTensor &t : *inputs) {
    shapes.push_back(llvm::to_vector(t.getShape()));
    inputPtrs.push_back(&t);
  }
  auto flops = checkShapesAndCountFlops(*module, name, shapes);
  if (!flops)
    return reportError(llvm::toString(flops.takeError()));

  ExecutorOptions options;
  options.pipeline = pipeline;
  options.threads = numThreads;
  // The reference lowering has no parallel loops, nor has the GPU
  // pipeline's host code.
  unsigned reportedThreads = pipeline == "reference" || gpu ? 1 : numThreads;
  auto exec = Executor::create(*module, name, options);
  if (!exec)
    return reportError(llvm::toString(exec.takeError()));
  auto outputs = (*exec)->run(inputPtrs);
  if (!outputs)
    return reportError(llvm::toString(outputs.takeError()));

  for (auto [path, out] : llvm::zip_first(outputPaths, *outputs))
    if (llvm::Error err = writeNpy(path, out))
      return reportError(llvm::toString(std::move(err)));

  llvm::SmallVector<Comparison> comparisons;
  bool checkOk = true;
  if (check) {
    ExecutorOptions refOptions;
    refOptions.pipeline = "reference";
    auto ref = Executor::create(*module, name, refOptions);
    if (!ref)
      return reportError("--check: " + llvm::toString(ref.takeError()));
    auto refOutputs = (*ref)->run(inputPtrs);
    if (!refOutputs)
      return reportError("--check: " + llvm::toString(refOutputs.takeError()));
    for (auto [out, refOut] : llvm::zip_equal(*outputs, *refOutputs)) {
      if (out.getShape() != refOut.getShape())
        return reportError(
            "--check: result shape " + formatShape(out.getShape()) +
            " differs from the reference's " + formatShape(refOut.getShape()));
      comparisons.push_back(compare(out, refOut));
      checkOk &= comparisons.back().ok;
    }
  }

  // On the GPU the times are the kernels' (CUDA events); wall times, which
  // include the host<->device copies, are reported beside them.
  std::vector<double> timesMs, wallMs;
  if (benchRuns > 0) {
    // One warm-up run, then the timed ones.
    if (auto warm = (*exec)->run(inputPtrs); !warm)
      return reportError(llvm::toString(warm.takeError()));
    for (unsigned i = 0; i < benchRuns; ++i) {
      cuda::resetKernelMillis();
      auto start = std::chrono::steady_clock::now();
      auto r = (*exec)->run(inputPtrs);
      auto end = std::chrono::steady_clock::now();
      if (!r)
        return reportError(llvm::toString(r.takeError()));
      double wall =
          std::chrono::duration<double, std::milli>(end - start).count();
      wallMs.push_back(wall);
      timesMs.push_back(gpu ? cuda::getKernelMillis() : wall);
    }
  }
  auto median = [](std::vector<double> v) {
    if (v.empty())
      return 0.0;
    std::sort(v.begin(), v.end());
    size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
  };
  double medianMs = median(timesMs), wallMedianMs = median(wallMs);
  double minMs =
      timesMs.empty() ? 0 : *std::min_element(timesMs.begin(), timesMs.end());
  auto gflops = [&]() -> std::optional<double> {
    if (!*flops || medianMs <= 0)
      return std::nullopt;
    return **flops / (medianMs * 1e-3) / 1e9;
  };

  if (jsonOutput) {
    llvm::json::Object obj;
    obj["entry"] = name;
    obj["pipeline"] = pipeline;
    obj["threads"] = static_cast<int64_t>(reportedThreads);
    if (gpu)
      obj["device"] = deviceName;
    llvm::json::Array outs;
    for (HostTensor &out : *outputs) {
      llvm::json::Array shape;
      for (int64_t d : out.getShape())
        shape.push_back(d);
      outs.push_back(
          llvm::json::Object{{"shape", std::move(shape)},
                             {"dtype", getElementName(out.getKind()).str()}});
    }
    obj["outputs"] = std::move(outs);
    if (check) {
      // The worst result decides; JSON has no NaN, so non-finite is null.
      Comparison worst;
      worst.tol = comparisons.empty() ? 0 : comparisons.front().tol;
      for (const Comparison &c : comparisons) {
        if (!c.ok || std::isnan(c.relL2) || c.relL2 > worst.relL2 ||
            (worst.ok && !c.ok)) {
          if (!worst.ok && c.ok)
            continue;
          worst = c;
        }
      }
      auto num = [](double v) -> llvm::json::Value {
        if (std::isfinite(v))
          return v;
        return nullptr;
      };
      obj["check"] = llvm::json::Object{{"max_abs_err", num(worst.maxAbs)},
                                        {"rel_l2_err", num(worst.relL2)},
                                        {"tol", worst.tol},
                                        {"ok", checkOk}};
    }
    if (benchRuns > 0) {
      llvm::json::Object bench{{"runs", static_cast<int64_t>(benchRuns)},
                               {"median_ms", medianMs},
                               {"min_ms", minMs}};
      if (gpu)
        bench["wall_median_ms"] = wallMedianMs;
      bench["flops"] = *flops ? llvm::json::Value(**flops) : nullptr;
      bench["gflops"] = gflops() ? llvm::json::Value(*gflops()) : nullptr;
      obj["bench"] = std::move(bench);
    }
    llvm::outs() << llvm::json::Value(std::move(obj)) << "\n";
  } else {
    llvm::outs() << "entry @" << name << "  pipeline " << pipeline;
    if (gpu)
      llvm::outs() << "  device " << deviceName << "\n";
    else
      llvm::outs() << "  threads " << reportedThreads << "\n";
    for (auto [i, out] : llvm::enumerate(*outputs))
      llvm::outs() << "result " << i << ": " << out.describe()
                   << (i < outputPaths.size() ? "  -> " + outputPaths[i]
                                              : std::string())
                   << "\n";
    for (auto [i, c] : llvm::enumerate(comparisons))
      llvm::outs() << llvm::formatv(
          "check result {0}: max_abs_err {1:e2} (max |ref| {2:e2})  "
          "rel_l2_err {3:e2}  tol {4:e1}  {5}\n",
          i, c.maxAbs, c.maxRef, c.relL2, c.tol, c.ok ? "ok" : "FAILED");
    if (benchRuns > 0) {
      llvm::outs() << llvm::formatv("bench: {0} runs  median {1:f3} ms  min "
                                    "{2:f3} ms",
                                    benchRuns, medianMs, minMs);
      if (gflops())
        llvm::outs() << llvm::formatv("  {0:f2} GFLOP/s", *gflops());
      if (gpu)
        llvm::outs() << llvm::formatv(
            "  (kernels; {0:f3} ms with host<->device copies)", wallMedianMs);
      llvm::outs() << "\n";
    }
  }
  if (!checkOk) {
    llvm::errs() << "attn-run: error: --check: result differs from the "
                    "reference beyond the tolerance\n";
    return 1;
  }
  return 0;
}

int main(int argc, char **argv) { return run(argc, argv); }
