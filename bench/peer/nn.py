"""numpy peer of bench/nn.bench.ts: one forward + backward pass (softmax cross-entropy, float64, one thread) of the
same MLP and CNN with the same parameters and batch, the CNN's convolutions by im2col + GEMM as ours.

Usage: python3 nn.py DIR. DIR/manifest.json lists the networks ({name, kind, params: [[key, file, rows, cols]], x: [file,
rows, cols], y: file, repeats}); files are little-endian float64 (labels int32). Prints one JSON line
{"numpy": version, "cases": {name: {"ms": median per pass, "loss": the batch loss}}}.
"""
import json
import os
import sys
import time

os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["OMP_NUM_THREADS"] = "1"
os.environ.pop("OPENBLAS_CORETYPE", None)
os.environ.pop("OPENBLAS_L2_SIZE", None)

import numpy as np  # noqa: E402
from convnet import cnn_pass, softmax_ce  # noqa: E402


def mlp_pass(p, x, y):
    h1 = x @ p["0.weight"].T + p["0.bias"]
    a1 = np.maximum(h1, 0)
    h2 = a1 @ p["2.weight"].T + p["2.bias"]
    a2 = np.maximum(h2, 0)
    z = a2 @ p["4.weight"].T + p["4.bias"]
    loss, g = softmax_ce(z, y)
    grads = {"4.weight": g.T @ a2, "4.bias": g.sum(0)}
    d2 = (g @ p["4.weight"]) * (h2 > 0)
    grads["2.weight"], grads["2.bias"] = d2.T @ a1, d2.sum(0)
    d1 = (d2 @ p["2.weight"]) * (h1 > 0)
    grads["0.weight"], grads["0.bias"] = d1.T @ x, d1.sum(0)
    return loss, grads


PASSES = {"mlp": mlp_pass, "cnn": cnn_pass}


def median_ms(fn, repeats):
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    times.sort()
    return times[len(times) // 2] * 1e3


def main():
    folder = sys.argv[1]
    with open(os.path.join(folder, "manifest.json")) as f:
        manifest = json.load(f)
    out = {}
    for case in manifest:
        read = lambda file, rows, cols: np.fromfile(os.path.join(folder, file), dtype="<f8").reshape(rows, cols)  # noqa: E731
        params = {key: read(file, rows, cols) for key, file, rows, cols in case["params"]}
        params = {k: (v[0] if k.endswith(".bias") else v) for k, v in params.items()}
        x = read(*case["x"])
        y = np.fromfile(os.path.join(folder, case["y"]), dtype="<i4")
        run = PASSES[case["kind"]]
        ms = median_ms(lambda: run(params, x, y), case["repeats"])
        out[case["name"]] = {"ms": ms, "loss": run(params, x, y)[0]}
    print(json.dumps({"numpy": np.__version__, "cases": out}))


main()
