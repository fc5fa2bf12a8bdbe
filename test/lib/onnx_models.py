"""ONNX attention graphs, as ONNX Runtime users hold them, and their import
through torch-mlir's ONNX importer (needs the environment of
python/tools/setup-torch-env.sh).

Each model: an onnx.ModelProto, its inputs' shapes and dtypes, a float64
NumPy oracle, and the number of attn.sdpa --attn-raise should find.
"""

import math

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from attn_testing import sdpa_ref


def _vi(name, shape, dtype=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, dtype, shape)


def _model(nodes, inputs, outputs, inits=(), opset=17):
    g = helper.make_graph(nodes, "attention", inputs, outputs, initializer=list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    onnx.checker.check_model(m)
    return onnx.shape_inference.infer_shapes(m)


def _const(name, value):
    return numpy_helper.from_array(np.asarray(value, np.float32), name)


def chain(B=1, H=2, S=8, D=16, mask=None, scale_op="Div"):
    """MatMul(Q, Transpose(K)) / sqrt(D) [+ mask | Where(mask, s, -inf)],
    Softmax(-1), MatMul V."""
    nodes = [helper.make_node("Transpose", ["k"], ["kt"], perm=[0, 1, 3, 2]),
             helper.make_node("MatMul", ["q", "kt"], ["s"])]
    c = math.sqrt(D) if scale_op == "Div" else 1.0 / math.sqrt(D)
    nodes.append(helper.make_node(scale_op, ["s", "c"], ["s1"]))
    inputs = [_vi("q", [B, H, S, D]), _vi("k", [B, H, S, D]), _vi("v", [B, H, S, D])]
    inits = [_const("c", c)]
    last = "s1"
    if mask == "add":
        inputs.append(_vi("m", [1, 1, S, S]))
        nodes.append(helper.make_node("Add", ["s1", "m"], ["s2"]))
        last = "s2"
    elif mask == "where":
        inputs.append(_vi("m", [B, 1, S, S], TensorProto.BOOL))
        inits.append(_const("ninf", -np.inf))
        nodes.append(helper.make_node("Where", ["m", "s1", "ninf"], ["s2"]))
        last = "s2"
    nodes += [helper.make_node("Softmax", [last], ["p"], axis=-1),
              helper.make_node("MatMul", ["p", "v"], ["o"])]
    model = _model(nodes, inputs, [_vi("o", [B, H, S, D])], inits)

    def oracle(q, k, v, m=None):
        return sdpa_ref(q, k, v, mask=m, scale=1.0 / math.sqrt(D))

    return model, [(i.name, i.type.tensor_type) for i in inputs], oracle


def projected(B=2, S=6, E=32, H=4, gemm=False):
    """Self attention with MatMul+Add (or Gemm) projections, Reshape +
    Transpose head split and merge, and an output projection."""
    D = E // H
    rng = np.random.default_rng(0)
    inits, nodes = [], []
    x_in = "x"
    if gemm:  # Gemm takes 2-D: flatten [B*S, E]
        inits.append(numpy_helper.from_array(np.array([B * S, E], np.int64), "flat"))
        nodes.append(helper.make_node("Reshape", ["x", "flat"], ["x2"]))
        x_in = "x2"
    for p in ("q", "k", "v", "o"):
        w = rng.standard_normal((E, E)).astype(np.float32) / math.sqrt(E)
        b = rng.standard_normal(E).astype(np.float32) * 0.1
        inits += [numpy_helper.from_array(w.T.copy() if gemm else w, f"w{p}"),
                  numpy_helper.from_array(b, f"b{p}")]
    inits += [numpy_helper.from_array(np.array([B, S, H, D], np.int64), "split"),
              numpy_helper.from_array(np.array([B, S, E], np.int64), "merge"),
              _const("c", math.sqrt(D))]
    for p in ("q", "k", "v"):
        if gemm:
            nodes.append(helper.make_node("Gemm", [x_in, f"w{p}", f"b{p}"], [f"{p}2"], transB=1))
            nodes.append(helper.make_node("Reshape", [f"{p}2", "merge"], [f"{p}1"]))
        else:
            nodes.append(helper.make_node("MatMul", [x_in, f"w{p}"], [f"{p}0"]))
            nodes.append(helper.make_node("Add", [f"{p}0", f"b{p}"], [f"{p}1"]))
        nodes.append(helper.make_node("Reshape", [f"{p}1", "split"], [f"{p}s"]))
        perm = [0, 2, 3, 1] if p == "k" else [0, 2, 1, 3]  # K^T straight away
        nodes.append(helper.make_node("Transpose", [f"{p}s"], [f"{p}h"], perm=perm))
    nodes += [helper.make_node("MatMul", ["qh", "kh"], ["s"]),
              helper.make_node("Div", ["s", "c"], ["s1"]),
              helper.make_node("Softmax", ["s1"], ["p"], axis=-1),
              helper.make_node("MatMul", ["p", "vh"], ["a"]),
              helper.make_node("Transpose", ["a"], ["at"], perm=[0, 2, 1, 3]),
              helper.make_node("Reshape", ["at", "merge"], ["am"]),
              helper.make_node("MatMul", ["am", "wo"], ["o0"]),
              helper.make_node("Add", ["o0", "bo"], ["y"])]
    model = _model(nodes, [_vi("x", [B, S, E])], [_vi("y", [B, S, E])], inits)
    weights = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in inits}

    def oracle(x):
        def proj(p):
            w = weights[f"w{p}"]
            return x @ (w.T if gemm else w) + weights[f"b{p}"]

        split = lambda t: t.reshape(B, S, H, D).transpose(0, 2, 1, 3)
        a = sdpa_ref(split(proj("q")), split(proj("k")), split(proj("v")), scale=1 / math.sqrt(D))
        a = a.transpose(0, 2, 1, 3).reshape(B, S, E)
        return a @ weights["wo"] + weights["bo"]

    return model, [("x", None)], oracle


