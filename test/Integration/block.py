# A whole attention block in stages: project -> scores -> softmax ->
# weighted_sum -> output_project, with biases, masks and GQA, against the
# float64 NumPy oracle.
# REQUIRES: attn-run, numpy
# RUN: %python %s --pipeline=reference
# RUN: %python %s --pipeline=cpu
# The AVX-512 tiling (16-lane vectors), legalized on any host.
# RUN: %python %s --pipeline="builtin.module(attn-cpu-pipeline{vector-width=16})"

from attn_testing import (Runner, output_project_ref, project_ref, scores_ref,
                          softmax_ref, tensor_type, weighted_sum_ref)

r = Runner()


def block(name, b, s, e, heads, kv_heads, d, dtype="f32", causal=False,
          dynamic=False, bias=True):
    x, xx = r.normal((b, s, e), dtype)
    wq, wqx = r.normal((heads * d, e), dtype, 0.1)
    wk, wkx = r.normal((kv_heads * d, e), dtype, 0.1)
    wv, wvx = r.normal((kv_heads * d, e), dtype, 0.1)
    wo, wox = r.normal((e, heads * d), dtype, 0.1)
    biases = [r.normal((n,), dtype) for n in
              (heads * d, kv_heads * d, kv_heads * d, e)]
    bs = "?" if dynamic else str(b)
    ss = "?" if dynamic else str(s)
    t = lambda shape: tensor_type(shape, dtype)
    f32 = lambda shape: tensor_type(shape, "f32")
    X = t((None if dynamic else b, None if dynamic else s, e))
    Q = t((None if dynamic else b, heads, None if dynamic else s, d))
    K = t((None if dynamic else b, kv_heads, None if dynamic else s, d))
    S = f32((None if dynamic else b, heads, None if dynamic else s,
             None if dynamic else s))
    Y = t((None if dynamic else b, None if dynamic else s, e))
    Wq, Wk, Wo = t((heads * d, e)), t((kv_heads * d, e)), t((e, heads * d))
    Bq, Bk, Bo = t((heads * d,)), t((kv_heads * d,)), t((e,))
    attrs = " {causal}" if causal else ""
    bias_args = (f", %bq: {Bq}, %bk: {Bk}, %bv: {Bk}, %bo: {Bo}" if bias else "")
    bq = " bias(%bq)" if bias else ""
    bk = " bias(%bk)" if bias else ""
    bv = " bias(%bv)" if bias else ""
    bo = " bias(%bo)" if bias else ""
    ptypes = lambda *ts: ", ".join(ts)
    ir = f"""
func.func @main(%x: {X}, %wq: {Wq}, %wk: {Wk}, %wv: {Wk}, %wo: {Wo}{bias_args}) -> {Y} {{
  %q = attn.project %x, %wq{bq} {{num_heads = {heads} : i64}} : ({ptypes(X, Wq, *([Bq] if bias else []))}) -> {Q}
  %k = attn.project %x, %wk{bk} {{num_heads = {kv_heads} : i64}} : ({ptypes(X, Wk, *([Bk] if bias else []))}) -> {K}
  %v = attn.project %x, %wv{bv} {{num_heads = {kv_heads} : i64}} : ({ptypes(X, Wk, *([Bk] if bias else []))}) -> {K}
  %s = attn.scores %q, %k{attrs} : ({Q}, {K}) -> {S}
  %p = attn.softmax %s : ({S}) -> {S}
  %a = attn.weighted_sum %p, %v : ({S}, {K}) -> {Q}
  %y = attn.output_project %a, %wo{bo} : ({Q}, {Wo}{", " + Bo if bias else ""}) -> {Y}
  return %y : {Y}
}}
"""
    inputs = [x, wq, wk, wv, wo] + ([bb[0] for bb in biases] if bias else [])
    bx = [bb[1] for bb in biases] if bias else [None] * 4
    q = project_ref(xx, wqx, bx[0], heads)
    k = project_ref(xx, wkx, bx[1], kv_heads)
    v = project_ref(xx, wvx, bx[2], kv_heads)
    p = softmax_ref(scores_ref(q, k, causal=causal))
    expected = output_project_ref(weighted_sum_ref(p, v), wox, bx[3])
    r.check(name, ir, inputs, expected, dtype)


block("mha_bias", 2, 24, 64, 4, 4, 16)
block("mha_no_bias_causal", 1, 17, 48, 3, 3, 16, causal=True, bias=False)
block("gqa_bias", 2, 20, 64, 8, 2, 8)
block("dynamic_batch_seq", 2, 19, 32, 2, 2, 16, dynamic=True, causal=True)
block("odd_dims", 2, 13, 44, 3, 3, 12, causal=True)
block("odd_dims_gqa_no_bias", 1, 7, 20, 4, 2, 6, bias=False)
block("f16", 1, 16, 64, 4, 2, 16, dtype="f16")
block("bf16", 1, 16, 64, 4, 4, 16, dtype="bf16", causal=True)

r.finish()
