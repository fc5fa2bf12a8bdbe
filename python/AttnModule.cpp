//===- AttnModule.cpp - Python bindings of attn-mlir ------------*- C++ -*-===//
//
// Part of the attn-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The _attn_mlir extension: string-in/string-out `opt`, and `compile`, which
// returns a kernel called on buffer-protocol arrays. Arrays cross as raw
// buffers (not py::array_t) so that NumPy 1 and 2 both work: results come
// back as `Buffer`s (a compiled function's own result memory, exposed through
// the buffer protocol without a copy) that the Python side views as arrays.
//
//===----------------------------------------------------------------------===//

#include "attn/InitAll.h"
#include "attn/Runtime/Executor.h"
#include "attn/Runtime/HostTensor.h"
#include "attn/Support/InputLimits.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <mutex>

namespace py = pybind11;
using namespace mlir;
using namespace mlir::attn;

namespace {

/// One registry and context for the module's lifetime.
MLIRContext &getContext() {
  static MLIRContext *context = [] {
    DialectRegistry registry;
    attn::registerAllDialects(registry);
    registerAllToLLVMIRTranslations(registry);
    attn::registerAllPasses();
    auto *ctx = new MLIRContext(registry);
    ctx->loadAllAvailableDialects();
    return ctx;
  }();
  return *context;
}

std::mutex contextMutex;

OwningOpRef<ModuleOp> parse(StringRef text, DiagnosticCapture &capture) {
  if (llvm::Error err = checkInputLimits(text, "<attn_mlir>"))
    throw std::invalid_argument(llvm::toString(std::move(err)));
  OwningOpRef<ModuleOp> module =
      parseSourceString<ModuleOp>(text, &getContext(), "<attn_mlir>");
  if (!module)
    throw std::runtime_error(capture.takeError("cannot parse the module"));
  return module;
}

std::string opt(const std::string &text, const std::string &passes) {
  std::lock_guard<std::mutex> lock(contextMutex);
  DiagnosticCapture capture(&getContext());
  OwningOpRef<ModuleOp> module = parse(text, capture);
  PassManager pm = PassManager::on<ModuleOp>(&getContext());
  std::string err;
  llvm::raw_string_ostream os(err);
  StringRef pipeline = StringRef(passes).trim();
  if (pipeline.consume_front("builtin.module(") && !pipeline.consume_back(")"))
    throw std::runtime_error("unbalanced parentheses in '" + passes + "'");
  if (failed(parsePassPipeline(pipeline, pm, os)))
    throw std::runtime_error("bad pipeline '" + passes + "': " + err);
  if (failed(pm.run(*module)))
    throw std::runtime_error(capture.takeError("the pass pipeline failed"));
  std::string out;
  llvm::raw_string_ostream outStream(out);
  module->print(outStream);
  return out;
}

/// The element kind a buffer format denotes; bf16 travels as uint16.
ElementKind kindOfBuffer(const py::buffer_info &info, ElementKind expected) {
  const std::string &f = info.format;
  if (info.itemsize == 4 && f == "f")
    return ElementKind::F32;
  if (info.itemsize == 2 && f == "e")
    return ElementKind::F16;
  if (info.itemsize == 2 && (f == "H" || f == "<H") &&
      expected == ElementKind::BF16)
    return ElementKind::BF16;
  if (info.itemsize == 1 && f == "?")
    return ElementKind::I1;
  if (info.itemsize == 8 && (f == "l" || f == "q" || f == "<l" || f == "<q"))
    return ElementKind::I64;
  throw std::invalid_argument("unsupported array format '" + f +
                              "' (use float32, float16, bool, or uint16 "
                              "holding bf16)");
}

class Kernel {
public:
  Kernel(const std::string &text, const std::string &pipeline,
         const std::string &entry, unsigned threads) {
    std::lock_guard<std::mutex> lock(contextMutex);
    DiagnosticCapture capture(&getContext());
    OwningOpRef<ModuleOp> module = parse(text, capture);
    ExecutorOptions options;
    options.pipeline = pipeline;
    options.threads = threads;
    auto exec = Executor::create(*module, entry, options);
    if (!exec)
      throw std::runtime_error(llvm::toString(exec.takeError()));
    executor = std::move(*exec);
  }

