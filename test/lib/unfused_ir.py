"""Unfused attention written in upstream dialects, the way other frontends
emit it: linalg named ops and generics (optionally after elementwise fusion),
arith on tensors, and TOSA. Used by the --attn-raise execution tests and the
raise benchmark.

Every builder returns the text of a module with one function @main whose
arguments are listed by `args` (name, shape, dtype) in order.
"""

import math

import numpy as np

NEG_INF = "0xFF800000"


def ttype(shape, dt):
    dims = "x".join(str(d) for d in shape)
    return f"tensor<{dims}x{dt}>" if dims else f"tensor<{dt}>"


def amap(n, results):
    dims = ", ".join(f"d{i}" for i in range(n))
    return f"affine_map<({dims}) -> ({', '.join(results)})>"


def fconst(x, dt):
    if x == -math.inf:
        return {"f32": "0xFF800000", "f16": "0xFC00", "bf16": "0xFF80"}[dt]
    return repr(float(x))


class Builder:
    def __init__(self):
        self.lines = []
        self.n = 0

    def fresh(self, stem="t"):
        self.n += 1
        return f"%{stem}{self.n}"

    def emit(self, line):
        self.lines.append("  " + line)

    def const(self, value, dt):
        name = self.fresh("c")
        self.emit(f"{name} = arith.constant {fconst(value, dt)} : {dt}")
        return name

    def empty(self, shape, dt):
        name = self.fresh("e")
        self.emit(f"{name} = tensor.empty() : {ttype(shape, dt)}")
        return name

    def fill(self, value, shape, dt):
        c = self.const(value, dt)
        e = self.empty(shape, dt)
        name = self.fresh("f")
        self.emit(f"{name} = linalg.fill ins({c} : {dt}) outs({e} : {ttype(shape, dt)}) -> {ttype(shape, dt)}")
        return name

    def generic(self, n_loops, ins, out, iterators, body):
        """ins: [(value, shape, dt, map results)], out: (init value, shape,
        dt, map results); body(args) -> (lines, yielded)."""
        maps = [amap(n_loops, m) for (_, _, _, m) in ins] + [amap(n_loops, out[3])]
        its = ", ".join(f'"{i}"' for i in iterators)
        ins_s = ", ".join(v for (v, _, _, _) in ins)
        ins_t = ", ".join(ttype(s, d) for (_, s, d, _) in ins)
        name = self.fresh()
        args = [f"%a{i}" for i in range(len(ins))] + ["%acc"]
        arg_decl = ", ".join(f"{a}: {d}" for a, (_, _, d, _) in zip(args, ins + [out]))
        lines, yielded = body(args)
        ins_clause = f" ins({ins_s} : {ins_t})" if ins else ""
        self.emit(
            f"{name} = linalg.generic {{indexing_maps = [{', '.join(maps)}], "
            f"iterator_types = [{its}]}}{ins_clause} outs({out[0]} : {ttype(out[1], out[2])}) {{")
        self.emit(f"^bb0({arg_decl}):")
        for l in lines:
            self.emit("  " + l)
        self.emit(f"  linalg.yield {yielded} : {out[2]}")
        self.emit(f"}} -> {ttype(out[1], out[2])}")
        return name

    def func(self, args, result_types, results):
        sig = ", ".join(f"%{n}: {ttype(s, d)}" for n, s, d in args)
        rt = ", ".join(result_types)
        rt = f"({rt})" if len(result_types) > 1 else rt
        body = "\n".join(self.lines)
        rv = ", ".join(results)
        return (f"func.func @main({sig}) -> {rt} {{\n{body}\n"
                f"  return {rv} : {', '.join(result_types)}\n}}\n")


