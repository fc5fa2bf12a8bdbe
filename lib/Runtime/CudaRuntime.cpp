//===- CudaRuntime.cpp - the CUDA driver, loaded at run time ----*- C++ -*-===//
//
// Part of the attn-mlir project.
//
//===----------------------------------------------------------------------===//

#include "attn/Runtime/CudaRuntime.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/ExecutionEngine/Orc/CoreContainers.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cstdint>
#include <dlfcn.h>
#include <mutex>
#include <string>
#include <vector>

using namespace mlir::attn;

namespace {

// The few driver API types and constants used here (cuda.h is not needed to
// build).
using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUcontext = void *;
using CUmodule = void *;
using CUfunction = void *;
using CUstream = void *;
using CUevent = void *;
constexpr int kAttrComputeCapabilityMajor = 75;
constexpr int kAttrComputeCapabilityMinor = 76;
constexpr int kFuncAttrMaxDynamicSharedBytes = 8;
constexpr int kJitErrorLogBuffer = 5;
constexpr int kJitErrorLogBufferSize = 6;
constexpr unsigned kStreamNonBlocking = 1;
/// Dynamic shared memory a kernel gets without opting in.
constexpr int32_t kDefaultSharedBytes = 48 * 1024;

struct Driver {
  CUresult (*init)(unsigned);
  CUresult (*deviceGetCount)(int *);
  CUresult (*deviceGet)(CUdevice *, int);
  CUresult (*deviceGetAttribute)(int *, int, CUdevice);
  CUresult (*deviceGetName)(char *, int, CUdevice);
  CUresult (*primaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*ctxSetCurrent)(CUcontext);
  CUresult (*moduleLoadDataEx)(CUmodule *, const void *, unsigned, int *,
                               void **);
  CUresult (*moduleUnload)(CUmodule);
  CUresult (*moduleGetFunction)(CUfunction *, CUmodule, const char *);
  CUresult (*funcSetAttribute)(CUfunction, int, int);
  CUresult (*launchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned,
                           unsigned, unsigned, unsigned, CUstream, void **,
                           void **);
  CUresult (*streamCreate)(CUstream *, unsigned);
  CUresult (*streamSynchronize)(CUstream);
  CUresult (*streamDestroy)(CUstream);
  CUresult (*memAlloc)(CUdeviceptr *, size_t);
  CUresult (*memFree)(CUdeviceptr);
  CUresult (*memcpyAsync)(CUdeviceptr, CUdeviceptr, size_t, CUstream);
  CUresult (*eventCreate)(CUevent *, unsigned);
  CUresult (*eventRecord)(CUevent, CUstream);
  CUresult (*eventSynchronize)(CUevent);
  CUresult (*eventElapsedTime)(float *, CUevent, CUevent);
  CUresult (*eventDestroy)(CUevent);
  CUresult (*getErrorString)(CUresult, const char **);
};

struct State {
  std::mutex mutex;
  bool initialized = false;
  std::string initError;
  Driver driver{};
  CUdevice device = 0;
  CUcontext context = nullptr;
  std::string error;
  double kernelMillis = 0;
  /// Events around launches not yet synchronized.
  std::vector<std::pair<CUevent, CUevent>> pendingTimings;
};

State &state() {
  static State s;
  return s;
}

std::string describe(CUresult result) {
  const char *text = nullptr;
  if (state().driver.getErrorString)
    state().driver.getErrorString(result, &text);
  return llvm::formatv("CUDA error {0}{1}", result,
                       text ? std::string(" (") + text + ")" : std::string())
      .str();
}

/// Records the first failing call; returns whether `result` succeeded.
bool check(CUresult result, const char *what) {
  if (result == 0)
    return true;
  State &s = state();
  if (s.error.empty())
    s.error = std::string(what) + ": " + describe(result);
  return false;
}

/// Whether mgpu* calls may proceed: initialized and no error pending.
bool usable() {
  State &s = state();
  if (!s.initialized) {
    if (s.error.empty())
      s.error = "the CUDA runtime was used before initialization";
    return false;
  }
  if (!s.error.empty())
    return false;
  // The JIT may call from a thread other than the one that initialized.
  return check(s.driver.ctxSetCurrent(s.context), "cuCtxSetCurrent");
}

template <typename Fn>
bool bind(void *lib, Fn &fn, std::initializer_list<const char *> names,
          std::string &missing) {
  for (const char *name : names)
    if (void *sym = dlsym(lib, name)) {
      fn = reinterpret_cast<Fn>(sym);
      return true;
    }
  missing = *names.begin();
  return false;
}

std::string initializeLocked() {
  void *lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    const char *why = dlerror();
    return std::string("no CUDA driver: cannot load libcuda.so.1") +
           (why ? std::string(" (") + why + ")" : std::string());
  }
  State &s = state();
  Driver &d = s.driver;
  std::string missing;
  bool ok =
      bind(lib, d.getErrorString, {"cuGetErrorString"}, missing) &&
      bind(lib, d.init, {"cuInit"}, missing) &&
      bind(lib, d.deviceGetCount, {"cuDeviceGetCount"}, missing) &&
      bind(lib, d.deviceGet, {"cuDeviceGet"}, missing) &&
      bind(lib, d.deviceGetAttribute, {"cuDeviceGetAttribute"}, missing) &&
      bind(lib, d.deviceGetName, {"cuDeviceGetName"}, missing) &&
      bind(lib, d.primaryCtxRetain, {"cuDevicePrimaryCtxRetain"}, missing) &&
      bind(lib, d.ctxSetCurrent, {"cuCtxSetCurrent"}, missing) &&
      bind(lib, d.moduleLoadDataEx, {"cuModuleLoadDataEx"}, missing) &&
      bind(lib, d.moduleUnload, {"cuModuleUnload"}, missing) &&
      bind(lib, d.moduleGetFunction, {"cuModuleGetFunction"}, missing) &&
      bind(lib, d.funcSetAttribute, {"cuFuncSetAttribute"}, missing) &&
      bind(lib, d.launchKernel, {"cuLaunchKernel"}, missing) &&
      bind(lib, d.streamCreate, {"cuStreamCreate"}, missing) &&
      bind(lib, d.streamSynchronize, {"cuStreamSynchronize"}, missing) &&
      bind(lib, d.streamDestroy, {"cuStreamDestroy_v2", "cuStreamDestroy"},
           missing) &&
      bind(lib, d.memAlloc, {"cuMemAlloc_v2"}, missing) &&
      bind(lib, d.memFree, {"cuMemFree_v2"}, missing) &&
      bind(lib, d.memcpyAsync, {"cuMemcpyAsync"}, missing) &&
      bind(lib, d.eventCreate, {"cuEventCreate"}, missing) &&
      bind(lib, d.eventRecord, {"cuEventRecord"}, missing) &&
      bind(lib, d.eventSynchronize, {"cuEventSynchronize"}, missing) &&
      bind(lib, d.eventElapsedTime,
           {"cuEventElapsedTime_v2", "cuEventElapsedTime"}, missing) &&
      bind(lib, d.eventDestroy, {"cuEventDestroy_v2", "cuEventDestroy"},
           missing);
  if (!ok)
    return "the CUDA driver lacks " + missing + " (driver too old?)";
  if (CUresult r = d.init(0))
    return "cuInit failed: " + describe(r) + " (no usable NVIDIA GPU?)";
  int count = 0;
  if (CUresult r = d.deviceGetCount(&count))
    return "cuDeviceGetCount failed: " + describe(r);
  if (count == 0)
    return "no CUDA device";
  if (CUresult r = d.deviceGet(&s.device, 0))
    return "cuDeviceGet failed: " + describe(r);
  int major = 0;
  d.deviceGetAttribute(&major, kAttrComputeCapabilityMajor, s.device);
  if (major < 8)
    return "device 0 (" + cuda::getDeviceName() + ") has compute capability " +
           std::to_string(major) +
           ".x; the GPU kernels need sm_80 or newer (mma.sync, cp.async)";
  if (CUresult r = d.primaryCtxRetain(&s.context, s.device))
    return "cuDevicePrimaryCtxRetain failed: " + describe(r);
  if (CUresult r = d.ctxSetCurrent(s.context))
    return "cuCtxSetCurrent failed: " + describe(r);
  return "";
}