  /// Returns (bytes, shape, dtype name) per result.
  std::vector<py::tuple> call(const py::args &args) {
    llvm::ArrayRef<TensorSignature> sigs = executor->getInputs();
    if (args.size() != sigs.size())
      throw std::invalid_argument("expected " + std::to_string(sigs.size()) +
                                  " arrays, got " +
                                  std::to_string(args.size()));
    std::vector<HostTensor> inputs;
    // Buffers passed without a copy stay requested until the call returns.
    std::vector<py::buffer_info> views;
    for (size_t i = 0; i < args.size(); ++i) {
      py::buffer buffer = py::reinterpret_borrow<py::buffer>(args[i]);
      py::buffer_info info = buffer.request();
      ElementKind kind = kindOfBuffer(info, sigs[i].kind);
      if (kind != sigs[i].kind)
        throw std::invalid_argument(
            "array " + std::to_string(i) + " has element type " +
            getElementName(kind).str() + ", expected " + sigs[i].typeString);
      llvm::SmallVector<int64_t> shape(info.shape.begin(), info.shape.end());
      // C-contiguous buffers are passed as they are (the arrays stay alive
      // in `args` for the call); others are gathered into a dense copy.
      size_t elt = getElementSize(kind);
      bool contiguous = true;
      int64_t expected = static_cast<int64_t>(elt);
      for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
        if (shape[d] != 1 && info.strides[d] != expected)
          contiguous = false;
        expected *= shape[d];
      }
      if (contiguous) {
        inputs.push_back(HostTensor::view(kind, shape, info.ptr));
        views.push_back(std::move(info));
        continue;
      }
      auto tensor = HostTensor::allocate(kind, shape);
      if (!tensor)
        throw std::runtime_error(llvm::toString(tensor.takeError()));
      int64_t n = tensor->getNumElements();
      auto *dst = static_cast<char *>(tensor->getData());
      const auto *src = static_cast<const char *>(info.ptr);
      llvm::SmallVector<int64_t> idx(shape.size(), 0);
      for (int64_t e = 0; e < n; ++e) {
        int64_t offset = 0;
        for (size_t d = 0; d < shape.size(); ++d)
          offset += idx[d] * info.strides[d];
        std::memcpy(dst + e * elt, src + offset, elt);
        for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
          if (++idx[d] < shape[d])
            break;
          idx[d] = 0;
        }
      }
      inputs.push_back(std::move(*tensor));
    }
    llvm::SmallVector<const HostTensor *> ptrs;
    for (HostTensor &t : inputs)
      ptrs.push_back(&t);
    llvm::Expected<llvm::SmallVector<HostTensor>> outputs = [&] {
      py::gil_scoped_release release;
      return executor->run(ptrs);
    }();
    if (!outputs)
      throw std::runtime_error(llvm::toString(outputs.takeError()));
    std::vector<py::tuple> results;
    for (HostTensor &out : *outputs) {
      std::vector<int64_t> shape(out.getShape().begin(), out.getShape().end());
      std::string dtype = getElementName(out.getKind()).str();
      results.push_back(py::make_tuple(py::cast(std::move(out)), shape, dtype));
    }
    return results;
  }

private:
  std::unique_ptr<Executor> executor;
};

} // namespace

PYBIND11_MODULE(_attn_mlir, m) {
  m.doc() = "attn-mlir: compile and run attention with MLIR";
  m.def("opt", &opt, py::arg("text"), py::arg("passes"),
        "Runs a pass pipeline on MLIR text and returns the result as text.");
  // Bytes of a result; NumPy arrays view it and keep it alive.
  py::class_<HostTensor>(m, "Buffer", py::buffer_protocol())
      .def_buffer([](HostTensor &t) {
        return py::buffer_info(t.getData(), /*itemsize=*/1, "B", /*ndim=*/1,
                               {static_cast<py::ssize_t>(t.getByteSize())},
                               {static_cast<py::ssize_t>(1)},
                               /*readonly=*/false);
      });
  py::class_<Kernel>(m, "Kernel")
      .def(py::init<const std::string &, const std::string &,
                    const std::string &, unsigned>(),
           py::arg("text"), py::arg("pipeline") = "cpu", py::arg("entry") = "",
           py::arg("threads") = 0)
      .def("__call__", &Kernel::call);
}
