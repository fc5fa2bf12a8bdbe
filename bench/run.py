#!/usr/bin/env python3
"""attn-mlir CPU attention benchmark: every number measured in this run.

    /usr/bin/python3 bench/run.py              # the full table (~10 minutes)
    /usr/bin/python3 bench/run.py --quick      # S=512 and 2048, D=128 only

Kernels, per configuration:
  cpu        attn-run --pipeline=cpu (fused flash kernel, all cores)
  reference  attn-run --pipeline=reference (unfused loops; S <= --reference-max-seq)
  blas       C++ unfused on OpenBLAS: sgemm, softmax (OpenMP), sgemm
  numpy      NumPy's unfused formula (float32, BLAS matmuls)
  torch      PyTorch eager scaled_dot_product_attention (if importable)
and the machine's FMA peak (bench/fma_peak.c) and OpenBLAS sgemm rate.
GFLOP/s use attention FLOPs, 2*B*H*Sq*Sk*(D+Dv) times the kept fraction.
The systems of a row take turns in --rounds rounds (in reverse order every
other round), each turn a --settle pause and at least --runs calls lasting
--seconds; a cell is the median over the rounds of each turn's median, and
a ratio the median of the per-round ratios, so that a shared machine's slow
minutes, which hit whichever system runs then, cancel out of the ratios.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")
sys.path.insert(0, os.path.join(ROOT, "test", "lib"))
from attn_testing import sdpa_ir, tensor_type  # noqa: E402
sys.path.insert(0, HERE)
from timing import call_times, fma_peak, take_turns  # noqa: E402


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = line.split(":", 1)[1].split()
                    return [x for x in ("avx2", "fma", "avx512f", "avx512_bf16")
                            if x in flags]
    except OSError:
        pass
    return []


def run_json(cmd, env=None):
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {proc.stderr.strip()}")
    return json.loads(proc.stdout)


class Config:
    def __init__(self, b, h, hkv, sq, sk, d, causal, dtype):
        self.b, self.h, self.hkv, self.sq, self.sk, self.d = b, h, hkv, sq, sk, d
        self.causal, self.dtype = causal, dtype

    def kept_pairs(self):
        if not self.causal:
            return self.sq * self.sk
        off = self.sk - self.sq
        return sum(max(0, min(self.sk, i + off + 1)) for i in range(self.sq))

    def flops(self):
        return 2.0 * self.b * self.h * self.kept_pairs() * (2 * self.d)

    def label(self):
        kv = f"/{self.hkv}" if self.hkv != self.h else ""
        return (f"B={self.b} H={self.h}{kv} Sq={self.sq} Sk={self.sk} "
                f"D={self.d} {'causal' if self.causal else 'full'} {self.dtype}")


def attn_run(args, cfg, pipeline, runs, threads=None):
    q = tensor_type((cfg.b, cfg.h, cfg.sq, cfg.d), cfg.dtype)
    kv = tensor_type((cfg.b, cfg.hkv, cfg.sk, cfg.d), cfg.dtype)
    ir = sdpa_ir(q, kv, kv, q, causal=cfg.causal)
    with tempfile.NamedTemporaryFile("w", suffix=".mlir", delete=False) as f:
        f.write(ir)
        path = f.name
    try:
        cmd = [args.attn_run, path, "--random", f"--pipeline={pipeline}",
               f"--bench={runs}", "--json"]
        if threads:
            cmd.append(f"--threads={threads}")
        return run_json(cmd)["bench"]["gflops"]
    finally:
        os.unlink(path)


def numpy_unfused(cfg):
    """A callable that runs NumPy's unfused formula on fixed random inputs."""
    rng = np.random.default_rng(0)
    g = cfg.h // cfg.hkv
    q = rng.standard_normal((cfg.b, cfg.h, cfg.sq, cfg.d), dtype=np.float32)
    k = rng.standard_normal((cfg.b, cfg.hkv, cfg.sk, cfg.d), dtype=np.float32)
    v = rng.standard_normal((cfg.b, cfg.hkv, cfg.sk, cfg.d), dtype=np.float32)
    k, v = np.repeat(k, g, axis=1), np.repeat(v, g, axis=1)
    off = cfg.sk - cfg.sq
    mask = (np.arange(cfg.sk)[None, :] > np.arange(cfg.sq)[:, None] + off
            if cfg.causal else None)
    scale = np.float32(1.0 / np.sqrt(cfg.d))

    def run():
        s = np.matmul(q, k.transpose(0, 1, 3, 2)) * scale
        if mask is not None:
            s[..., mask] = -np.inf
        s -= s.max(-1, keepdims=True)
        np.exp(s, out=s)
        s /= s.sum(-1, keepdims=True)
        return np.matmul(s, v)

    return run


