# ONNX attention graphs (MatMul/Transpose/Div-or-Mul/Add-or-Where/Softmax/
# MatMul chains, MatMul+Add and Gemm projections with Reshape/Transpose head
# split and merge, the opset-23 Attention op) through torch-mlir's ONNX
# importer to linalg-on-tensors and TOSA: --attn-raise must find one
# attn.sdpa, and the cpu pipeline must match the float64 oracle on fresh
# inputs.
# REQUIRES: torch-mlir, attn-run
# RUN: %torch_python %s

import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lib"))
from onnx_models import MODELS, import_onnx  # noqa: E402

rng = np.random.default_rng(int.from_bytes(os.urandom(4), "little"))
failures = count = 0


def run(cmd, **kw):
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]}: {proc.stderr.strip()[:500]}")
    return proc.stdout


def check(label, model, form, inputs, want, expected):
    """Imports `model`, counts what --attn-raise finds, runs the cpu
    pipeline on `inputs` (NumPy arrays) and compares with `want`."""
    global failures, count
    count += 1
    problems = []
    try:
        ir = import_onnx(model, form)
        n = run(["attn-opt", "--attn-raise"], input=ir).count("attn.sdpa")
        if n != expected:
            problems.append(f"{n} attn.sdpa, expected {expected}")
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "m.mlir")
            with open(src, "w") as f:
                f.write(ir)
            cmd = ["attn-run", src, "--pipeline=cpu", f"--output={tmp}/o.npy"]
            for i, x in enumerate(inputs):
                np.save(f"{tmp}/in{i}.npy", x)
                cmd.append(f"--input={tmp}/in{i}.npy")
            run(cmd)
            got = np.load(f"{tmp}/o.npy").astype(np.float64)
        rel = np.linalg.norm(got - want) / np.linalg.norm(want)
        if got.shape != want.shape or not rel <= 1e-5:
            problems.append(f"shape {got.shape} vs {want.shape}, rel_l2 {rel:.2e}")
    except Exception as e:  # noqa: BLE001
        problems.append(f"{type(e).__name__}: {str(e)[:400]}")
    print(f"{'FAIL' if problems else 'PASS'} {label}: "
          f"{'; '.join(problems) or 'raised, matches float64'}")
    failures += bool(problems)


for name, (build, expected) in MODELS.items():
    model, _, oracle = build()
    graph = model.graph
    init_names = {t.name for t in graph.initializer}
    inputs = []
    for vi in graph.input:
        if vi.name in init_names:
            continue
        shape = [d.dim_value for d in vi.type.tensor_type.shape.dim]
        if vi.type.tensor_type.elem_type == 9:  # BOOL
            m = rng.random(shape) < 0.8
            m[..., 0] = True
            inputs.append(m)
        else:
            inputs.append(rng.standard_normal(shape).astype(np.float32))
    want = oracle(*[x if x.dtype == bool else x.astype(np.float64) for x in inputs])
    for form in ("linalg-on-tensors", "tosa"):
        check(f"{name} {form}", model, form, inputs, want, expected)

# Exports of torch.onnx.export (the TorchScript exporter) of torch modules.
import io  # noqa: E402

import onnx  # noqa: E402
import torch  # noqa: E402
from torch_models import MODELS as TORCH_MODELS  # noqa: E402

for name in ("seed_003_self_attention", "mha_self", "sdpa_causal", "seed_004_masked"):
    model = TORCH_MODELS[name]
    g = torch.Generator().manual_seed(int(rng.integers(1 << 30)))
    torch.manual_seed(int(rng.integers(1 << 30)))
    module = model.build().eval()
    inputs = model.inputs(g)
    buf = io.BytesIO()
    torch.onnx.export(module, tuple(inputs), buf, dynamo=False, opset_version=17)
    proto = onnx.shape_inference.infer_shapes(onnx.load_from_string(buf.getvalue()))
    with torch.no_grad():
        want = module.double()(*[x.double() if x.is_floating_point() else x
                                 for x in inputs]).numpy()
    arrays = [x.float().numpy() if x.is_floating_point() else x.numpy() for x in inputs]
    check(f"torch.onnx.export {name}", proto, "linalg-on-tensors", arrays, want, 1)

print(f"{count - failures} passed, {failures} failed")
sys.exit(1 if failures or not count else 0)
