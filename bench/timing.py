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


def call_times(fn, runs, seconds=0.0):
    """Seconds of each of at least `runs` calls of `fn`, lasting at least
    `seconds` in all, after an untimed one."""
    fn()
    times = []
    while len(times) < runs or sum(times) < seconds:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def take_turns(systems, rounds, settle=0.25, on_round=None):
    """Calls each callable of the dict `systems` once per round, in `rounds`
    rounds, in reverse order every other round (so that neither always runs
    right after the same neighbour), each call after a pause of `settle`
    seconds. Returns {name: [what each round's call returned]}; `on_round`,
    if given, is called after each round with its index, its order and the
    results so far."""
    results = {name: [] for name in systems}
    for r in range(rounds):
        order = list(systems) if r % 2 == 0 else list(systems)[::-1]
        for name in order:
            time.sleep(settle)
            results[name].append(systems[name]())
        if on_round:
            on_round(r, order, results)
    return results


def interleaved(fns, runs, block=3, settle=0.25):
    """Times each callable of the dict `fns` in `runs` rounds (take_turns),
    one untimed and `block` timed calls per turn. Returns
    {name: (median s, min s)} over all timed calls."""
    per_round = take_turns({name: (lambda fn=fn: call_times(fn, block))
                            for name, fn in fns.items()}, runs, settle)
    times = {name: sorted(t for turn_times in rounds for t in turn_times)
             for name, rounds in per_round.items()}
    return {name: (t[len(t) // 2], t[0]) for name, t in times.items()}


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