def attention_op(B=1, H=2, S=8, D=16, causal=True):
    """The opset-23 Attention op (torch-mlir imports its function body)."""
    nodes = [helper.make_node("Attention", ["q", "k", "v"], ["o"], is_causal=int(causal))]
    inputs = [_vi("q", [B, H, S, D]), _vi("k", [B, H, S, D]), _vi("v", [B, H, S, D])]
    model = _model(nodes, inputs, [_vi("o", [B, H, S, D])], opset=23)

    def oracle(q, k, v):
        return sdpa_ref(q, k, v, causal=causal, scale=1.0 / math.sqrt(D))

    return model, [(i.name, None) for i in inputs], oracle


MODELS = {
    "onnx_chain_div": (lambda: chain(), 1),
    "onnx_chain_mul_additive_mask": (lambda: chain(mask="add", scale_op="Mul"), 1),
    "onnx_chain_where_mask": (lambda: chain(B=2, mask="where"), 1),
    "onnx_projected_matmul_add": (lambda: projected(), 1),
    "onnx_projected_gemm": (lambda: projected(gemm=True), 1),
    "onnx_attention_op_causal": (lambda: attention_op(), 1),
}


def import_onnx(model, output_type="linalg-on-tensors"):
    """torch-mlir's ONNX importer, then its backend pipeline; returns text.
    Function-defined ops (opset-23 Attention) are expanded into their
    bodies."""
    from torch_mlir.compiler_utils import (OutputType, lower_mlir_module,
                                           run_pipeline_with_repro_report)
    from torch_mlir.dialects import torch as torch_d
    from torch_mlir.extras import onnx_importer
    from torch_mlir.ir import Context

    config = onnx_importer.Config()
    config.function_expansion_allowlists_by_domain[""].add("Attention")
    ctx = Context()
    torch_d.register_dialect(ctx)
    info = onnx_importer.ModelInfo(model, config=config)
    module = info.create_module(context=ctx).operation
    onnx_importer.NodeImporter.define_function(info.main_graph, module).import_all()
    run_pipeline_with_repro_report(
        module, "builtin.module(torch-onnx-to-torch-backend-pipeline)",
        "ONNX -> torch backend")
    return str(lower_mlir_module(False, OutputType.get(output_type), module))
