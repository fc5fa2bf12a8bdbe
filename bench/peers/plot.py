#!/usr/bin/env python3
"""Plots of bench/peers/run.py results (its --json files):

  bench/peers/.venv/bin/python bench/peers/plot.py results.json [...] --out docs/images

writes, per thread count and element type, GFLOP/s against S for each
system (B=1 H=8, one panel per head dim, full and causal) and decode
throughput against Sk.
"""

import argparse
import json
import os
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

LABEL = re.compile(r"B=(\d+) H=(\d+)(?:/(\d+))? Sq=(\d+) Sk=(\d+) D=(\d+) (.+) (\w+)$")


def rates(row):
    out = {}
    for name, e in row["systems"].items():
        if "seconds" in e:
            out[name] = row["flops"] / e["seconds"] / 1e9
    return out


def plot_systems(ax, points, x, xlabel, title):
    """One line per system: GFLOP/s of `points` against their key `x`."""
    for n in sorted({n for p in points for n in p["rates"]}):
        xs = [p[x] for p in points if n in p["rates"]]
        ys = [p["rates"][n] for p in points if n in p["rates"]]
        ax.plot(xs, ys, marker="o", label=n, linewidth=2.5 if n == "attn-mlir" else 1.2)
    ax.set_xscale("log", base=2)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.legend(fontsize=7)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results", nargs="+")
    ap.add_argument("--out", default=".")
    ap.add_argument("--prefix", default="peers",
                    help="file name prefix, e.g. one per machine")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    tables = []
    for path in args.results:
        with open(path) as f:
            tables += json.load(f)["tables"]
    for table in tables:
        threads, peak = table["threads"], table["peak"]
        # An interrupted run's table: say so in every title.
        part = ", partial" if table.get("partial") else ""
        parsed = []
        for row in table["rows"]:
            m = LABEL.match(row["problem"])
            if m:
                b, h, hkv, sq, sk, d, mask, dt = m.groups()
                parsed.append(dict(b=int(b), h=int(h), sq=int(sq), sk=int(sk), d=int(d),
                                   mask=mask, dt=dt, gqa=hkv is not None, rates=rates(row)))
        for dt in sorted({p["dt"] for p in parsed}):
            prefill = [p for p in parsed if p["dt"] == dt and p["b"] == 1 and p["h"] == 8
                       and p["sq"] == p["sk"] and p["mask"] in ("full", "causal")]
            heads = sorted({p["d"] for p in prefill})
            if heads:
                fig, axes = plt.subplots(len(heads), 2, figsize=(11, 3.6 * len(heads)),
                                         squeeze=False)
                for i, d in enumerate(heads):
                    for j, mask in enumerate(("full", "causal")):
                        ax = axes[i][j]
                        pts = sorted((p for p in prefill if p["d"] == d and p["mask"] == mask),
                                     key=lambda p: p["sq"])
                        plot_systems(ax, pts, "sq", "S",
                                     f"B=1 H=8 D={d} {mask} {dt}, {threads} thread(s){part}")
                        ax.axhline(peak, color="gray", linestyle="--", linewidth=0.8)
                        ax.set_ylabel("GFLOP/s (dashed: FMA peak)")
                fig.tight_layout()
                fig.savefig(os.path.join(args.out, f"{args.prefix}_prefill_{dt}_{threads}t.png"), dpi=90)
                plt.close(fig)
            decode = sorted((p for p in parsed if p["dt"] == dt and p["sq"] == 1),
                            key=lambda p: p["sk"])
            if decode:
                fig, ax = plt.subplots(figsize=(6, 3.6))
                plot_systems(ax, decode, "sk", "Sk",
                             f"GQA decode B=1 H=32/8 D=128 {dt}, {threads} thread(s){part}")
                ax.set_ylabel("GFLOP/s")
                fig.tight_layout()
                fig.savefig(os.path.join(args.out, f"{args.prefix}_decode_{dt}_{threads}t.png"), dpi=90)
                plt.close(fig)


if __name__ == "__main__":
    main()
