# The emulator of emulated.py catches what it is there to catch: a kernel
# with a barrier dropped or a cp.async wait weakened is reported as a race,
# and one with a wrong ldmatrix layout or causal bound computes wrong numbers.
# REQUIRES: numpy
# RUN: %python %s | FileCheck %s

import subprocess

import numpy as np

from attn_testing import sdpa_ref
from gpu_emulator import Emulator, RaceError

IR = """
func.func @main(%q: tensor<1x4x?x16xf16>, %k: tensor<1x2x?x16xf16>,
                %v: tensor<1x2x?x16xf16>) -> tensor<1x4x?x16xf16> {
  %o = attn.sdpa %q, %k, %v {causal}
      : (tensor<1x4x?x16xf16>, tensor<1x2x?x16xf16>, tensor<1x2x?x16xf16>)
      -> tensor<1x4x?x16xf16>
  return %o : tensor<1x4x?x16xf16>
}
"""
gen = subprocess.run(["attn-opt", "--attn-gpu-flash=key-block=16",
                      "--mlir-print-op-generic"], input=IR,
                     capture_output=True, text=True, check=True).stdout
rng = np.random.default_rng()
q = rng.standard_normal((1, 4, 37, 16)).astype(np.float16)
k = rng.standard_normal((1, 2, 50, 16)).astype(np.float16)
v = rng.standard_normal((1, 2, 50, 16)).astype(np.float16)
want = sdpa_ref(*(x.astype(np.float64) for x in (q, k, v)), causal=True)


def outcome(text):
    try:
        got = Emulator(text).run("main", [q, k, v])[0].astype(np.float64)
    except RaceError as e:
        return "race: " + str(e).split(" shared memory")[0].split(" ", 2)[2]
    err = np.linalg.norm(np.nan_to_num(got, nan=1e3) - want) / np.linalg.norm(want)
    return "ok" if err < 5e-3 else "wrong"


lines = gen.splitlines()
print("as compiled:", outcome(gen))
# CHECK: as compiled: ok
for i, line in enumerate(lines):
    if '"gpu.barrier"' in line:
        print("without a barrier:", outcome("\n".join(lines[:i] + lines[i + 1:])))
# After Q's wait, after each tile's wait, at the end of a tile.
# CHECK: without a barrier: race: reads
# CHECK: without a barrier: race: reads
# CHECK: without a barrier: race: overwrites
waits = [i for i, line in enumerate(lines) if "numGroups = 1" in line]
for i in waits:
    weak = lines[i].replace("numGroups = 1", "numGroups = 2")
    print("waiting for one group less:",
          outcome("\n".join(lines[:i] + [weak] + lines[i + 1:])))
# CHECK: waiting for one group less: race: reads
# CHECK: waiting for one group less: race: reads
print("V not transposed:", outcome(gen.replace("transpose = true", "transpose = false")))
# CHECK: V not transposed: wrong
print("causal bound off by one:",
      outcome(gen.replace("predicate = 3 : i64", "predicate = 5 : i64")))
# CHECK: causal bound off by one: wrong
