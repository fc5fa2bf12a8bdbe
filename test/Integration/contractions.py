# Upstream linalg contractions (what frontends leave around attention: the
# projections, unfused scores) on the cpu pipeline's matmul kernel
# (--attn-tile-contractions): every layout and element type below must be
# taken by the kernel and match float64 NumPy on fresh random inputs.
# REQUIRES: attn-run, numpy
# RUN: %python %s --pipeline=cpu
# RUN: %python %s --pipeline=cpu --threads=1
# RUN: %python %s --pipeline="builtin.module(attn-cpu-pipeline{vector-width=4})"
# RUN: %python %s --pipeline=reference

import subprocess

import numpy as np

from attn_testing import TOLERANCE, Runner, tensor_type

r = Runner()

ELT = {"f32": "f32", "f16": "f16", "bf16": "bf16"}


def ttype(shape, dt):
    return tensor_type(shape, dt)


def generic(name, a_shape, b_shape, c_shape, maps, iters, dims, einsum,
            dt="f32", out_dt="f32", init="zero", dynamic=False, taken=True):
    """A contraction `linalg.generic` C = init + A*B over loops `dims`
    (names in the affine maps), checked against einsum in float64."""
    if r.args.only and r.args.only not in name:
        return
    a_in, a = r.normal(a_shape, dt)
    b_in, b = r.normal(b_shape, dt)
    inputs = [a_in, b_in]
    shape = (lambda s: ["?"] * len(s)) if dynamic else (lambda s: s)
    at, bt, ct = (ttype(shape(s), d) for s, d in
                  ((a_shape, dt), (b_shape, dt), (c_shape, out_dt)))
    sig = f"%a: {at}, %b: {bt}"
    lines = []
    if init == "arg":
        c_in, c0 = r.normal(c_shape, out_dt)
        inputs.append(c_in)
        sig += f", %c: {ct}"
        init_v = "%c"
    else:
        c0 = np.zeros(c_shape)
        sizes = []
        if dynamic:
            # Result dims from the operands they index.
            for i, extent in enumerate(c_shape):
                name_i = maps[2][i]
                for op, m in (("%a", maps[0]), ("%b", maps[1])):
                    if name_i in m:
                        lines.append(f"  %i{i} = arith.constant {m.index(name_i)} : index")
                        lines.append(f"  %d{i} = tensor.dim {op}, %i{i} : "
                                     f"{at if op == '%a' else bt}")
                        sizes.append(f"%d{i}")
                        break
        lines.append(f"  %e = tensor.empty({', '.join(sizes)}) : {ct}")
        lines.append(f"  %zero = arith.constant 0.0 : {ELT[out_dt]}")
        lines.append(f"  %f = linalg.fill ins(%zero : {ELT[out_dt]}) outs(%e : {ct}) -> {ct}")
        init_v = "%f"

    def amap(names):
        return f"affine_map<({', '.join(dims)}) -> ({', '.join(names)})>"

    body_a, body_b = "%x", "%y"
    conv = []
    if dt != out_dt:
        conv = [f"    %xe = arith.extf %x : {ELT[dt]} to {ELT[out_dt]}",
                f"    %ye = arith.extf %y : {ELT[dt]} to {ELT[out_dt]}"]
        body_a, body_b = "%xe", "%ye"
    lines += [
        f"  %r = linalg.generic {{indexing_maps = [{', '.join(amap(m) for m in maps)}], "
        f"iterator_types = [{', '.join(repr(i).replace(chr(39), chr(34)) for i in iters)}]}} "
        f"ins(%a, %b : {at}, {bt}) outs({init_v} : {ct}) {{",
        f"  ^bb0(%x: {ELT[dt]}, %y: {ELT[dt]}, %acc: {ELT[out_dt]}):",
        *conv,
        f"    %p = arith.mulf {body_a}, {body_b} : {ELT[out_dt]}",
        f"    %s = arith.addf %acc, %p : {ELT[out_dt]}",
        f"    linalg.yield %s : {ELT[out_dt]}",
        f"  }} -> {ct}",
        f"  return %r : {ct}",
    ]
    ir = f"func.func @main({sig}) -> {ct} {{\n" + "\n".join(lines) + "\n}\n"
    check_taken(name, ir, taken)
    expected = c0 + np.einsum(einsum, a, b)
    # Decoded as the result type, to the tolerance of the operands' type.
    r.check(name, ir, inputs, expected, out_dt, tol=TOLERANCE[dt])


