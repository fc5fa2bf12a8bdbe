# Numerical extremes on every pipeline: huge logits, rows with no or one
# kept key, Sk = 1, extreme scales, f16 near overflow. The output must match
# the float64 oracle and hold no NaN; NaN inputs propagate to exactly the
# rows the oracle's do.
# REQUIRES: attn-run, numpy
# RUN: %python %s --pipeline=cpu
# RUN: %python %s --pipeline=cpu --threads=1
# RUN: %python %s --pipeline="builtin.module(attn-cpu-pipeline{key-splits=3 key-block=12})"
# RUN: %python %s --pipeline=reference

import numpy as np

from attn_testing import Runner, decode, encode, sdpa_ir, sdpa_ref, tensor_type

r = Runner()


def case(name, q, k, v, mask=None, dt="f32", tol=None, **attrs):
    """q, k, v: float64 arrays (rounded to `dt` before the oracle sees them)."""
    qe, ke, ve = (encode(x, dt) for x in (q, k, v))
    qd, kd, vd = (decode(x, dt) for x in (qe, ke, ve))
    inputs = [qe, ke, ve]
    mt = None
    if mask is not None:
        inputs.append(mask)
        mt = tensor_type(mask.shape, "i1")
    ir = sdpa_ir(tensor_type(q.shape, dt), tensor_type(k.shape, dt),
                 tensor_type(v.shape, dt), tensor_type(q.shape[:3] + v.shape[3:], dt),
                 mt, **attrs)
    expected = sdpa_ref(qd, kd, vd, mask, **attrs)
    r.check(name, ir, inputs, expected, dt, tol)


def normal(*shape, scale=1.0):
    return r.rng.standard_normal(shape) * scale


B, H, S, D = 1, 2, 37, 16
# Logits up to ~1e4 in magnitude: the online softmax must not overflow. f32
# scores of that size carry ~1e-3 absolute rounding error, which near-ties
# between the top keys turn into relative errors of that order: LOGIT_TOL.
LOGIT_TOL = 1e-2
case("logits_1e4", normal(B, H, S, D, scale=25), normal(B, H, S, D, scale=25),
     normal(B, H, S, D), tol=LOGIT_TOL)
case("logits_1e4_causal", normal(B, H, S, D, scale=25), normal(B, H, S, D, scale=25),
     normal(B, H, S, D), causal=True, tol=LOGIT_TOL)
# Rows whose mask keeps nothing give 0; rows that keep exactly one key give
# that key's value.
m = r.rng.random((B, H, S, S)) < 0.5
m[:, :, ::3] = False
one = r.rng.integers(0, S, (B, H, S))
for b in range(B):
    for h in range(H):
        for i in range(1, S, 3):
            m[b, h, i] = False
            m[b, h, i, one[b, h, i]] = True
case("masked_rows_and_single_keys", normal(B, H, S, D), normal(B, H, S, D),
     normal(B, H, S, D), mask=m)
# Causal with more queries than keys: the first rows see no key at all.
case("causal_rows_without_keys", normal(B, H, 20, D), normal(B, H, 7, D),
     normal(B, H, 7, D), causal=True)
# One key: the output is its value wherever it is kept.
case("one_key", normal(B, 4, 9, D), normal(B, 1, 1, D), normal(B, 1, 1, D))
# Extreme scales: uniform weights (mean of V) and one-hot weights.
case("scale_tiny", normal(B, H, S, D), normal(B, H, S, D), normal(B, H, S, D),
     scale=1e-30)
case("scale_huge", normal(B, H, S, D), normal(B, H, S, D), normal(B, H, S, D),
     scale=1e20, tol=LOGIT_TOL)
case("scale_negative_huge", normal(B, H, S, D), normal(B, H, S, D),
     normal(B, H, S, D), scale=-1e4, tol=LOGIT_TOL)
# f16 near its overflow: scores far beyond f16's range (accumulated in f32)
# and values near 65504.
case("f16_near_overflow", normal(B, H, S, D, scale=150), normal(B, H, S, D, scale=150),
     r.rng.uniform(6.0e4, 6.5e4, (B, H, S, D)), dt="f16")
case("bf16_huge_logits", normal(B, H, S, D, scale=1e3), normal(B, H, S, D, scale=1e3),
     normal(B, H, S, D), dt="bf16")

# NaN and Inf inputs propagate as in the oracle: a NaN query poisons its row,
# a NaN key or value every row that keeps it; the other rows stay exact. In
# bf16 too (the AMX kernel on hosts that have it, 37 rows per kv head).
def nan_case(name, dt, tol):
    q, k, v = normal(B, H, S, D), normal(B, H, S, D), normal(B, H, S, D)
    q[0, 0, 3, 2] = np.nan
    k[0, 1, 30, 0] = np.inf
    v[0, 1, 5, 4] = np.nan
    qe, ke, ve = (encode(x, dt) for x in (q, k, v))
    want = sdpa_ref(*(decode(x, dt) for x in (qe, ke, ve)), causal=True)
    ir = sdpa_ir(*(tensor_type((B, H, S, D), dt),) * 4, causal=True)
    r.count += 1
    got = decode(r.run(ir, [qe, ke, ve]), dt)
    same_nan = np.array_equal(np.isnan(got), np.isnan(want))
    finite = ~np.isnan(want)
    rel = np.linalg.norm(got[finite] - want[finite]) / np.linalg.norm(want[finite])
    ok = same_nan and rel < tol and np.isnan(want).any() and finite.any()
    print(f"{'PASS' if ok else 'FAIL'} {name}: same NaN rows {same_nan}, "
          f"rel_l2 elsewhere {rel:.1e}")
    r.failures += not ok


nan_case("nan_inf_propagation", "f32", 1e-5)
nan_case("nan_inf_propagation_bf16", "bf16", 2e-2)

r.finish()