/// Resolves the timings of finished launches.
void collectTimings() {
  State &s = state();
  for (auto [start, stop] : s.pendingTimings) {
    float ms = 0;
    if (check(s.driver.eventSynchronize(stop), "cuEventSynchronize") &&
        check(s.driver.eventElapsedTime(&ms, start, stop),
              "cuEventElapsedTime"))
      s.kernelMillis += ms;
    s.driver.eventDestroy(start);
    s.driver.eventDestroy(stop);
  }
  s.pendingTimings.clear();
}

} // namespace

//===----------------------------------------------------------------------===//
// The mgpu* entry points called by compiled host code
//===----------------------------------------------------------------------===//

extern "C" {

static void *mgpuModuleLoadJIT(void *data, int optLevel) {
  (void)optLevel;
  if (!usable())
    return nullptr;
  // PTX is compiled by the driver here; keep its log for the error.
  char log[4096] = {0};
  int options[] = {kJitErrorLogBuffer, kJitErrorLogBufferSize};
  void *values[] = {log, reinterpret_cast<void *>(sizeof(log))};
  CUmodule module = nullptr;
  CUresult r =
      state().driver.moduleLoadDataEx(&module, data, 2, options, values);
  if (r != 0) {
    check(r, "loading the kernels' PTX (cuModuleLoadDataEx)");
    if (log[0])
      state().error += std::string(": ") + log;
    return nullptr;
  }
  return module;
}

static void *mgpuModuleLoad(void *data, size_t size) {
  (void)size;
  if (!usable())
    return nullptr;
  CUmodule module = nullptr;
  check(state().driver.moduleLoadDataEx(&module, data, 0, nullptr, nullptr),
        "loading the kernels' cubin (cuModuleLoadDataEx)");
  return module;
}

static void mgpuModuleUnload(void *module) {
  if (module && state().initialized)
    state().driver.moduleUnload(module);
}

static void *mgpuModuleGetFunction(void *module, const char *name) {
  if (!module || !usable())
    return nullptr;
  CUfunction function = nullptr;
  check(state().driver.moduleGetFunction(&function, module, name),
        "cuModuleGetFunction");
  return function;
}

static void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                             intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                             intptr_t blockZ, int32_t sharedBytes, void *stream,
                             void **params, void **extra,
                             size_t /*paramsCount*/) {
  if (!function || !usable())
    return;
  State &s = state();
  Driver &d = s.driver;
  if (sharedBytes > kDefaultSharedBytes &&
      !check(d.funcSetAttribute(function, kFuncAttrMaxDynamicSharedBytes,
                                sharedBytes),
             "cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES)"))
    return;
  CUevent start = nullptr, stop = nullptr;
  bool timed = check(d.eventCreate(&start, 0), "cuEventCreate") &&
               check(d.eventCreate(&stop, 0), "cuEventCreate") &&
               check(d.eventRecord(start, stream), "cuEventRecord");
  if (!timed)
    return;
  if (!check(d.launchKernel(function, gridX, gridY, gridZ, blockX, blockY,
                            blockZ, sharedBytes, stream, params, extra),
             "cuLaunchKernel"))
    return;
  check(d.eventRecord(stop, stream), "cuEventRecord");
  s.pendingTimings.emplace_back(start, stop);
}

