"""A SIMT emulator of the --attn-gpu-flash output, for testing the GPU
kernels' numerics on a machine without a GPU.

It runs a function in MLIR's generic op form after `--attn-gpu-flash`: the
host side (bufferization, gpu.alloc/memcpy) directly, and each block of a
`gpu.launch` with all its threads in lockstep, every SSA value holding one
entry per thread. The warp-level operations follow the PTX ISA's fragment
layouts, independently of how the compiler computes its addresses:

- `nvgpu.ldmatrix`: lanes 8i..8i+7 give the row addresses of matrix i; lane
  l receives row l/4, columns 2(l%4), 2(l%4)+1 of each matrix (transposed:
  rows 2(l%4), 2(l%4)+1 of column l/4).
- `mma.sync m16n8k16`: with g = l/4, t = l%4, A registers hold A[g][2t..],
  A[g+8][2t..], A[g][2t+8..], A[g+8][2t+8..]; B registers B[2t..][g],
  B[2t+8..][g]; C/D rows C[g][2t..], C[g+8][2t..].
- `gpu.shuffle xor` within each warp of 32 lanes.

Shared memory starts as NaN and device buffers as NaN, so that a read of
anything the kernel did not write shows in the result. Shared memory also
checks synchronization (class Shared): between two barriers warps run in any
order, so an element written by one thread and touched by another in the
same epoch is a race, and `cp.async` writes (zero-filled past their source
size) land only when a `cp.async.wait_group` completes their group.
Divergent `scf.if` runs both sides under a mask of active lanes.
"""

import re

import numpy as np

WARP = 32


# ----------------------------------------------------------------------------
# Parsing the generic form
# ----------------------------------------------------------------------------


class Op:
    def __init__(self, results, name, operands, attrs, regions, sig):
        self.results = results      # list of result names (expanded for :N)
        self.name = name
        self.operands = operands    # list of value names
        self.attrs = attrs          # text of <{...}> and {...}
        self.regions = regions      # list of (block args, ops)
        self.sig = sig              # text after the last " : "


def split_top(text, sep=","):
    """Splits at `sep` outside brackets."""
    out, depth, cur = [], 0, ""
    for ch in text:
        if ch in "<([{":
            depth += 1
        elif ch in ">)]}":
            depth -= 1
        if ch == sep and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


OP_RE = re.compile(r'^(?:(%[\w]+)(?::(\d+))? = )?"([\w.]+)"\((.*?)\)(.*)$')


def parse_ops(lines, i):
    """Parses ops until a region end; returns (ops, next line index)."""
    ops = []
    while i < len(lines):
        line = lines[i].strip()
        if line.startswith("#"):  # attribute aliases
            i += 1
            continue
        if not line or line.startswith("}"):
            return ops, i
        m = OP_RE.match(line)
        if not m:
            raise ValueError(f"cannot parse: {line}")
        res, count, name, operands, rest = m.groups()
        results = []
        if res:
            n = int(count) if count else 1
            results = [res] if n == 1 else [f"{res}#{k}" for k in range(n)]
        operands = [o.strip() for o in operands.split(",") if o.strip()]
        regions = []
        i += 1
        if rest.rstrip().endswith("({"):
            attrs = rest.rstrip()[:-2]
            while True:
                args = []
                if i < len(lines) and lines[i].strip().startswith("^bb"):
                    hdr = lines[i].strip()
                    args = re.findall(r"(%\w+):", hdr)
                    i += 1
                body, i = parse_ops(lines, i)
                regions.append((args, body))
                close = lines[i].strip()
                i += 1
                if close == "}, {":
                    continue
                assert close.startswith("})"), close
                tail = close[2:]
                attrs += " " + tail
                break
        else:
            attrs = rest
        sig = attrs.rsplit(" : ", 1)[1] if " : " in attrs else ""
        ops.append(Op(results, name, operands, attrs, regions, sig))
    return ops, i


def result_types(sig):
    if "->" not in sig:
        return []
    out = sig.rsplit("->", 1)[1].strip()
    if out.startswith("("):
        out = out[1:-1]
    return split_top(out)


def parse_shaped(t):
    """'memref<2x?x16xf16, #...>' -> ([2, None, 16], 'f16')."""
    inner = t[t.index("<") + 1:t.rindex(">")]
    inner = split_top(inner)[0]
    parts = inner.split("x")
    dims = [None if p == "?" else int(p) for p in parts[:-1]]
    return dims, parts[-1]


