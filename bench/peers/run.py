#!/usr/bin/env python3
"""attn-mlir's cpu pipeline beside the CPU attention a user could pick
instead, all measured in this run on the same inputs:

  attn-mlir      attn.sdpa through the cpu pipeline (attn_mlir.compile)
  torch          torch.nn.functional.scaled_dot_product_attention, eager
  torch.compile  the same function under torch.compile (inductor)
  openvino       opset-13 ScaledDotProductAttention compiled for CPU
  onnxruntime    the opset-23 Attention op, CPU execution provider
  jax            jax.nn.dot_product_attention under jit
  iree           the torch SDPA exported by iree-turbine, llvm-cpu, host CPU

Setup once (a virtual environment of this benchmark's own), then run:

  bench/peers/setup.sh
  PYTHONPATH=build/python bench/peers/.venv/bin/python bench/peers/run.py

Every system's output is checked against a float64 NumPy oracle on the same
inputs before it is timed; one that computes something else is reported,
not timed. Every system runs in a process of its own, per thread count:
runtimes' thread pools that share a process slow each other's calls (small
calls by 2x, measured), JAX reads its thread settings at import, and
torch.compile and IREE bring LLVMs of their own. The processes stay alive
side by side, and the parent alternates them within each problem (15 rounds
of one ~0.1 s block of calls per system), so that a shared machine's drift
hits every system of a row alike: on a VM whose neighbours slow it in spells
of 0.1-1 s, fewer and longer blocks let one system's median land in a slow
spell that the others missed. The ratio column compares medians; the
"paired" column compares attn-mlir with each peer round by round (the
median of the per-round ratios of block medians, the smallest over the
peers), so that a slow spell spanning a round cancels out of it.
`--shared-process` times torch, OpenVINO, ONNX
Runtime, JAX and attn-mlir interleaved in one process instead. GFLOP/s count 4*B*H*D per kept (query, key) pair: half of the
square under causal masking, the window under a sliding window.
"""

import argparse
import json
import math
import os
import re
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "test", "lib"))
sys.path.insert(0, os.path.join(ROOT, "bench"))

SYSTEMS = ["attn-mlir", "torch", "torch.compile", "openvino", "onnxruntime",
           "jax", "iree"]
TOLERANCE = {"f32": 2e-3, "bf16": 4e-2}


class Problem:
    def __init__(self, b, h, hkv, sq, sk, d, causal=False, window=None,
                 dtype="f32"):
        self.b, self.h, self.hkv, self.sq, self.sk, self.d = b, h, hkv, sq, sk, d
        self.causal, self.window, self.dtype = causal, window, dtype

    def kept_pairs(self):
        off = self.sk - self.sq
        i = np.arange(self.sq)
        hi = np.minimum(self.sk - 1, i + off) if self.causal else \
            np.full(self.sq, self.sk - 1)
        lo = np.zeros(self.sq, np.int64)
        if self.window is not None:
            lo = np.maximum(lo, i + off - self.window[0])
            hi = np.minimum(hi, i + off + self.window[1])
        return int(np.maximum(hi - lo + 1, 0).sum())

    def flops(self):
        return 4.0 * self.b * self.h * self.kept_pairs() * self.d

    def label(self):
        kv = f"/{self.hkv}" if self.hkv != self.h else ""
        mask = ("causal" if self.causal else "full") if self.window is None \
            else f"window {self.window[0] + 1}"
        return (f"B={self.b} H={self.h}{kv} Sq={self.sq} Sk={self.sk} "
                f"D={self.d} {mask} {self.dtype}")


def problems(quick, dtypes, only=None):
    """The problems of the table; `only` (a regular expression) keeps those
    whose label it matches."""
    out = []
    for dt in dtypes:
        seqs = (2048,) if quick else (512, 2048, 4096)
        heads = (128,) if quick else (64, 128)
        for d in heads:
            for s in seqs:
                for causal in (False, True):
                    out.append(Problem(1, 8, 8, s, s, d, causal, dtype=dt))
        if not quick:
            out.append(Problem(4, 16, 16, 512, 512, 64, dtype=dt))
        for sk in ((4096,) if quick else (4096, 32768)):
            out.append(Problem(1, 32, 8, 1, sk, 128, dtype=dt))
        if not quick:
            out.append(Problem(1, 8, 8, 8192, 8192, 128, causal=True,
                               window=(511, 0), dtype=dt))
    if only:
        out = [p for p in out if re.search(only, p.label())]
    return out


