"""attn_mlir from Python: fused attention, a whole multi-head block, and the
compiler passes on IR text.

    PYTHONPATH=build/python /usr/bin/python3 examples/python/sdpa_and_mha.py
"""

import time

import numpy as np

import attn_mlir

rng = np.random.default_rng(0)

# Grouped-query causal attention: 8 query heads share 2 key/value heads.
q = rng.standard_normal((1, 8, 512, 64), dtype=np.float32)
k = rng.standard_normal((1, 2, 512, 64), dtype=np.float32)
v = rng.standard_normal((1, 2, 512, 64), dtype=np.float32)
o = attn_mlir.sdpa(q, k, v, causal=True)  # compiled once, cached
t0 = time.perf_counter()
o = attn_mlir.sdpa(q, k, v, causal=True)
print(f"sdpa {o.shape} {o.dtype}: {1e3 * (time.perf_counter() - t0):.2f} ms")

# A self-attention block with torch.nn.Linear-layout weights and biases.
e, h = 256, 8
x = rng.standard_normal((2, 64, e), dtype=np.float32)
w = [rng.standard_normal((e, e), dtype=np.float32) * e ** -0.5 for _ in range(4)]
b = [np.zeros(e, np.float32) for _ in range(4)]
y = attn_mlir.mha(x, *w, *b, num_heads=h, causal=True)
print(f"mha {y.shape}")

# Cross attention: keys and values from another sequence.
memory = rng.standard_normal((2, 100, e), dtype=np.float32)
y = attn_mlir.mha(x, *w, num_heads=h, kv=memory)
print(f"cross mha {y.shape}")

# The passes on text: unfused stages become one attn.sdpa.
with open("examples/mha_block.mlir") as f:
    fused = attn_mlir.opt(f.read(), "builtin.module(attn-fuse)")
print([line.strip().split(" ")[2] for line in fused.splitlines() if "attn." in line])