def named(name, op, a_shape, b_shape, c_shape, einsum, dt="f32", maps=None):
    """A named contraction (linalg.matmul / batch_matmul), optionally with
    explicit indexing maps."""
    if r.args.only and r.args.only not in name:
        return
    a_in, a = r.normal(a_shape, dt)
    b_in, b = r.normal(b_shape, dt)
    at, bt, ct = ttype(a_shape, dt), ttype(b_shape, dt), ttype(c_shape, "f32")
    attrs = f" indexing_maps = [{', '.join(maps)}]" if maps else ""
    ir = (f"func.func @main(%a: {at}, %b: {bt}) -> {ct} {{\n"
          f"  %e = tensor.empty() : {ct}\n"
          f"  %zero = arith.constant 0.0 : f32\n"
          f"  %f = linalg.fill ins(%zero : f32) outs(%e : {ct}) -> {ct}\n"
          f"  %r = linalg.{op}{attrs} ins(%a, %b : {at}, {bt}) outs(%f : {ct}) -> {ct}\n"
          f"  return %r : {ct}\n}}\n")
    check_taken(name, ir, True)
    r.check(name, ir, [a_in, b_in], np.einsum(einsum, a, b), dt)


def check_folded(name, ir, leftover, what):
    """After --attn-tile-contractions and cleanup, `leftover` must be gone."""
    proc = subprocess.run(["attn-opt", "--attn-tile-contractions",
                           "--canonicalize"], input=ir,
                          capture_output=True, text=True)
    if proc.returncode != 0 or leftover in proc.stdout:
        print(f"FAIL {name}: {what} was not folded into the kernel\n"
              f"{proc.stderr}")
        r.failures += 1
        r.count += 1


def check_taken(name, ir, taken):
    """The kernel must take (or leave) the contraction."""
    proc = subprocess.run(["attn-opt", "--attn-tile-contractions"], input=ir,
                          capture_output=True, text=True)
    left = "linalg." in proc.stdout.replace("linalg.fill", "")
    if proc.returncode != 0 or left == taken:
        print(f"FAIL {name}: attn-tile-contractions "
              f"{'left' if left else 'took'} the contraction\n"
              f"{proc.stderr}{proc.stdout}")
        r.failures += 1
        r.count += 1


