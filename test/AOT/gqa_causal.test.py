import sys

import numpy as np

from attn_testing import sdpa_ref

d = sys.argv[1]
q = np.fromfile(f"{d}/q.bin", np.float32).reshape(1, 8, 256, 64)
k = np.fromfile(f"{d}/k.bin", np.float32).reshape(1, 2, 256, 64)
v = np.fromfile(f"{d}/v.bin", np.float32).reshape(1, 2, 256, 64)
m = np.fromfile(f"{d}/m.bin", np.uint8).astype(bool).reshape(1, 1, 1, 256)
o = np.fromfile(f"{d}/o.bin", np.float32).reshape(1, 8, 256, 64)
want = sdpa_ref(q, k, v, mask=m, causal=True)
err = np.linalg.norm(o - want) / np.linalg.norm(want)
assert not np.isnan(o).any() and err < 1e-5, err
print(f"ok rel_l2_err={err:.3e}")