def torch_eager(cfg):
    """A callable that runs PyTorch's eager attention on fixed random inputs,
    or None without torch."""
    try:
        import torch
    except ImportError:
        return None
    dt = {"f32": torch.float32, "bf16": torch.bfloat16}[cfg.dtype]
    q = torch.randn(cfg.b, cfg.h, cfg.sq, cfg.d, dtype=dt)
    k = torch.randn(cfg.b, cfg.hkv, cfg.sk, cfg.d, dtype=dt)
    v = torch.randn(cfg.b, cfg.hkv, cfg.sk, cfg.d, dtype=dt)
    g = cfg.h // cfg.hkv
    k, v = k.repeat_interleave(g, 1), v.repeat_interleave(g, 1)
    mask = None
    if cfg.causal:  # bottom-right, as attn.sdpa
        off = cfg.sk - cfg.sq
        mask = (torch.arange(cfg.sk)[None, :]
                <= torch.arange(cfg.sq)[:, None] + off)
    f = getattr(torch.nn.functional, "scaled_dot_product_attention", None)
    if f is None:  # torch < 2.0: eager's unfused formula
        scale = cfg.d ** -0.5

        def f(q, k, v, attn_mask=None):
            s = torch.matmul(q, k.transpose(-2, -1)) * scale
            if attn_mask is not None:
                s = s.masked_fill(~attn_mask, float("-inf"))
            return torch.matmul(torch.softmax(s, -1), v)

    def run():
        with torch.no_grad():
            return f(q, k, v, attn_mask=mask)

    return run


