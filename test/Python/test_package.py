# pytest tests of the attn_mlir package against the float64 NumPy oracle and,
# when it is installed, PyTorch.
# REQUIRES: python-package, numpy, pytest
# RUN: env PYTHONPATH=%attn_obj/python:%attn_testlib %python -m pytest -q -p no:cacheprovider %s

import concurrent.futures
import os

import numpy as np
import pytest

import attn_mlir
from attn_testing import (from_bf16_bits, output_project_ref, project_ref,
                          sdpa_ref, to_bf16_bits)

rng = np.random.default_rng()


def normal(*shape, dtype=np.float32, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(dtype)


def rel_err(got, want):
    got = np.asarray(got, np.float64)
    return np.linalg.norm(got - want) / np.linalg.norm(want)


@pytest.mark.parametrize("kwargs", [{}, {"causal": True}, {"window": (5, 2)},
                                    {"softcap": 3.0},
                                    {"scale": 0.3, "causal": True}])
def test_sdpa_gqa_cross(kwargs):
    q, k, v = normal(2, 8, 17, 32), normal(2, 2, 45, 32), normal(2, 2, 45, 24)
    got = attn_mlir.sdpa(q, k, v, **kwargs)
    assert got.shape == (2, 8, 17, 24) and got.dtype == np.float32
    assert rel_err(got, sdpa_ref(q, k, v, **kwargs)) < 1e-5


def test_sdpa_bool_mask_fully_masked_row():
    q, k, v = normal(2, 4, 17, 16), normal(2, 4, 45, 16), normal(2, 4, 45, 16)
    mask = rng.random((2, 1, 17, 45)) < 0.9
    mask[:, :, 4, :] = False
    got = attn_mlir.sdpa(q, k, v, mask=mask)
    assert rel_err(got, sdpa_ref(q, k, v, mask=mask)) < 1e-5
    assert not np.isnan(got).any() and np.all(got[:, :, 4, :] == 0)


def test_sdpa_additive_mask_broadcast_from_the_right():
    q, k, v = normal(1, 2, 8, 16), normal(1, 2, 12, 16), normal(1, 2, 12, 16)
    bias = normal(8, 12)  # [Sq, Sk], broadcast over batch and heads
    got = attn_mlir.sdpa(q, k, v, mask=bias)
    assert rel_err(got, sdpa_ref(q, k, v, mask=bias[None, None])) < 1e-5


def test_sdpa_f16_and_bf16():
    q, k, v = (normal(1, 4, 16, 16, dtype=np.float16) for _ in range(3))
    got = attn_mlir.sdpa(q, k, v, causal=True)
    assert got.dtype == np.float16
    assert rel_err(got, sdpa_ref(q, k, v, causal=True)) < 5e-3
    qb, kb, vb = (to_bf16_bits(normal(1, 4, 16, 16)) for _ in range(3))
    got = attn_mlir.sdpa(qb, kb, vb)
    assert got.dtype == np.uint16
    want = sdpa_ref(*(from_bf16_bits(x) for x in (qb, kb, vb)))
    assert rel_err(from_bf16_bits(got), want) < 3e-2


def test_sdpa_calls_repeated_and_overlapping():
    """Static shapes with enough row blocks per kv head to pack K and V into
    panels, which the kernel keeps between calls: every call must pack its
    own keys and values, in turn and in threads at once (the kept block goes
    to one call; the others allocate their own)."""
    def problem():
        return normal(1, 4, 200, 32), normal(1, 2, 200, 32), normal(1, 2, 200, 24)

    for _ in range(3):
        q, k, v = problem()
        assert rel_err(attn_mlir.sdpa(q, k, v, causal=True),
                       sdpa_ref(q, k, v, causal=True)) < 1e-5
    problems = [problem() for _ in range(12)]
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        outs = list(pool.map(lambda p: attn_mlir.sdpa(*p, causal=True), problems))
    for (q, k, v), got in zip(problems, outs):
        assert rel_err(got, sdpa_ref(q, k, v, causal=True)) < 1e-5


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="Linux /proc")
def test_dropped_functions_free_their_kept_scratch():
    """A compiled function keeps its packed K/V panels (64 MiB here) between
    calls, and frees them when it is destroyed (a module destructor that the
    JIT runs): compiling and dropping functions must not pile them up."""
    def rss():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    t = "tensor<1x8x{}x64xf32>"
    ir = (f"func.func @f(%q: {t.format(96)}, %k: {t.format(16384)}, "
          f"%v: {t.format(16384)}) -> {t.format(96)} {{\n"
          f"  %o = attn.sdpa %q, %k, %v : ({t.format(96)}, {t.format(16384)}, "
          f"{t.format(16384)}) -> {t.format(96)}\n"
          f"  return %o : {t.format(96)}\n}}")
    q, k, v = normal(1, 8, 96, 64), normal(1, 8, 16384, 64), normal(1, 8, 16384, 64)
    want = sdpa_ref(q, k, v)
    before = None
    for i in range(8):
        fn = attn_mlir.compile(ir, threads=1)
        assert rel_err(fn(q, k, v), want) < 1e-5
        del fn
        if i == 0:
            before = rss()
    assert rss() - before < 192 << 20, (rss() - before) >> 20