def linear_bias(name, m, k, n, bias_shape=None, broadcast=True, swap=False,
                init="zero"):
    """y = x @ W^T + b as torch-mlir emits it (the product, the bias
    broadcast over the rows, their sum): the add goes into the kernel's
    epilogue. `bias_shape` (1, n) indexes the bias as TOSA does, with a
    constant 0; `swap` adds in the other order; init "arg" accumulates."""
    if r.args.only and r.args.only not in name:
        return
    bias_shape = bias_shape or (n,)
    x_in, x = r.normal((m, k), "f32")
    w_in, w = r.normal((n, k), "f32")
    b_in, bias = r.normal(bias_shape, "f32")
    inputs = [x_in, w_in, b_in]
    bt = ttype(bias_shape, "f32")
    bmap = "(d1)" if len(bias_shape) == 1 else "(0, d1)"
    sig = f"%x: tensor<{m}x{k}xf32>, %w: tensor<{n}x{k}xf32>, %b: {bt}"
    lines = [f"  %zero = arith.constant 0.0 : f32",
             f"  %e = tensor.empty() : tensor<{m}x{n}xf32>",
             f"  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<{m}x{n}xf32>) -> tensor<{m}x{n}xf32>"]
    acc, c0 = "%f", np.zeros((m, n))
    if init == "arg":
        c_in, c0 = r.normal((m, n), "f32")
        inputs.append(c_in)
        sig += f", %c: tensor<{m}x{n}xf32>"
        acc = "%c"
    lines.append(
        f"  %p = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, "
        f"affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>] "
        f"ins(%x, %w : tensor<{m}x{k}xf32>, tensor<{n}x{k}xf32>) "
        f"outs({acc} : tensor<{m}x{n}xf32>) -> tensor<{m}x{n}xf32>")
    idm = "affine_map<(d0, d1) -> (d0, d1)>"
    bias_v, bias_t, bias_map = "%b", bt, f"affine_map<(d0, d1) -> {bmap}>"
    if broadcast:
        lines.append(
            f"  %bb = linalg.generic {{indexing_maps = [{bias_map}, {idm}], "
            f"iterator_types = [\"parallel\", \"parallel\"]}} ins(%b : {bt}) "
            f"outs(%e : tensor<{m}x{n}xf32>) {{\n"
            f"  ^bb0(%i: f32, %o: f32):\n    linalg.yield %i : f32\n"
            f"  }} -> tensor<{m}x{n}xf32>")
        bias_v, bias_t, bias_map = "%bb", f"tensor<{m}x{n}xf32>", idm
    lhs, rhs = ("%v", "%u") if swap else ("%u", "%v")
    lines += [
        f"  %y = linalg.generic {{indexing_maps = [{idm}, {bias_map}, {idm}], "
        f"iterator_types = [\"parallel\", \"parallel\"]}} "
        f"ins(%p, {bias_v} : tensor<{m}x{n}xf32>, {bias_t}) "
        f"outs(%e : tensor<{m}x{n}xf32>) {{",
        f"  ^bb0(%u: f32, %v: f32, %o: f32):",
        f"    %s = arith.addf {lhs}, {rhs} : f32",
        f"    linalg.yield %s : f32",
        f"  }} -> tensor<{m}x{n}xf32>",
        f"  return %y : tensor<{m}x{n}xf32>"]
    ir = (f"func.func @main({sig}) -> tensor<{m}x{n}xf32> {{\n" +
          "\n".join(lines) + "\n}\n")
    # The broadcast is dead once the add is fused.
    check_folded(name, ir, "linalg.generic", "the bias add")
    expected = c0 + x @ w.T + bias.reshape(-1)
    r.check(name, ir, inputs, expected, "f32")


