# The peers bench's own logic, without the peers: waiting for an idle
# worker, and what the tables make of a saved run.
# REQUIRES: numpy
# RUN: %python %s %attn_src/bench/peers | FileCheck %s

import io
import json
import os
import subprocess
import sys
import tempfile
import time
from contextlib import redirect_stdout

sys.path.insert(0, sys.argv[1])
import run  # noqa: E402  (bench/peers/run.py)

def child(body):
    """A Python process running `body` once it has said it started."""
    p = subprocess.Popen([sys.executable, "-c",
                          "import time\nprint(flush=True)\n" + body],
                         stdout=subprocess.PIPE)
    p.stdout.readline()
    return p


# CPU time counts all threads, and grows only while they run.
spin = child("t = time.time()\nwhile time.time() - t < 0.6: pass")
a = run.cpu_seconds(spin.pid)
time.sleep(0.2)
b = run.cpu_seconds(spin.pid)
assert b - a > 0.1, (a, b)
# quiesce() waits for a busy worker to go idle, not longer.
t = time.monotonic()
run.quiesce(spin.pid)
waited = time.monotonic() - t
spin.wait()
assert 0.2 < waited < 1.5, waited
print("busy worker: waited until idle")
# CHECK: busy worker: waited until idle

idle = child("time.sleep(5)")
time.sleep(0.05)  # past the print
t = time.monotonic()
run.quiesce(idle.pid)
waited = time.monotonic() - t
idle.kill()
idle.wait()
assert waited < 0.2, waited
print("idle worker: no wait")
# CHECK: idle worker: no wait

# A process that is gone reads as idle.
assert run.cpu_seconds(idle.pid) == 0.0
t = time.monotonic()
run.quiesce(idle.pid)
assert time.monotonic() - t < 0.2

# Paired ratio: per round, peer / attn-mlir; the median over rounds; the
# smallest over peers. attn-mlir's median block (2.0) loses to jax's
# (1.8), but round by round jax is behind in two of three rounds.
row = {"problem": "P", "threads": 1, "flops": 1e9, "systems": {
    "attn-mlir": {"status": "ok", "seconds": 2.0, "blocks": [1.0, 2.0, 3.0],
                  "cores": 1.0},
    "torch": {"status": "ok", "seconds": 4.0, "blocks": [4.0, 4.0, 4.0],
              "cores": 1.0},
    "jax": {"status": "ok", "seconds": 1.8, "blocks": [1.2, 2.2, 1.8],
            "cores": 1.84},
    "iree": {"status": "n/a: skipped"},
}}
r = run.paired_ratio(row)
assert abs(r - 1.1) < 1e-9, r
print(f"paired {run.fmt_ratio(r)}")
# CHECK: paired 1.10x

# --report of a saved run: the table, the ratio by medians, and the system
# that kept more cores busy than it had threads.
with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "r.json")
    with open(path, "w") as f:
        json.dump({"cpu": "test CPU", "commit": "abc",
                   "tables": [{"threads": 1, "peak": 100.0, "rows": [row]}]}, f)
    out = io.StringIO()
    with redirect_stdout(out):
        run.report(path)
print(out.getvalue())
# CHECK: CPU: test CPU
# CHECK: attn-mlir commit: abc
# CHECK: | P | 2000.0 ms, 0.5 (0%) | 4000.0 ms, 0.2 (0%) |
# CHECK-SAME: | 0.90x | 1.10x |
# CHECK: Cores busy during the timed calls (median over rounds), where not 1:
# CHECK-NEXT: - P: jax 1.84
# CHECK-NOT: P: attn-mlir
# CHECK-NOT: P: torch
# CHECK: | P | 1 | 0.5 (0%) | jax, 0.6 | 0.90x | 1.10x |