def attr(op, key):
    m = re.search(key + r" = ([^,}>]+(?:<[^>]*>)?)", op.attrs)
    return m.group(1).strip() if m else None


def int_list(op, key):
    m = re.search(key + r" = (?:array<i\d+: )?\[?([-\d, ]+)", op.attrs)
    return [int(x) for x in m.group(1).split(",") if x.strip()]


# ----------------------------------------------------------------------------
# Element types
# ----------------------------------------------------------------------------


def round_bf16(x):
    u = np.asarray(x, np.float32).view(np.uint32).astype(np.uint64)
    u = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16) << 16
    return u.astype(np.uint32).view(np.float32)


def bf16_bits(x):
    return (np.asarray(x, np.float32).view(np.uint32) >> 16).astype(np.int64)


def from_bf16_bits(b):
    return (np.asarray(b, np.int64).astype(np.uint32) << 16).view(np.float32)


def storage(elt):
    return {"f16": np.float16, "f32": np.float32, "bf16": np.float32,
            "i1": np.bool_}[elt]


def new_buffer(shape, elt):
    if elt == "i1":
        return np.zeros(shape, np.bool_)
    return np.full(shape, np.nan, storage(elt))


# ----------------------------------------------------------------------------
# Shared memory with race checks
# ----------------------------------------------------------------------------


class RaceError(AssertionError):
    pass


class Shared:
    """A shared-memory buffer that checks the kernel's synchronization.

    Time is counted in barrier epochs. Between two barriers, warps run in
    any order, so an element written by one thread and read or written by
    another in the same epoch is a race. `cp.async` writes are pending until
    a `cp.async.wait_group` of the issuing thread completes their group;
    reading a pending element is an error."""

    def __init__(self, shape, elt):
        self.data = new_buffer(shape, elt)
        self.wr_thread = np.full(shape, -1, np.int32)
        self.wr_epoch = np.full(shape, -1, np.int64)
        self.rd_thread = np.full(shape, -1, np.int32)
        self.rd_epoch = np.full(shape, -1, np.int64)
        self.pending = np.zeros(shape, bool)
        self.shape = shape

    def read(self, index, thread, epoch):
        if self.pending[index].any():
            raise RaceError(f"thread {thread} reads shared memory {index} "
                            "before the cp.async writing it was waited for")
        we, wt = self.wr_epoch[index], self.wr_thread[index]
        if ((we == epoch) & (wt != thread)).any():
            raise RaceError(f"thread {thread} reads shared memory {index} "
                            f"written by thread {wt.max()} since the last "
                            "barrier")
        re_, rt = self.rd_epoch[index], self.rd_thread[index]
        self.rd_thread[index] = np.where((re_ == epoch) & (rt != thread), -2,
                                         thread)
        self.rd_epoch[index] = epoch
        return self.data[index]

    def issue_write(self, index, thread, epoch):
        re_, rt = self.rd_epoch[index], self.rd_thread[index]
        if ((re_ == epoch) & (rt != thread)).any():
            raise RaceError(f"thread {thread} overwrites shared memory "
                            f"{index} that another thread read since the "
                            "last barrier")
        we, wt = self.wr_epoch[index], self.wr_thread[index]
        if ((we == epoch) & (wt != thread)).any():
            raise RaceError(f"threads {thread} and {wt.max()} write shared "
                            f"memory {index} between two barriers")
        self.wr_thread[index] = thread
        self.wr_epoch[index] = epoch
        self.pending[index] = True

    def land(self, index, values, epoch):
        self.data[index] = values
        self.pending[index] = False
        self.wr_epoch[index] = np.maximum(self.wr_epoch[index], epoch)


# ----------------------------------------------------------------------------
# Execution
# ----------------------------------------------------------------------------


