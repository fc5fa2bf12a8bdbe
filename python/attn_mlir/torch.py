"""attn_mlir on torch tensors: the same `sdpa` and `mha` as `attn_mlir`,
taking and returning CPU tensors (float32, float16 or bfloat16). Needs
PyTorch; `import attn_mlir.torch` raises ImportError without it."""

import numpy as np
import torch

import attn_mlir

__all__ = ["sdpa", "mha", "Attention"]


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
