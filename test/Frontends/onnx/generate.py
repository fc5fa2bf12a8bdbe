#!/usr/bin/env python3
"""Imports the ONNX graphs of test/lib/onnx_models.py with torch-mlir's ONNX
importer into Inputs/<name>.<linalg|tosa>.mlir, checked in for raise.test.
Run in the environment of python/tools/setup-torch-env.sh:

    .venv/bin/python test/Frontends/onnx/generate.py
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "lib"))
from onnx_models import MODELS, import_onnx  # noqa: E402

for name, (build, _) in MODELS.items():
    model = build()[0]
    for form, suffix in (("linalg-on-tensors", "linalg"), ("tosa", "tosa")):
        with open(os.path.join(HERE, "Inputs", f"{name}.{suffix}.mlir"), "w") as f:
            f.write(import_onnx(model, form))
        print(name, suffix)