def selected_problems(args):
    """problems() as the command line selects them."""
    return problems(args.quick, args.dtypes.split(","), args.only)


# ----------------------------------------------------------------------------
# Inputs and the oracle


def to_bf16(x):
    """float32 -> float32 values rounded to bf16 (round to nearest even)."""
    bits = np.asarray(x, np.float32).view(np.uint32)
    bits = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000
    return bits.view(np.float32)


def draw(p, seed):
    rng = np.random.default_rng(seed)
    q = rng.standard_normal((p.b, p.h, p.sq, p.d), dtype=np.float32)
    k = rng.standard_normal((p.b, p.hkv, p.sk, p.d), dtype=np.float32)
    v = rng.standard_normal((p.b, p.hkv, p.sk, p.d), dtype=np.float32)
    if p.dtype == "bf16":
        q, k, v = to_bf16(q), to_bf16(k), to_bf16(v)
    return q, k, v


def oracle_rows(p):
    """The query rows the oracle checks: all when cheap, else a sample."""
    if p.sq <= 256:
        return np.arange(p.sq)
    rng = np.random.default_rng(1)
    return np.unique(np.concatenate([[0, p.sq - 1],
                                     rng.integers(0, p.sq, 126)]))


def oracle(p, q, k, v, rows):
    """softmax(q k^T / sqrt(d) + masks) v in float64, at `rows`."""
    g = p.h // p.hkv
    off = p.sk - p.sq
    out = np.zeros((p.b, p.h, len(rows), p.d))
    j = np.arange(p.sk)
    keep = np.ones((len(rows), p.sk), bool)
    if p.causal:
        keep &= j[None, :] <= rows[:, None] + off
    if p.window is not None:
        keep &= (j[None, :] >= rows[:, None] + off - p.window[0]) & \
                (j[None, :] <= rows[:, None] + off + p.window[1])
    for b in range(p.b):
        for h in range(p.h):
            qq = q[b, h, rows].astype(np.float64)
            kk = k[b, h // g].astype(np.float64)
            vv = v[b, h // g].astype(np.float64)
            s = qq @ kk.T / np.sqrt(p.d)
            s = np.where(keep, s, -np.inf)
            s = np.exp(s - s.max(-1, keepdims=True))
            out[b, h] = (s / s.sum(-1, keepdims=True)) @ vv
    return out


class Unsupported(Exception):
    pass


# ----------------------------------------------------------------------------
# Systems: each returns a callable computing [B, H, Sq, D] as a NumPy array
# (conversions of the result are outside the timed call where the API
# allows).


def sys_attn_mlir(p, q, k, v, threads):
    import attn_mlir
    from attn_testing import sdpa_ir, tensor_type
    elt = "bf16" if p.dtype == "bf16" else "f32"
    qt = tensor_type(q.shape, elt)
    kt = tensor_type(k.shape, elt)
    ir = sdpa_ir(qt, kt, kt, qt, causal=p.causal, window=p.window)
    fn = attn_mlir.compile(ir, threads=threads)
    if p.dtype == "bf16":
        args = [np.ascontiguousarray((x.view(np.uint32) >> 16).astype(np.uint16))
                for x in (q, k, v)]

        def decode(o):
            return (o.astype(np.uint32) << 16).view(np.float32)
    else:
        args = [q, k, v]

        def decode(o):
            return o
    return (lambda: fn(*args)), decode


def _torch_inputs(p, q, k, v, threads):
    import torch
    torch.set_num_threads(threads)
    dt = torch.bfloat16 if p.dtype == "bf16" else torch.float32
    tq, tk, tv = (torch.from_numpy(x).to(dt) for x in (q, k, v))
    kwargs = {"enable_gqa": p.hkv != p.h}
    if p.window is not None or (p.causal and p.sq != p.sk):
        # torch's is_causal is top-left; attn's bottom-right masks as a mask.
        off = p.sk - p.sq
        i = torch.arange(p.sq)[:, None]
        j = torch.arange(p.sk)[None, :]
        keep = j <= i + off if p.causal else torch.ones(p.sq, p.sk, dtype=torch.bool)
        if p.window is not None:
            keep &= (j >= i + off - p.window[0]) & (j <= i + off + p.window[1])
        kwargs["attn_mask"] = keep
    elif p.causal:
        kwargs["is_causal"] = True
    return torch, tq, tk, tv, kwargs


def sys_torch(p, q, k, v, threads):
    torch, tq, tk, tv, kwargs = _torch_inputs(p, q, k, v, threads)
    f = torch.nn.functional.scaled_dot_product_attention
    return (lambda: f(tq, tk, tv, **kwargs)), lambda o: o.float().numpy()


def sys_torch_compile(p, q, k, v, threads):
    torch, tq, tk, tv, kwargs = _torch_inputs(p, q, k, v, threads)
    f = torch.compile(lambda a, b, c: torch.nn.functional.scaled_dot_product_attention(
        a, b, c, **kwargs), dynamic=False)
    return (lambda: f(tq, tk, tv)), lambda o: o.float().numpy()


def sys_openvino(p, q, k, v, threads):
    if p.window is not None:
        raise Unsupported("no sliding window")
    import openvino as ov
    import openvino.opset13 as ops
    params = [ops.parameter(list(x.shape), ov.Type.f32) for x in (q, k, v)]
    kv = []
    for x in params[1:]:
        if p.hkv != p.h:
            # Grouped-query heads: repeat each kv head H/Hkv times.
            g = p.h // p.hkv
            x = ops.unsqueeze(x, ops.constant(np.array([2], np.int64)))
            x = ops.broadcast(x, ops.constant(np.array([p.b, p.hkv, g, p.sk, p.d], np.int64)))
            x = ops.reshape(x, ops.constant(np.array([p.b, p.h, p.sk, p.d], np.int64)), False)
        kv.append(x)
    if p.causal and p.sq != p.sk:
        raise Unsupported("top-left causal only")
    out = ops.scaled_dot_product_attention(params[0], kv[0], kv[1], causal=p.causal)
    model = ov.Model([out], params)
    precision = "bf16" if p.dtype == "bf16" else "f32"
    compiled = ov.Core().compile_model(model, "CPU", {
        "INFERENCE_NUM_THREADS": threads, "INFERENCE_PRECISION_HINT": precision})
    request = compiled.create_infer_request()
    return (lambda: request.infer([q, k, v])), lambda r: np.asarray(r[0])


def sys_onnxruntime(p, q, k, v, threads):
    if p.window is not None:
        raise Unsupported("no sliding window")
    if p.causal and p.sq != p.sk:
        raise Unsupported("top-left causal only")
    if p.dtype == "bf16":
        raise Unsupported("no bf16 Attention kernel on CPU")
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper
    names = ["Q", "K", "V"]
    inputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, list(x.shape))
              for n, x in zip(names, (q, k, v))]
    output = helper.make_tensor_value_info("Y", TensorProto.FLOAT, list(q.shape))
    node = helper.make_node("Attention", names, ["Y"], is_causal=int(p.causal))
    model = helper.make_model(helper.make_graph([node], "attention", inputs, [output]),
                              opset_imports=[helper.make_opsetid("", 23)])
    onnx.checker.check_model(model)
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(model.SerializeToString(), so,
                                providers=["CPUExecutionProvider"])
    feeds = dict(zip(names, (q, k, v)))
    return (lambda: sess.run(None, feeds)), lambda r: r[0]


