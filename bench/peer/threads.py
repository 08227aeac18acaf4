"""numpy peer of bench/threads.bench.ts: matmul of two n×n Gaussian matrices on THREADS OpenBLAS threads.

Usage: python3 threads.py THREADS N [N ...] -> {"threads": THREADS, "cases": {"N float64": ms, "N float32": ms}}
with the median milliseconds per product (one warm-up call, then 9 samples of max(1, 2·10⁸/n³) calls each).
The values do not matter for the timing of a dense product, so the matrices are numpy's own.
"""
import json
import os
import sys

# OpenBLAS reads its thread count when numpy loads it.
threads = sys.argv[1]
os.environ["OPENBLAS_NUM_THREADS"] = threads
os.environ["OMP_NUM_THREADS"] = threads

import numpy as np  # noqa: E402

from timing import median_ms  # noqa: E402



rng = np.random.default_rng(0)
cases = {}
for n in map(int, sys.argv[2:]):
    for dtype in ("float64", "float32"):
        a = rng.standard_normal((n, n)).astype(dtype)
        b = rng.standard_normal((n, n)).astype(dtype)
        inner = max(1, int(2e8 / n**3))
        cases[f"{n} {dtype}"] = median_ms(lambda: a @ b, inner)
print(json.dumps({"threads": int(threads), "cases": cases}))
