#!/usr/bin/env python3
"""Raised vs. not raised: attention written in upstream ops, compiled by the
cpu pipeline with --attn-raise (the default) and without it (raise=false),
beside the same attention written as attn.sdpa, all measured in this run.

    /usr/bin/python3 bench/raise.py            # the table (about a minute)
    /usr/bin/python3 bench/raise.py --quick    # smaller problems

Graphs come from test/lib/unfused_ir.py: 4-D linalg generics (as torch-mlir
emits them), 3-D batch_matmul (heads folded into the batch), TOSA, and
grouped-query heads written as a repeat of the K/V heads. Times are the
fastest of --runs runs (the VM is noisy); GFLOP/s count
4*B*H*Sq*Sk*D, times the kept fraction under causal masking.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")
sys.path.insert(0, os.path.join(ROOT, "test", "lib"))
sys.path.insert(0, HERE)
from attn_testing import sdpa_ir, tensor_type  # noqa: E402
from run import cpu_flags, cpu_name, run_json  # noqa: E402
from unfused_ir import unfused_linalg, unfused_tosa  # noqa: E402


def bench(args, ir, pipeline, runs):
    with tempfile.NamedTemporaryFile("w", suffix=".mlir", delete=False) as f:
        f.write(ir)
        path = f.name
    try:
        out = run_json([args.attn_run, path, "--random", f"--pipeline={pipeline}",
                        f"--bench={runs}", "--json"])
        return out["bench"]["min_ms"]
    finally:
        os.unlink(path)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    bindir = os.path.join(ROOT, "build", "bin")
    p.add_argument("--attn-run", default=os.path.join(bindir, "attn-run"))
    p.add_argument("--bin", default=bindir)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--quick", action="store_true")
    args = p.parse_args()

    threads = os.cpu_count()
    peak = run_json([os.path.join(args.bin, "attn-bench-fma-peak"), str(threads)])
    print(f"CPU: {cpu_name()}; {threads} cores; {', '.join(cpu_flags())}")
    print(f"FMA peak ({peak['isa']}): {peak['gflops_all']:.1f} GFLOP/s on {threads} threads")

    s_big = 1024 if args.quick else 2048
    # (label, builder, kwargs, (B, H, Hkv, Sq, Sk, D), causal)
    cases = [
        ("linalg 4-D", unfused_linalg, dict(rank=4, qk="map", pv="generic"), (1, 8, 8, 512, 512, 64), False),
        ("linalg 4-D", unfused_linalg, dict(rank=4, qk="map", pv="generic"), (1, 8, 8, s_big, s_big, 128), False),
        ("linalg 4-D causal", unfused_linalg, dict(rank=4, qk="transpose", pv="generic", mask="causal"),
         (1, 8, 8, s_big, s_big, 128), True),
        ("linalg 3-D batch_matmul", unfused_linalg, dict(rank=3, qk="transpose", pv="named"),
         (1, 8, 8, 1024, 1024, 64), False),
        ("linalg GQA repeat, decode", unfused_linalg, dict(rank=4, qk="map", pv="generic"),
         (1, 32, 8, 1, 4096, 128), False),
        ("tosa 3-D", unfused_tosa, {}, (1, 8, 8, 1024, 1024, 64), False),
    ]
    header = ["graph", "shape", "raised", "not raised", "attn.sdpa", "raised/not", "raised/sdpa"]
    rows = []
    for label, build, kw, (b, h, hkv, sq, sk, d), causal in cases:
        if build is unfused_tosa:
            ir, _, _ = build(N=b * h, Sq=sq, Sk=sk, D=d)
        else:
            ir, _, _ = build(B=b, H=h, Hkv=hkv, Sq=sq, Sk=sk, D=d, **kw)
        kept = sq * sk
        if causal:
            kept = sum(min(sk, i + sk - sq + 1) for i in range(sq))
        flops = 4.0 * b * h * kept * d
        q = tensor_type((b, h, sq, d), "f32")
        kv = tensor_type((b, hkv, sk, d), "f32")
        native = sdpa_ir(q, kv, kv, q, causal=causal)
        t_raised = bench(args, ir, "cpu", args.runs)
        t_plain = bench(args, ir, "attn-cpu-pipeline{raise=false}", 1)
        t_native = bench(args, native, "cpu", args.runs)
        g = lambda ms: flops / (ms * 1e-3) / 1e9
        shape = f"B={b} H={h}" + (f"/{hkv}" if hkv != h else "") + f" Sq={sq} Sk={sk} D={d}"
        rows.append([label, shape, f"{g(t_raised):.1f}", f"{g(t_plain):.2f}", f"{g(t_native):.1f}",
                     f"{t_plain / t_raised:.1f}x", f"{t_native / t_raised:.2f}x"])
        print(" | ".join(rows[-1]), flush=True)

    print()
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)]
    line = "  ".join(f"{{:<{w}}}" if i < 2 else f"{{:>{w}}}" for i, w in enumerate(widths))
    print(line.format(*header))
    for row in rows:
        print(line.format(*row))
    print("GFLOP/s, f32, all cores. raised: cpu pipeline (raises first); not raised: "
          "attn-cpu-pipeline{raise=false} on the same graph; attn.sdpa: the same "
          "attention written as attn.sdpa. Ratios are of times (higher: raised is faster).")


if __name__ == "__main__":
    main()