class Emulator:
    def __init__(self, module_text):
        lines = module_text.splitlines()
        ops, _ = parse_ops(lines, 0)
        assert ops[0].name == "builtin.module"
        self.funcs = {}
        for f in ops[0].regions[0][1]:
            if f.name == "func.func":
                self.funcs[attr(f, "sym_name").strip('"')] = f

    def signature(self, name):
        """Element types of the inputs and results of function `name`."""
        fty = attr(self.funcs[name], "function_type")
        m = re.search(r"function_type = \((.*)\) -> (.*?), sym_name",
                      self.funcs[name].attrs)
        ins = [parse_shaped(t)[1] for t in split_top(m.group(1))]
        outs = m.group(2).strip()
        if outs.startswith("("):
            outs = outs[1:-1]
        return ins, [parse_shaped(t)[1] for t in split_top(outs)]

    def run_encoded(self, name, inputs):
        """run() on arrays as attn-run reads and writes them (bf16 as
        uint16 bits)."""
        ins, outs = self.signature(name)
        args = [from_bf16_bits(x) if t == "bf16" else x
                for x, t in zip(inputs, ins)]
        results = self.run(name, args)
        return [bf16_bits(round_bf16(r)).astype(np.uint16) if t == "bf16"
                else np.asarray(r, storage(t)) for r, t in zip(results, outs)]

    def run(self, name, inputs):
        f = self.funcs[name]
        args, body = f.regions[0]
        self.T = 1
        env = {a: np.asarray(x) for a, x in zip(args, inputs)}
        self.active = np.ones(1, bool)
        return self.exec_block(body, env)

    # -- helpers ------------------------------------------------------------

    def uniform(self, v):
        a = np.asarray(v).reshape(self.T, -1)[:, 0]
        act = a[self.active] if self.active.any() else a[:1]
        assert (act == act[0]).all(), "value is not uniform across threads"
        return int(act[0])

    def lanes(self, v):
        """A per-thread value of shape (T, ...)."""
        v = np.asarray(v)
        if v.ndim == 0 or v.shape[0] != self.T:
            v = np.broadcast_to(v, (self.T,) + v.shape)
        return v

    def exec_block(self, ops, env):
        for op in ops:
            if op.name in ("scf.yield", "func.return"):
                return [env[o] for o in op.operands]
            if op.name == "gpu.terminator":
                return []
            vals = self.exec_op(op, env)
            if vals is None:
                vals = []
            if not isinstance(vals, (list, tuple)):
                vals = [vals]
            for r, v in zip(op.results, vals):
                env[r] = v
        return []

    def exec_op(self, op, env):
        n = op.name
        a = [env[o] for o in op.operands]
        T = self.T
        rtypes = result_types(op.sig)
        fn = getattr(self, "op_" + n.replace(".", "_"), None)
        if fn:
            return fn(op, a, rtypes, env)
        binary = {
            "arith.addi": np.add, "arith.subi": np.subtract,
            "arith.muli": np.multiply, "arith.minsi": np.minimum,
            "arith.maxsi": np.maximum, "arith.mulf": np.multiply,
            "arith.addf": np.add, "arith.subf": np.subtract,
            "arith.maximumf": np.maximum,
        }
        if n in binary:
            x, y = self.lanes(a[0]), self.lanes(a[1])
            with np.errstate(all="ignore"):
                out = binary[n](x, y)
            if rtypes and rtypes[0] == "f32":
                out = out.astype(np.float32)
            return out
        raise NotImplementedError(n)

    # -- arith ----------------------------------------------------------------

    def op_arith_constant(self, op, a, rt, env):
        t = rt[0]
        text = attr(op, "value")
        if text.startswith("dense<"):
            text = text[len("dense<"):].split(">")[0]
        text = text.split(" : ")[0].strip()
        if text in ("true", "false"):
            v = text == "true"
        elif text.startswith("0x"):
            v = np.array([int(text, 16)], np.uint32).view(np.float32)[0]
        else:
            v = float(text.split(":")[0]) if t.startswith(("f", "vector")) \
                and not t.endswith(("i1>", "i32>")) else int(text.split(":")[0])
        if t.startswith("vector"):
            dims, elt = parse_shaped(t)
            return np.full((self.T,) + tuple(dims), v, np.float32)
        if t in ("f32", "f16", "bf16"):
            return np.full(self.T, v, np.float32)
        return np.full(self.T, v, np.bool_ if t == "i1" else np.int64)

    def op_arith_divui(self, op, a, rt, env):
        x, y = self.lanes(a[0]), self.lanes(a[1])
        return np.where(y == 0, 0, x // np.where(y == 0, 1, y))

    def op_arith_remui(self, op, a, rt, env):
        x, y = self.lanes(a[0]), self.lanes(a[1])
        return np.where(y == 0, 0, x % np.where(y == 0, 1, y))

    def op_arith_divf(self, op, a, rt, env):
        with np.errstate(all="ignore"):
            return (self.lanes(a[0]) / self.lanes(a[1])).astype(np.float32)

    def op_arith_andi(self, op, a, rt, env):
        return np.logical_and(a[0], a[1]) if rt[0] == "i1" else a[0] & a[1]

    def op_arith_ori(self, op, a, rt, env):
        return np.logical_or(a[0], a[1]) if rt[0] == "i1" else a[0] | a[1]

    def op_arith_cmpi(self, op, a, rt, env):
        p = int(attr(op, "predicate").split(":")[0])
        x, y = self.lanes(a[0]), self.lanes(a[1])
        if p >= 6:  # unsigned
            x, y = x.astype(np.uint64), y.astype(np.uint64)
        return [x == y, x != y, x < y, x <= y, x > y, x >= y,
                x < y, x <= y, x > y, x >= y][p]

    def op_arith_cmpf(self, op, a, rt, env):
        p = int(attr(op, "predicate").split(":")[0])
        x, y = self.lanes(a[0]), self.lanes(a[1])
        with np.errstate(all="ignore"):
            ordered = ~(np.isnan(x) | np.isnan(y))
            table = {1: x == y, 2: x > y, 3: x >= y, 4: x < y, 5: x <= y,
                     6: (x != y) & ordered}
        return table[p] & ordered

    def op_arith_select(self, op, a, rt, env):
        c = self.lanes(a[0])
        x, y = self.lanes(a[1]), self.lanes(a[2])
        while c.ndim < x.ndim:
            c = c[..., None]
        return np.where(c, x, y)

    def op_arith_truncf(self, op, a, rt, env):
        if rt[0] == "bf16":
            return round_bf16(a[0])
        return np.asarray(a[0], np.float16).astype(np.float32)

    def op_arith_extf(self, op, a, rt, env):
        return np.asarray(a[0], np.float32)

    # -- host ------------------------------------------------------------------

    def op_bufferization_to_buffer(self, op, a, rt, env):
        return a[0]

    def op_bufferization_to_tensor(self, op, a, rt, env):
        return a[0]

    def alloc(self, a, rt):
        dims, elt = parse_shaped(rt[0])
        sizes = iter(self.uniform(x) for x in a)
        return new_buffer(tuple(d if d is not None else next(sizes)
                                for d in dims), elt)

    def op_memref_alloc(self, op, a, rt, env):
        return self.alloc(a, rt)

    def op_gpu_alloc(self, op, a, rt, env):
        return self.alloc(a, rt)

    def op_gpu_memcpy(self, op, a, rt, env):
        a[0][...] = a[1]

    def op_gpu_dealloc(self, op, a, rt, env):
        pass

    def op_memref_dim(self, op, a, rt, env):
        return np.full(self.T, a[0].shape[self.uniform(a[1])], np.int64)

    def op_gpu_launch(self, op, a, rt, env):
        grid = [self.uniform(x) for x in a[0:3]]
        block = [self.uniform(x) for x in a[3:6]]
        assert block[1] == block[2] == 1
        args, body = op.regions[0]
        saved = (self.T, self.active)
        self.T = block[0]
        for bz in range(grid[2]):
            for by in range(grid[1]):
                for bx in range(grid[0]):
                    self.active = np.ones(self.T, bool)
                    self.shared = {}
                    self.epoch = 0
                    self.open_copies, self.groups = [], []
                    vals = [bx, by, bz, np.arange(self.T), 0, 0] + grid + block
                    benv = dict(env)
                    for name, v in zip(args, vals):
                        benv[name] = np.broadcast_to(
                            np.asarray(v, np.int64), (self.T,)).copy()
                    self.exec_block(body, benv)
        self.T, self.active = saved

    # -- kernel ----------------------------------------------------------------

    def op_gpu_dynamic_shared_memory(self, op, a, rt, env):
        return "shared"

    def op_memref_view(self, op, a, rt, env):
        dims, elt = parse_shaped(rt[0])
        key = self.uniform(a[1])
        if key not in self.shared:
            self.shared[key] = Shared(tuple(dims), elt)
        return self.shared[key]

    def op_memref_load(self, op, a, rt, env):
        mem, idx = a[0], [self.lanes(i) for i in a[1:]]
        idx = [np.where(self.active, i, 0) for i in idx]
        v = mem[tuple(idx)]
        return np.where(self.active, v, 0) if v.dtype == np.bool_ else \
            np.where(self.active, v.astype(np.float32), 0)

    def op_memref_store(self, op, a, rt, env):
        val, mem, idx = self.lanes(a[0]), a[1], [self.lanes(i) for i in a[2:]]
        for t in np.nonzero(self.active)[0]:
            i = tuple(int(x[t]) for x in idx)
            assert all(0 <= i[k] < mem.shape[k] for k in range(len(i)))
            mem[i] = val[t]

    def op_vector_store(self, op, a, rt, env):
        val, mem, idx = self.lanes(a[0]), a[1], [self.lanes(i) for i in a[2:]]
        n = val.shape[-1]
        for t in np.nonzero(self.active)[0]:
            i = [int(x[t]) for x in idx]
            assert all(0 <= i[k] < mem.shape[k] for k in range(len(i)))
            assert i[-1] + n <= mem.shape[-1]
            mem[tuple(i[:-1])][i[-1]:i[-1] + n] = val[t]

    def op_gpu_barrier(self, op, a, rt, env):
        assert self.active.all(), "barrier in divergent code"
        self.epoch += 1

    def op_nvgpu_device_async_copy(self, op, a, rt, env):
        seg = int_list(op, "operandSegmentSizes")
        ops = a
        dst = ops[0]
        di = ops[1:1 + seg[1]]
        src = ops[1 + seg[1]]
        si = ops[2 + seg[1]:2 + seg[1] + seg[3]]
        count = ops[-1] if seg[4] else None
        n = int(attr(op, "dstElements").split(":")[0])
        assert isinstance(dst, Shared)
        for t in np.nonzero(self.active)[0]:
            d = [int(self.lanes(x)[t]) for x in di]
            s = [int(self.lanes(x)[t]) for x in si]
            c = n if count is None else int(self.lanes(count)[t])
            row = np.zeros(n, np.float32)
            if c:
                assert all(0 <= s[k] < src.shape[k] for k in range(len(s)))
                assert s[-1] + c <= src.shape[-1]
                row[:c] = src[tuple(s[:-1])][s[-1]:s[-1] + c]
            assert d[-1] + n <= dst.shape[-1]
            index = tuple(d[:-1]) + (slice(d[-1], d[-1] + n),)
            dst.issue_write(index, t, self.epoch)
            self.open_copies.append((dst, index, row, t))
        return "token"

    def op_nvgpu_device_async_create_group(self, op, a, rt, env):
        # Threads commit their copies in lockstep: one group for all.
        self.groups.append(self.open_copies)
        self.open_copies = []
        return "group"

    def op_nvgpu_device_async_wait(self, op, a, rt, env):
        keep = int(attr(op, "numGroups").split(":")[0] or 0) \
            if attr(op, "numGroups") else 0
        while len(self.groups) > keep:
            for dst, index, row, t in self.groups.pop(0):
                dst.land(index, row, self.epoch)

    def op_nvgpu_ldmatrix(self, op, a, rt, env):
        assert self.active.all()
        mem, idx = a[0], [self.lanes(i) for i in a[1:]]
        tiles = int(attr(op, "numTiles").split(":")[0])
        trans = attr(op, "transpose") == "true"
        out = np.zeros((self.T, tiles, 2), np.float32)
        for w in range(self.T // WARP):
            for m in range(tiles):
                rows = []
                for r in range(8):
                    lane = w * WARP + 8 * m + r
                    i = [int(x[lane]) for x in idx]
                    rows.append(mem.read(tuple(i[:-1]) +
                                         (slice(i[-1], i[-1] + 8),),
                                         lane, self.epoch))
                mat = np.array(rows, np.float32)
                if trans:
                    mat = mat.T
                for l in range(WARP):
                    out[w * WARP + l, m] = mat[l // 4, 2 * (l % 4):2 * (l % 4) + 2]
        return out

    def mma(self, A, B, C):
        """Per warp: A (T, 4, 2), B (T, 2, 2), C (T, 2, 2) fragments."""
        D = np.zeros((self.T, 2, 2), np.float32)
        for w in range(self.T // WARP):
            Am = np.zeros((16, 16))
            Bm = np.zeros((16, 8))
            Cm = np.zeros((16, 8))
            for l in range(WARP):
                g, t = l // 4, l % 4
                f = A[w * WARP + l]
                Am[g, 2 * t:2 * t + 2] = f[0]
                Am[g + 8, 2 * t:2 * t + 2] = f[1]
                Am[g, 2 * t + 8:2 * t + 10] = f[2]
                Am[g + 8, 2 * t + 8:2 * t + 10] = f[3]
                fb = B[w * WARP + l]
                Bm[2 * t:2 * t + 2, g] = fb[0]
                Bm[2 * t + 8:2 * t + 10, g] = fb[1]
                fc = C[w * WARP + l]
                Cm[g, 2 * t:2 * t + 2] = fc[0]
                Cm[g + 8, 2 * t:2 * t + 2] = fc[1]
            Dm = (Am @ Bm + Cm).astype(np.float32)
            for l in range(WARP):
                g, t = l // 4, l % 4
                D[w * WARP + l, 0] = Dm[g, 2 * t:2 * t + 2]
                D[w * WARP + l, 1] = Dm[g + 8, 2 * t:2 * t + 2]
        return D

    def op_nvgpu_mma_sync(self, op, a, rt, env):
        assert self.active.all()
        return self.mma(self.lanes(a[0]), self.lanes(a[1]), self.lanes(a[2]))

    def op_nvvm_mma_sync(self, op, a, rt, env):
        assert self.active.all()
        def unpack(regs):
            out = []
            for r in regs:
                r = self.lanes(r)
                out.append(np.stack([from_bf16_bits(r & 0xFFFF),
                                     from_bf16_bits(r >> 16)], -1))
            return np.stack(out, 1)
        A, B = unpack(a[0:4]), unpack(a[4:6])
        C = np.stack([np.stack([self.lanes(a[6]), self.lanes(a[7])], -1),
                      np.stack([self.lanes(a[8]), self.lanes(a[9])], -1)], 1)
        return self.mma(A, B, C).reshape(self.T, 4)

    def op_llvm_extractvalue(self, op, a, rt, env):
        return a[0][:, int_list(op, "position")[0]]

    def op_llvm_inline_asm(self, op, a, rt, env):
        assert "ex2.approx" in op.attrs
        with np.errstate(all="ignore"):
            return np.exp2(self.lanes(a[0])).astype(np.float32)

    def op_gpu_shuffle(self, op, a, rt, env):
        assert "xor" in op.attrs and self.active.all()
        v = self.lanes(a[0])
        off = self.uniform(a[1])
        lane = np.arange(self.T)
        src = (lane // WARP) * WARP + ((lane % WARP) ^ off)
        return [v[src], np.ones(self.T, bool)]

    def op_vector_extract(self, op, a, rt, env):
        pos = int_list(op, "static_position")
        return self.lanes(a[0])[(slice(None),) + tuple(pos)]

    def op_vector_from_elements(self, op, a, rt, env):
        dims, elt = parse_shaped(rt[0])
        v = np.stack([self.lanes(x) for x in a], -1).astype(np.float32)
        return v.reshape((self.T,) + tuple(dims))

    def op_vector_extract_strided_slice(self, op, a, rt, env):
        offs = int_list(op, "offsets")
        sizes = int_list(op, "sizes")
        sl = tuple(slice(o, o + s) for o, s in zip(offs, sizes))
        return self.lanes(a[0])[(slice(None),) + sl]

    def op_vector_bitcast(self, op, a, rt, env):
        # vector<2xbf16> -> vector<1xi32>, as mma.sync's packed registers.
        v = self.lanes(a[0])
        return (bf16_bits(v[:, 0]) | (bf16_bits(v[:, 1]) << 16))[:, None]

    # -- control flow -------------------------------------------------------

    def op_scf_if(self, op, a, rt, env):
        cond = self.lanes(a[0]).astype(bool)
        saved = self.active
        results = []
        for region, mask in zip(op.regions, (cond, ~cond)):
            args, body = region
            self.active = saved & mask
            if body and self.active.any():
                results.append(self.exec_block(body, dict(env)))
            else:
                results.append(None)
        self.active = saved
        if not op.results:
            return None
        then, other = results
        if then is None:
            return other
        if other is None:
            return then
        out = []
        for x, y in zip(then, other):
            x, y = self.lanes(x), self.lanes(y)
            c = cond
            while c.ndim < x.ndim:
                c = c[..., None]
            out.append(np.where(c, x, y))
        return out

    def op_scf_for(self, op, a, rt, env):
        lo, hi, step = (self.uniform(x) for x in a[:3])
        state = a[3:]
        args, body = op.regions[0]
        for iv in range(lo, hi, step):
            benv = dict(env)
            benv[args[0]] = np.full(self.T, iv, np.int64)
            for name, v in zip(args[1:], state):
                benv[name] = v
            state = self.exec_block(body, benv)
        return list(state)
