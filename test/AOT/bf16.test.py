import sys

import numpy as np

from attn_testing import from_bf16_bits, sdpa_ref

d = sys.argv[1]
shape = (1, 2, 64, 32)
q, k, v, o = (from_bf16_bits(np.fromfile(f"{d}/{n}.bin", np.uint16))
              .astype(np.float64).reshape(shape) for n in "qkvo")
want = sdpa_ref(q, k, v, causal=True)
err = np.linalg.norm(o - want) / np.linalg.norm(want)
# bf16 output: 8 bits of mantissa, relative rounding error up to 2^-9.
assert not np.isnan(o).any() and err < 1e-2, err
print(f"ok rel_l2_err={err:.3e}")