def test_sdpa_strided_input():
    q = normal(1, 4, 16, 32).transpose(0, 1, 3, 2)
    k, v = normal(1, 4, 8, 16), normal(1, 4, 8, 16)
    assert rel_err(attn_mlir.sdpa(q, k, v), sdpa_ref(q, k, v)) < 1e-5


def _mha_ref(x, wq, wk, wv, wo, bq, bk, bv, bo, h, hkv, kv=None, causal=False):
    kv = x if kv is None else kv
    q = project_ref(x, wq, bq, h)
    k = project_ref(kv, wk, bk, hkv)
    v = project_ref(kv, wv, bv, hkv)
    return output_project_ref(sdpa_ref(q, k, v, causal=causal), wo, bo)


@pytest.mark.parametrize("cross,bias,hkv", [(False, True, 4), (True, False, 4),
                                            (False, True, 2)])
def test_mha(cross, bias, hkv):
    b, s, e, h, d = 2, 19, 48, 4, 12
    x = normal(b, s, e)
    kv = normal(b, 27, e) if cross else None
    wq, wo = normal(h * d, e, scale=0.2), normal(e, h * d, scale=0.2)
    wk, wv = normal(hkv * d, e, scale=0.2), normal(hkv * d, e, scale=0.2)
    bs = ([normal(h * d), normal(hkv * d), normal(hkv * d), normal(e)]
          if bias else [None] * 4)
    got = attn_mlir.mha(x, wq, wk, wv, wo, *bs, num_heads=h, num_kv_heads=hkv,
                        kv=kv, causal=not cross)
    want = _mha_ref(x, wq, wk, wv, wo, *bs, h, hkv, kv=kv, causal=not cross)
    assert got.shape == (b, s, e)
    assert rel_err(got, want) < 1e-5


IR = """
func.func @two(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>)
    -> (tensor<1x2x8x16xf32>, tensor<1x2x8x8xf32>) {
  %s = attn.scores %q, %k : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x8xf32>
  %p = attn.softmax %s : (tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %o = attn.weighted_sum %p, %v : (tensor<1x2x8x8xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  return %o, %p : tensor<1x2x8x16xf32>, tensor<1x2x8x8xf32>
}
"""


@pytest.mark.parametrize("pipeline", ["cpu", "reference"])
def test_compile_several_results(pipeline):
    q, k, v = normal(1, 2, 8, 16), normal(1, 2, 8, 16), normal(1, 2, 8, 16)
    o, p = attn_mlir.compile(IR, pipeline=pipeline)(q, k, v)
    assert rel_err(o, sdpa_ref(q, k, v)) < 1e-5
    assert np.allclose(p.sum(-1), 1.0, atol=1e-5)


def test_opt():
    # The probabilities are returned too, so the chain must not fuse.
    assert "attn.softmax" in attn_mlir.opt(IR, "builtin.module(func.func(attn-fuse))")
    lowered = attn_mlir.opt(IR, "convert-attn-to-linalg")
    assert "linalg.generic" in lowered and "attn." not in lowered


def test_diagnostics_become_exceptions():
    with pytest.raises(RuntimeError, match="expected"):
        attn_mlir.opt("func.func @f(", "canonicalize")
    with pytest.raises(RuntimeError, match="no-such-pass"):
        attn_mlir.opt(IR, "no-such-pass")
    with pytest.raises(RuntimeError, match="multiple of the key head count"):
        attn_mlir.sdpa(normal(1, 3, 4, 8), normal(1, 2, 4, 8),
                       normal(1, 2, 4, 8))
    with pytest.raises(RuntimeError, match="num_heads"):
        attn_mlir.compile("""func.func @f(%x: tensor<1x4x8xf32>, %w: tensor<6x8xf32>) -> tensor<1x4x4x1xf32> {
  %q = attn.project %x, %w {num_heads = 4 : i64} : (tensor<1x4x8xf32>, tensor<6x8xf32>) -> tensor<1x4x4x1xf32>
  return %q : tensor<1x4x4x1xf32>
}""")


