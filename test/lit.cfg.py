# -*- Python -*-
# lit configuration of the attn-mlir regression tests.

import os
import subprocess
import sys

import lit.formats
import lit.util
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "ATTN"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test", ".py"]
config.excludes = ["lit.cfg.py", "lit.site.cfg.py", "lib", "CMakeLists.txt"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.attn_obj_root, "test")

config.substitutions.append(("%PATH%", config.environment["PATH"]))
# Sanitizer builds: the instrumented Python extension needs the shared ASan
# runtime in the uninstrumented interpreter (the tools it runs share it).
def python_command(interpreter):
    if getattr(config, "attn_sanitized", 0) and getattr(config, "attn_asan_runtime", ""):
        return f"env LD_PRELOAD={config.attn_asan_runtime} {interpreter}"
    return interpreter


config.substitutions.append(("%python", python_command(config.python_executable)))
config.substitutions.append(("%attn_src", config.attn_src_root))
config.substitutions.append(("%attn_obj", config.attn_obj_root))
config.substitutions.append(("%attn_libs", os.path.join(config.attn_obj_root, "lib")))
config.substitutions.append(
    ("%attn_testlib", os.path.join(config.test_source_root, "lib"))
)

llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
llvm_config.use_default_substitutions()

tool_dirs = [config.attn_tools_dir, config.llvm_tools_dir]
tools = ["attn-opt", "attn-run", "attn-compile", "mlir-opt"]
llvm_config.add_tool_substitutions(tools, tool_dirs)
llvm_config.with_environment("PATH", config.attn_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment(
    "PYTHONPATH", os.path.join(config.test_source_root, "lib"), append_path=True
)

if os.path.exists(os.path.join(config.attn_obj_root, "lib", "AttnPlugin.so")):
    config.available_features.add("plugin")

package_dir = os.path.join(config.attn_obj_root, "python", "attn_mlir")
if os.path.isdir(package_dir) and any(
    f.startswith("_attn_mlir") for f in os.listdir(package_dir)
):
    config.available_features.add("python-package")

try:
    subprocess.check_call(
        [config.python_executable, "-c", "import pytest"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    config.available_features.add("pytest")
except (OSError, subprocess.CalledProcessError):
    pass

# A C compiler and the OpenMP runtime for ahead-of-time objects.
cc = os.path.join(config.llvm_tools_dir, "clang")
if os.path.exists(cc):
    config.available_features.add("cc")
    config.substitutions.append(("%cc", cc))
    libdir = os.path.join(os.path.dirname(config.llvm_tools_dir), "lib")
    config.substitutions.append(
        ("%omp_link", f"-L{libdir} -lomp -Wl,-rpath,{libdir}")
    )

# Building an out-of-tree consumer of the installed package.
import shutil

cmake = shutil.which("cmake")
cxx = os.path.join(config.llvm_tools_dir, "clang++")
if cmake and os.path.exists(cxx) and shutil.which("ninja"):
    config.available_features.add("cmake")
    config.substitutions.append(("%cmake", cmake))
    config.substitutions.append(("%cxx", cxx))

# ASan/UBSan builds: instrumented libraries neither load into upstream's
# uninstrumented mlir-opt nor link into a consumer built without sanitizers.
if getattr(config, "attn_sanitized", 0):
    config.available_features.add("sanitizer")

# Hosts whose bf16 attention runs on AMX tiles or AVX-512 BF16 dot
# products, and AVX-512 hosts (the kernels' exp2 then uses vscalefps).
sys.path.insert(0, os.path.join(config.test_source_root, "lib"))
from host_cpu import cpu_flags  # noqa: E402

flags = cpu_flags()
if "amx_tile" in flags and "amx_bf16" in flags:
    config.available_features.add("amx")
if "avx512f" in flags:
    config.available_features.add("avx512")
if "avx512_bf16" in flags:
    config.available_features.add("avx512bf16")

# Execution tests need the JIT and NumPy.
if os.path.exists(os.path.join(config.attn_tools_dir, "attn-run")):
    config.available_features.add("attn-run")
# The libFuzzer target of sanitizer builds (scripts/build-sanitized.sh).
if os.path.exists(os.path.join(config.attn_tools_dir, "attn-fuzz")):
    config.available_features.add("attn-fuzz")
try:
    subprocess.check_call(
        [config.python_executable, "-c", "import numpy"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    config.available_features.add("numpy")
except (OSError, subprocess.CalledProcessError):
    pass

# The pinned torch/torch-mlir environment of python/tools/setup-torch-env.sh
# (ATTN_VENV, default .venv at the repository root): its tests skip without it.
torch_venv = os.environ.get("ATTN_VENV", os.path.join(config.attn_src_root, ".venv"))
torch_python = os.path.join(torch_venv, "bin", "python")
if os.path.exists(torch_python):
    try:
        subprocess.check_call(
            [torch_python, "-c", "import torch, torch_mlir"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120,
        )
        config.available_features.add("torch-mlir")
        config.substitutions.append(("%torch_python", python_command(torch_python)))
    except (OSError, subprocess.CalledProcessError, subprocess.TimeoutExpired):
        pass

# GPU: ptxas assembles the generated PTX (no GPU needed); execution needs the
# CUDA driver and an sm_80+ device, probed the way the runtime opens them.
ptxas = shutil.which("ptxas") or (
    "/usr/local/cuda/bin/ptxas"
    if os.access("/usr/local/cuda/bin/ptxas", os.X_OK) else None)
if ptxas:
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))
    config.substitutions.append(
        ("%cuda_toolkit", os.path.dirname(os.path.dirname(os.path.realpath(ptxas)))))


def has_cuda_device():
    import ctypes
    try:
        lib = ctypes.CDLL("libcuda.so.1")
    except OSError:
        return False
    count = ctypes.c_int(0)
    major = ctypes.c_int(0)
    return (lib.cuInit(0) == 0 and lib.cuDeviceGetCount(ctypes.byref(count)) == 0
            and count.value > 0
            and lib.cuDeviceGetAttribute(ctypes.byref(major), 75, 0) == 0
            and major.value >= 8)


if has_cuda_device():
    config.available_features.add("cuda")
