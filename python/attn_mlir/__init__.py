"""attn_mlir: compile and run attention with the attn-mlir compiler.

    import numpy as np, attn_mlir
    o = attn_mlir.sdpa(q, k, v, causal=True)          # torch's argument order
    text = attn_mlir.opt(ir, "builtin.module(attn-fuse)")
    f = attn_mlir.compile(ir, pipeline="cpu"); out = f(q, k, v)

Semantics are attn-mlir's (SPEC): causal masks are bottom-right aligned,
grouped-query attention is inferred from the head counts, a row with no kept
key gives zeros. MLIR diagnostics raise RuntimeError with their text; bad
arguments raise ValueError. Arrays may be float32, float16 or bool (masks);
bf16 data travels as uint16 bit patterns.
"""

import threading

import numpy as np

from . import _attn_mlir

__all__ = ["opt", "compile", "sdpa", "CompiledFunction"]

_NUMPY_TYPES = {"f32": np.float32, "f16": np.float16, "bf16": np.uint16,
                "i1": np.bool_}
_MLIR_TYPES = {np.dtype(np.float32): "f32", np.dtype(np.float16): "f16",
               np.dtype(np.bool_): "i1"}


def opt(text, passes):
    """Runs a pass pipeline (`builtin.module(...)` or a bare list) on MLIR
    text and returns the resulting text."""
    return _attn_mlir.opt(text, passes)


class CompiledFunction:
    """A JIT-compiled entry function; call it with arrays, in argument
    order. Returns one array, or a tuple for several results."""

    def __init__(self, kernel):
        self._kernel = kernel

    def __call__(self, *arrays):
        arrays = [np.ascontiguousarray(a) for a in arrays]
        results = []
        for data, shape, dtype in self._kernel(*arrays):
            out = np.frombuffer(data, dtype=_NUMPY_TYPES[dtype])
            results.append(out.reshape(shape).copy())
        return results[0] if len(results) == 1 else tuple(results)


def compile(text, pipeline="cpu", entry="", threads=0):
    """Compiles `entry` (default: the only public function, else `main`) of
    MLIR text with the `cpu` or `reference` pipeline, or a pass pipeline that
    ends in the LLVM dialect."""
    return CompiledFunction(_attn_mlir.Kernel(text, pipeline, entry, threads))


_cache = {}
_cache_lock = threading.Lock()


def _tensor_type(shape, elt):
    return "tensor<" + "x".join(str(d) for d in shape) + "x" + elt + ">"


def sdpa(q, k, v, mask=None, causal=False, scale=None, window=None,
         softcap=None):
    """softmax(q k^T * scale + mask) v over [batch, heads, seq, head_dim]
    arrays, as attn.sdpa: bottom-right causal, GQA from the head counts
    (k and v may have fewer heads than q), `mask` boolean (True keeps) or
    additive, `window` = (left, right), `softcap` > 0."""
    q, k, v = (np.ascontiguousarray(x) for x in (q, k, v))
    if q.dtype not in _MLIR_TYPES or q.dtype == np.bool_:
        raise ValueError(f"q must be float32 or float16, got {q.dtype}")
    if k.dtype != q.dtype or v.dtype != q.dtype:
        raise ValueError("q, k and v must share one dtype")
    for name, x in (("q", q), ("k", k), ("v", v)):
        if x.ndim != 4:
            raise ValueError(f"{name} must have rank 4, got shape {x.shape}")
    elt = _MLIR_TYPES[q.dtype]
    args = [q, k, v]
    types = [_tensor_type(x.shape, elt) for x in args]
    if mask is not None:
        mask = np.ascontiguousarray(mask)
        if mask.dtype not in _MLIR_TYPES:
            raise ValueError(f"mask must be bool or float, got {mask.dtype}")
        mask = mask.reshape((1,) * (4 - mask.ndim) + mask.shape)
        args.append(mask)
        types.append(_tensor_type(mask.shape, _MLIR_TYPES[mask.dtype]))
    attrs = []
    if causal:
        attrs.append("causal")
    if scale is not None:
        attrs.append(f"scale = {float(scale)!r} : f32")
    if window is not None:
        attrs.append(f"window = array<i64: {int(window[0])}, {int(window[1])}>")
    if softcap is not None:
        attrs.append(f"softcap = {float(softcap)!r} : f32")
    result = _tensor_type(q.shape[:3] + (v.shape[3],), elt)
    params = ", ".join(f"%a{i}: {t}" for i, t in enumerate(types))
    operands = "%a0, %a1, %a2" + (" mask(%a3)" if mask is not None else "")
    attr_text = " {" + ", ".join(attrs) + "}" if attrs else ""
    ir = (f"func.func @sdpa({params}) -> {result} {{\n"
          f"  %o = attn.sdpa {operands}{attr_text} : ({', '.join(types)}) -> {result}\n"
          f"  return %o : {result}\n}}\n")
    with _cache_lock:
        fn = _cache.get(ir)
        if fn is None:
            fn = _cache[ir] = compile(ir)
    return fn(*args)
