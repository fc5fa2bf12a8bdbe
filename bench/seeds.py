#!/usr/bin/env python3
"""The five seed modules at realistic sizes (articles 003 and 002 with their
projections through attn_mlir.torch.Attention; 000, 001 and 004 as attn IR),
compiled by attn-mlir's `cpu` pipeline, against the same modules in PyTorch
eager, measured in the same run, both on every core.

    PYTHONPATH=build/python /usr/bin/python3 bench/seeds.py      # Debian's torch
    PYTHONPATH=build/python bench/peers/.venv/bin/python bench/seeds.py
"""

import argparse
import os
import sys

import torch

import numpy as np

import attn_mlir
import attn_mlir.torch as at

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from timing import interleaved  # noqa: E402


def t2n(t):
    return t.detach().numpy()


def linear_args(*layers):
    return [a for l in layers for a in (t2n(l.weight), t2n(l.bias))]


def seed_ir(kind, b, s, e, h):
    """attn IR of articles 000 (span over X itself), 001 (one head with
    key size e/2 and value size e) and 004 (masked heads, unscaled, no
    output projection) at these sizes."""
    x = f"tensor<{b}x{s}x{e}xf32>"
    if kind == "000":
        t = f"tensor<{b}x1x{s}x{e}xf32>"
        m = f"tensor<1x1x1x{s}xi1>"
        return (f"func.func @f(%x: {t}, %m: {m}) -> {t} {{\n"
                f"  %o = attn.sdpa %x, %x, %x mask(%m) {{scale = 1.0 : f32}} : ({t}, {t}, {t}, {m}) -> {t}\n"
                f"  return %o : {t}\n}}\n")
    if kind == "001":
        dk, dv = e // 2, e
        tq, tv = f"tensor<{b}x1x{s}x{dk}xf32>", f"tensor<{b}x1x{s}x{dv}xf32>"
        args = (f"%x: {x}, %wq: tensor<{dk}x{e}xf32>, %bq: tensor<{dk}xf32>, "
                f"%wk: tensor<{dk}x{e}xf32>, %bk: tensor<{dk}xf32>, "
                f"%wv: tensor<{dv}x{e}xf32>, %bv: tensor<{dv}xf32>")
        proj = lambda n, wt, bt, rt: (
            f"  %{n} = attn.project %x, %w{n} bias(%b{n}) {{num_heads = 1 : i64}} : ({x}, {wt}, {bt}) -> {rt}\n")
        return (f"func.func @f({args}) -> {tv} {{\n"
                + proj("q", f"tensor<{dk}x{e}xf32>", f"tensor<{dk}xf32>", tq)
                + proj("k", f"tensor<{dk}x{e}xf32>", f"tensor<{dk}xf32>", tq)
                + proj("v", f"tensor<{dv}x{e}xf32>", f"tensor<{dv}xf32>", tv)
                + f"  %o = attn.sdpa %q, %k, %v : ({tq}, {tq}, {tv}) -> {tv}\n"
                f"  return %o : {tv}\n}}\n")
    d = e // h
    th = f"tensor<{b}x{h}x{s}x{d}xf32>"
    wt, bt = f"tensor<{e}x{e}xf32>", f"tensor<{e}xf32>"
    m = f"tensor<{b}x1x1x{s}xi1>"
    args = (f"%x: {x}, %wq: {wt}, %bq: {bt}, %wk: {wt}, %bk: {bt}, "
            f"%wv: {wt}, %bv: {bt}, %m: {m}")
    body = "".join(
        f"  %{n} = attn.project %x, %w{n} bias(%b{n}) {{num_heads = {h} : i64}} : ({x}, {wt}, {bt}) -> {th}\n"
        for n in "qkv")
    return (f"func.func @f({args}) -> {th} {{\n{body}"
            f"  %o = attn.sdpa %q, %k, %v mask(%m) {{scale = 1.0 : f32}} : ({th}, {th}, {th}, {m}) -> {th}\n"
            f"  return %o : {th}\n}}\n")


class SelfAttention(torch.nn.Module):
    """Article 003's module with its head split fixed (see docs/seeds.md)."""

    def __init__(self, d_model, n_heads):
        super().__init__()
        self.h, self.d = n_heads, d_model // n_heads
        self.W_q, self.W_k, self.W_v, self.fc = (
            torch.nn.Linear(d_model, d_model) for _ in range(4))

    def forward(self, x):
        b, l, _ = x.shape
        split = lambda t: t.view(b, l, self.h, self.d).transpose(1, 2)
        q, k, v = split(self.W_q(x)), split(self.W_k(x)), split(self.W_v(x))
        p = torch.softmax(q @ k.transpose(-2, -1) / self.d ** 0.5, dim=-1)
        return self.fc((p @ v).transpose(1, 2).reshape(b, l, self.h * self.d))