def sys_jax(p, q, k, v, threads):
    import jax
    import jax.numpy as jnp
    dt = jnp.bfloat16 if p.dtype == "bf16" else jnp.float32
    # jax.nn.dot_product_attention takes [B, T, N, H].
    jq, jk, jv = (jnp.asarray(x.transpose(0, 2, 1, 3), dtype=dt) for x in (q, k, v))
    window = tuple(p.window) if p.window is not None else None
    if p.causal and p.sq != p.sk:
        raise Unsupported("top-left causal only")
    f = jax.jit(lambda a, b, c: jax.nn.dot_product_attention(
        a, b, c, is_causal=p.causal, local_window_size=window))

    def run():
        return f(jq, jk, jv).block_until_ready()
    return run, lambda o: np.asarray(o.astype(jnp.float32)).transpose(0, 2, 1, 3)


# IREE's attention on llvm-cpu runs at well under 1 GFLOP/s (see
# docs/performance.md): larger problems would take minutes per call.
IREE_MAX_GFLOP = 2.5


def sys_iree(p, q, k, v, threads):
    if p.flops() > IREE_MAX_GFLOP * 1e9:
        raise Unsupported(f"skipped above {IREE_MAX_GFLOP} GFLOP (too slow)")
    if p.window is not None:
        raise Unsupported("no sliding window in the export")
    if p.causal and p.sq != p.sk:
        raise Unsupported("top-left causal only")
    import tempfile

    import iree.compiler as ireec
    import iree.runtime as ireert
    import iree.turbine.aot as aot
    import torch
    dt = torch.bfloat16 if p.dtype == "bf16" else torch.float32
    gqa = p.hkv != p.h

    class Sdpa(torch.nn.Module):
        def forward(self, a, b, c):
            return torch.nn.functional.scaled_dot_product_attention(
                a, b, c, is_causal=p.causal, enable_gqa=gqa)

    tq, tk, tv = (torch.from_numpy(x).to(dt) for x in (q, k, v))
    exported = aot.export(Sdpa(), args=(tq, tk, tv))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "sdpa.mlir")
        exported.save_mlir(path)
        vmfb = ireec.compile_file(path, target_backends=["llvm-cpu"],
                                  extra_args=["--iree-llvmcpu-target-cpu=host"])
    config = ireert.Config("local-sync" if threads == 1 else "local-task")
    ctx = ireert.SystemContext(config=config)
    ctx.add_vm_module(ireert.VmModule.copy_buffer(ctx.instance, vmfb))
    fn = ctx.modules.module["main"]
    args = [x.numpy() if dt == torch.float32 else x.view(torch.int16).numpy()
            for x in (tq, tk, tv)]
    if p.dtype == "bf16":
        raise Unsupported("bf16 arguments not passed through")
    return (lambda: fn(*args)), lambda o: np.asarray(o.to_host())


