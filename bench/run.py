#!/usr/bin/env python3
"""Attention throughput of attn-run's pipelines against NumPy's unfused
formula, all measured in the same run on this machine.

    /usr/bin/python3 bench/run.py                  # default sweep
    /usr/bin/python3 bench/run.py --seq 256 512 --head-dim 64 --causal both

Prints one row per configuration: GFLOP/s of each kernel (attention FLOPs,
2*B*H*Sq*Sk*(D+Dv) times the kept fraction under causal masking) and the
ratio of each attn-run pipeline to NumPy.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "test", "lib"))
from attn_testing import sdpa_ir, tensor_type  # noqa: E402


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def attn_run(tool, ir, pipeline, runs, shapes, threads):
    with tempfile.NamedTemporaryFile("w", suffix=".mlir", delete=False) as f:
        f.write(ir)
        path = f.name
    try:
        cmd = [tool, path, "--random", f"--pipeline={pipeline}",
               f"--bench={runs}", "--json", f"--shapes={shapes}"]
        if threads:
            cmd.append(f"--threads={threads}")
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr.strip())
        return json.loads(proc.stdout)["bench"]
    finally:
        os.unlink(path)


def numpy_unfused(b, h, s, d, causal, runs):
    """softmax(Q K^T * scale) V in float32 with NumPy (BLAS matmuls)."""
    rng = np.random.default_rng(0)
    q, k, v = (rng.standard_normal((b, h, s, d), dtype=np.float32)
               for _ in range(3))
    mask = np.triu(np.ones((s, s), bool), 1) if causal else None
    scale = np.float32(1.0 / np.sqrt(d))

    def run():
        sc = np.matmul(q, k.transpose(0, 1, 3, 2)) * scale
        if mask is not None:
            sc[..., mask] = -np.inf
        sc -= sc.max(-1, keepdims=True)
        np.exp(sc, out=sc)
        sc /= sc.sum(-1, keepdims=True)
        return np.matmul(sc, v)

    run()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)) * 1e3


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--attn-run", default=os.path.join(HERE, "..", "build", "bin", "attn-run"))
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--heads", type=int, default=8)
    p.add_argument("--seq", type=int, nargs="+", default=[128, 256, 512])
    p.add_argument("--head-dim", type=int, nargs="+", default=[64])
    p.add_argument("--causal", choices=["no", "yes", "both"], default="both")
    p.add_argument("--pipelines", nargs="+", default=["cpu", "reference"])
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--threads", type=int, default=0)
    args = p.parse_args()

    print(f"CPU: {cpu_name()}, {os.cpu_count()} cores; NumPy {np.__version__}")
    causal_opts = {"no": [False], "yes": [True], "both": [False, True]}[args.causal]
    header = (["B", "H", "S", "D", "causal"] + [f"{x} GF/s" for x in args.pipelines]
              + ["numpy GF/s"] + [f"{x}/numpy" for x in args.pipelines])
    rows = []
    for s in args.seq:
        for d in args.head_dim:
            for causal in causal_opts:
                b, h = args.batch, args.heads
                t = tensor_type((b, h, s, d), "f32")
                ir = sdpa_ir(t, t, t, t, causal=causal)
                shapes = ",".join([f"{b}x{h}x{s}x{d}"] * 3)
                gf = {}
                flops = None
                for pipe in args.pipelines:
                    r = attn_run(args.attn_run, ir, pipe, args.runs, shapes, args.threads)
                    gf[pipe] = r["gflops"]
                    flops = r["flops"]
                np_ms = numpy_unfused(b, h, s, d, causal, args.runs)
                np_gf = flops / (np_ms * 1e-3) / 1e9
                rows.append([b, h, s, d, "yes" if causal else "no"]
                            + [f"{gf[x]:.2f}" for x in args.pipelines]
                            + [f"{np_gf:.2f}"]
                            + [f"{gf[x] / np_gf:.2f}x" for x in args.pipelines])
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)]
    fmt = "  ".join(f"{{:>{w}}}" for w in widths)
    print(fmt.format(*header))
    for row in rows:
        print(fmt.format(*row))


if __name__ == "__main__":
    main()
