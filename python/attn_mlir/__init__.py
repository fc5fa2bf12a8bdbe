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

__all__ = ["opt", "compile", "sdpa", "mha", "CompiledFunction"]

_NUMPY_TYPES = {"f32": np.float32, "f16": np.float16, "bf16": np.uint16,
                "i1": np.bool_, "i64": np.int64}
# uint16 arrays carry bf16 bit patterns.
_MLIR_TYPES = {np.dtype(np.float32): "f32", np.dtype(np.float16): "f16",
               np.dtype(np.uint16): "bf16", np.dtype(np.bool_): "i1",
               np.dtype(np.int64): "i64"}


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
            # A writable view of the result's own memory, which it keeps alive.
            out = np.frombuffer(data, dtype=_NUMPY_TYPES[dtype])
            results.append(out.reshape(shape))
        return results[0] if len(results) == 1 else tuple(results)


def compile(text, pipeline="cpu", entry="", threads=0):
    """Compiles `entry` (default: the only public function, else `main`) of
    MLIR text with the `cpu` or `reference` pipeline, `gpu` (the kernels run
    on an NVIDIA GPU through the CUDA driver), or a pass pipeline that ends in
    the LLVM dialect."""
    return CompiledFunction(_attn_mlir.Kernel(text, pipeline, entry, threads))


_cache = {}
_cache_lock = threading.Lock()


def _tensor_type(shape, elt):
    return "tensor<" + "x".join(str(d) for d in shape) + "x" + elt + ">"


def _compiled(ir, pipeline="cpu"):
    """Compiles `ir` once; later calls with the same text reuse it."""
    with _cache_lock:
        fn = _cache.get((ir, pipeline))
        if fn is None:
            fn = _cache[(ir, pipeline)] = compile(ir, pipeline)
    return fn


def _float_type(name, x):
    if x.dtype not in _MLIR_TYPES or x.dtype == np.bool_:
        raise ValueError(f"{name} must be float32, float16 or uint16 (bf16), "
                         f"got {x.dtype}")
    return _MLIR_TYPES[x.dtype]


def _check_rank(name, x, rank):
    if x.ndim != rank:
        raise ValueError(f"{name} must have rank {rank}, got shape {x.shape}")


def _attrs(causal=False, scale=None, window=None, softcap=None):
    attrs = []
    if causal:
        attrs.append("causal")
    if scale is not None:
        attrs.append(f"scale = {float(scale)!r} : f32")
    if window is not None:
        attrs.append(f"window = array<i64: {int(window[0])}, {int(window[1])}>")
    if softcap is not None:
        attrs.append(f"softcap = {float(softcap)!r} : f32")
    return " {" + ", ".join(attrs) + "}" if attrs else ""


def _function(name, args, result, body):
    """func.func @name(%a0: T0, ...) -> result with `body` lines, returning %o."""
    params = ", ".join(f"%a{i}: {t}" for i, t in enumerate(args))
    lines = "".join(f"  {line}\n" for line in body)
    return (f"func.func @{name}({params}) -> {result} {{\n{lines}"
            f"  return %o : {result}\n}}\n")


def _mask_arg(mask):
    mask = np.ascontiguousarray(mask)
    if mask.dtype not in _MLIR_TYPES:
        raise ValueError(f"mask must be bool or float, got {mask.dtype}")
    if mask.ndim > 4:
        raise ValueError(f"mask must have rank <= 4, got shape {mask.shape}")
    return mask.reshape((1,) * (4 - mask.ndim) + mask.shape)


def sdpa(q, k, v, mask=None, causal=False, scale=None, window=None,
         softcap=None, device="cpu"):
    """softmax(q k^T * scale + mask) v over [batch, heads, seq, head_dim]
    arrays, as attn.sdpa: bottom-right causal, GQA from the head counts
    (k and v may have fewer heads than q), `mask` boolean (True keeps) or
    additive and broadcast from the right, `window` = (left, right),
    `softcap` > 0. float32, float16, or uint16 holding bf16. `device="cuda"`
    runs it on an NVIDIA GPU (float16 or bf16)."""
    if device not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'cpu' or 'cuda', got {device!r}")
    q, k, v = (np.ascontiguousarray(x) for x in (q, k, v))
    elt = _float_type("q", q)
    if k.dtype != q.dtype or v.dtype != q.dtype:
        raise ValueError("q, k and v must share one dtype")
    for name, x in (("q", q), ("k", k), ("v", v)):
        _check_rank(name, x, 4)
    args = [q, k, v]
    if mask is not None:
        args.append(_mask_arg(mask))
    types = [_tensor_type(x.shape, _MLIR_TYPES[x.dtype]) for x in args]
    result = _tensor_type(q.shape[:3] + (v.shape[3],), elt)
    operands = "%a0, %a1, %a2" + (" mask(%a3)" if mask is not None else "")
    op = (f"%o = attn.sdpa {operands}"
          f"{_attrs(causal, scale, window, softcap)} : "
          f"({', '.join(types)}) -> {result}")
    pipeline = "gpu" if device == "cuda" else "cpu"
    return _compiled(_function("sdpa", types, result, [op]), pipeline)(*args)