def test_bad_arguments_before_running():
    q, k, v = normal(1, 2, 8, 16), normal(1, 2, 8, 16), normal(1, 2, 8, 16)
    f = attn_mlir.compile(IR)
    with pytest.raises(ValueError, match="expected 3 arrays"):
        f(q, k)
    with pytest.raises(ValueError, match="unsupported array format"):
        f(q, k, v.astype(np.float64))
    with pytest.raises(RuntimeError, match="expected shape"):
        f(q, k, normal(1, 2, 8, 8))
    with pytest.raises(ValueError, match="rank 4"):
        attn_mlir.sdpa(q[0], k, v)
    with pytest.raises(ValueError, match="share one dtype"):
        attn_mlir.sdpa(q, k.astype(np.float16), v)
    with pytest.raises(ValueError, match="num_heads"):
        attn_mlir.mha(normal(1, 4, 8), normal(6, 8), normal(6, 8),
                      normal(6, 8), normal(8, 6), num_heads=4)


def test_torch_matches_explicit_formula():
    torch = pytest.importorskip("torch")
    import attn_mlir.torch as at

    q = torch.randn(1, 8, 20, 16)
    k = torch.randn(1, 2, 28, 16)
    v = torch.randn(1, 2, 28, 16)
    got = at.sdpa(q, k, v, causal=True)
    # torch 1.13 has no scaled_dot_product_attention: the explicit formula,
    # with bottom-right causal masking and GQA by repeating kv heads.
    kr, vr = k.repeat_interleave(4, 1), v.repeat_interleave(4, 1)
    s = q @ kr.transpose(-1, -2) / 4.0
    keep = torch.arange(28)[None, :] <= torch.arange(20)[:, None] + 8
    s = s.masked_fill(~keep, float("-inf"))
    want = torch.softmax(s, -1) @ vr
    assert torch.allclose(got, want, atol=1e-5)
    bf = at.sdpa(q.bfloat16(), k.bfloat16(), v.bfloat16(), causal=True)
    assert bf.dtype == torch.bfloat16
    assert (bf.float() - want).norm() / want.norm() < 3e-2

    x = torch.randn(2, 10, 32)
    lin = [torch.nn.Linear(32, 32) for _ in range(4)]
    got = at.mha(x, *(l.weight for l in lin), *(l.bias for l in lin),
                 num_heads=4)
    with torch.no_grad():
        qh, kh, vh = (l(x).view(2, 10, 4, 8).transpose(1, 2) for l in lin[:3])
        a = torch.softmax(qh @ kh.transpose(-1, -2) / 8 ** 0.5, -1) @ vh
        want = lin[3](a.transpose(1, 2).reshape(2, 10, 32))
    assert torch.allclose(got, want, atol=1e-4)


def test_torch_attention_from_module_layers():
    torch = pytest.importorskip("torch")
    import attn_mlir.torch as at

    class Seed002MHA(torch.nn.Module):  # article 002, fixed (matmul), unscaled
        def __init__(self, e, h):
            super().__init__()
            self.h, self.d = h, e // h
            self.q_proj, self.k_proj, self.v_proj, self.out_proj = (
                torch.nn.Linear(e, e) for _ in range(4))

        def forward(self, query, key, value):
            b = query.shape[0]
            split = lambda t: t.view(b, -1, self.h, self.d).transpose(1, 2)
            q, k, v = (split(self.q_proj(query)), split(self.k_proj(key)),
                       split(self.v_proj(value)))
            p = torch.softmax(q @ k.transpose(3, 2), dim=-1)
            return self.out_proj((p @ v).transpose(1, 2).reshape(b, -1, self.h * self.d))

    m = Seed002MHA(64, 4).eval()
    f = at.Attention(m.q_proj, m.k_proj, m.v_proj, m.out_proj, num_heads=4,
                     scale=1.0)
    tgt, memory = torch.randn(2, 12, 64) * 0.3, torch.randn(2, 20, 64) * 0.3
    with torch.no_grad():
        assert torch.allclose(f(tgt, kv=memory), m(tgt, memory, memory),
                              atol=1e-5)
        assert torch.allclose(f(tgt), m(tgt, tgt, tgt), atol=1e-5)


def test_sdpa_device_is_checked():
    q = np.zeros((1, 1, 4, 16), np.float32)
    with pytest.raises(ValueError, match="device must be 'cpu' or 'cuda'"):
        attn_mlir.sdpa(q, q, q, device="gpu0")