def show_round(r, order, results):
    """--verbose: one round's GFLOP/s, in the order the systems ran."""
    print(f"  round {r}: " + ", ".join(
        f"{n} {results[n][-1]:.1f}" for n in order), flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    bindir = os.path.join(ROOT, "build", "bin")
    p.add_argument("--attn-run", default=os.path.join(bindir, "attn-run"))
    p.add_argument("--bin", default=bindir)
    p.add_argument("--runs", type=int, default=3,
                   help="least timed calls per system and round (median)")
    p.add_argument("--rounds", type=int, default=3,
                   help="rounds in which the systems of a row take turns")
    p.add_argument("--seconds", type=float, default=0.5,
                   help="least time of timed calls per system and round")
    p.add_argument("--settle", type=float, default=0.25,
                   help="seconds of pause before each system's turn")
    p.add_argument("--verbose", action="store_true",
                   help="print every round's GFLOP/s")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--reference-max-seq", type=int, default=1024)
    args = p.parse_args()

    threads = os.cpu_count()
    peak = fma_peak(os.path.join(args.bin, "attn-bench-fma-peak"), threads)
    print(f"CPU: {cpu_name()}; {threads} cores; {', '.join(cpu_flags())}")
    print(f"FMA peak ({peak['isa']}): {peak['gflops_1']:.1f} GFLOP/s on 1 "
          f"thread, {peak['gflops_all']:.1f} on {threads}")
    try:
        import torch
        # On every core, as attn-mlir (Debian's 1.13 takes one on some VMs).
        torch.set_num_threads(threads)
        print(f"torch {torch.__version__} on {threads} threads")
    except ImportError:
        pass

    seqs = [512, 2048] if args.quick else [512, 1024, 2048, 4096]
    dims = [128] if args.quick else [64, 128]
    configs = [Config(1, 8, 8, s, s, d, c, "f32")
               for s in seqs for d in dims for c in (False, True)]
    configs += [Config(1, 8, 8, 2048, 2048, 128, False, "bf16"),
                Config(1, 32, 8, 1, 4096, 128, False, "f32"),
                Config(1, 32, 8, 1, 4096, 128, False, "bf16")]

    blas = os.path.join(args.bin, "attn-bench-unfused-blas")
    sgemm = None
    header = ["config", "cpu", "%peak", "ref", "blas", "numpy", "torch",
              "cpu/ref", "cpu/blas", "cpu/numpy", "cpu/torch"]
    rows = []
    for cfg in configs:
        npy_fn = numpy_unfused(cfg) if cfg.dtype == "f32" else None
        tch_fn = torch_eager(cfg)
        # Calls per turn for the programs that take a count: enough for
        # --seconds at half the FMA peak. A handful of short calls gives a
        # noisy median (S=1024 D=128 causal, two threads: 111-161 GFLOP/s
        # over three attn-run processes of 5 calls, 140-154 over 40).
        runs = max(args.runs, int(np.ceil(
            args.seconds * 0.5 * peak["gflops_all"] * 1e9 / cfg.flops())))
        systems = {"cpu": lambda: attn_run(args, cfg, "cpu", runs)}
        if cfg.dtype == "f32" and cfg.sq == cfg.sk and cfg.h == cfg.hkv:
            def blas_run():
                nonlocal sgemm
                r = run_json([blas, str(cfg.b), str(cfg.h), str(cfg.sq),
                              str(cfg.d), str(int(cfg.causal)), str(runs)])
                sgemm = r["sgemm_gflops"]
                return r["gflops"]
            systems["blas"] = blas_run
        def rate(fn):
            times = call_times(fn, args.runs, args.seconds)
            return cfg.flops() / float(np.median(times)) / 1e9

        if npy_fn is not None:
            systems["numpy"] = lambda: rate(npy_fn)
        if tch_fn is not None:
            systems["torch"] = lambda: rate(tch_fn)
        # The pause: runtimes' worker threads spin for a while after a call
        # (OpenBLAS, OpenMP); the next system would share the cores with
        # them.
        per_round = take_turns(systems, args.rounds, args.settle,
                               show_round if args.verbose else None)
        # The unfused reference loops are slow: one run, outside the rounds.
        ref = (attn_run(args, cfg, "reference", 1)
               if cfg.sq * cfg.sk <= args.reference_max_seq ** 2 else None)
        gflops = {name: float(np.median(v)) for name, v in per_round.items()}
        cpu = gflops["cpu"]

        def fmt(x):
            return "-" if x is None else f"{x:.1f}"

        def ratio(name):
            if name not in per_round:
                return "-"
            paired = np.divide(per_round["cpu"], per_round[name])
            return f"{np.median(paired):.2f}x"

        rows.append([cfg.label(), fmt(cpu), f"{100 * cpu / peak['gflops_all']:.0f}%",
                     fmt(ref), fmt(gflops.get("blas")), fmt(gflops.get("numpy")),
                     fmt(gflops.get("torch")),
                     "-" if ref is None else f"{cpu / ref:.2f}x", ratio("blas"),
                     ratio("numpy"), ratio("torch")])
        print(" | ".join(rows[-1]), flush=True)

    print()
    if sgemm:
        print(f"OpenBLAS sgemm (1024^3): {sgemm:.1f} GFLOP/s "
              f"({100 * sgemm / peak['gflops_all']:.0f}% of peak)")
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)]
    line = "  ".join(f"{{:<{widths[0]}}}" if i == 0 else f"{{:>{w}}}"
                     for i, w in enumerate(widths))
    print(line.format(*header))
    for row in rows:
        print(line.format(*row))
    print("GFLOP/s; '-': not measured (reference past --reference-max-seq, "
          "baselines without GQA/bf16 support, torch not installed)")


if __name__ == "__main__":
    main()
