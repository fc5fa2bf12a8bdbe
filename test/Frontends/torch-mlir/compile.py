# attn_mlir.torch.compile: a torch module through torch-mlir, raised and
# compiled, called on tensors; its report lists the fused attention. Fresh
# weights and inputs; results against the module in float64.
# REQUIRES: torch-mlir, python-package
# RUN: env PYTHONPATH=%attn_obj/python %torch_python %s

import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lib"))
import attn_mlir.torch as at  # noqa: E402
from torch_models import MODELS  # noqa: E402

failures = 0


def expect(cond, what):
    global failures
    print(("PASS " if cond else "FAIL ") + what)
    failures += not cond


def close(got, module, inputs):
    with torch.no_grad():
        want = module.double()(*[x.double() if x.is_floating_point() else x for x in inputs])
    module.float()
    got = got if isinstance(got, tuple) else (got,)
    want = want if isinstance(want, tuple) else (want,)
    return all(g.shape == w.shape and
               (torch.linalg.vector_norm(g.double() - w) /
                torch.linalg.vector_norm(w)).item() < 1e-5
               for g, w in zip(got, want))


g = torch.Generator().manual_seed(int.from_bytes(os.urandom(4), "little"))
for name, form in [("mha_key_padding", "linalg-on-tensors"), ("sdpa_causal", "linalg-on-tensors"),
                   ("seed_003_self_attention", "tosa"), ("seed_001_key_value_sizes", "linalg-on-tensors")]:
    model = MODELS[name]
    module = model.build().eval()
    inputs = model.inputs(g)
    f = at.compile(module, *inputs, output_type=form)
    n, attrs, _ = model.expect("tosa" if form == "tosa" else "linalg")
    expect(len(f.sites) == n, f"{name} {form}: {len(f.sites)} site(s) reported, expected {n}")
    if "causal" in attrs:
        expect(all(s.causal for s in f.sites), f"{name}: reported causal")
    if "mask(" in attrs:
        expect(all(s.mask for s in f.sites), f"{name}: reported mask")
    print(f.report())
    # Fresh inputs of the same shapes.
    fresh = model.inputs(g)
    expect(close(f(*fresh), module, fresh), f"{name} {form}: matches float64")

# No attention: compiled as written, still right.
mlp = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.GELU(), torch.nn.Linear(32, 8)).eval()
x = torch.randn(4, 16, generator=g)
f = at.compile(mlp, x)
expect(f.sites == [] and "no attention fused" in f.report(), "mlp: no attention reported")
expect(close(f(x), mlp, [x]), "mlp: matches float64")

try:
    at.compile(mlp, x, output_type="stablehlo")
    expect(False, "bad output_type rejected")
except ValueError as e:
    expect("output_type" in str(e), "bad output_type rejected")

print(f"{failures} failed")
sys.exit(1 if failures else 0)