# With --shared-process, these share one process and are timed interleaved
# (drift hits them alike). torch.compile and IREE bring LLVMs of their own
# that do not share a process with attn-mlir's: always processes of their own.
SHARED_PROCESS_GROUPS = [["attn-mlir", "torch", "openvino", "onnxruntime",
                          "jax"], ["torch.compile"], ["iree"]]

RUNNERS = {"attn-mlir": sys_attn_mlir, "torch": sys_torch,
           "torch.compile": sys_torch_compile, "openvino": sys_openvino,
           "onnxruntime": sys_onnxruntime, "jax": sys_jax, "iree": sys_iree}


# ----------------------------------------------------------------------------
# One thread count, in this process


def prepare(name, p, q, k, v, rows, want, threads, max_seconds):
    """Builds system `name` for problem `p` and checks its output against
    the oracle. Returns (callable or None, entry): the callable is None when
    the system is not to be timed (unsupported, failed, wrong, or timed by
    its one checked call)."""
    entry = {}
    try:
        run, decode = RUNNERS[name](p, q, k, v, threads)
        t0 = time.perf_counter()
        got = decode(run())
        first = time.perf_counter() - t0
    except Unsupported as e:
        entry["status"] = f"n/a: {e}"
        return None, entry
    except Exception as e:  # a peer failing is a result, not a crash
        entry["status"] = f"failed: {type(e).__name__}: {str(e)[:160]}"
        return None, entry
    got = np.asarray(got, np.float64)
    if got.shape != (p.b, p.h, p.sq, p.d) or not np.isfinite(got).all():
        entry["status"] = f"wrong: shape {got.shape} or non-finite values"
        return None, entry
    err = float(np.linalg.norm(got[:, :, rows] - want) / np.linalg.norm(want))
    entry["rel_err"] = err
    if err > TOLERANCE[p.dtype]:
        entry["status"] = f"wrong: rel err {err:.1e}"
        return None, entry
    if first > max_seconds:
        # Too slow to time repeatedly: its one checked call is the time.
        entry.update(status="ok (1 run)", seconds=first)
        return None, entry
    # A first call may carry one-time costs (code generation, thread pools,
    # page faults): blocks are sized by a second one, so that a system is
    # not taken for one of slow calls and timed cold.
    t0 = time.perf_counter()
    run()
    entry.update(status="ok", first=min(first, time.perf_counter() - t0))
    return run, entry


