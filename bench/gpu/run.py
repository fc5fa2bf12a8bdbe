#!/usr/bin/env python3
"""attn-mlir on an NVIDIA GPU against PyTorch's flash SDPA, same machine,
same run.

    python3 bench/gpu/run.py                 # the full table
    python3 bench/gpu/run.py --quick         # S=4096 D=128 f16 only

Needs the project built (scripts/build.sh: attn-run with the CUDA runtime,
which opens the driver at run time) and a PyTorch with CUDA. For each
problem (B=4, H=16, S in {1024, 4096, 8192}, D in {64, 128}, causal and not,
f16 and bf16):
  attn-mlir  attn-run --device=cuda --bench: the kernels' time from CUDA
             events (host<->device copies excluded)
  torch      F.scaled_dot_product_attention under
             sdpa_kernel(SDPBackend.FLASH_ATTENTION), CUDA events
Both get the same inputs, and attn-mlir's output is compared with torch's
before anything is timed. TFLOP/s count 4*B*H*S*S*D FLOPs, halved under
causal (the FlashAttention convention).

With --decode, it also times one grouped-query decoding step (B=1, H=32,
Hkv=8, Sq=1, Sk in {4096, 32768}, D=128), where attn-mlir splits the keys
across blocks, against torch's SDPA with enable_gqa=True (whichever backend
torch picks), in GB/s of K and V read.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(ROOT, "test", "lib"))
from attn_testing import decode, encode, sdpa_ir, tensor_type  # noqa: E402


def flops(b, h, s, d, causal):
    f = 4.0 * b * h * s * s * d
    return f / 2 if causal else f


def time_cuda(torch, fn, runs):
    """Median ms of `fn()` by CUDA events after 3 warm-up calls, and the
    output of its first call."""
    out = fn()
    for _ in range(3):
        fn()
    times = []
    for _ in range(runs):
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return float(np.median(times)), out


def torch_flash(torch, q, k, v, causal, runs):
    """Median ms of torch's flash SDPA and its output."""
    from torch.nn.attention import SDPBackend, sdpa_kernel
    F = torch.nn.functional
    with sdpa_kernel(SDPBackend.FLASH_ATTENTION):
        return time_cuda(torch, lambda: F.scaled_dot_product_attention(
            q, k, v, is_causal=causal), runs)


def attn_mlir(attn_run, tmp, arrays, dtype, b, h, s, d, causal, runs,
              hkv=None, sq=None):
    """Median kernel ms of attn-run --device=cuda and its output."""
    hkv, sq = hkv or h, sq or s
    qt = tensor_type((b, h, sq, d), dtype)
    kt = tensor_type((b, hkv, s, d), dtype)
    ir = sdpa_ir(qt, kt, kt, qt, causal=causal)
    src = os.path.join(tmp, "sdpa.mlir")
    with open(src, "w") as f:
        f.write(ir)
    cmd = [attn_run, src, "--device=cuda", "--json", f"--bench={runs}",
           f"--output={os.path.join(tmp, 'out.npy')}"]
    for i, a in enumerate(arrays):
        path = os.path.join(tmp, f"in{i}.npy")
        np.save(path, a)
        cmd.append(f"--input={path}")
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip())
    report = json.loads(proc.stdout)
    out = np.load(os.path.join(tmp, "out.npy"))
    return report["bench"]["median_ms"], report.get("device", "?"), out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--attn-run",
                   default=os.path.join(ROOT, "build", "bin", "attn-run"))
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--json", help="also write the rows to this file")
    p.add_argument("--decode", action="store_true",
                   help="also time grouped-query decoding steps")
    args = p.parse_args()

    try:
        import torch
    except ImportError:
        sys.exit("bench/gpu: needs PyTorch with CUDA (pip install torch)")
    if not torch.cuda.is_available():
        sys.exit("bench/gpu: torch sees no CUDA device")
    dev = torch.device("cuda")

    b, h = 4, 16
    seqs = [4096] if args.quick else [1024, 4096, 8192]
    dims = [128] if args.quick else [64, 128]
    dtypes = ["f16"] if args.quick else ["f16", "bf16"]
    rows = []
    header = (f"{'dtype':5} {'S':>5} {'D':>4} {'mask':6} {'attn-mlir':>10} "
              f"{'torch':>8} {'ratio':>6} {'rel_err':>8}")
    print(f"GPU: {torch.cuda.get_device_name()}  torch {torch.__version__}  "
          f"B={b} H={h}, TFLOP/s")
    print(header)
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        for dtype in dtypes:
            tdtype = torch.float16 if dtype == "f16" else torch.bfloat16
            for s in seqs:
                for d in dims:
                    x = [rng.standard_normal((b, h, s, d)).astype(np.float32)
                         for _ in range(3)]
                    arrays = [encode(a, dtype) for a in x]
                    qkv = [torch.from_numpy(decode(a, dtype)).to(dev, tdtype)
                           for a in arrays]
                    for causal in (False, True):
                        f = flops(b, h, s, d, causal)
                        t_ms, t_out = torch_flash(torch, *qkv, causal,
                                                  args.runs)
                        try:
                            a_ms, device, a_out = attn_mlir(
                                args.attn_run, tmp, arrays, dtype, b, h, s, d,
                                causal, args.runs)
                        except RuntimeError as e:
                            print(f"attn-run failed: {e}")
                            a_ms, a_out = float("nan"), None
                        want = t_out.float().cpu().numpy().astype(np.float64)
                        rel = float("nan")
                        if a_out is not None:
                            got = decode(a_out, dtype)
                            rel = float(np.linalg.norm(got - want) /
                                        np.linalg.norm(want))
                        a_tf = f / (a_ms * 1e-3) / 1e12
                        t_tf = f / (t_ms * 1e-3) / 1e12
                        mask = "causal" if causal else "full"
                        ok = rel < 2e-2
                        print(f"{dtype:5} {s:5} {d:4} {mask:6} "
                              f"{a_tf if ok else float('nan'):10.1f} "
                              f"{t_tf:8.1f} "
                              f"{(a_tf / t_tf) if ok else float('nan'):6.2f} "
                              f"{rel:8.1e}{'' if ok else '  WRONG'}")
                        rows.append(dict(dtype=dtype, S=s, D=d, causal=causal,
                                         attn_mlir_ms=a_ms, torch_ms=t_ms,
                                         attn_mlir_tflops=a_tf,
                                         torch_tflops=t_tf, rel_err=rel,
                                         ok=ok))
    if args.decode:
        decode_rows(torch, dev, args, dtypes, rng, rows)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(gpu=torch.cuda.get_device_name(),
                           torch=torch.__version__, rows=rows), f, indent=1)