static void *mgpuStreamCreate() {
  if (!usable())
    return nullptr;
  CUstream stream = nullptr;
  check(state().driver.streamCreate(&stream, kStreamNonBlocking),
        "cuStreamCreate");
  return stream;
}

static void mgpuStreamSynchronize(void *stream) {
  if (!stream || !usable())
    return;
  check(state().driver.streamSynchronize(stream),
        "running the kernels (cuStreamSynchronize)");
  collectTimings();
}

static void mgpuStreamDestroy(void *stream) {
  if (stream && state().initialized)
    state().driver.streamDestroy(stream);
}

static void *mgpuMemAlloc(uint64_t bytes, void * /*stream*/,
                          bool /*isHostShared*/) {
  if (!usable())
    return nullptr;
  // At least one byte, so that empty tensors still have an address.
  CUdeviceptr ptr = 0;
  check(state().driver.memAlloc(&ptr, std::max<uint64_t>(bytes, 1)),
        "cuMemAlloc (out of device memory?)");
  return reinterpret_cast<void *>(ptr);
}

static void mgpuMemFree(void *ptr, void *stream) {
  if (!ptr || !state().initialized)
    return;
  // The stream's copies and kernels may still use the buffer.
  if (stream)
    state().driver.streamSynchronize(stream);
  state().driver.memFree(reinterpret_cast<CUdeviceptr>(ptr));
}