def unfused_linalg(B=1, H=2, Hkv=None, Sq=8, Sk=8, D=4, Dv=None, rank=4, dt="f32",
                   qk="transpose", pv="named", scale="scores_mul", scale_value=None,
                   mask="none", mask_shape="2d", softmax="expanded", keepdim=False,
                   softcap=None, return_probs=False, softmax_axis="keys",
                   fill=-math.inf, q_bshd=False):
    """Attention as linalg on tensors. Returns (ir, args, attrs) where attrs
    describe the attention for the oracle.

    rank 4: [B, H, S, D]; rank 3: [B*H, S, D]; rank 2: [S, D] (B = H = 1).
    qk: "transpose" (linalg.transpose of K, then a contraction), "map" (a
        contraction generic reading K through a transposed map), "named_maps"
        (linalg.matmul/batch_matmul with indexing_maps, ranks 2 and 3).
    pv: "named" (matmul/batch_matmul; a generic at rank 4) or "generic".
    scale: "scores_mul", "scores_div" (arith.divf on tensors), "q", "qk_split",
        "none".
    mask: "none", "add", "bool", "bool_inverted", "causal", "causal_topleft",
        "window".
    softmax: "linalg", "expanded", "recip".
    q_bshd: (rank 4, generic contractions) Q is stored [B, Sq, H, D] and read
        through a transposed map.
    """
    Hkv = Hkv or H
    Dv = Dv or D
    acc = "f32"  # accumulation and softmax type
    if rank == 4:
        batch = [B, H]
        kv_batch = [B, Hkv]
    elif rank == 3:
        batch = [B * H]
        kv_batch = batch
        assert Hkv == H
    else:
        assert B == 1 and H == 1
        batch = []
        kv_batch = batch
    nb = len(batch)
    bd = [f"d{i}" for i in range(nb)]
    if scale_value is None:
        scale_value = 1.0 / math.sqrt(D)
    b = Builder()
    q_shape = [B, Sq, H, D] if q_bshd else batch + [Sq, D]
    q_map = [bd[0], f"d{nb}", bd[1], f"d{nb + 2}"] if q_bshd else bd + [f"d{nb}", f"d{nb + 2}"]
    assert not q_bshd or (rank == 4 and scale not in ("q", "qk_split"))
    args = [("q", q_shape, dt), ("k", kv_batch + [Sk, D], dt),
            ("v", kv_batch + [Sk, Dv], dt)]
    q, k, v = "%q", "%k", "%v"
    attrs = {"scale": scale_value}

    if Hkv != H:
        g = H // Hkv
        for name in ("k", "v"):
            last = D if name == "k" else Dv
            src = "%" + name
            e5 = b.empty([B, Hkv, g, Sk, last], dt)
            rep = b.generic(5, [(src, [B, Hkv, Sk, last], dt, ["d0", "d1", "d3", "d4"])],
                            (e5, [B, Hkv, g, Sk, last], dt, ["d0", "d1", "d2", "d3", "d4"]),
                            ["parallel"] * 5, lambda a: ([], a[0]))
            flat = b.fresh("rep")
            b.emit(f"{flat} = tensor.collapse_shape {rep} [[0], [1, 2], [3], [4]] : "
                   f"{ttype([B, Hkv, g, Sk, last], dt)} into {ttype([B, H, Sk, last], dt)}")
            if name == "k":
                k = flat
            else:
                v = flat
        kv_batch = batch

    def scale_tensor(x, shape, c, xdt):
        cst = b.const(c, xdt)
        e = b.empty(shape, xdt)
        idm = [f"d{i}" for i in range(len(shape))]
        return b.generic(len(shape), [(x, shape, xdt, idm)], (e, shape, xdt, idm),
                         ["parallel"] * len(shape),
                         lambda a: ([f"%m = arith.mulf {a[0]}, {cst} : {xdt}"], "%m"))

    if scale == "q":
        q = scale_tensor(q, batch + [Sq, D], scale_value, dt)
    elif scale == "qk_split":
        r = math.sqrt(scale_value)
        q = scale_tensor(q, batch + [Sq, D], r, dt)
        k = scale_tensor(k, kv_batch + [Sk, D], r, dt)

    # Scores S = Q K^T, accumulated in f32.
    s_shape = batch + [Sq, Sk]
    zero_s = b.fill(0.0, s_shape, acc)
    ext = (lambda x: (f"%x{x[1:]} = arith.extf {x} : {dt} to f32", f"%x{x[1:]}")) if dt != acc else None

    def mul_add(a):
        lines = []
        x, y = a[0], a[1]
        if ext:
            l0, x = ext(a[0])
            l1, y = ext(a[1])
            lines += [l0, l1]
        lines += [f"%p = arith.mulf {x}, {y} : f32", f"%s = arith.addf {a[2]}, %p : f32"]
        return lines, "%s"

    if qk in ("transpose", "named_maps") or (qk == "named" and rank < 4):
        kt = k
        if qk == "transpose":
            et = b.empty(kv_batch + [D, Sk], dt)
            kt = b.fresh("kt")
            perm = list(range(nb)) + [nb + 1, nb]
            b.emit(f"{kt} = linalg.transpose ins({k} : {ttype(kv_batch + [Sk, D], dt)}) "
                   f"outs({et} : {ttype(kv_batch + [D, Sk], dt)}) permutation = {perm}")
        if rank < 4 and dt == acc:
            op = "linalg.batch_matmul" if rank == 3 else "linalg.matmul"
            s = b.fresh("s")
            maps = ""
            ktype = ttype(kv_batch + [D, Sk], dt)
            if qk == "named_maps":
                n = nb + 3
                dd = [f"d{i}" for i in range(n)]
                maps = (f" indexing_maps = [{amap(n, dd[:nb] + [dd[nb], dd[nb + 2]])}, "
                        f"{amap(n, dd[:nb] + [dd[nb + 1], dd[nb + 2]])}, "
                        f"{amap(n, dd[:nb] + [dd[nb], dd[nb + 1]])}]")
                ktype = ttype(kv_batch + [Sk, D], dt)
            b.emit(f"{s} = {op}{maps} ins({q}, {kt} : {ttype(batch + [Sq, D], dt)}, {ktype}) "
                   f"outs({zero_s} : {ttype(s_shape, acc)}) -> {ttype(s_shape, acc)}")
        else:
            n = nb + 3
            kmap = bd + [f"d{nb + 2}", f"d{nb + 1}"] if qk == "transpose" else bd + [f"d{nb + 1}", f"d{nb + 2}"]
            kshape = kv_batch + ([D, Sk] if qk == "transpose" else [Sk, D])
            s = b.generic(n, [(q, q_shape, dt, q_map), (kt, kshape, dt, kmap)],
                          (zero_s, s_shape, acc, bd + [f"d{nb}", f"d{nb + 1}"]),
                          ["parallel"] * (nb + 2) + ["reduction"], mul_add)
    else:
        n = nb + 3
        s = b.generic(n, [(q, q_shape, dt, q_map),
                          (k, kv_batch + [Sk, D], dt, bd + [f"d{nb + 1}", f"d{nb + 2}"])],
                      (zero_s, s_shape, acc, bd + [f"d{nb}", f"d{nb + 1}"]),
                      ["parallel"] * (nb + 2) + ["reduction"], mul_add)

    r = len(s_shape)
    idm = [f"d{i}" for i in range(r)]
    rowm = idm[:-1] + (["0"] if keepdim else [])
    row_shape = s_shape[:-1] + ([1] if keepdim else [])

    def ew(x, body, extra=()):
        e = b.empty(s_shape, acc)
        ins = [(x, s_shape, acc, idm)] + list(extra)
        return b.generic(r, ins, (e, s_shape, acc, idm), ["parallel"] * r, body)

    if scale == "scores_mul":
        c = b.const(scale_value, acc)
        s = ew(s, lambda a: ([f"%m = arith.mulf {a[0]}, {c} : f32"], "%m"))
    elif scale == "scores_div":
        c = b.fresh("cd")
        b.emit(f"{c} = arith.constant dense<{1.0 / scale_value!r}> : {ttype(s_shape, acc)}")
        name = b.fresh("sd")
        b.emit(f"{name} = arith.divf {s}, {c} : {ttype(s_shape, acc)}")
        s = name
    elif scale == "none":
        attrs["scale"] = 1.0

    if softcap is not None:
        c1 = b.const(1.0 / softcap, acc)
        c2 = b.const(softcap, acc)
        s = ew(s, lambda a: ([f"%m = arith.mulf {a[0]}, {c1} : f32", "%t = math.tanh %m : f32",
                              f"%y = arith.mulf %t, {c2} : f32"], "%y"))
        attrs["softcap"] = softcap

    off = Sk - Sq
    if mask == "add":
        if mask_shape == "2d":
            mshape, mmap = [Sq, Sk], idm[-2:]
        else:  # [B, 1, Sq, Sk] at rank 4
            mshape, mmap = [B, 1, Sq, Sk], [idm[0], "0", idm[2], idm[3]]
        args.append(("mask", mshape, acc))
        s = ew(s, lambda a: ([f"%m = arith.addf {a[0]}, {a[1]} : f32"], "%m"),
               [("%mask", mshape, acc, mmap)])
        attrs["mask"] = ("add", mshape)
    elif mask in ("bool", "bool_inverted"):
        mshape, mmap = [Sq, Sk], idm[-2:]
        args.append(("mask", mshape, "i1"))
        ninf = b.const(fill, acc)
        if mask == "bool":
            body = lambda a: ([f"%m = arith.select {a[1]}, {a[0]}, {ninf} : f32"], "%m")
        else:
            body = lambda a: ([f"%m = arith.select {a[1]}, {ninf}, {a[0]} : f32"], "%m")
        s = ew(s, body, [("%mask", mshape, "i1", mmap)])
        attrs["mask"] = (mask, mshape)
        attrs["fill"] = fill
    elif mask in ("causal", "causal_topleft", "window"):
        ninf = b.const(fill, acc)
        o = 0 if mask == "causal_topleft" else off
        left = 3

        def body(a):
            lines = [f"%i = linalg.index {r - 2} : index", f"%j = linalg.index {r - 1} : index",
                     f"%o = arith.constant {o} : index", "%io = arith.addi %i, %o : index",
                     "%keep = arith.cmpi sle, %j, %io : index"]
            if mask == "window":
                lines += [f"%l = arith.constant {left} : index", "%jl = arith.addi %j, %l : index",
                          "%k2 = arith.cmpi sge, %jl, %io : index",
                          "%k3 = arith.andi %keep, %k2 : i1"]
                return lines + [f"%m = arith.select %k3, {a[0]}, {ninf} : f32"], "%m"
            return lines + [f"%m = arith.select %keep, {a[0]}, {ninf} : f32"], "%m"

        s = ew(s, body)
        attrs["band"] = (o, left if mask == "window" else None)
        attrs["fill"] = fill

    # Softmax over the keys (or, for a look-alike, over the queries).
    if softmax == "linalg":
        e = b.empty(s_shape, acc)
        p = b.fresh("p")
        dim = r - 1 if softmax_axis == "keys" else r - 2
        b.emit(f"{p} = linalg.softmax dimension({dim}) ins({s} : {ttype(s_shape, acc)}) "
               f"outs({e} : {ttype(s_shape, acc)}) -> {ttype(s_shape, acc)}")
    else:
        if softmax_axis == "keys":
            red_in = idm
        else:  # reduce over the queries: swap the last two loops
            red_in = idm[:-2] + [idm[-1], idm[-2]]
        init_m = b.fill(-math.inf, row_shape, acc)
        mx = b.generic(r, [(s, s_shape, acc, red_in)], (init_m, row_shape, acc, rowm),
                       ["parallel"] * (r - 1) + ["reduction"],
                       lambda a: ([f"%m = arith.maximumf {a[0]}, {a[1]} : f32"], "%m"))
        bmap = rowm if softmax_axis == "keys" else idm[:-2] + [idm[-1]] + (["0"] if keepdim else [])
        ex = ew(s, lambda a: ([f"%d = arith.subf {a[0]}, {a[1]} : f32", "%x = math.exp %d : f32"], "%x"),
                [(mx, row_shape, acc, bmap)])
        init_s = b.fill(0.0, row_shape, acc)
        sm = b.generic(r, [(ex, s_shape, acc, red_in)], (init_s, row_shape, acc, rowm),
                       ["parallel"] * (r - 1) + ["reduction"],
                       lambda a: ([f"%m = arith.addf {a[0]}, {a[1]} : f32"], "%m"))
        if softmax == "recip":
            er = b.empty(row_shape, acc)
            rm = [f"d{i}" for i in range(len(row_shape))]
            rc = b.generic(len(row_shape), [(sm, row_shape, acc, rm)], (er, row_shape, acc, rm),
                           ["parallel"] * len(row_shape),
                           lambda a: (["%one = arith.constant 1.0 : f32",
                                       f"%m = arith.divf %one, {a[0]} : f32"], "%m"))
            p = ew(ex, lambda a: ([f"%m = arith.mulf {a[0]}, {a[1]} : f32"], "%m"),
                   [(rc, row_shape, acc, bmap)])
        else:
            p = ew(ex, lambda a: ([f"%m = arith.divf {a[0]}, {a[1]} : f32"], "%m"),
                   [(sm, row_shape, acc, bmap)])

    # O = P V, with P in the value type.
    pdt = dt
    if dt != acc:
        e = b.empty(s_shape, dt)
        p = b.generic(r, [(p, s_shape, acc, idm)], (e, s_shape, dt, idm), ["parallel"] * r,
                      lambda a: ([f"%m = arith.truncf {a[0]} : f32 to {dt}"], "%m"))
    o_shape = batch + [Sq, Dv]
    zero_o = b.fill(0.0, o_shape, acc)
    if pv == "named" and rank < 4 and dt == acc:
        op = "linalg.batch_matmul" if rank == 3 else "linalg.matmul"
        o = b.fresh("o")
        b.emit(f"{o} = {op} ins({p}, {v} : {ttype(s_shape, pdt)}, {ttype(kv_batch + [Sk, Dv], dt)}) "
               f"outs({zero_o} : {ttype(o_shape, acc)}) -> {ttype(o_shape, acc)}")
    else:
        n = nb + 3
        o = b.generic(n, [(p, s_shape, pdt, bd + [f"d{nb}", f"d{nb + 2}"]),
                          (v, kv_batch + [Sk, Dv], dt, bd + [f"d{nb + 2}", f"d{nb + 1}"])],
                      (zero_o, o_shape, acc, bd + [f"d{nb}", f"d{nb + 1}"]),
                      ["parallel"] * (nb + 2) + ["reduction"], mul_add)
    results, rtypes = [o], [ttype(o_shape, acc)]
    if return_probs:
        results.append(p)
        rtypes.append(ttype(s_shape, pdt))
    return b.func(args, rtypes, results), args, attrs


