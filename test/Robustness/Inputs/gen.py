"""Writes the generated hostile inputs of hostile.test into argv[1]."""
import os
import sys

out = sys.argv[1]


def write(name, data, mode="w"):
    with open(os.path.join(out, name), mode) as f:
        f.write(data)


# 5000 nested regions: deeper than MLIR's recursive parser can take.
n = 5000
parts = ["func.func @main(%x: f32) -> f32 {\n"]
parts += [f"%r{i} = scf.execute_region -> f32 {{\n" for i in range(n)]
parts.append("scf.yield %x : f32\n")
for i in range(n - 1, -1, -1):
    parts.append("}\n")
    if i:
        parts.append(f"scf.yield %r{i} : f32\n")
parts.append("return %r0 : f32\n}\n")
write("deep_regions.mlir", "".join(parts))
# A type nested 100000 levels deep.
write("deep_type.mlir", "func.func @main(%x: " + "tensor<" * 100000 + "f32" +
      ">" * 100000 + ") { return }\n")
# 100 nested regions are fine.
write("nested_ok.mlir", "".join(
    ["func.func @main(%x: f32) -> f32 {\n"] +
    [f"%r{i} = scf.execute_region -> f32 {{\n" for i in range(100)] +
    ["scf.yield %x : f32\n"] +
    [("}\n" + (f"scf.yield %r{i} : f32\n" if i else "")) for i in range(99, -1, -1)] +
    ["return %r0 : f32\n}\n"]))
# Long blocks of elementwise ops: 20000 for the parser and canonicalizer,
# 200 to run (one-shot bufferization's analysis grows faster than linearly
# with the chain).
def chain(n):
    body = ["func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {",
            "  %v0 = arith.addf %x, %x : tensor<4xf32>"]
    body += [f"  %v{i} = arith.addf %v{i - 1}, %x : tensor<4xf32>" for i in range(1, n)]
    body += [f"  return %v{n - 1} : tensor<4xf32>", "}", ""]
    return "\n".join(body)


write("long.mlir", chain(20000))
write("long_run.mlir", chain(200))
write("binary.mlir", b"\xff\xfe\x00attn.sdpa\x80\xc3(", "wb")
write("empty.mlir", "")
with open(os.path.join(os.path.dirname(__file__), "empty_keys.mlir")) as f:
    write("truncated.mlir", f.read()[:120])
