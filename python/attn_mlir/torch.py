"""attn_mlir on torch tensors: the same `sdpa` and `mha` as `attn_mlir`,
taking and returning CPU tensors (float32, float16 or bfloat16). Needs
PyTorch; `import attn_mlir.torch` raises ImportError without it."""

import re

import numpy as np
import torch

import attn_mlir

__all__ = ["sdpa", "mha", "Attention", "compile", "CompiledModule", "AttentionSite"]


def _to_numpy(t):
    if t is None:
        return None
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"expected a torch.Tensor, got {type(t).__name__}")
    t = t.detach().cpu().contiguous()
    if t.dtype == torch.bfloat16:
        # bf16 crosses as its bit pattern.
        return t.view(torch.int16).numpy().view(np.uint16)
    return t.numpy()


def _to_torch(a, dtype):
    if dtype == torch.bfloat16:
        return torch.from_numpy(a.view(np.int16)).view(torch.bfloat16)
    return torch.from_numpy(a)


def sdpa(q, k, v, mask=None, causal=False, scale=None, window=None,
         softcap=None):
    """attn_mlir.sdpa on tensors; see its docstring for the semantics."""
    out = attn_mlir.sdpa(_to_numpy(q), _to_numpy(k), _to_numpy(v),
                         mask=_to_numpy(mask), causal=causal, scale=scale,
                         window=window, softcap=softcap)
    return _to_torch(out, q.dtype)


def mha(x, wq, wk, wv, wo, bq=None, bk=None, bv=None, bo=None, *,
        num_heads, num_kv_heads=None, kv=None, mask=None, causal=False,
        scale=None, window=None, softcap=None):
    """attn_mlir.mha on tensors (torch.nn.Linear weight layout)."""
    out = attn_mlir.mha(
        _to_numpy(x), _to_numpy(wq), _to_numpy(wk), _to_numpy(wv),
        _to_numpy(wo), _to_numpy(bq), _to_numpy(bk), _to_numpy(bv),
        _to_numpy(bo), num_heads=num_heads, num_kv_heads=num_kv_heads,
        kv=_to_numpy(kv), mask=_to_numpy(mask), causal=causal, scale=scale,
        window=window, softcap=softcap)
    return _to_torch(out, x.dtype)


class Attention:
    """An attention block built from a module's torch.nn.Linear layers
    (query, key, value and output projections), compiled into one attn
    function (cached per input shape) and called on tensors:

        f = Attention(m.q_proj, m.k_proj, m.v_proj, m.out_proj, num_heads=8)
        y = f(x)               # self attention
        y = f(x, kv=memory)    # cross attention
    """

    def __init__(self, q, k, v, out, *, num_heads, num_kv_heads=None,
                 causal=False, scale=None, window=None, softcap=None):
        self._weights = [q.weight, k.weight, v.weight, out.weight]
        self._biases = [getattr(layer, "bias", None) for layer in (q, k, v, out)]
        self._options = dict(num_heads=num_heads, num_kv_heads=num_kv_heads,
                             causal=causal, scale=scale, window=window,
                             softcap=softcap)

    def __call__(self, x, kv=None, mask=None):
        with torch.no_grad():
            return mha(x, *self._weights, *self._biases, kv=kv, mask=mask,
                       **self._options)


# --- whole modules through torch-mlir -----------------------------------------


class AttentionSite:
    """One attention the compiler found and fused: the attn.sdpa it became."""

    def __init__(self, line):
        types = re.findall(r"tensor<([^>]*)>", line.split(" : ", 1)[1])
        shape = lambda t: tuple(int(d) if d != "?" else None for d in t.split("x")[:-1])
        self.query, self.key, self.value = (shape(t) for t in types[:3])
        self.dtype = types[0].split("x")[-1]
        self.mask = None
        if "mask(" in line:
            self.mask = (shape(types[3]), types[3].split("x")[-1])
        attrs = re.search(r"\{([^}]*)\}\s*:", line)
        attrs = attrs.group(1) if attrs else ""
        self.causal = bool(re.search(r"\bcausal\b", attrs))
        m = re.search(r"scale = ([-0-9.e+]+)", attrs)
        self.scale = float(m.group(1)) if m else None
        m = re.search(r"window = array<i64: (\d+), (\d+)>", attrs)
        self.window = (int(m.group(1)), int(m.group(2))) if m else None
        m = re.search(r"softcap = ([-0-9.e+]+)", attrs)
        self.softcap = float(m.group(1)) if m else None

    def __repr__(self):
        b, h, sq, d = self.query
        hkv, sk = self.key[1], self.key[2]
        parts = [f"B={b} H={h}" + (f"/{hkv}" if hkv != h else "") +
                 f" Sq={sq} Sk={sk} D={d} Dv={self.value[3]} {self.dtype}"]
        if self.mask:
            parts.append(f"mask {'x'.join(map(str, self.mask[0]))}x{self.mask[1]}")
        if self.causal:
            parts.append("causal")
        if self.window:
            parts.append(f"window {self.window}")
        if self.softcap:
            parts.append(f"softcap {self.softcap}")
        if self.scale is not None:
            parts.append(f"scale {self.scale:g}")
        return "attn.sdpa " + ", ".join(parts)


class CompiledModule:
    """A torch module compiled by attn-mlir; call it with tensors as the
    module. `sites` lists the attention it fused, `report()` describes it."""

    def __init__(self, fn, sites, ir):
        self._fn = fn
        self.sites = sites
        self.ir = ir

    def report(self):
        if not self.sites:
            return "no attention fused: compiled as written"
        lines = [f"{len(self.sites)} attention site(s) fused:"]
        lines += [f"  {site!r}" for site in self.sites]
        return "\n".join(lines)

    def __call__(self, *inputs):
        arrays = [_to_numpy(x) for x in inputs]
        out = self._fn(*arrays)
        outs = out if isinstance(out, tuple) else (out,)
        results = tuple(torch.from_numpy(np.ascontiguousarray(a)) for a in outs)
        return results[0] if len(results) == 1 else results


def compile(module, *example_inputs, output_type="linalg-on-tensors",
            pipeline="cpu", threads=0):
    """Exports `module` with torch-mlir's fx importer on `example_inputs`
    (fixed shapes), raises the attention it contains to attn.sdpa and
    compiles it with `pipeline`. Needs the `torch_mlir` package (see
    python/tools/setup-torch-env.sh). A module without attention compiles
    as written.

        f = attn_mlir.torch.compile(model, x)
        print(f.report())
        y = f(x)
    """
    try:
        from torch_mlir import fx
    except ImportError as e:
        raise ImportError("attn_mlir.torch.compile needs torch-mlir "
                          "(python/tools/setup-torch-env.sh)") from e
    if output_type not in ("linalg-on-tensors", "tosa"):
        raise ValueError(f"output_type must be 'linalg-on-tensors' or 'tosa', "
                         f"got {output_type!r}")
    was_training = module.training
    module.eval()
    try:
        ir = str(fx.export_and_import(module, *example_inputs,
                                      output_type=output_type))
    finally:
        module.train(was_training)
    raised = attn_mlir.opt(ir, "builtin.module(attn-raise)")
    sites = [AttentionSite(line) for line in raised.splitlines()
             if "attn.sdpa" in line]
    fn = attn_mlir.compile(ir, pipeline=pipeline, threads=threads)
    return CompiledModule(fn, sites, ir)
