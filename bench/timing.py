"""Timing shared by the Python benchmarks.

The machines these run on are shared: a system's speed can drift by tens of
percent within a minute. Systems compared in one row are therefore timed in
alternating blocks, so that drift hits all of them alike. Each block starts
after a pause and an untimed call: after a call, the worker threads of the
runtimes (OpenMP, TBB, ONNX Runtime's pool) keep spinning for a while and
would slow the next system on a machine with few cores.
"""

import json
import subprocess
import time


def interleaved(fns, runs, block=3, settle=0.25):
    """Times each callable of the dict `fns` in `runs` rounds of a pause of
    `settle` seconds, one untimed and `block` timed calls each. Returns
    {name: (median s, min s)}."""
    times = {name: [] for name in fns}
    for _ in range(runs):
        for name, fn in fns.items():
            time.sleep(settle)
            fn()
            for _ in range(block):
                t0 = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - t0)
    return {name: (sorted(t)[len(t) // 2], min(t)) for name, t in times.items()}


def fma_peak(exe, threads, samples=3):
    """The best of `samples` runs of attn-bench-fma-peak (`exe`) on `threads`
    threads, as its JSON with `gflops_1` and `gflops_all` the best seen: a
    shared machine's neighbours only ever lower a sample (a vCPU held up for a
    few seconds halves the all-core figure)."""
    runs = [json.loads(subprocess.run([exe, str(threads)], capture_output=True,
                                      text=True, check=True).stdout)
            for _ in range(samples)]
    return dict(runs[0], gflops_1=max(r["gflops_1"] for r in runs),
                gflops_all=max(r["gflops_all"] for r in runs))
