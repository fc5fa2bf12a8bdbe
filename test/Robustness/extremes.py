# Numerical extremes on every pipeline: huge logits, rows with no or one
# kept key, Sk = 1, extreme scales, f16 near overflow. The output must match
# the float64 oracle and hold no NaN; NaN inputs reach every row that keeps
# them, and no element the oracle's unfused P V leaves finite.
# REQUIRES: attn-run, numpy
# RUN: %python %s --pipeline=cpu
# RUN: %python %s --pipeline=cpu --threads=1
# RUN: %python %s --pipeline="builtin.module(attn-cpu-pipeline{key-splits=3 key-block=12})"
# 8-row blocks: the O tiles of rows 0-3 stop before the NaN value at key 5
# (see nan_case), whatever the host's vector width.
# RUN: %python %s --pipeline="builtin.module(attn-cpu-pipeline{vector-width=8 query-block=8 key-block=8})"
# RUN: %python %s --pipeline=reference

import numpy as np

from attn_testing import (Runner, cpu_flags, decode, encode, scores_ref, sdpa_ir,
                          sdpa_ref, softmax_ref, tensor_type, weighted_sum_ref)

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

# NaN and Inf inputs propagate: a NaN query poisons its row, a NaN key or
# value (or an Inf key that makes a score +inf) every row that keeps it; the
# other rows stay exact. A row that drops such a key may still read it when a
# kernel's tile covers it (P = 0 times NaN is NaN, as in the unfused matmul),
# so those rows may be NaN too, but only where the oracle's 0 * NaN puts a
# NaN. In bf16 too (the AMX kernel on hosts that have it, 37 rows per kv
# head).
def nan_case(name, dt, tol):
    q, k, v = normal(B, H, S, D), normal(B, H, S, D), normal(B, H, S, D)
    q[0, 0, 3, 2] = np.nan
    k[0, 1, 30, 0] = np.inf
    v[0, 1, 5, 4] = np.nan
    qe, ke, ve = (encode(x, dt) for x in (q, k, v))
    qd, kd, vd = (decode(x, dt) for x in (qe, ke, ve))
    p = softmax_ref(scores_ref(qd, kd, causal=True))
    may_nan = np.isnan(weighted_sum_ref(p, vd))
    # Only the kept keys' products: P = 0 drops a NaN value too.
    products = np.where((p != 0)[..., None], p[..., None] * vd[:, :, None],
                        0.0)
    want = products.sum(axis=3)
    must_nan = np.isnan(want)
    ir = sdpa_ir(*(tensor_type((B, H, S, D), dt),) * 4, causal=True)
    r.count += 1
    got = decode(r.run(ir, [qe, ke, ve]), dt)
    nan = np.isnan(got)
    kept_nan = np.array_equal(nan & must_nan, must_nan)
    only_nan = not (nan & ~may_nan).any()
    finite = ~nan & ~must_nan
    rel = np.linalg.norm(got[finite] - want[finite]) / np.linalg.norm(want[finite])
    ok = (kept_nan and only_nan and rel < tol and must_nan.any() and
          finite.any())
    print(f"{'PASS' if ok else 'FAIL'} {name}: NaN where a kept input is "
          f"{kept_nan}, NaN only where 0 * NaN is {only_nan}, "
          f"rel_l2 elsewhere {rel:.1e}")
    r.failures += not ok


nan_case("nan_inf_propagation", "f32", 1e-5)
nan_case("nan_inf_propagation_bf16", "bf16", 2e-2)


def bf16_nearest(x):
    """f32 -> bf16 bits by value: of the two bf16 values around x (its bits
    cut to the high half, and the next one away from zero), the nearer in
    float64, ties to the even one; past the largest bf16 by half its ulp or
    more, infinity. NaN as None."""
    out = []
    for f in x.astype(np.float32):
        bits = int(np.array(f).view(np.uint32))
        if np.isnan(f):
            out.append(None)
        elif np.isinf(f) or abs(float(f)) >= 2.0**128 * (1 - 2.0**-9):
            out.append((bits >> 16 & 0x8000) | 0x7F80)
        else:
            lo = bits >> 16
            below, above = (abs(float(np.array((c << 16) & 0xFFFFFFFF,
                                                 np.uint32).view(np.float32))
                                - float(f)) for c in (lo, lo + 1))
            out.append(lo if below < above or (below == above and lo % 2 == 0)
                       else lo + 1)
    return out


# f32 -> bf16 rounding, bit for bit: ties to even both ways, carries into
# the exponent, overflow to infinity, subnormals, signed zeros, NaN (quiet,
# and signalling with only low payload bits, which plain truncation of the
# bits would turn into infinity). Random bits cover the rest.
one = 1.0
special = np.array([
    one, one + 2**-8, one + 3 * 2**-8, one + 2**-8 + 2**-20,
    one + 2**-8 - 2**-20, -(one + 3 * 2**-8), 2 - 2**-9, 2 - 2**-10,
    3.4028235e38, -3.3961775e38, 3.3961775e38 * (1 + 2**-9), np.inf, -np.inf,
    1e-40, -1e-39, 2.5e-45, 0.0, -0.0, 65504.0], np.float32)
nan_bits = np.array([0x7FC00000, 0xFFC00001, 0x7F800001, 0x7F80FFFF],
                    np.uint32)
random_bits = r.rng.integers(0, 2**32, 4096, dtype=np.uint64).astype(np.uint32)
x = np.concatenate([special, nan_bits.view(np.float32),
                    random_bits.view(np.float32)])
ir = f"""func.func @main(%x: tensor<{x.size}xf32>) -> tensor<{x.size}xbf16> {{
  %0 = arith.truncf %x : tensor<{x.size}xf32> to tensor<{x.size}xbf16>
  return %0 : tensor<{x.size}xbf16>
}}"""
r.count += 1
got = r.run(ir, [x])
want = bf16_nearest(x)
# With AVX-512 BF16, LLVM rounds through vcvtneps2bf16, which reads
# subnormal inputs as zero (docs/dialect.md): they may give a signed zero.
flushes = "avx512_bf16" in cpu_flags()
x_bits = x.view(np.uint32)
subnormal = (x_bits & 0x7F800000 == 0) & (x_bits & 0x7FFFFF != 0)
bad = [i for i, (g, w) in enumerate(zip(got, want))
       if (w is None and (g & 0x7F80 != 0x7F80 or g & 0x7F == 0)) or
       (w is not None and g != w and
        not (flushes and subnormal[i] and g == (x_bits[i] >> 16 & 0x8000)))]
print(f"{'PASS' if not bad else 'FAIL'} bf16_rounding: {len(bad)} of {x.size} "
      f"differ" + (f", first {x[bad[0]]!r} -> {got[bad[0]]:#06x} "
                   f"(want {want[bad[0]]})" if bad else ""))
r.failures += bool(bad)

r.finish()
