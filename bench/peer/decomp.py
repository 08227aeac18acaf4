"""numpy peer of bench/decomp.bench.ts: times the same decompositions on the same matrices, single-threaded.

Usage: python3 decomp.py DIR. DIR/manifest.json lists the cases ({name, op, file, rows, cols, repeats}); each
input is a little-endian float64 file written by the TypeScript side. Prints one JSON line:
{"cases": {name: {"ms": median wall time per call, "cpuMs": median CPU time per call, "check": a scalar of the
result to confirm both sides agree}}}. CPU time is what a loaded machine distorts least (it leaves out the time the
process waits for a core).
"""
import json
import os
import sys
import time

# OpenBLAS reads its environment when numpy loads it: one thread, and its own CPU detection.
os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["OMP_NUM_THREADS"] = "1"
os.environ.pop("OPENBLAS_CORETYPE", None)
os.environ.pop("OPENBLAS_L2_SIZE", None)

import numpy as np  # noqa: E402

# Each op returns its result and a scalar summary compared with ours (sum of eigen/singular values, norms).
OPS = {
    "cholesky": (np.linalg.cholesky, lambda L: float(np.trace(L))),
    "eigh": (np.linalg.eigh, lambda r: float(r[0].sum())),
    "inv": (np.linalg.inv, lambda X: float(np.trace(X))),
    "svd": (lambda a: np.linalg.svd(a, full_matrices=False), lambda r: float(r[1].sum())),
    "qr": (lambda a: np.linalg.qr(a, mode="reduced"), lambda r: float(np.abs(np.diag(r[1])).sum())),
}


def median_ms(fn, repeats):
    """Median wall and CPU milliseconds per call, after one warm-up call."""
    fn()
    wall = []
    cpu = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        c0 = time.process_time()
        fn()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - t0)
    wall.sort()
    cpu.sort()
    return wall[len(wall) // 2] * 1e3, cpu[len(cpu) // 2] * 1e3


def main():
    folder = sys.argv[1]
    with open(os.path.join(folder, "manifest.json")) as f:
        manifest = json.load(f)
    out = {}
    for case in manifest:
        a = np.fromfile(os.path.join(folder, case["file"]), dtype="<f8").reshape(case["rows"], case["cols"])
        op, summary = OPS[case["op"]]
        ms, cpu_ms = median_ms(lambda: op(a), case["repeats"])
        out[case["name"]] = {"ms": ms, "cpuMs": cpu_ms, "check": summary(op(a))}
    print(json.dumps({"cases": out}))


main()
