# Random combinations of the upstream attention forms of unfused_ir.py
# (layout, K^T form, scale form, mask, softmax form, sizes, GQA, softcap,
# elementwise fusion): whatever --attn-raise makes of each, the cpu pipeline
# must compute the float64 oracle, and the forms that are attention by
# construction must be raised.
# REQUIRES: attn-run, numpy
# RUN: %python %s --pipeline=cpu

import subprocess

from attn_testing import Runner
from unfused_ir import draw_inputs, unfused_linalg, unfused_oracle

r = Runner()
rng = r.rng


def attn_opt(ir, passes):
    proc = subprocess.run(["attn-opt", *passes], input=ir, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr)
    return proc.stdout


def draw():
    rank = int(rng.choice([2, 3, 4]))
    f = dict(rank=rank, Sq=int(rng.integers(1, 14)), Sk=int(rng.integers(1, 14)),
             D=int(rng.choice([4, 8, 16])), Dv=int(rng.choice([4, 8])),
             softmax=str(rng.choice(["linalg", "expanded", "recip"])),
             keepdim=bool(rng.integers(2)),
             scale=str(rng.choice(["scores_mul", "scores_div", "q", "qk_split", "none"])),
             scale_value=float(rng.choice([0.125, 0.3, 1.0, 2.0])))
    if rank == 4:
        f.update(B=int(rng.integers(1, 3)), H=int(rng.choice([2, 4])),
                 qk=str(rng.choice(["transpose", "map"])),
                 pv=str(rng.choice(["named", "generic"])))
        f["Hkv"] = int(rng.choice([1, 2, f["H"]]))
        f["mask"] = str(rng.choice(["none", "add", "bool", "bool_inverted", "causal", "window"]))
    elif rank == 3:
        f.update(B=int(rng.integers(1, 3)), H=int(rng.integers(1, 3)),
                 qk=str(rng.choice(["transpose", "named_maps", "map"])),
                 pv=str(rng.choice(["named", "generic"])))
        f["mask"] = str(rng.choice(["none", "add", "bool", "causal"]))
    else:
        f.update(B=1, H=1, qk=str(rng.choice(["transpose", "named_maps", "map"])))
        f["mask"] = str(rng.choice(["none", "add", "bool_inverted", "causal"]))
    if f["mask"] in ("causal", "window"):
        f["Sk"] = max(f["Sk"], f["Sq"])  # every row keeps a key
    if rng.integers(4) == 0 and f["mask"] in ("none", "add", "bool"):
        f["softcap"] = float(rng.choice([5.0, 20.0]))
    if f["softmax"] == "linalg":
        f["keepdim"] = False
    return f


for case in range(40):
    form = draw()
    name = f"random{case} " + " ".join(f"{k}={v}" for k, v in sorted(form.items()))
    if form.get("softcap") and form["scale"] in ("q", "qk_split"):
        form["scale"] = "scores_mul"
    ir, args, attrs = unfused_linalg(**form)
    if rng.integers(3) == 0:
        ir = attn_opt(ir, ["--linalg-fuse-elementwise-ops"])
        name += " fused"
    raised = attn_opt(ir, ["--attn-raise"]).count("attn.sdpa")
    if raised > 1:
        print(f"FAIL {name}: {raised} attn.sdpa")
        r.failures += 1
        continue
    inputs, values = draw_inputs(r, args, attrs)
    expected = unfused_oracle(values, attrs, form["rank"], form["Sq"], form["Sk"])
    # Attention by construction: raised unless elementwise fusion reshaped it.
    if raised == 0 and "fused" not in name:
        print(f"FAIL {name}: not raised")
        r.failures += 1
        r.count += 1
        continue
    r.check(name + f" raised={raised}", ir, inputs, expected, "f32")

r.finish()
