"""numpy peer of bench/blas.bench.ts: times the same products on the same matrices, single-threaded.

Usage: python3 blas.py DIR [preset]. DIR/manifest.json lists the cases ({name, op, dtype, inputs: [[file, rows, cols]],
inner, repeats}); each input is a little-endian float64 file written by the TypeScript side, converted to the case's
dtype (float64 or float32) before timing. Prints one JSON line:
{"corename", "threads", "cases": {name: {"ms": median per call, "norm": Frobenius norm of the result}}}.
"""
import glob
import json
import os
import sys

# OpenBLAS reads its environment when numpy loads it, so configure before the import: one thread, and let it
# detect the CPU's own kernel, unless "preset" asks to keep a preset OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (which
# some machines set, pinning an older kernel).
os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["OMP_NUM_THREADS"] = "1"
if sys.argv[2:] != ["preset"]:
    os.environ.pop("OPENBLAS_CORETYPE", None)
    os.environ.pop("OPENBLAS_L2_SIZE", None)

import ctypes  # noqa: E402

import numpy as np  # noqa: E402

from timing import median_ms  # noqa: E402


def openblas_info():
    """The kernel OpenBLAS picked and its thread count (threadpoolctl's answer, without needing it)."""
    libs = glob.glob(os.path.join(os.path.dirname(np.__file__), "..", "numpy.libs", "*openblas*"))
    for path in libs:
        lib = ctypes.CDLL(path)
        for suffix in ("64_", ""):
            try:
                corename = getattr(lib, "scipy_openblas_get_corename" + suffix)
                threads = getattr(lib, "scipy_openblas_get_num_threads" + suffix)
            except AttributeError:
                continue
            corename.restype = ctypes.c_char_p
            return corename().decode(), int(threads())
    return "unknown", -1


OPS = {
    "matmul": lambda a, b: a @ b,
    "gram": lambda x: x.T @ x,  # numpy dispatches Xᵀ X to syrk
}



def main():
    folder = sys.argv[1]
    with open(os.path.join(folder, "manifest.json")) as f:
        manifest = json.load(f)
    corename, threads = openblas_info()
    out = {}
    for case in manifest:
        args = [
            np.fromfile(os.path.join(folder, file), dtype="<f8").reshape(rows, cols).astype(case.get("dtype", "float64"))
            for file, rows, cols in case["inputs"]
        ]
        op = OPS[case["op"]]
        ms = median_ms(lambda: op(*args), case["inner"], case["repeats"])
        out[case["name"]] = {"ms": ms, "norm": float(np.linalg.norm(op(*args).astype(np.float64)))}
    print(json.dumps({"corename": corename, "threads": threads, "cases": out}))


main()