def mha(x, wq, wk, wv, wo, bq=None, bk=None, bv=None, bo=None, *,
        num_heads, num_kv_heads=None, kv=None, mask=None, causal=False,
        scale=None, window=None, softcap=None):
    """A multi-head attention block on x: [batch, seq, embed] with
    torch.nn.Linear weights (wq: [H*D, E], wk/wv: [Hkv*D, E], wo: [E', H*D])
    and optional biases; `kv` ([batch, seq_kv, embed]) gives cross
    attention. The projections, the fused attention and the output
    projection compile into one function."""
    x = np.ascontiguousarray(x)
    kv = x if kv is None else np.ascontiguousarray(kv)
    elt = _float_type("x", x)
    num_kv_heads = num_heads if num_kv_heads is None else num_kv_heads
    weights = [("wq", wq, 2), ("wk", wk, 2), ("wv", wv, 2), ("wo", wo, 2)]
    biases = [("bq", bq), ("bk", bk), ("bv", bv), ("bo", bo)]
    arrays = {"x": x, "kv": kv}
    for name, w, rank in weights:
        arrays[name] = np.ascontiguousarray(w)
        _check_rank(name, arrays[name], rank)
    for name, b in biases:
        if b is not None:
            arrays[name] = np.ascontiguousarray(b)
            _check_rank(name, arrays[name], 1)
    _check_rank("x", x, 3)
    _check_rank("kv", kv, 3)
    for name, a in arrays.items():
        if a.dtype != x.dtype:
            raise ValueError(f"{name} has dtype {a.dtype}, expected {x.dtype}")
    b, s, _ = x.shape
    skv = kv.shape[1]
    hd = arrays["wq"].shape[0]
    if num_heads < 1 or hd % num_heads:
        raise ValueError(f"num_heads ({num_heads}) must divide wq's rows ({hd})")
    d = hd // num_heads
    dv = arrays["wv"].shape[0] // max(num_kv_heads, 1)
    e_out = arrays["wo"].shape[0]

    names = ["x"] + ([] if kv is x else ["kv"]) + [
        n for n in ("wq", "bq", "wk", "bk", "wv", "bv", "wo", "bo")
        if n in arrays]
    index = {n: i for i, n in enumerate(names)}
    t = {n: _tensor_type(arrays[n].shape, elt) for n in names}

    def project(out, inp, w, bias, heads, seq, dim):
        ty = _tensor_type((b, heads, seq, dim), elt)
        in_name = "kv" if (inp == "kv" and "kv" in index) else "x"
        operands = [f"%a{index[in_name]}", f"%a{index[w]}"]
        types = [t[in_name], t[w]]
        bias_text = ""
        if bias in index:
            bias_text = f" bias(%a{index[bias]})"
            types.append(t[bias])
        return (f"{out} = attn.project {', '.join(operands)}{bias_text} "
                f"{{num_heads = {heads} : i64}} : ({', '.join(types)}) -> {ty}"), ty

    pq, tq = project("%q", "x", "wq", "bq", num_heads, s, d)
    pk, tk = project("%k", "kv", "wk", "bk", num_kv_heads, skv, d)
    pv, tv = project("%v", "kv", "wv", "bv", num_kv_heads, skv, dv)
    args = [arrays[n] for n in names]
    types = [t[n] for n in names]
    body = [pq, pk, pv]
    sdpa_operands, sdpa_types = "%q, %k, %v", [tq, tk, tv]
    if mask is not None:
        m = _mask_arg(mask)
        args.append(m)
        mt = _tensor_type(m.shape, _MLIR_TYPES[m.dtype])
        types.append(mt)
        sdpa_operands += f" mask(%a{len(args) - 1})"
        sdpa_types.append(mt)
    ta = _tensor_type((b, num_heads, s, dv), elt)
    body.append(f"%attn = attn.sdpa {sdpa_operands}"
                f"{_attrs(causal, scale, window, softcap)} : "
                f"({', '.join(sdpa_types)}) -> {ta}")
    result = _tensor_type((b, s, e_out), elt)
    out_types = [ta, t["wo"]]
    bias_text = ""
    if "bo" in index:
        bias_text = f" bias(%a{index['bo']})"
        out_types.append(t["bo"])
    body.append(f"%o = attn.output_project %attn, %a{index['wo']}{bias_text} : "
                f"({', '.join(out_types)}) -> {result}")
    return _compiled(_function("mha", types, result, body))(*args)
