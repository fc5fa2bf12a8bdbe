# PyTorch modules through torch-mlir's fx importer (linalg-on-tensors and
# TOSA), fresh weights and inputs each run: --attn-raise must find the
# attention each module has (and leave look-alikes alone), and the cpu
# pipeline's result must match the module run in float64.
# REQUIRES: torch-mlir, attn-run
# RUN: %torch_python %s

import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lib"))
from torch_models import MODELS  # noqa: E402
from torch_mlir import fx  # noqa: E402

seed = int.from_bytes(os.urandom(4), "little")
failures = 0
count = 0


def run(cmd, **kw):
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:2])}: {proc.stderr.strip()}")
    return proc.stdout


def to_numpy(t):
    if t.dtype == torch.bool:
        return t.numpy()
    if t.dtype == torch.int64:
        return t.numpy().astype(np.int64)
    return t.detach().to(torch.float32).numpy()


def check(name, form, model, module, inputs):
    global failures, count
    count += 1
    try:
        ir = str(fx.export_and_import(module, *inputs, output_type=form))
        raised = run(["attn-opt", "--attn-raise"], input=ir)
        sdpa = [l for l in raised.splitlines() if "attn.sdpa" in l]
        problems = []
        n, attrs, absent = model.expect("tosa" if form == "tosa" else "linalg")
        if len(sdpa) != n:
            problems.append(f"{len(sdpa)} attn.sdpa, expected {n}")
        for a in attrs:
            if not all(a in l for l in sdpa):
                problems.append(f"attn.sdpa without '{a}'")
        for a in absent:
            if any(a in l for l in sdpa):
                problems.append(f"attn.sdpa with '{a}'")
        with torch.no_grad():
            want = module.double()(*[x.double() if x.is_floating_point() else x for x in inputs])
        want = want if isinstance(want, tuple) else (want,)
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "m.mlir")
            with open(src, "w") as f:
                f.write(ir)
            cmd = ["attn-run", src, "--pipeline=cpu"]
            for i, x in enumerate(inputs):
                path = os.path.join(tmp, f"in{i}.npy")
                np.save(path, to_numpy(x))
                cmd.append(f"--input={path}")
            outs = [os.path.join(tmp, f"out{i}.npy") for i in range(len(want))]
            cmd += [f"--output={o}" for o in outs]
            run(cmd)
            for i, (o, w) in enumerate(zip(outs, want)):
                got = np.load(o).astype(np.float64)
                w = w.numpy()
                if got.shape != w.shape or not np.isfinite(got).all():
                    problems.append(f"result {i}: shape {got.shape} vs {w.shape} or non-finite")
                    continue
                rel = np.linalg.norm(got - w) / max(np.linalg.norm(w), 1e-30)
                if rel > 1e-5:
                    problems.append(f"result {i}: rel_l2 {rel:.2e}")
    except Exception as e:  # noqa: BLE001
        problems = [f"{type(e).__name__}: {str(e)[:400]}"]
    status = "FAIL" if problems else "PASS"
    print(f"{status} {name} {form}: {'; '.join(problems) or f'{len(sdpa)} attn.sdpa, matches float64'}")
    if problems:
        failures += 1


for name, model in MODELS.items():
    if len(sys.argv) > 1 and sys.argv[1] not in name:
        continue
    g = torch.Generator().manual_seed(seed + hash(name) % 1000)
    torch.manual_seed(seed + hash(name) % 1000)
    module = model.build().eval()
    inputs = model.inputs(g)
    for form in ("linalg-on-tensors", "tosa"):
        check(name, form, model, module.float(), inputs)

print(f"{count - failures} passed, {failures} failed (seed {seed})")
sys.exit(1 if failures or count == 0 else 0)
