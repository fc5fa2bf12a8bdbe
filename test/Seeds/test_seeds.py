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


class SpanAttention(nn.Module):
    """Article 000, fixed: scores Q K^T (the stray linear layers dropped),
    restricted to keys in [start, end), softmax over keys, times V."""

    def forward(self, x, keep):
        scores = x @ x.transpose(-2, -1)
        scores = scores.masked_fill(~keep, float("-inf"))
        return torch.softmax(scores, dim=-1) @ x


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


class KeyValueAttention(nn.Module):
    """Article 001, fixed: keys from the attended sequence, softmax over the
    key dim, context = P V."""

    def __init__(self, hidden_size, key_size, value_size):
        super().__init__()
        self.key_size = key_size
        self.W_q = nn.Linear(hidden_size, key_size)
        self.W_k = nn.Linear(hidden_size, key_size)
        self.W_v = nn.Linear(hidden_size, value_size)

    def forward(self, hidden, value):
        q, k, v = self.W_q(hidden), self.W_k(value), self.W_v(value)
        p = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(self.key_size),
                          dim=-1)
        return p @ v, p


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


class TransformerMHA(nn.Module):
    """Article 002, fixed: torch.matmul instead of bmm on 4-d tensors; the
    code's missing 1/sqrt(d) is kept (unscaled) as the article runs it."""

    def __init__(self, embed_dim, num_heads):
        super().__init__()
        self.h, self.d = num_heads, embed_dim // num_heads
        self.q_proj = nn.Linear(embed_dim, embed_dim)
        self.k_proj = nn.Linear(embed_dim, embed_dim)
        self.v_proj = nn.Linear(embed_dim, embed_dim)
        self.out_proj = nn.Linear(embed_dim, embed_dim)

    def forward(self, query, key, value):
        b = query.shape[0]
        split = lambda t: t.view(b, -1, self.h, self.d).transpose(1, 2)
        q, k, v = split(self.q_proj(query)), split(self.k_proj(key)), split(
            self.v_proj(value))
        p = torch.softmax(torch.matmul(q, k.transpose(3, 2)), dim=-1)
        a = torch.matmul(p, v).transpose(1, 2).reshape(b, -1, self.h * self.d)
        return self.out_proj(a)


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


class SelfAttention(nn.Module):
    """Article 003, fixed: split into heads before the scores and merge them
    after (instead of concatenating n_heads copies); dropout is the identity
    in eval mode."""

    def __init__(self, d_model, n_heads, dropout=0.1):
        super().__init__()
        self.h, self.d = n_heads, d_model // n_heads
        self.W_q = nn.Linear(d_model, d_model)
        self.W_k = nn.Linear(d_model, d_model)
        self.W_v = nn.Linear(d_model, d_model)
        self.fc = nn.Linear(d_model, d_model)
        self.dropout = nn.Dropout(p=dropout)

    def forward(self, x):
        b, l, _ = x.shape
        split = lambda t: t.view(b, l, self.h, self.d).transpose(1, 2)
        q, k, v = split(self.W_q(x)), split(self.W_k(x)), split(self.W_v(x))
        p = self.dropout(torch.softmax(q @ k.transpose(-2, -1) / self.d ** 0.5,
                                       dim=-1))
        return self.fc((p @ v).transpose(1, 2).reshape(b, l, self.h * self.d))


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_003_self_attention(pipeline):
    m = round_f32(SelfAttention(512, 8))
    x = torch.randn(1, 10, 512)
    want = m(x.double())
    got = attn_run("003_self_attention.mlir",
                   [f32(x)] + linear_args(m.W_q, m.W_k, m.W_v, m.fc), pipeline)
    assert rel_err(got, want.detach().numpy()) < 1e-5


# --- 004: masked multi-head attention (unscaled) ----------------------------


class MaskedMHA(nn.Module):
    """Article 004, fixed: transpose to [B, H, S, D] before the scores (and
    keep that layout: the article has no output projection); the mask is
    applied as masked_fill(mask == 0, -inf); unscaled as written."""

    def __init__(self, d_model, num_heads):
        super().__init__()
        self.h, self.d = num_heads, d_model // num_heads
        self.query_linear = nn.Linear(d_model, d_model)
        self.key_linear = nn.Linear(d_model, d_model)
        self.value_linear = nn.Linear(d_model, d_model)

    def forward(self, x, mask=None):
        b = x.shape[0]
        split = lambda t: t.view(b, -1, self.h, self.d).transpose(1, 2)
        q, k, v = (split(self.query_linear(x)), split(self.key_linear(x)),
                   split(self.value_linear(x)))
        s = q @ k.transpose(-2, -1)
        if mask is not None:
            s = s.masked_fill(mask == 0, float("-inf"))
        return torch.softmax(s, dim=-1) @ v


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
