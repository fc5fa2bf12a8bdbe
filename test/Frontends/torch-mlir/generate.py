#!/usr/bin/env python3
"""Exports the modules of test/lib/torch_models.py with torch-mlir's fx
importer, to linalg-on-tensors and to TOSA, into Inputs/<name>.<form>.mlir.
The checked-in files are what the lit tests next to this script read; run
this (in the environment of python/tools/setup-torch-env.sh) to regenerate
them:

    .venv/bin/python test/Frontends/torch-mlir/generate.py
"""

import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "lib"))
from torch_models import MODELS  # noqa: E402


def export(name, form, seed=0):
    from torch_mlir import fx

    model = MODELS[name]
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    module = model.build().eval()
    inputs = model.inputs(g)
    return str(fx.export_and_import(module, *inputs, output_type=form))


def main():
    out = os.path.join(HERE, "Inputs")
    os.makedirs(out, exist_ok=True)
    names = sys.argv[1:] or list(MODELS)
    for name in names:
        for form, suffix in (("linalg-on-tensors", "linalg"), ("tosa", "tosa")):
            try:
                text = export(name, form)
            except Exception as e:  # a form torch-mlir cannot export
                print(f"{name} {suffix}: not exported: {type(e).__name__}: "
                      f"{str(e).splitlines()[0] if str(e) else ''}")
                continue
            path = os.path.join(out, f"{name}.{suffix}.mlir")
            with open(path, "w") as f:
                f.write(text)
            print(f"{name} {suffix}: {len(text)} bytes")


if __name__ == "__main__":
    main()
