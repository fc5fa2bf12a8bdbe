import sys

import numpy as np

from attn_testing import sdpa_ref

d = sys.argv[1]


def load(name, shape):
    return np.fromfile(f"{d}/{name}.bin", np.float32).reshape(shape)


for tag, (qs, ks, vs, os_), causal in [
    ("causal", ((1, 2, 40, 16),) * 4, True),
    ("gqa", ((1, 4, 7, 24), (1, 1, 33, 24), (1, 1, 33, 20), (1, 4, 7, 20)), False),
]:
    p = tag[0]
    q, k, v, o = (load(p + n, s) for n, s in zip("qkvo", (qs, ks, vs, os_)))
    want = sdpa_ref(q, k, v, causal=causal)
    err = np.linalg.norm(o - want) / np.linalg.norm(want)
    assert not np.isnan(o).any() and err < 1e-5, (tag, err)
    print(f"{tag} ok rel_l2_err={err:.3e}")
