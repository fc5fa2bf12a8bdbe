#!/usr/bin/env python3
"""Whole PyTorch modules compiled by attn-mlir through torch-mlir
(attn_mlir.torch.compile: export, --attn-raise, cpu pipeline) against torch
eager and torch.compile (inductor, CPU), all measured in this run. Needs the
environment of python/tools/setup-torch-env.sh:

    PYTHONPATH=build/python .venv/bin/python bench/frontends.py [--quick]

Modules: seed 002's Transformer attention layer (q/k/v/out projections,
unscaled as the article runs it) and nn.MultiheadAttention, d_model 512,
8 heads, batch 4, S 1024 (--quick: S 256). Every output is checked against
the module in float64 before it is timed.
"""

import argparse
import os
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "test", "lib"))
sys.path.insert(0, HERE)
import attn_mlir.torch as at  # noqa: E402
from run import cpu_flags, cpu_name  # noqa: E402
from timing import interleaved  # noqa: E402
from torch_models import TorchMHA, TransformerMHA  # noqa: E402


class SelfMHA(torch.nn.Module):
    def __init__(self, e, h):
        super().__init__()
        self.m = TorchMHA(e, h)

    def forward(self, x):
        return self.m(x, x, x)


class SelfTransformer(torch.nn.Module):
    def __init__(self, e, h):
        super().__init__()
        self.m = TransformerMHA(e, h)

    def forward(self, x):
        return self.m(x, x, x)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--runs", type=int, default=4)
    args = p.parse_args()
    threads = os.cpu_count()
    torch.set_num_threads(threads)
    B, S, E, H = 4, (256 if args.quick else 1024), 512, 8
    print(f"CPU: {cpu_name()}; {threads} cores; {', '.join(cpu_flags())}; "
          f"torch {torch.__version__}; B={B} S={S} E={E} H={H} f32")
    rows = []
    for name, module in (("seed 002 Transformer attention", SelfTransformer(E, H)),
                         ("nn.MultiheadAttention", SelfMHA(E, H))):
        torch.manual_seed(0)
        module = module.eval()
        x = torch.randn(B, S, E) * 0.3
        with torch.no_grad():
            want = module.double()(x.double())
            module.float()
            t0 = time.perf_counter()
            f = at.compile(module, x)
            compile_s = time.perf_counter() - t0
            got = f(x)
            err = (torch.linalg.vector_norm(got.double() - want) /
                   torch.linalg.vector_norm(want)).item()
            inductor = torch.compile(module)
            ind_err = (torch.linalg.vector_norm(inductor(x).double() - want) /
                       torch.linalg.vector_norm(want)).item()
            times = interleaved({"attn": lambda: f(x), "eager": lambda: module(x),
                                 "inductor": lambda: inductor(x)}, args.runs)
            t_attn, eager, t_ind = (times[k][0] for k in ("attn", "eager", "inductor"))
        print(f.report())
        rows.append((name, t_attn, eager, t_ind, err, ind_err, compile_s))
        print(f"{name}: attn-mlir {t_attn*1e3:.1f} ms (rel err {err:.1e}, compile {compile_s:.1f} s), "
              f"eager {eager*1e3:.1f} ms, torch.compile {t_ind*1e3:.1f} ms (rel err {ind_err:.1e})",
              flush=True)
    print()
    print(f"{'module':32} {'attn-mlir':>10} {'eager':>10} {'inductor':>10} {'vs eager':>9} {'vs inductor':>12}")
    for name, ta, te, ti, *_ in rows:
        print(f"{name:32} {ta*1e3:9.1f}ms {te*1e3:9.1f}ms {ti*1e3:9.1f}ms {te/ta:8.2f}x {ti/ta:11.2f}x")
    print("median of --runs rounds of 3 calls per system; ratios > 1: attn-mlir is faster.")


if __name__ == "__main__":
    main()
