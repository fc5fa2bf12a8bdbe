# The seed articles' PyTorch modules (with their bugs fixed minimally, see
# docs/seeds.md) in float64 against attn-run on examples/seeds/*.mlir, on the
# reference and cpu pipelines, with the same (f32- or bf16-rounded) values.
# REQUIRES: attn-run, numpy, pytest
# RUN: env PYTHONPATH=%attn_testlib ATTN_SRC=%attn_src %python -m pytest -q -p no:cacheprovider %s

import math
import os
import subprocess
import tempfile

import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn
from attn_testing import from_bf16_bits, to_bf16_bits  # noqa: E402
from torch_models import (KeyValueAttention, MaskedMHA, SelfAttention,  # noqa: E402
                          SpanAttention, TransformerMHA)

EXAMPLES = os.path.join(os.environ.get("ATTN_SRC", "."), "examples", "seeds")
PIPELINES = ["reference", "cpu"]
torch.manual_seed(int.from_bytes(os.urandom(4), "little"))


def attn_run(example, inputs, pipeline):
    """Runs examples/seeds/<example> on `inputs` (NumPy arrays)."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = ["attn-run", os.path.join(EXAMPLES, example),
               f"--pipeline={pipeline}", f"--output={tmp}/out.npy"]
        for i, a in enumerate(inputs):
            np.save(f"{tmp}/in{i}.npy", np.ascontiguousarray(a))
            cmd.append(f"--input={tmp}/in{i}.npy")
        proc = subprocess.run(cmd, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        return np.load(f"{tmp}/out.npy")


def rel_err(got, want):
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    return np.linalg.norm(got - want) / np.linalg.norm(want)


def f32(t):
    """A float32 NumPy copy of a tensor; the module then runs in float64 on
    exactly these values."""
    return t.detach().to(torch.float32).numpy()


def linear_args(*layers):
    out = []
    for layer in layers:
        out += [f32(layer.weight), f32(layer.bias)]
    return out


def round_f32(module):
    """Rounds the module's parameters to float32 and makes it float64."""
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(p.to(torch.float32).to(torch.float64))
    return module.double().eval()


# --- 000: attention span and local attention (no projections, unscaled) ----


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_000_span(pipeline):
    x = torch.randn(10, 512) * 0.05
    start, end = 2, 5
    keep = (torch.arange(10) >= start) & (torch.arange(10) < end)
    want = SpanAttention()(x.double(), keep)
    got = attn_run("000_span.mlir",
                   [f32(x)[None, None], keep.numpy()[None, None, None]],
                   pipeline)
    assert rel_err(got[0, 0], want.numpy()) < 1e-5


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_000_local(pipeline):
    x = torch.randn(10, 512) * 0.05
    i, j = torch.arange(10)[:, None], torch.arange(10)[None, :]
    keep = (j >= i - 2) & (j <= i + 2)
    want = SpanAttention()(x.double(), keep)
    got = attn_run("000_local.mlir", [f32(x)[None, None]], pipeline)
    assert rel_err(got[0, 0], want.numpy()) < 1e-5


# --- 001: single head with key_size != value_size ---------------------------


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_001_key_value_sizes(pipeline):
    m = round_f32(KeyValueAttention(64, 32, 48))
    hidden, value = torch.randn(2, 7, 64), torch.randn(2, 11, 64)
    want, _ = m(hidden.double(), value.double())
    got = attn_run("001_key_value_sizes.mlir",
                   [f32(hidden), f32(value)] + linear_args(m.W_q, m.W_k, m.W_v),
                   pipeline)
    assert got.shape == (2, 1, 7, 48)
    assert rel_err(got[:, 0], want.detach().numpy()) < 1e-5


# --- 002: Transformer MultiHeadAttention (unscaled, as written) -------------


def _mha_inputs(m, query, memory, encode=f32):
    return [encode(query), encode(memory)] + [
        encode(t) for layer in (m.q_proj, m.k_proj, m.v_proj, m.out_proj)
        for t in (layer.weight, layer.bias)]


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_002_cross_attention(pipeline):
    m = round_f32(TransformerMHA(64, 4))
    tgt, memory = torch.randn(2, 12, 64) * 0.3, torch.randn(2, 20, 64) * 0.3
    want = m(tgt.double(), memory.double(), memory.double())
    got = attn_run("002_mha_cross.mlir", _mha_inputs(m, tgt, memory), pipeline)
    assert rel_err(got, want.detach().numpy()) < 1e-5


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_002_self_attention_dynamic_shapes(pipeline):
    m = round_f32(TransformerMHA(64, 4))
    x = torch.randn(3, 13, 64) * 0.3
    want = m(x.double(), x.double(), x.double())
    got = attn_run("002_mha_self_dynamic.mlir", _mha_inputs(m, x, x), pipeline)
    assert got.shape == (3, 13, 64)
    assert rel_err(got, want.detach().numpy()) < 1e-5


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_002_self_attention_bf16(pipeline):
    m = TransformerMHA(64, 4).eval()
    x = torch.randn(2, 16, 64) * 0.3
    bf = lambda t: to_bf16_bits(f32(t))
    with torch.no_grad():  # the module sees exactly the bf16 values
        for p in m.parameters():
            p.copy_(torch.from_numpy(from_bf16_bits(bf(p))))
    xb = torch.from_numpy(from_bf16_bits(bf(x))).double()
    want = m.double()(xb, xb, xb)
    got = attn_run("002_mha_self_bf16.mlir", _mha_inputs(m, x, x, encode=bf),
                   pipeline)
    assert rel_err(from_bf16_bits(got), want.detach().numpy()) < 3e-2


# --- 003: SelfAttention(d_model, n_heads) with its fc projection ------------


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_003_self_attention(pipeline):
    m = round_f32(SelfAttention(512, 8))
    x = torch.randn(1, 10, 512)
    want = m(x.double())
    got = attn_run("003_self_attention.mlir",
                   [f32(x)] + linear_args(m.W_q, m.W_k, m.W_v, m.fc), pipeline)
    assert rel_err(got, want.detach().numpy()) < 1e-5


# --- 004: masked multi-head attention (unscaled) ----------------------------


def _004_inputs(m, x):
    return [f32(x)] + linear_args(m.query_linear, m.key_linear, m.value_linear)


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_004_padding_mask_and_fully_padded_row(pipeline):
    m = round_f32(MaskedMHA(32, 4))
    x = torch.randn(2, 9, 32) * 0.5
    keep = torch.ones(2, 1, 1, 9, dtype=torch.bool)
    keep[0, ..., 6:] = False  # padding of sequence 0
    got = attn_run("004_masked_padding.mlir",
                   _004_inputs(m, x) + [keep.numpy()], pipeline)
    want = m(x.double(), keep)
    assert rel_err(got, want.detach().numpy()) < 1e-5
    # Sequence 1 entirely padded: torch gives NaN, attn-mlir 0 (SPEC).
    keep[1] = False
    got = attn_run("004_masked_padding.mlir",
                   _004_inputs(m, x) + [keep.numpy()], pipeline)
    want = m(x.double(), keep).detach().numpy()
    assert np.isnan(want[1]).all() and np.all(got[1] == 0)
    assert rel_err(got[0], want[0]) < 1e-5


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_004_causal_mask(pipeline):
    m = round_f32(MaskedMHA(32, 4))
    x = torch.randn(2, 9, 32) * 0.5
    causal = torch.tril(torch.ones(9, 9))
    want = m(x.double(), causal)
    got = attn_run("004_masked_causal.mlir", _004_inputs(m, x), pipeline)
    assert rel_err(got, want.detach().numpy()) < 1e-5