def decode_rows(torch, dev, args, dtypes, rng, rows):
    """One decoding step of grouped-query attention: bandwidth-bound, so
    reported in GB/s of K and V read."""
    F = torch.nn.functional
    b, h, hkv, d = 1, 32, 8, 128
    print(f"\ndecode B={b} H={h} Hkv={hkv} Sq=1 D={d}, GB/s of K and V")
    print(f"{'dtype':5} {'Sk':>6} {'attn-mlir':>10} {'torch':>8} {'ratio':>6} "
          f"{'rel_err':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for dtype in dtypes:
            tdtype = torch.float16 if dtype == "f16" else torch.bfloat16
            for sk in (4096, 32768):
                x = [rng.standard_normal(shape).astype(np.float32)
                     for shape in ((b, h, 1, d), (b, hkv, sk, d),
                                   (b, hkv, sk, d))]
                arrays = [encode(a, dtype) for a in x]
                q, k, v = [torch.from_numpy(decode(a, dtype)).to(dev, tdtype)
                           for a in arrays]
                t_ms, out = time_cuda(
                    torch, lambda: F.scaled_dot_product_attention(
                        q, k, v, enable_gqa=True), args.runs)
                a_ms, _, a_out = attn_mlir(args.attn_run, tmp, arrays, dtype,
                                           b, h, sk, d, False, args.runs,
                                           hkv=hkv, sq=1)
                want = out.float().cpu().numpy().astype(np.float64)
                got = decode(a_out, dtype)
                rel = float(np.linalg.norm(got - want) / np.linalg.norm(want))
                gbytes = 2 * b * hkv * sk * d * 2 / 1e9
                ok = rel < 2e-2
                a_gbs = gbytes / (a_ms * 1e-3)
                t_gbs = gbytes / (t_ms * 1e-3)
                print(f"{dtype:5} {sk:6} {a_gbs if ok else float('nan'):10.1f} "
                      f"{t_gbs:8.1f} "
                      f"{(a_gbs / t_gbs) if ok else float('nan'):6.2f} "
                      f"{rel:8.1e}{'' if ok else '  WRONG'}")
                rows.append(dict(dtype=dtype, decode=True, Sk=sk,
                                 attn_mlir_ms=a_ms, torch_ms=t_ms,
                                 rel_err=rel, ok=ok))


if __name__ == "__main__":
    main()