def block_size(first, seconds):
    """Calls per timed block: about `seconds` worth (at most 20)."""
    return int(min(20, max(1, seconds / max(first, 1e-6))))


def measure(args, threads):
    """--shared-process: the systems of one process, interleaved."""
    from timing import interleaved
    for i, p in enumerate(selected_problems(args)):
        q, k, v = draw(p, seed=i)
        rows = oracle_rows(p)
        want = oracle(p, q, k, v, rows)
        fns, calls = {}, {}
        result = {"problem": p.label(), "threads": threads, "flops": p.flops(),
                  "systems": {}}
        for name in args.systems.split(","):
            run, entry = prepare(name, p, q, k, v, rows, want, threads,
                                 args.max_seconds)
            result["systems"][name] = entry
            if run is not None:
                fns[name] = run
                calls[name] = entry.pop("first")
        # Alone in its process, a system is timed in blocks of calls;
        # interleaved, one call per block.
        block = (block_size(next(iter(calls.values())), args.block_seconds)
                 if len(fns) == 1 else 1)
        for name, (median, best) in interleaved(
                fns, args.runs, block=block,
                settle=args.settle if threads > 1 else 0.0).items():
            result["systems"][name]["seconds"] = median
        print(json.dumps(result), flush=True)


def serve(args, threads):
    """A worker: one system in a process of its own, driven by the parent
    over stdin/stdout one JSON line at a time, so that the parent can
    alternate the systems of a row in time (drift on a shared machine then
    hits them alike) while each keeps its own runtime and thread pool.
    Requests: {"prepare": i} builds and checks problem i; {"time": n} makes
    one untimed (unless "warm" is false) and n timed calls of it and returns
    their times."""
    name = args.systems
    all_problems = selected_problems(args)
    # Replies go on the original stdout; whatever the runtimes print (from
    # Python or C) goes to stderr instead.
    replies = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    run = None
    for line in sys.stdin:
        req = json.loads(line)
        if "prepare" in req:
            i = req["prepare"]
            p = all_problems[i]
            q, k, v = draw(p, seed=i)
            rows = oracle_rows(p)
            want = oracle(p, q, k, v, rows)
            run = None  # the previous problem's buffers go first
            run, entry = prepare(name, p, q, k, v, rows, want, threads,
                                 args.max_seconds)
            reply = entry
        else:
            if req.get("warm", True):
                run()
            times = []
            cpu0 = time.process_time()
            for _ in range(req["time"]):
                t0 = time.perf_counter()
                run()
                times.append(time.perf_counter() - t0)
            # Cores busy on average: under 1 at one thread, the process
            # waited for its core (or for memory it had to fault in).
            reply = {"times": times,
                     "cores": (time.process_time() - cpu0) / max(sum(times), 1e-9)}
        print(json.dumps(reply), file=replies, flush=True)


# ----------------------------------------------------------------------------
# The parent: FMA peak, one child per thread count, the tables


def fma_peak(threads):
    """The all-core figure of bench/timing.py's best-of-three FMA peak."""
    from timing import fma_peak as best_of
    exe = os.path.join(ROOT, "build", "bin", "attn-bench-fma-peak")
    return best_of(exe, threads)["gflops_all"]


