"""PyTorch modules whose attention the torch-mlir frontends must deliver to
attn-mlir: F.scaled_dot_product_attention in its variants,
nn.MultiheadAttention, the usual hand-written attention, and the fixed seed
modules. Shared by the seed tests, the torch-mlir export script and the
frontend execution tests; works with torch 1.13 (Debian) for the modules that
do not need scaled_dot_product_attention.

`MODELS` maps a name to a Model: how to build the module and its example
inputs, and what --attn-raise should find in its export.
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

# --- the seed modules, fixed (see docs/seeds.md) ----------------------------


class SpanAttention(nn.Module):
    """Article 000, fixed: scores Q K^T (the stray linear layers dropped),
    restricted to keys in [start, end), softmax over keys, times V."""

    def forward(self, x, keep):
        scores = x @ x.transpose(-2, -1)
        scores = scores.masked_fill(~keep, float("-inf"))
        return torch.softmax(scores, dim=-1) @ x


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


# --- what users write today -------------------------------------------------


class Sdpa(nn.Module):
    """F.scaled_dot_product_attention with fixed keyword arguments."""

    def __init__(self, **kwargs):
        super().__init__()
        self.kwargs = kwargs

    def forward(self, q, k, v, mask=None):
        if mask is None:
            return F.scaled_dot_product_attention(q, k, v, **self.kwargs)
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, **self.kwargs)


class TorchMHA(nn.Module):
    """nn.MultiheadAttention, batch first, returning the output only (the
    averaged weights would keep the probabilities alive)."""

    def __init__(self, embed_dim, num_heads, kdim=None):
        super().__init__()
        self.mha = nn.MultiheadAttention(embed_dim, num_heads, batch_first=True,
                                         kdim=kdim, vdim=kdim)

    def forward(self, query, key, value, key_padding_mask=None):
        out, _ = self.mha(query, key, value, key_padding_mask=key_padding_mask,
                          need_weights=False)
        return out


class CausalSelfAttention(nn.Module):
    """The usual hand-written decoder attention: q/k/v Linear, view +
    transpose, matmul / sqrt(d), causal masked_fill, softmax, matmul, merge,
    output Linear."""

    def __init__(self, d_model, n_heads, seq_len):
        super().__init__()
        self.h, self.d = n_heads, d_model // n_heads
        self.q = nn.Linear(d_model, d_model)
        self.k = nn.Linear(d_model, d_model)
        self.v = nn.Linear(d_model, d_model)
        self.o = nn.Linear(d_model, d_model)
        self.register_buffer("tril", torch.tril(torch.ones(seq_len, seq_len, dtype=torch.bool)))

    def forward(self, x):
        b, s, _ = x.shape
        split = lambda t: t.view(b, s, self.h, self.d).transpose(1, 2)
        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(self.d)
        att = att.masked_fill(~self.tril[:s, :s], float("-inf"))
        att = torch.softmax(att, dim=-1)
        return self.o((att @ v).transpose(1, 2).reshape(b, s, self.h * self.d))


class ScoresSoftmaxOverQueries(nn.Module):
    """A look-alike: the softmax runs over the queries. Not attention."""

    def forward(self, q, k, v):
        return torch.softmax(q @ k.transpose(-2, -1), dim=-2) @ v


class Model:
    """A module, its example inputs, and what its export should raise to."""

    def __init__(self, build, inputs, sdpa=1, attrs=(), absent=(), tosa=None):
        self.build = build          # () -> nn.Module (eval mode)
        self.inputs = inputs        # (generator) -> list of tensors
        self.sdpa = sdpa            # attn.sdpa ops expected after --attn-raise
        self.attrs = attrs          # strings the raised sdpa must contain
        self.absent = absent        # strings it must not contain
        self.tosa = tosa or {}      # overrides of the above for the TOSA export

    def expect(self, form):
        """(sdpa count, attrs, absent) expected for an export form."""
        e = {"sdpa": self.sdpa, "attrs": self.attrs, "absent": self.absent}
        if form == "tosa":
            e.update(self.tosa)
        return e["sdpa"], e["attrs"], e["absent"]


def _randn(g, *shape):
    return torch.randn(*shape, generator=g)


def _bool(g, *shape, p=0.8):
    m = torch.rand(*shape, generator=g) < p
    m[..., 0] = True  # every query keeps a key
    return m


def _padding(g, b, s):
    pad = torch.zeros(b, s, dtype=torch.bool)
    for i in range(b):
        n = int(torch.randint(0, s // 2, (1,), generator=g))
        if n:
            pad[i, s - n:] = True  # True marks padding in key_padding_mask
    return pad


MODELS = {
    "sdpa": Model(lambda: Sdpa(), lambda g: [
        _randn(g, 1, 2, 8, 16), _randn(g, 1, 2, 12, 16), _randn(g, 1, 2, 12, 16)]),
    # TOSA writes the causal mask so that it stays a mask (computed right, not
    # skipped by blocks).
    "sdpa_causal": Model(lambda: Sdpa(is_causal=True), lambda g: [
        _randn(g, 1, 2, 8, 16), _randn(g, 1, 2, 8, 16), _randn(g, 1, 2, 8, 16)],
        attrs=("causal",), tosa={"attrs": ("mask(",)}),
    # torch's is_causal is top-left: with Sq != Sk it is not {causal}.
    "sdpa_causal_rectangular": Model(lambda: Sdpa(is_causal=True), lambda g: [
        _randn(g, 1, 2, 4, 16), _randn(g, 1, 2, 8, 16), _randn(g, 1, 2, 8, 16)],
        absent=("causal",)),
    "sdpa_bool_mask": Model(lambda: Sdpa(), lambda g: [
        _randn(g, 2, 2, 8, 16), _randn(g, 2, 2, 8, 16), _randn(g, 2, 2, 8, 16),
        _bool(g, 2, 1, 8, 8)], attrs=("mask(",)),
    "sdpa_float_mask": Model(lambda: Sdpa(), lambda g: [
        _randn(g, 1, 2, 8, 16), _randn(g, 1, 2, 8, 16), _randn(g, 1, 2, 8, 16),
        _randn(g, 8, 8)], attrs=("mask(",)),
    "sdpa_scale": Model(lambda: Sdpa(scale=0.3), lambda g: [
        _randn(g, 1, 2, 8, 16), _randn(g, 1, 2, 8, 16), _randn(g, 1, 2, 8, 16)]),
    # K/V repeated to the query heads: raised reading the 2 kv heads.
    "sdpa_gqa": Model(lambda: Sdpa(enable_gqa=True), lambda g: [
        _randn(g, 1, 4, 8, 16), _randn(g, 1, 2, 8, 16), _randn(g, 1, 2, 8, 16)],
        attrs=("tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) -> tensor<1x4x8x16xf32>",)),
    "mha_self": Model(lambda: TorchMHA(32, 4), lambda g: [_randn(g, 2, 8, 32)] * 3),
    "mha_cross": Model(lambda: TorchMHA(32, 4, kdim=24), lambda g: [
        _randn(g, 2, 6, 32), _randn(g, 2, 10, 24), _randn(g, 2, 10, 24)]),
    "mha_key_padding": Model(lambda: TorchMHA(32, 4), lambda g: (
        lambda x: [x, x, x, _padding(g, 2, 8)])(_randn(g, 2, 8, 32)), attrs=("mask(",)),
    # The sliced tril buffer stays an i1 mask.
    "causal_self_attention": Model(lambda: CausalSelfAttention(32, 4, 16),
                                   lambda g: [_randn(g, 2, 16, 32)], attrs=("mask(",)),
    "seed_000_span": Model(lambda: SpanAttention(), lambda g: [
        _randn(g, 10, 64) * 0.3,
        (torch.arange(10) >= 2) & (torch.arange(10) < 5)], attrs=("mask(",),
        tosa={"sdpa": 0}),  # 2-D matmuls reshaped to 3-D around a 2-D softmax: not matched
    "seed_001_key_value_sizes": Model(lambda: KeyValueAttention(32, 16, 24), lambda g: [
        _randn(g, 2, 7, 32), _randn(g, 2, 11, 32)], sdpa=0),
    "seed_002_mha_cross": Model(lambda: TransformerMHA(32, 4), lambda g: [
        _randn(g, 2, 6, 32) * 0.3, _randn(g, 2, 10, 32) * 0.3, _randn(g, 2, 10, 32) * 0.3]),
    "seed_003_self_attention": Model(lambda: SelfAttention(32, 4), lambda g: [_randn(g, 1, 10, 32)]),
    "seed_004_masked": Model(lambda: MaskedMHA(32, 4), lambda g: [
        _randn(g, 2, 8, 32), _bool(g, 2, 1, 8, 8).to(torch.int64)], attrs=("mask(",)),
    "lookalike_softmax_over_queries": Model(lambda: ScoresSoftmaxOverQueries(), lambda g: [
        _randn(g, 1, 2, 8, 16), _randn(g, 1, 2, 8, 16), _randn(g, 1, 2, 8, 16)], sdpa=0),
}