def layout_case(name, m, k, n, expand=None, perm=None, bias=True):
    """y = x @ W^T (+ b), then expand_shape `expand` (reassociation, shape)
    and/or transpose `perm`, as frontends split and merge heads: the kernel
    stores into the final layout, checked against NumPy."""
    if r.args.only and r.args.only not in name:
        return
    x_in, x = r.normal((m, k), "f32")
    w_in, w = r.normal((n, k), "f32")
    b_in, bv = r.normal((n,), "f32")
    inputs = [x_in, w_in] + ([b_in] if bias else [])
    y = x @ w.T + (bv if bias else 0)
    mn = f"tensor<{m}x{n}xf32>"
    lines = [f"  %zero = arith.constant 0.0 : f32",
             f"  %e = tensor.empty() : {mn}",
             f"  %f = linalg.fill ins(%zero : f32) outs(%e : {mn}) -> {mn}",
             f"  %p = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, "
             f"affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>] "
             f"ins(%x, %w : tensor<{m}x{k}xf32>, tensor<{n}x{k}xf32>) "
             f"outs(%f : {mn}) -> {mn}"]
    v, vt = "%p", mn
    if bias:
        lines += [
            f"  %y = linalg.generic {{indexing_maps = [affine_map<(i, j) -> (i, j)>, "
            f"affine_map<(i, j) -> (j)>, affine_map<(i, j) -> (i, j)>], "
            f"iterator_types = [\"parallel\", \"parallel\"]}} "
            f"ins(%p, %b : {mn}, tensor<{n}xf32>) outs(%e : {mn}) {{",
            f"  ^bb0(%u: f32, %c: f32, %o: f32):",
            f"    %s = arith.addf %u, %c : f32",
            f"    linalg.yield %s : f32",
            f"  }} -> {mn}"]
        v = "%y"
    if expand:
        groups, shape = expand
        y = y.reshape(shape)
        et = ttype(shape, "f32")
        lines.append(f"  %x2 = tensor.expand_shape {v} {groups} output_shape "
                     f"{list(shape)} : {vt} into {et}")
        v, vt = "%x2", et
    if perm:
        y = y.transpose(perm)
        pt = ttype(y.shape, "f32")
        lines += [f"  %te = tensor.empty() : {pt}",
                  f"  %t = linalg.transpose ins({v} : {vt}) outs(%te : {pt}) "
                  f"permutation = {list(perm)}"]
        v, vt = "%t", pt
    lines.append(f"  return {v} : {vt}")
    sig = f"%x: tensor<{m}x{k}xf32>, %w: tensor<{n}x{k}xf32>"
    if bias:
        sig += f", %b: tensor<{n}xf32>"
    ir = f"func.func @main({sig}) -> {vt} {{\n" + "\n".join(lines) + "\n}\n"
    # Nothing but the kernel's stores is left (the transpose and the add are
    # gone; an expand_shape alone is a view and stays).
    check_folded(name, ir, "linalg.", "the output layout")
    r.check(name, ir, inputs, y, "f32")


MM = ["m", "n", "k"]
PAR2 = ["parallel", "parallel", "reduction"]

named("matmul_odd", "matmul", (13, 20), (20, 37), (13, 37), "mk,kn->mn")
named("matmul_whole_tiles", "matmul", (12, 64), (64, 32), (12, 32), "mk,kn->mn")
named("matmul_transposed_b", "matmul", (33, 24), (40, 24), (33, 40), "mk,nk->mn",
      maps=["affine_map<(m, n, k) -> (m, k)>", "affine_map<(m, n, k) -> (n, k)>",
            "affine_map<(m, n, k) -> (m, n)>"])
named("matmul_transposed_a", "matmul", (24, 7), (24, 9), (7, 9), "km,kn->mn",
      maps=["affine_map<(m, n, k) -> (k, m)>", "affine_map<(m, n, k) -> (k, n)>",
            "affine_map<(m, n, k) -> (m, n)>"])
named("batch_matmul", "batch_matmul", (3, 9, 17), (3, 17, 24), (3, 9, 24),
      "bmk,bkn->bmn")
named("matmul_vector_matrix", "matmul", (1, 50), (50, 3), (1, 3), "mk,kn->mn")
# x @ W^T with x [B, S, E] and a torch.nn.Linear weight [N, E]: two M dims.
generic("linear_3d", (2, 11, 24), (40, 24), (2, 11, 40),
        [["b", "s", "e"], ["n", "e"], ["b", "s", "n"]],
        ["parallel", "parallel", "parallel", "reduction"], ["b", "s", "n", "e"],
        "bse,ne->bsn")
# The output projection's form: reduce over (h, d) of a[m, h, d].
generic("two_k_dims", (10, 3, 8), (20, 3, 8), (10, 20),
        [["m", "h", "d"], ["n", "h", "d"], ["m", "n"]],
        ["parallel", "parallel", "reduction", "reduction"], ["m", "n", "h", "d"],
        "mhd,nhd->mn")
# Heads as a batch dim, in the middle of the operands.
generic("batch_in_middle", (7, 4, 16), (9, 4, 16), (4, 7, 9),
        [["m", "h", "d"], ["n", "h", "d"], ["h", "m", "n"]],
        ["parallel", "parallel", "parallel", "reduction"], ["h", "m", "n", "d"],
        "mhd,nhd->hmn")
