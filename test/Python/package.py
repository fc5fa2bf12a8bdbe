# Tests of the attn_mlir Python package against a float64 NumPy oracle.
# REQUIRES: python-package, numpy
# RUN: env PYTHONPATH=%attn_obj/python:%attn_testlib %python %s

import numpy as np

import attn_mlir
from attn_testing import sdpa_ref

rng = np.random.default_rng()


def rel_err(got, want):
    return np.linalg.norm(got - want) / np.linalg.norm(want)


def normal(*shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


# Plain, causal with Sq < Sk (bottom-right), GQA, window, softcap, scale.
q, k, v = normal(2, 8, 17, 32), normal(2, 2, 45, 32), normal(2, 2, 45, 24)
for kwargs in [{}, {"causal": True}, {"window": (5, 2)}, {"softcap": 3.0},
               {"scale": 0.3, "causal": True}]:
    got = attn_mlir.sdpa(q, k, v, **kwargs)
    want = sdpa_ref(q, k, v, **kwargs)
    assert got.shape == (2, 8, 17, 24), got.shape
    assert rel_err(got, want) < 1e-5, (kwargs, rel_err(got, want))

# A boolean key-padding mask (broadcast), with one query row fully masked.
mask = rng.random((2, 1, 17, 45)) < 0.9
mask[:, :, 4, :] = False
got = attn_mlir.sdpa(q, k, v, mask=mask)
want = sdpa_ref(q, k, v, mask=mask)
assert rel_err(got, want) < 1e-5
assert not np.isnan(got).any() and np.all(got[:, :, 4, :] == 0)

# float16, and non-contiguous inputs.
q16 = normal(1, 4, 16, 16, dtype=np.float16)
k16 = normal(1, 4, 32, 16, dtype=np.float16)
got = attn_mlir.sdpa(q16, k16, k16.copy(), causal=True)
assert got.dtype == np.float16
want = sdpa_ref(q16, k16, k16, causal=True)
assert rel_err(got.astype(np.float64), want) < 5e-3
qt = normal(1, 4, 16, 32).transpose(0, 1, 3, 2)  # a strided view
got = attn_mlir.sdpa(qt, normal(1, 4, 8, 16), normal(1, 4, 8, 16))
assert got.shape == (1, 4, 32, 16)

# opt: string in, string out; compile: a callable with several results.
ir = """
func.func @two(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>)
    -> (tensor<1x2x8x16xf32>, tensor<1x2x8x8xf32>) {
  %s = attn.scores %q, %k : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x8xf32>
  %p = attn.softmax %s : (tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %o = attn.weighted_sum %p, %v : (tensor<1x2x8x8xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  return %o, %p : tensor<1x2x8x16xf32>, tensor<1x2x8x8xf32>
}
"""
assert "attn.softmax" in attn_mlir.opt(ir, "builtin.module(func.func(attn-fuse))")
fused = attn_mlir.opt(ir.replace(", %p :", " :").replace(
    "-> (tensor<1x2x8x16xf32>, tensor<1x2x8x8xf32>)", "-> tensor<1x2x8x16xf32>")
    .replace(", tensor<1x2x8x8xf32>\n}", "\n}"), "func.func(attn-fuse)")
assert "attn.sdpa" in fused, fused
q, k, v = normal(1, 2, 8, 16), normal(1, 2, 8, 16), normal(1, 2, 8, 16)
for pipeline in ("cpu", "reference"):
    o, p = attn_mlir.compile(ir, pipeline=pipeline)(q, k, v)
    assert rel_err(o, sdpa_ref(q, k, v)) < 1e-5
    assert np.allclose(p.sum(-1), 1.0, atol=1e-5)

# Diagnostics become exceptions carrying their text.
def raises(exc, fn, text):
    try:
        fn()
    except exc as e:
        assert text in str(e), str(e)
        return
    raise AssertionError(f"expected {exc.__name__} with '{text}'")


raises(RuntimeError, lambda: attn_mlir.opt("func.func @f(", "canonicalize"),
       "expected")
raises(RuntimeError, lambda: attn_mlir.opt(ir, "no-such-pass"),
       "no-such-pass")
raises(RuntimeError, lambda: attn_mlir.sdpa(normal(1, 3, 4, 8),
                                            normal(1, 2, 4, 8),
                                            normal(1, 2, 4, 8)),
       "multiple of the key head count")
raises(ValueError, lambda: attn_mlir.compile(ir)(q, k), "expected 3 arrays")
raises(ValueError, lambda: attn_mlir.compile(ir)(q, k, v.astype(np.float64)),
       "unsupported array format")
raises(ValueError, lambda: attn_mlir.sdpa(q[0], k, v), "rank 4")
print("python package: all checks passed")
