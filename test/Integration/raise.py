# Unfused attention written in upstream dialects: --attn-raise must turn each
# form into exactly one attn.sdpa (and leave look-alikes alone), and the
# result must match the float64 NumPy oracle on fresh random inputs.
# REQUIRES: attn-run, numpy
# RUN: %python %s --pipeline=cpu
# RUN: %python %s --pipeline=reference
# The cpu pipeline on graphs that went through upstream elementwise fusion.
# RUN: %python %s --pipeline=cpu --fuse-elementwise

import subprocess
import sys

import numpy as np

from attn_testing import Runner, sdpa_ref, softmax_ref
from unfused_ir import draw_inputs, unfused_linalg, unfused_oracle, unfused_tosa

extra = [a for a in sys.argv[1:] if a == "--fuse-elementwise"]
r = Runner([a for a in sys.argv[1:] if a != "--fuse-elementwise"])
fuse_elementwise = bool(extra)


def attn_opt(ir, passes):
    proc = subprocess.run(["attn-opt", *passes], input=ir, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr)
    return proc.stdout


def case(name, expect_raised=True, **form):
    if r.args.only and r.args.only not in name:
        return
    ir, args, attrs = unfused_linalg(**form)
    if fuse_elementwise:
        ir = attn_opt(ir, ["--linalg-fuse-elementwise-ops"])
    raised = attn_opt(ir, ["--attn-raise"])
    n = raised.count("attn.sdpa")
    if n != (1 if expect_raised else 0):
        print(f"FAIL {name}: {n} attn.sdpa after --attn-raise, expected "
              f"{1 if expect_raised else 0}\n{raised}")
        r.failures += 1
        r.count += 1
        return
    dt = form.get("dt", "f32")
    inputs, values = draw_inputs(r, args, attrs)
    rank = form.get("rank", 4)
    expected = unfused_oracle(values, attrs, rank, form.get("Sq", 8), form.get("Sk", 8),
                              form.get("q_bshd", False))
    r.check(name, ir, inputs, expected, dt)


# Layouts and contraction forms.
case("rank4_generic_transpose", rank=4, qk="transpose", pv="generic")
case("rank4_generic_map", rank=4, qk="map", B=2, H=3, Sq=13, Sk=21, D=8, Dv=5)
case("rank3_batch_matmul", rank=3, qk="transpose", pv="named", B=2, H=2, Sq=9, Sk=17, D=16)
case("rank3_batch_matmul_maps", rank=3, qk="named_maps", pv="named", B=1, H=4, Sq=5, Sk=7)
case("rank2_matmul", rank=2, B=1, H=1, qk="transpose", pv="named", Sq=11, Sk=6, D=32, Dv=8)
case("rank2_matmul_maps", rank=2, B=1, H=1, qk="named_maps", Sq=4, Sk=9)
case("q_stored_bshd", rank=4, qk="map", pv="generic", q_bshd=True, B=2, H=3, Sq=7, Sk=9)
# Scale forms.
case("scale_div_tensor", scale="scores_div", scale_value=0.3)
case("scale_on_q", scale="q", scale_value=0.25)
case("scale_split_qk", scale="qk_split", scale_value=0.125, D=64)
case("scale_none", scale="none")
# Softmax forms.
case("softmax_linalg", softmax="linalg", rank=3, B=2, H=2)
case("softmax_recip", softmax="recip")
case("softmax_keepdim", softmax="expanded", keepdim=True, Sq=6, Sk=10)
case("softmax_recip_keepdim", softmax="recip", keepdim=True, rank=3)
# Masks.
case("mask_add_2d", mask="add", Sq=7, Sk=12)
case("mask_add_b1", mask="add", mask_shape="b1", B=2, H=3)
case("mask_bool", mask="bool", Sq=9, Sk=9)
case("mask_bool_inverted", mask="bool_inverted", Sq=9, Sk=5)
case("causal_index", mask="causal", Sq=10, Sk=10)
case("causal_index_decode", mask="causal", Sq=3, Sk=19)
case("causal_topleft_square", mask="causal_topleft", Sq=12, Sk=12)
case("window_index", mask="window", Sq=16, Sk=20)
case("softcap", softcap=5.0, scale_value=2.0)
# Grouped-query heads, written as a repeat of the K/V heads.
# (Upstream elementwise fusion reshapes these graphs into a mix of 4-D and
# 5-D ops joined by expand_shape; that form is not matched.)
if not fuse_elementwise:
    case("gqa_repeat", B=1, H=4, Hkv=2, Sq=8, Sk=16, qk="map")
    case("mqa_repeat_causal", B=2, H=3, Hkv=1, Sq=5, Sk=11, mask="causal")
# Low precision, softmax in f32.
case("f16_softmax_f32", dt="f16", rank=4, Sq=16, Sk=24, D=16)
case("f16_rank3", dt="f16", rank=3, B=2, H=1, qk="map")

# Look-alikes: left alone, still computed right (by the reference lowering of
# the upstream ops).
case("topleft_causal_rectangular", expect_raised=False, mask="causal_topleft", Sq=4, Sk=9)
case("finite_fill", expect_raised=False, mask="bool", fill=-1e9, Sq=6, Sk=6)


def lookalike_softmax_over_queries():
    name = "softmax_over_queries"
    if r.args.only and r.args.only not in name:
        return
    ir, args, attrs = unfused_linalg(softmax_axis="queries", Sq=6, Sk=6)
    if fuse_elementwise:
        ir = attn_opt(ir, ["--linalg-fuse-elementwise-ops"])
    if "attn.sdpa" in attn_opt(ir, ["--attn-raise"]):
        print(f"FAIL {name}: raised")
        r.failures += 1
        r.count += 1
        return
    vals = [r.normal(s, d) for (_, s, d) in args]
    q, k, v = (x[1] for x in vals)
    s = np.einsum("bhid,bhjd->bhij", q, k) * attrs["scale"]
    p = np.swapaxes(softmax_ref(np.swapaxes(s, -1, -2)), -1, -2)
    r.check(name, ir, [x[0] for x in vals], np.einsum("bhij,bhjd->bhid", p, v), "f32")


lookalike_softmax_over_queries()


def tosa_case(name, **form):
    if r.args.only and r.args.only not in name:
        return
    ir, args, attrs = unfused_tosa(**form)
    raised = attn_opt(ir, ["--attn-raise"])
    if raised.count("attn.sdpa") != 1 or "tosa.matmul" in raised:
        print(f"FAIL {name}: not raised\n{raised}")
        r.failures += 1
        r.count += 1
        return
    vals = [r.normal(s, d) for (_, s, d) in args]
    values = [x[1] for x in vals]
    q, k, v = (x[None] for x in values[:3])
    mask = values[3][None] if len(values) > 3 else None
    out = sdpa_ref(q, k, v, mask=mask, scale=attrs["scale"])[0]
    r.check(name, ir, [x[0] for x in vals], out, "f32")


if not fuse_elementwise:
    tosa_case("tosa", N=3, Sq=10, Sk=14, D=8)
    tosa_case("tosa_mask", N=2, Sq=5, Sk=5, D=16, mask="add")

r.finish()
