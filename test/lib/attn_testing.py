"""Execution-test support: a float64 NumPy oracle of the attn semantics, IR
builders, and a driver that runs attn-run on fresh random inputs.

The oracle is written from the SPEC semantics independently of the compiler:
einsum contractions in float64, explicit masks, and the "no kept key gives a
zero row" rule.
"""

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

from host_cpu import cpu_flags  # noqa: F401 (re-exported for the tests)

TOLERANCE = {"f32": 1e-5, "f16": 5e-3, "bf16": 3e-2}

# ----------------------------------------------------------------------------
# Element types
# ----------------------------------------------------------------------------


def to_bf16_bits(x):
    """Round float32 values to bfloat16 (nearest even); returns uint16 bits."""
    u = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    u = u + 0x7FFF + ((u >> 16) & 1)
    return (u >> 16).astype(np.uint16)


def from_bf16_bits(bits):
    return (bits.astype(np.uint32) << 16).view(np.float32)


def encode(x, dtype):
    """float64/bool array -> the array attn-run reads for `dtype`."""
    if dtype == "f32":
        return np.asarray(x, np.float32)
    if dtype == "f16":
        return np.asarray(x, np.float16)
    if dtype == "bf16":
        return to_bf16_bits(np.asarray(x, np.float32))
    if dtype == "i1":
        return np.asarray(x, bool)
    raise ValueError(dtype)


def decode(a, dtype):
    """An array attn-run wrote -> float64 (or bool)."""
    if dtype == "bf16":
        return from_bf16_bits(a).astype(np.float64)
    if dtype == "i1":
        return a.astype(bool)
    return a.astype(np.float64)


# ----------------------------------------------------------------------------
# Oracle
# ----------------------------------------------------------------------------