class CrossAttention(torch.nn.Module):
    """Article 002's MultiHeadAttention (matmul instead of bmm, unscaled as
    written), used as encoder-decoder cross attention."""

    def __init__(self, e, h):
        super().__init__()
        self.h, self.d = h, e // h
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (
            torch.nn.Linear(e, e) for _ in range(4))

    def forward(self, query, memory):
        b = query.shape[0]
        split = lambda t: t.view(b, -1, self.h, self.d).transpose(1, 2)
        q, k, v = (split(self.q_proj(query)), split(self.k_proj(memory)),
                   split(self.v_proj(memory)))
        p = torch.softmax(q @ k.transpose(3, 2), dim=-1)
        return self.out_proj((p @ v).transpose(1, 2).reshape(b, -1, self.h * self.d))


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--batch", type=int, default=4)
    args = p.parse_args()
    torch.manual_seed(0)
    # attn-mlir runs on every core; torch's default thread count depends on
    # how it counts cores (Debian's 1.13 takes one on some VMs), so set it.
    torch.set_num_threads(os.cpu_count())
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; "
          f"attn-mlir {os.cpu_count()} threads")
    rows = []
    for module in ("003 self", "002 cross"):
        for d_model, heads in ((512, 8), (1024, 16)):
            for seq in (512, 2048):
                x = torch.randn(args.batch, seq, d_model) * 0.1
                if module == "003 self":
                    m = SelfAttention(d_model, heads).eval()
                    f = at.Attention(m.W_q, m.W_k, m.W_v, m.fc, num_heads=heads)
                    run_attn, run_torch = (lambda: f(x)), (lambda: m(x))
                else:
                    m = CrossAttention(d_model, heads).eval()
                    f = at.Attention(m.q_proj, m.k_proj, m.v_proj, m.out_proj,
                                     num_heads=heads, scale=1.0)
                    mem = torch.randn(args.batch, seq, d_model) * 0.1
                    run_attn = lambda: f(x, kv=mem)
                    run_torch = lambda: m(x, mem)
                with torch.no_grad():
                    want = run_torch()
                    err = ((run_attn() - want).norm() / want.norm()).item()
                    times = interleaved({"attn": run_attn, "torch": run_torch}, args.runs)
                    t_attn, t_torch = times["attn"][0], times["torch"][0]
                flops = (4 * 2 * args.batch * seq * d_model * d_model
                         + 2 * args.batch * heads * seq * seq * 2 * (d_model // heads))
                rows.append((module, d_model, heads, seq, t_attn * 1e3,
                             t_torch * 1e3, flops / t_attn / 1e9,
                             flops / t_torch / 1e9, t_torch / t_attn, err))
                print(rows[-1], flush=True)
    # Articles 000, 001 and 004 (no output projection): attn IR compiled with
    # attn_mlir.compile against the fixed torch module, same inputs.
    for kind in ("000 span", "001 one head", "004 masked"):
        for d_model, heads in ((512, 8), (1024, 16)):
            for seq in (512, 2048):
                b = args.batch
                x = torch.randn(b, seq, d_model) * 0.1
                fn = attn_mlir.compile(seed_ir(kind[:3], b, seq, d_model, heads))
                if kind.startswith("000"):
                    keep = torch.arange(seq) < seq // 2  # span [0, S/2)
                    inputs = [t2n(x)[:, None], t2n(keep)[None, None, None]]

                    def run_torch():
                        sc = x @ x.transpose(-2, -1)
                        sc = sc.masked_fill(~keep, float("-inf"))
                        return torch.softmax(sc, -1) @ x
                    flops = 2 * b * seq * seq * 2 * d_model
                elif kind.startswith("001"):
                    lq, lk, lv = (torch.nn.Linear(d_model, n) for n in
                                  (d_model // 2, d_model // 2, d_model))
                    inputs = [t2n(x)] + linear_args(lq, lk, lv)

                    def run_torch():
                        q, k, v = lq(x), lk(x), lv(x)
                        p = torch.softmax(q @ k.transpose(-2, -1)
                                          / (d_model // 2) ** 0.5, -1)
                        return p @ v
                    flops = (2 * b * seq * d_model * 2 * d_model
                             + 2 * b * seq * seq * (d_model // 2 + d_model))
                else:
                    lin = [torch.nn.Linear(d_model, d_model) for _ in range(3)]
                    keep = torch.ones(b, 1, 1, seq, dtype=torch.bool)
                    keep[:, ..., seq - seq // 8:] = False  # padding
                    inputs = [t2n(x)] + linear_args(*lin) + [t2n(keep)]

                    def run_torch():
                        split = lambda t: t.view(b, -1, heads, d_model // heads).transpose(1, 2)
                        q, k, v = (split(l(x)) for l in lin)
                        sc = (q @ k.transpose(-2, -1)).masked_fill(keep == 0, float("-inf"))
                        return torch.softmax(sc, -1) @ v
                    flops = (3 * 2 * b * seq * d_model * d_model
                             + 2 * b * seq * seq * 2 * d_model)
                run_attn = lambda: fn(*inputs)
                with torch.no_grad():
                    want = run_torch().numpy()
                    got = run_attn().reshape(want.shape)
                    err = float(np.linalg.norm(got - want) / np.linalg.norm(want))
                    times = interleaved({"attn": run_attn, "torch": run_torch}, args.runs)
                    t_attn, t_torch = times["attn"][0], times["torch"][0]
                rows.append((kind, d_model, heads if kind.startswith("004") else 1,
                             seq, t_attn * 1e3, t_torch * 1e3,
                             flops / t_attn / 1e9, flops / t_torch / 1e9,
                             t_torch / t_attn, err))
                print(rows[-1], flush=True)

    print()
    print("| module | d_model | heads | S | attn-mlir ms | torch eager ms "
          "| attn-mlir GFLOP/s | torch GFLOP/s | speedup | rel. L2 diff |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[4]:.1f} | {r[5]:.1f} "
              f"| {r[6]:.1f} | {r[7]:.1f} | {r[8]:.2f}x | {r[9]:.1e} |")
    print(f"\nbatch {args.batch}; FLOPs = 4 projections + attention (QK^T and PV).")


if __name__ == "__main__":
    main()