def source_commit():
    """The attn-mlir commit measured (with "+" when the tree has changes)."""
    try:
        head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain",
                                "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
        return head + ("+" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return None


def cpu_description():
    from run import cpu_flags, cpu_name
    return f"{cpu_name()}; {os.cpu_count()} cores; {', '.join(cpu_flags())}"


def paired_ratio(row):
    """attn-mlir's speed against its closest peer, round by round: for each
    peer, the median over the rounds of (the peer's block median / attn-
    mlir's block median in the same round); the smallest over the peers.
    A slow spell of the machine that spans a round then slows both sides
    of its ratio. A peer timed without rounds counts by its median."""
    ours = row["systems"].get("attn-mlir", {})
    if "blocks" not in ours:
        return None
    worst = None
    for n, e in row["systems"].items():
        if n == "attn-mlir" or "seconds" not in e:
            continue
        pairs = [p / a for a, p in zip(ours["blocks"], e.get("blocks", []))
                 if a and p]
        r = statistics.median(pairs) if pairs else e["seconds"] / ours["seconds"]
        worst = r if worst is None else min(worst, r)
    return worst


def fmt_ratio(r):
    return f"{r:.2f}x" if r is not None else "-"


def table(rows, peak, threads):
    names = [n for n in SYSTEMS if any(n in r["systems"] for r in rows)]
    print(f"\n### {threads} thread{'s' if threads > 1 else ''} "
          f"(FMA peak {peak:.1f} GFLOP/s, measured in this run)\n")
    print("| problem | " + " | ".join(names) +
          " | attn-mlir / best peer | paired by round |")
    print("| --- | " + " | ".join("---:" for _ in names) + " | ---: | ---: |")
    for r in rows:
        cells, rates = [], {}
        for n in names:
            e = r["systems"].get(n, {})
            if "seconds" in e:
                g = r["flops"] / e["seconds"] / 1e9
                rates[n] = g
                cells.append(f"{e['seconds'] * 1e3:.1f} ms, {g:.1f} ({100 * g / peak:.0f}%)")
            else:
                cells.append(e.get("status", "-"))
        peers = [g for n, g in rates.items() if n != "attn-mlir"]
        ratio = (f"{rates['attn-mlir'] / max(peers):.2f}x"
                 if "attn-mlir" in rates and peers else "-")
        print(f"| {r['problem']} | " + " | ".join(cells) +
              f" | {ratio} | {fmt_ratio(paired_ratio(r))} |")
    print("\nCells: median time, GFLOP/s (share of the FMA peak). Paired: the "
          "smallest over the peers of the median per-round ratio.")
    # A system that kept fewer cores busy than it had threads waited (for
    # a core another process held, or for page faults); more, it ran
    # threads it was not given.
    odd = [f"{r['problem']}: {n} {e['cores']:.2f}"
           for r in rows for n, e in r["systems"].items()
           if "cores" in e and abs(e["cores"] - threads) > 0.1 * threads]
    if odd:
        print(f"\nCores busy during the timed calls (median over rounds), "
              f"where not {threads}:\n" + "\n".join(f"- {x}" for x in odd))


def summary(tables):
    """One line per row and thread count: attn-mlir against the best peer."""
    print("\n| problem | threads | attn-mlir GFLOP/s (% of peak) | best peer, GFLOP/s "
          "| ratio | paired |")
    print("| --- | ---: | ---: | --- | ---: | ---: |")
    for t in tables:
        for r in t["rows"]:
            rates = {n: r["flops"] / e["seconds"] / 1e9
                     for n, e in r["systems"].items() if "seconds" in e}
            peers = {n: g for n, g in rates.items() if n != "attn-mlir"}
            if "attn-mlir" not in rates or not peers:
                continue
            ours, best = rates["attn-mlir"], max(peers, key=peers.get)
            print(f"| {r['problem']} | {t['threads']} | {ours:.1f} "
                  f"({100 * ours / t['peak']:.0f}%) | {best}, {peers[best]:.1f} | "
                  f"{ours / peers[best]:.2f}x | {fmt_ratio(paired_ratio(r))} |")


def report(path):
    """--report: the tables of a --json file, complete or not."""
    with open(path) as f:
        results = json.load(f)
    print(f"CPU: {results['cpu']}")
    if results.get("commit"):
        print(f"attn-mlir commit: {results['commit']}")
    for t in results["tables"]:
        table(t["rows"], t["peak"], t["threads"])
        if t.get("partial"):
            print("(Interrupted: the rows measured so far; the peak is the "
                  "one measured before them.)")
    summary(results["tables"])


def child_command(args, threads, systems, role):
    cmd = [sys.executable, os.path.abspath(__file__), f"--{role}={threads}",
           f"--systems={','.join(systems)}", f"--dtypes={args.dtypes}",
           f"--runs={args.runs}", f"--block-seconds={args.block_seconds}",
           f"--settle={args.settle}", f"--max-seconds={args.max_seconds}"]
    if args.quick:
        cmd.append("--quick")
    if args.only:
        cmd.append(f"--only={args.only}")
    return cmd


def cpu_seconds(pid):
    """CPU time of all threads of a process so far (0 where /proc lacks it)."""
    total = 0
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0.0
    for t in tasks:
        try:
            with open(f"/proc/{pid}/task/{t}/schedstat") as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass  # a thread that ended meanwhile
    return total / 1e9


def quiesce(pid, window=0.025, busy=0.04, limit=2.0):
    """Waits until a worker's threads are idle: work a runtime goes on
    with after its call returned (XLA's CPU client frees its buffers on a
    thread of its own: at one thread the next system's block then shared
    its core, 0.92 cores busy instead of 1) would slow the next block."""
    end = time.monotonic() + limit
    before = cpu_seconds(pid)
    while time.monotonic() < end:
        time.sleep(window)
        after = cpu_seconds(pid)
        if after - before < busy * window:
            return
        before = after


def run_workers(args, threads, env, systems, on_row):
    """Each system in a worker process of its own, all alive at once; for
    each problem, up to `runs` rounds in which every system times one block,
    once the previous system's worker is idle (see quiesce: that includes
    threads spinning after a call, as libomp's do for 200 ms). A block of
    calls shorter than `block_seconds` starts with an untimed call; a system
    whose calls are slow stops after the rounds that fill
    `seconds_per_system` (at least 5)."""
    workers = {n: subprocess.Popen(child_command(args, threads, [n], "serve"),
                                   env=env, stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, text=True)
               for n in systems}

    def ask(name, req):
        w = workers[name]
        try:
            w.stdin.write(json.dumps(req) + "\n")
            w.stdin.flush()
            line = w.stdout.readline()
        except BrokenPipeError:
            line = ""
        if not line:
            raise RuntimeError(f"crashed ({w.wait()})")
        return json.loads(line)

    rows, dead = [], {}
    for i, p in enumerate(selected_problems(args)):
        row = {"problem": p.label(), "threads": threads, "flops": p.flops(),
               "systems": {}}
        # Per timed system: its block plan, then what its rounds measured.
        timed = {}
        for n in systems:
            if n in dead:
                row["systems"][n] = {"status": dead[n]}
                continue
            try:
                entry = ask(n, {"prepare": i})
                quiesce(workers[n].pid)
            except RuntimeError as e:
                dead[n] = str(e)
                entry = {"status": dead[n]}
            if "first" in entry:
                first = entry.pop("first")
                block = block_size(first, args.block_seconds)
                timed[n] = {
                    "block": block, "warm": first < args.block_seconds,
                    "rounds": max(5, min(args.runs, math.ceil(
                        args.seconds_per_system / (block * max(first, 1e-6))))),
                    "times": [], "medians": [], "cores": []}
            row["systems"][n] = entry
        for r in range(args.runs):
            for n, t in list(timed.items()):
                if r >= t["rounds"]:
                    t["medians"].append(None)
                    continue
                try:
                    reply = ask(n, {"time": t["block"], "warm": t["warm"]})
                except RuntimeError as e:
                    dead[n] = str(e)
                    row["systems"][n]["status"] = dead[n]
                    del timed[n]
                    continue
                quiesce(workers[n].pid)
                t["times"] += reply["times"]
                t["medians"].append(statistics.median(reply["times"]))
                t["cores"].append(reply["cores"])
        for n, t in timed.items():
            row["systems"][n]["seconds"] = sorted(t["times"])[len(t["times"]) // 2]
            row["systems"][n]["blocks"] = t["medians"]
            row["systems"][n]["cores"] = statistics.median(t["cores"])
        done = ", ".join(f"{n} {e.get('status')}" for n, e in row["systems"].items())
        print(f"  [{threads}t] {row['problem']}: {done}", file=sys.stderr, flush=True)
        rows.append(row)
        on_row(rows)
    for w in workers.values():
        w.stdin.close()
        w.wait()
    return rows


def run_grouped(args, threads, env, systems, on_row):
    """--shared-process: the in-process groups, one child each."""
    rows = {}
    for group in SHARED_PROCESS_GROUPS:
        members = [s for s in group if s in systems]
        if not members:
            continue
        cmd = child_command(args, threads, members, "child")
        with subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True) as child:
            for line in child.stdout:
                if not line.startswith("{"):
                    continue
                r = json.loads(line)
                row = rows.setdefault(r["problem"], r)
                row["systems"].update(r["systems"])
                done = ", ".join(f"{n} {e.get('status')}" for n, e in r["systems"].items())
                print(f"  [{threads}t] {r['problem']}: {done}", file=sys.stderr, flush=True)
                on_row(list(rows.values()))
        if child.returncode != 0:
            for row in rows.values():
                for s in members:
                    row["systems"].setdefault(s, {"status": f"crashed ({child.returncode})"})
            print(f"  [{threads}t] {', '.join(members)}: process exited with "
                  f"{child.returncode}", file=sys.stderr, flush=True)
    return list(rows.values())


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", default=f"1,{os.cpu_count()}",
                    help="thread counts, comma-separated (default: 1 and all cores)")
    ap.add_argument("--systems", default=",".join(SYSTEMS))
    ap.add_argument("--dtypes", default="f32,bf16")
    ap.add_argument("--quick", action="store_true",
                    help="S=2048 D=128 and decode Sk=4096 only")
    ap.add_argument("--only", default=None, metavar="REGEX",
                    help="only the problems whose label matches, e.g. "
                         "'Sq=512 .* f32'")
    ap.add_argument("--runs", type=int, default=15,
                    help="rounds per problem, each one block of calls per system")
    ap.add_argument("--block-seconds", type=float, default=0.1,
                    help="about how long a block of calls takes (at most 20 calls)")
    ap.add_argument("--seconds-per-system", type=float, default=4.0,
                    help="timed seconds per system and problem, past which "
                         "its rounds stop (at least 5 rounds)")
    ap.add_argument("--settle", type=float, default=0.25,
                    help="--shared-process: pause before each block at more "
                         "than one thread, for idle threads to stop spinning")
    ap.add_argument("--max-seconds", type=float, default=10.0,
                    help="a system whose checked call takes longer is timed by that call")
    ap.add_argument("--json", default=None,
                    help="also write the results here (rewritten after every row)")
    ap.add_argument("--report", default=None, metavar="FILE.json",
                    help="print the tables of an earlier --json file, and run nothing")
    ap.add_argument("--shared-process", action="store_true",
                    help="time the in-process peers interleaved in one process")
    ap.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--serve", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child == 1 or args.serve == 1:
        # One thread means one core: runtimes that start threads of their own
        # anyway (XLA's CPU client did: 1.84 cores busy at "1 thread") then
        # share it.
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    if args.child:
        measure(args, args.child)
        return
    if args.serve:
        serve(args, args.serve)
        return
    if args.report:
        report(args.report)
        return

    print(f"CPU: {cpu_description()}")
    results = {"cpu": cpu_description(), "commit": source_commit(),
               "command": " ".join(sys.argv[1:]), "tables": []}

    def save(partial=None):
        """Writes --json now, with the rows of the table in progress, so
        that an interrupted run keeps what it measured."""
        if not args.json:
            return
        doc = dict(results, tables=results["tables"] + ([partial] if partial else []))
        with open(args.json + ".tmp", "w") as f:
            json.dump(doc, f, indent=1)
        os.replace(args.json + ".tmp", args.json)

    for threads in (int(t) for t in args.threads.split(",")):
        peak = fma_peak(threads)
        env = dict(os.environ, OMP_NUM_THREADS=str(threads))
        if threads == 1:
            env["XLA_FLAGS"] = ("--xla_cpu_multi_thread_eigen=false "
                                "intra_op_parallelism_threads=1")
        wanted = [n for n in SYSTEMS if n in args.systems.split(",")]

        def on_row(rows, threads=threads, peak=peak):
            save({"threads": threads, "peak": peak, "rows": rows, "partial": True})

        run = run_grouped if args.shared_process else run_workers
        rows = run(args, threads, env, wanted, on_row)
        # Measured again after the systems: the table uses the better one.
        peak = max(peak, fma_peak(threads))
        table(rows, peak, threads)
        results["tables"].append({"threads": threads, "peak": peak, "rows": rows})
        save()
    summary(results["tables"])

if __name__ == "__main__":
    main()