def scores_ref(q, k, mask=None, causal=False, scale=None, window=None, softcap=None):
    q = np.asarray(q, np.float64)
    k = np.asarray(k, np.float64)
    b, h, sq, d = q.shape
    hkv, sk = k.shape[1], k.shape[2]
    k = np.repeat(k, h // hkv, axis=1)
    if scale is None:
        scale = 1.0 / np.sqrt(d)
    s = np.einsum("bhid,bhjd->bhij", q, k) * float(np.float32(scale))
    if softcap is not None:
        s = softcap * np.tanh(s / softcap)
    if mask is not None:
        if mask.dtype == bool:
            s = np.where(mask, s, -np.inf)
        else:
            s = s + np.asarray(mask, np.float64)
    if causal or window is not None:
        off = sk - sq
        i = np.arange(sq)[:, None]
        j = np.arange(sk)[None, :]
        keep = np.ones((sq, sk), bool)
        if causal:
            keep &= j <= i + off
        if window is not None:
            left, right = window
            keep &= (j >= i + off - left) & (j <= i + off + right)
        s = np.where(keep, s, -np.inf)
    return s


def softmax_ref(s):
    s = np.asarray(s, np.float64)
    m = s.max(axis=-1, keepdims=True)
    m = np.where(np.isneginf(m), 0.0, m)
    e = np.exp(s - m)
    total = e.sum(axis=-1, keepdims=True)
    # A row with no kept key is 0; NaN inputs stay NaN (as IEEE arithmetic
    # propagates them through the kernels).
    return np.where(total == 0, 0.0, e / np.where(total > 0, total, 1.0))


def weighted_sum_ref(p, v):
    p = np.asarray(p, np.float64)
    v = np.asarray(v, np.float64)
    v = np.repeat(v, p.shape[1] // v.shape[1], axis=1)
    return np.einsum("bhij,bhjd->bhid", p, v)


def sdpa_ref(q, k, v, mask=None, causal=False, scale=None, window=None, softcap=None):
    s = scores_ref(q, k, mask, causal, scale, window, softcap)
    return weighted_sum_ref(softmax_ref(s), v)


def project_ref(x, w, bias, num_heads):
    x = np.asarray(x, np.float64)
    w = np.asarray(w, np.float64)
    y = np.einsum("bse,ne->bsn", x, w)
    if bias is not None:
        y = y + np.asarray(bias, np.float64)
    b, s, n = y.shape
    return y.reshape(b, s, num_heads, n // num_heads).transpose(0, 2, 1, 3)


def output_project_ref(a, w, bias):
    a = np.asarray(a, np.float64)
    b, h, s, d = a.shape
    merged = a.transpose(0, 2, 1, 3).reshape(b, s, h * d)
    y = np.einsum("bsn,en->bse", merged, np.asarray(w, np.float64))
    if bias is not None:
        y = y + np.asarray(bias, np.float64)
    return y


# ----------------------------------------------------------------------------
# IR
# ----------------------------------------------------------------------------


def tensor_type(shape, dtype):
    dims = "x".join("?" if d is None else str(d) for d in shape)
    return f"tensor<{dims}x{dtype}>" if dims else f"tensor<{dtype}>"


def attr_dict(causal=False, scale=None, window=None, softcap=None):
    attrs = []
    if causal:
        attrs.append("causal")
    if scale is not None:
        attrs.append(f"scale = {float(scale):.9e} : f32")
    if window is not None:
        attrs.append(f"window = array<i64: {window[0]}, {window[1]}>")
    if softcap is not None:
        attrs.append(f"softcap = {float(softcap)!r} : f32")
    return " {" + ", ".join(attrs) + "}" if attrs else ""


def sdpa_ir(qt, kt, vt, rt, mt=None, seq_major=None, **attrs):
    """A function @main(q, k, v[, mask]) -> attn.sdpa, from type strings.
    With `seq_major` (a function from a [B, H, S, D] type to its [B, S, H, D]
    type), the arguments and the result are [B, S, H, D], transposed to and
    from the op's layout as frontends emit it after the projections."""
    args = [f"%q: {qt}", f"%k: {kt}", f"%v: {vt}"] + ([f"%m: {mt}"] if mt else [])
    types = [qt, kt, vt] + ([mt] if mt else [])
    mask = " mask(%m)" if mt else ""
    body = []
    operands = ["%q", "%k", "%v"]
    result = "%o"
    ret_type = rt
    def empty(name, t, src, src_t, perm):
        """tensor.empty of type `t`; dim i of a dynamic one is dim perm[i]
        of `src`."""
        dims = t[len("tensor<"):-1].split("x")[:-1]
        sizes = []
        for i, extent in enumerate(dims):
            if extent == "?":
                body.append(f"  %{name}c{i} = arith.constant {perm[i]} : index")
                body.append(f"  %{name}d{i} = tensor.dim {src}, %{name}c{i} : {src_t}")
                sizes.append(f"%{name}d{i}")
        body.append(f"  %{name}e = tensor.empty({', '.join(sizes)}) : {t}")

    if seq_major:
        for i, (name, t) in enumerate(zip(("q", "k", "v"), (qt, kt, vt))):
            args[i] = f"%{name}s: {seq_major(t)}"
            empty(name, t, f"%{name}s", seq_major(t), [0, 2, 1, 3])
            body.append(f"  %{name} = linalg.transpose ins(%{name}s : {seq_major(t)})"
                        f" outs(%{name}e : {t}) permutation = [0, 2, 1, 3]")
        ret_type = seq_major(rt)
    body += [f"  %o = attn.sdpa {', '.join(operands)}{mask}{attr_dict(**attrs)}",
             f"      : ({', '.join(types)}) -> {rt}"]
    if seq_major:
        empty("r", ret_type, "%q", qt, [0, 2, 1, 3])
        body += [f"  %r = linalg.transpose ins(%o : {rt}) outs(%re : {ret_type})"
                 f" permutation = [0, 2, 1, 3]"]
        result = "%r"
    return (f"func.func @main({', '.join(args)}) -> {ret_type} {{\n" +
            "\n".join(body) + f"\n  return {result} : {ret_type}\n}}\n")


# ----------------------------------------------------------------------------
# Driver
# ----------------------------------------------------------------------------


class Runner:
    """Runs IR through attn-run with the pipeline given on the command line,
    and compares results against the oracle."""

    def __init__(self, argv=None):
        parser = argparse.ArgumentParser()
        parser.add_argument("--pipeline", default="reference")
        parser.add_argument("--attn-run", default="attn-run")
        parser.add_argument("--threads", type=int, default=0)
        parser.add_argument("--only", default=None)
        self.args = parser.parse_args(argv)
        seed = int.from_bytes(os.urandom(4), "little")
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.failures = 0
        self.count = 0

    def normal(self, shape, dtype, scale=1.0):
        """Fresh standard-normal data, rounded to `dtype`; returns (encoded,
        exact float64 value of the encoded data)."""
        x = self.rng.standard_normal(shape) * scale
        enc = encode(x, dtype)
        return enc, decode(enc, dtype)

    def bool_mask(self, shape, p_keep=0.9):
        return self.rng.random(shape) < p_keep

    def run(self, ir, inputs, extra=()):
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "case.mlir")
            with open(src, "w") as f:
                f.write(ir)
            cmd = [self.args.attn_run, src, f"--pipeline={self.args.pipeline}"]
            if self.args.threads:
                cmd.append(f"--threads={self.args.threads}")
            for i, a in enumerate(inputs):
                path = os.path.join(tmp, f"in{i}.npy")
                np.save(path, np.ascontiguousarray(a))
                cmd.append(f"--input={path}")
            out = os.path.join(tmp, "out0.npy")
            cmd.append(f"--output={out}")
            cmd.extend(extra)
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode != 0:
                raise RuntimeError(
                    f"attn-run failed ({proc.returncode}): {proc.stderr.strip()}"
                )
            return np.load(out)

    def check(self, name, ir, inputs, expected, dtype, tol=None):
        """Runs `ir` on `inputs` and compares the result with `expected`."""
        if self.args.only and self.args.only not in name:
            return
        self.count += 1
        tol = TOLERANCE[dtype] if tol is None else tol
        try:
            got = decode(self.run(ir, inputs), dtype)
        except RuntimeError as e:
            print(f"FAIL {name}: {e}")
            self.failures += 1
            return
        ok = got.shape == expected.shape
        rel = float("nan")
        if ok:
            if np.isnan(got).any() or np.isinf(got).any():
                ok = False
            else:
                diff = np.linalg.norm((got - expected).ravel())
                ref = np.linalg.norm(expected.ravel())
                rel = diff / ref if ref > 0 else diff
                ok = rel <= tol
        status = "PASS" if ok else "FAIL"
        print(
            f"{status} {name}: rel_l2={rel:.3e} tol={tol:.0e} "
            f"shape={got.shape} expected_shape={expected.shape}"
        )
        if not ok:
            self.failures += 1

    def finish(self):
        print(f"{self.count - self.failures} passed, {self.failures} failed "
              f"(pipeline {self.args.pipeline}, seed {self.seed})")
        sys.exit(1 if self.failures or self.count == 0 else 0)


def sdpa_case(r, name, b, h, hkv, sq, sk, d, dv, dtype="f32", mask=None,
              mask_dtype=None, mask_shape=None, dynamic=False,
              static_kv_heads=False, logit_scale=1.0, rows_masked=(),
              seq_major=False, **attrs):
    """One attn.sdpa execution test on fresh random inputs: `mask` is "bool"
    or "float" (additive, `mask_dtype`), `rows_masked` rows keep no key,
    `dynamic` makes batch, heads and sequence dims dynamic (kv heads stay
    static with `static_kv_heads`), `seq_major` passes Q/K/V and the result
    as [B, S, H, D] through transposes."""
    q, qx = r.normal((b, h, sq, d), dtype, logit_scale)
    k, kx = r.normal((b, hkv, sk, d), dtype)
    v, vx = r.normal((b, hkv, sk, dv), dtype)
    inputs = [q, k, v]
    if seq_major:
        inputs = [np.ascontiguousarray(x.swapaxes(1, 2)) for x in inputs]
    mx = mt = None
    if mask is not None:
        if mask == "bool":
            mx = r.bool_mask(mask_shape)
            for row in rows_masked:
                mx[..., row, :] = False
            m = mx
        else:
            m, mx = r.normal(mask_shape, mask_dtype)
            if rows_masked:
                mx = mx.copy()
                for row in rows_masked:
                    mx[..., row, :] = -np.inf
                m = encode(mx, mask_dtype)
        inputs.append(m)
        mt = tensor_type(mask_shape, "i1" if mask == "bool" else mask_dtype)

    def ty(shape, kv=False):
        if not dynamic:
            return tensor_type(shape, dtype)
        heads = shape[1] if kv and static_kv_heads else None
        return tensor_type([None, heads, None, shape[3]], dtype)

    def swap(t):
        dims = t[len("tensor<"):-1].split("x")
        dims[1], dims[2] = dims[2], dims[1]
        return "tensor<" + "x".join(dims) + ">"

    ir = sdpa_ir(ty((b, h, sq, d)), ty((b, hkv, sk, d), True),
                 ty((b, hkv, sk, dv), True), ty((b, h, sq, dv)), mt,
                 seq_major=swap if seq_major else None, **attrs)
    expected = sdpa_ref(qx, kx, vx, mx, **attrs)
    if seq_major:
        expected = expected.swapaxes(1, 2)
    r.check(name, ir, inputs, expected, dtype)