def unfused_tosa(N=2, Sq=8, Sk=8, D=4, Dv=None, scale_value=None, mask="none"):
    """Attention in TOSA on [N, S, D]: transpose, matmul, mul (with its shift
    operand), optional additive mask, reduce_max, sub, exp, reduce_sum,
    reciprocal, mul, matmul."""
    Dv = Dv or D
    if scale_value is None:
        scale_value = 1.0 / math.sqrt(D)
    t = lambda s: ttype(s, "f32")
    lines = [
        f"%zp = \"tosa.const\"() <{{values = dense<0.0> : tensor<1xf32>}}> : () -> tensor<1xf32>",
        f"%shift = \"tosa.const\"() <{{values = dense<0> : tensor<1xi8>}}> : () -> tensor<1xi8>",
        f"%c = \"tosa.const\"() <{{values = dense<{scale_value!r}> : tensor<1x1x1xf32>}}> : () -> tensor<1x1x1xf32>",
        f"%kt = tosa.transpose %k {{perms = array<i32: 0, 2, 1>}} : ({t([N, Sk, D])}) -> {t([N, D, Sk])}",
        f"%s = tosa.matmul %q, %kt, %zp, %zp : ({t([N, Sq, D])}, {t([N, D, Sk])}, tensor<1xf32>, tensor<1xf32>) -> {t([N, Sq, Sk])}",
        f"%s1 = tosa.mul %s, %c, %shift : ({t([N, Sq, Sk])}, tensor<1x1x1xf32>, tensor<1xi8>) -> {t([N, Sq, Sk])}",
    ]
    args = [("q", [N, Sq, D], "f32"), ("k", [N, Sk, D], "f32"), ("v", [N, Sk, Dv], "f32")]
    attrs = {"scale": scale_value}
    s = "%s1"
    if mask == "add":
        args.append(("mask", [1, Sq, Sk], "f32"))
        lines.append(f"%s2 = tosa.add %s1, %mask : ({t([N, Sq, Sk])}, {t([1, Sq, Sk])}) -> {t([N, Sq, Sk])}")
        s = "%s2"
        attrs["mask"] = ("add", [Sq, Sk])
    lines += [
        f"%mx = tosa.reduce_max {s} {{axis = 2 : i32}} : ({t([N, Sq, Sk])}) -> {t([N, Sq, 1])}",
        f"%d = tosa.sub {s}, %mx : ({t([N, Sq, Sk])}, {t([N, Sq, 1])}) -> {t([N, Sq, Sk])}",
        f"%e = tosa.exp %d : ({t([N, Sq, Sk])}) -> {t([N, Sq, Sk])}",
        f"%z = tosa.reduce_sum %e {{axis = 2 : i32}} : ({t([N, Sq, Sk])}) -> {t([N, Sq, 1])}",
        f"%r = tosa.reciprocal %z : ({t([N, Sq, 1])}) -> {t([N, Sq, 1])}",
        f"%p = tosa.mul %e, %r, %shift : ({t([N, Sq, Sk])}, {t([N, Sq, 1])}, tensor<1xi8>) -> {t([N, Sq, Sk])}",
        f"%o = tosa.matmul %p, %v, %zp, %zp : ({t([N, Sq, Sk])}, {t([N, Sk, Dv])}, tensor<1xf32>, tensor<1xf32>) -> {t([N, Sq, Dv])}",
    ]
    sig = ", ".join(f"%{n}: {ttype(s, d)}" for n, s, d in args)
    body = "\n".join("  " + l for l in lines)
    ir = (f"func.func @main({sig}) -> {t([N, Sq, Dv])} {{\n{body}\n"
          f"  return %o : {t([N, Sq, Dv])}\n}}\n")
    return ir, args, attrs


