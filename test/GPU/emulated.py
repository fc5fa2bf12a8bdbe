# The GPU kernels of --attn-gpu-flash executed without a GPU: the kernel IR
# runs in a SIMT emulator (test/lib/gpu_emulator.py: threads in lockstep,
# ldmatrix/mma.sync/shuffle per the PTX ISA's fragment layouts, NaN in
# memory the kernel has not written) on fresh random inputs, compared with
# the float64 NumPy oracle. Small shapes and key blocks, so that several
# query and key tiles, remainders and masking branches are crossed.
# REQUIRES: numpy
# RUN: %python %s --pipeline=key-block=16
# RUN: %python %s --pipeline=key-block=32
# RUN: %python %s --pipeline=key-block=64
# Every row tile's keys split across 3 blocks and combined by a second
# kernel (automatic for the static decode-like cases above; forced here,
# empty splits included).
# RUN: %python %s --pipeline="key-block=16 key-splits=3"

import subprocess

from attn_testing import Runner, sdpa_case
from gpu_emulator import Emulator


class EmulatedRunner(Runner):
    def run(self, ir, inputs, extra=()):
        gen = subprocess.run(
            ["attn-opt", f"--attn-gpu-flash={self.args.pipeline}",
             "--mlir-print-op-generic"],
            input=ir, capture_output=True, text=True)
        if gen.returncode != 0:
            raise RuntimeError(gen.stderr.strip())
        return Emulator(gen.stdout).run_encoded("main", inputs)[0]


r = EmulatedRunner()


def case(name, *args, **kwargs):
    sdpa_case(r, name, *args, **kwargs)


for dtype in ("f16", "bf16"):
    case(f"{dtype}_plain", 1, 2, 2, 20, 24, 16, 16, dtype=dtype)
    case(f"{dtype}_tiles", 1, 1, 1, 70, 140, 16, 16, dtype=dtype)
    case(f"{dtype}_d64_dv32", 1, 2, 1, 17, 45, 64, 32, dtype=dtype,
         causal=True)
    case(f"{dtype}_causal_sq_gt_sk", 1, 1, 1, 70, 20, 16, 16, dtype=dtype,
         causal=True)
    case(f"{dtype}_window", 1, 1, 1, 40, 60, 16, 16, dtype=dtype,
         window=(9, 3))
    case(f"{dtype}_gqa_window_causal", 1, 4, 2, 9, 50, 32, 16, dtype=dtype,
         causal=True, window=(20, 0))
    # 4 query heads of 40 rows on one kv head: tiles of 64 rows straddle
    # heads, so their key ranges cover every query.
    case(f"{dtype}_gqa_tiles_straddle_heads", 1, 4, 1, 40, 60, 16, 16,
         dtype=dtype, causal=True, window=(30, 0))
    case(f"{dtype}_bool_mask_rows_masked", 1, 2, 2, 10, 35, 16, 16,
         dtype=dtype, mask="bool", mask_shape=(1, 2, 10, 35),
         rows_masked=(3, 7))
    case(f"{dtype}_additive_mask_broadcast", 2, 2, 1, 9, 33, 16, 16,
         dtype=dtype, mask="float", mask_dtype="f32", mask_shape=(2, 1, 1, 33))
    case(f"{dtype}_additive_mask_rows_masked", 1, 2, 2, 8, 12, 16, 16,
         dtype=dtype, mask="float", mask_dtype="f32",
         mask_shape=(1, 1, 8, 12), rows_masked=(0, 5))
    case(f"{dtype}_tiles_d128", 1, 1, 1, 70, 80, 128, 128, dtype=dtype,
         causal=True)
    case(f"{dtype}_additive_mask_own_type", 1, 2, 2, 9, 20, 16, 16,
         dtype=dtype, mask="float", mask_dtype=dtype, mask_shape=(1, 1, 9, 20))
    case(f"{dtype}_softcap_scale", 1, 1, 1, 12, 40, 32, 32, dtype=dtype,
         softcap=5.0, scale=0.7, logit_scale=3.0)
    case(f"{dtype}_everything", 1, 4, 2, 33, 70, 32, 16, dtype=dtype,
         mask="float", mask_dtype=dtype, mask_shape=(1, 1, 33, 70),
         causal=True, window=(20, 0), softcap=10.0, logit_scale=2.0)
    case(f"{dtype}_larger", 1, 2, 2, 130, 257, 64, 64, dtype=dtype)
    case(f"{dtype}_decode", 1, 4, 1, 1, 100, 16, 16, dtype=dtype)
    case(f"{dtype}_dynamic", 2, 2, 1, 13, 19, 16, 16, dtype=dtype,
         dynamic=True, causal=True)

# Empty problems: no keys gives zero rows; no batch or queries, an empty
# result (the launch still has one block, which returns at once).
import numpy as np  # noqa: E402

EMPTY = """
func.func @main(%q: tensor<?x2x?x16xf16>, %k: tensor<?x2x?x16xf16>,
                %v: tensor<?x2x?x16xf16>) -> tensor<?x2x?x16xf16> {
  %o = attn.sdpa %q, %k, %v {causal}
      : (tensor<?x2x?x16xf16>, tensor<?x2x?x16xf16>, tensor<?x2x?x16xf16>)
      -> tensor<?x2x?x16xf16>
  return %o : tensor<?x2x?x16xf16>
}
"""
for b, sq, sk in ((1, 5, 0), (0, 5, 7), (1, 0, 7)):
    q = np.ones((b, 2, sq, 16), np.float16)
    kv = np.ones((b, 2, sk, 16), np.float16)
    out = r.run(EMPTY, [q, kv, kv])
    ok = out.shape == (b, 2, sq, 16) and (out == 0).all()
    print(f"{'PASS' if ok else 'FAIL'} empty_b{b}_sq{sq}_sk{sk}: {out.shape}")
    r.count += 1
    r.failures += not ok

r.finish()