# C stored transposed: N is not the innermost dim, lanes are stored one by one.
generic("transposed_result", (9, 12), (12, 21), (21, 9),
        [["m", "k"], ["k", "n"], ["n", "m"]], PAR2, MM, "mk,kn->nm")
generic("accumulate_into_init", (8, 16), (16, 19), (8, 19),
        [["m", "k"], ["k", "n"], ["m", "n"]], PAR2, MM, "mk,kn->mn", init="arg")
generic("dynamic", (14, 30), (30, 27), (14, 27),
        [["m", "k"], ["k", "n"], ["m", "n"]], PAR2, MM, "mk,kn->mn", dynamic=True)
generic("dynamic_batch", (2, 5, 30), (2, 30, 17), (2, 5, 17),
        [["b", "m", "k"], ["b", "k", "n"], ["b", "m", "n"]],
        ["parallel", "parallel", "parallel", "reduction"], ["b", "m", "n", "k"],
        "bmk,bkn->bmn", dynamic=True)
generic("f16_in_f32_out", (9, 40), (40, 24), (9, 24),
        [["m", "k"], ["k", "n"], ["m", "n"]], PAR2, MM, "mk,kn->mn",
        dt="f16", out_dt="f32")
generic("f16", (9, 40), (40, 24), (9, 24),
        [["m", "k"], ["k", "n"], ["m", "n"]], PAR2, MM, "mk,kn->mn",
        dt="f16", out_dt="f16")
generic("bf16_in_f32_out", (6, 32), (32, 20), (6, 20),
        [["m", "k"], ["k", "n"], ["m", "n"]], PAR2, MM, "mk,kn->mn",
        dt="bf16", out_dt="f32")
# Two N dims: not a shape the kernel takes; still computes right.
generic("two_n_dims_left_alone", (5, 8), (8, 3, 4), (5, 3, 4),
        [["m", "k"], ["k", "n", "p"], ["m", "n", "p"]],
        ["parallel", "parallel", "parallel", "reduction"], ["m", "n", "p", "k"],
        "mk,knp->mnp", taken=False)
# Linear layers with a bias, added in the kernel's epilogue.
linear_bias("linear_bias", 37, 24, 45)
linear_bias("linear_bias_whole_tiles", 12, 64, 64, swap=True)
linear_bias("linear_bias_tosa_row", 9, 16, 21, bias_shape=(1, 21))
linear_bias("linear_bias_unbroadcast", 10, 8, 33, broadcast=False)
linear_bias("linear_bias_accumulate", 7, 12, 19, init="arg")
# Results stored straight into the layout of the transposes that split and
# merge heads after a projection.
# [S*B, 3E] -> [S*B, 3, H, Dh] -> [3, S*B, H, Dh]: packed QKV split (the
# innermost piece is whole vectors with 8 and 16 lanes).
layout_case("layout_qkv_split", 10, 8, 3 * 2 * 32,
            expand=("[[0], [1, 2, 3]]", (10, 3, 2, 32)), perm=(1, 0, 2, 3))
# A 4-wide innermost piece: lane by lane.
layout_case("layout_small_heads", 12, 8, 24,
            expand=("[[0], [1, 2, 3]]", (12, 3, 2, 4)), perm=(1, 0, 2, 3))
# Rows (S, B) merged back to [B, S, E], no bias.
layout_case("layout_rows_to_batch_major", 12, 8, 16,
            expand=("[[0, 1], [2]]", (6, 2, 16)), perm=(1, 0, 2), bias=False)
# N moved off the innermost dim: lane by lane.
layout_case("layout_transposed_result", 12, 8, 20, perm=(1, 0))
# Not all of N whole tiles: masked lanes at the end of each piece.
layout_case("layout_odd_n", 7, 5, 2 * 24,
            expand=("[[0], [1, 2]]", (7, 2, 24)), perm=(1, 0, 2))

r.finish()