def unfused_oracle(values, attrs, rank, Sq, Sk, q_bshd=False):
    """The float64 result of unfused_linalg's graph on `values` (its
    arguments, float64 or bool), from the attributes it returned."""
    from attn_testing import sdpa_ref

    def to4(x):
        x = np.asarray(x)
        return x if rank == 4 else x[(None,) * (4 - rank)]

    q, k, v = (to4(x) for x in values[:3])
    if q_bshd:
        q = q.transpose(0, 2, 1, 3)
    mask = None
    if "mask" in attrs:
        kind = attrs["mask"][0]
        m = values[3]
        if kind == "add":
            mask = np.asarray(m, np.float64)
        else:
            mask = np.asarray(m, bool)
            if kind == "bool_inverted":
                mask = ~mask
        mask = mask[(None,) * (4 - mask.ndim)]
    if "band" in attrs:
        # keep j <= i + o (and j >= i + o - left), as a bool mask
        o, left = attrs["band"]
        i = np.arange(Sq)[:, None]
        j = np.arange(Sk)[None, :]
        keep = j <= i + o
        if left is not None:
            keep &= j >= i + o - left
        mask = keep[None, None]
    out = sdpa_ref(q, k, v, mask=mask, scale=attrs["scale"], softcap=attrs.get("softcap"))
    return out.reshape(out.shape[4 - rank:]) if rank < 4 else out


def draw_inputs(runner, args, attrs):
    """Fresh inputs for unfused_linalg's arguments: (encoded arrays, float64
    or bool values). Every row of a bool mask keeps a key: the upstream
    graphs give NaN on rows with none kept, where attn.sdpa gives 0."""
    inputs, values = [], []
    for _, shape, dt in args:
        if dt == "i1":
            m = runner.bool_mask(shape)
            inverted = attrs["mask"][0] == "bool_inverted"
            if inverted:
                m = ~m
            m[..., 0] = not inverted
            inputs.append(m)
            values.append(m)
        else:
            x, xv = runner.normal(shape, dt)
            inputs.append(x)
            values.append(xv)
    return inputs, values