static void mgpuMemcpy(void *dst, void *src, size_t bytes, void *stream) {
  if (!bytes || !dst || !src || !usable())
    return;
  check(state().driver.memcpyAsync(reinterpret_cast<CUdeviceptr>(dst),
                                   reinterpret_cast<CUdeviceptr>(src), bytes,
                                   stream),
        "cuMemcpyAsync");
}

} // extern "C"

//===----------------------------------------------------------------------===//
// API
//===----------------------------------------------------------------------===//

llvm::Error cuda::initialize() {
  State &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (!s.initialized && s.initError.empty()) {
    s.initError = initializeLocked();
    s.initialized = s.initError.empty();
  }
  if (!s.initialized)
    return llvm::createStringError(s.initError);
  return llvm::Error::success();
}

std::string cuda::getChip() {
  State &s = state();
  int major = 0, minor = 0;
  s.driver.deviceGetAttribute(&major, kAttrComputeCapabilityMajor, s.device);
  s.driver.deviceGetAttribute(&minor, kAttrComputeCapabilityMinor, s.device);
  return "sm_" + std::to_string(major) + std::to_string(minor);
}

std::string cuda::getDeviceName() {
  char name[256] = {0};
  if (state().driver.deviceGetName)
    state().driver.deviceGetName(name, sizeof(name) - 1, state().device);
  return name;
}

llvm::Error cuda::takeError() {
  State &s = state();
  if (s.error.empty())
    return llvm::Error::success();
  std::string error = std::move(s.error);
  s.error.clear();
  return llvm::createStringError(error);
}

double cuda::getKernelMillis() { return state().kernelMillis; }
void cuda::resetKernelMillis() { state().kernelMillis = 0; }

llvm::orc::SymbolMap cuda::getSymbols(llvm::orc::MangleAndInterner interner) {
  llvm::orc::SymbolMap map;
  auto add = [&](llvm::StringRef name, auto *fn) {
    map[interner(name)] = {llvm::orc::ExecutorAddr::fromPtr(fn),
                           llvm::JITSymbolFlags::Exported};
  };
  add("mgpuModuleLoadJIT", &mgpuModuleLoadJIT);
  add("mgpuModuleLoad", &mgpuModuleLoad);
  add("mgpuModuleUnload", &mgpuModuleUnload);
  add("mgpuModuleGetFunction", &mgpuModuleGetFunction);
  add("mgpuLaunchKernel", &mgpuLaunchKernel);
  add("mgpuStreamCreate", &mgpuStreamCreate);
  add("mgpuStreamSynchronize", &mgpuStreamSynchronize);
  add("mgpuStreamDestroy", &mgpuStreamDestroy);
  add("mgpuMemAlloc", &mgpuMemAlloc);
  add("mgpuMemFree", &mgpuMemFree);
  add("mgpuMemcpy", &mgpuMemcpy);
  return map;
}
