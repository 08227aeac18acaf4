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
from numpy.lib.stride_tricks import sliding_window_view  # noqa: E402


def softmax_ce(z, y):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    s = e.sum(axis=1, keepdims=True)
    n = z.shape[0]
    loss = float(np.mean(np.log(s[:, 0]) - z[np.arange(n), y]))
    g = e / s
    g[np.arange(n), y] -= 1
    return loss, g / n


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


def im2col(x, pad):
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    win = sliding_window_view(xp, (3, 3), axis=(2, 3))  # n, c, h, w, 3, 3
    return win.transpose(0, 2, 3, 1, 4, 5).reshape(n * h * w, c * 9)


def conv_forward(x, W, b):
    n, _, h, w = x.shape
    P = im2col(x, 1)
    Y = P @ W.T + b
    return Y.reshape(n, h, w, -1).transpose(0, 3, 1, 2), P


def conv_backward(dout, P, W, x_shape, need_dx):
    n, c, h, w = x_shape
    G = dout.transpose(0, 2, 3, 1).reshape(n * h * w, -1)
    dW, db = G.T @ P, G.sum(0)
    if not need_dx:
        return dW, db, None
    dP = (G @ W).reshape(n, h, w, c, 3, 3)
    dxp = np.zeros((n, c, h + 2, w + 2))
    for i in range(3):
        for j in range(3):
            dxp[:, :, i : i + h, j : j + w] += dP[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    return dW, db, dxp[:, :, 1:-1, 1:-1]


def maxpool_forward(x):
    n, c, h, w = x.shape
    r = x.reshape(n, c, h // 2, 2, w // 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, h // 2, w // 2, 4)
    idx = r.argmax(axis=-1)
    return np.take_along_axis(r, idx[..., None], axis=-1)[..., 0], idx


def maxpool_backward(dout, idx, x_shape):
    n, c, h, w = x_shape
    r = np.zeros((n, c, h // 2, w // 2, 4))
    np.put_along_axis(r, idx[..., None], dout[..., None], axis=-1)
    return r.reshape(n, c, h // 2, w // 2, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, h, w)


def cnn_pass(p, x, y):
    x = x.reshape(-1, 1, 28, 28)
    h1, P1 = conv_forward(x, p["0.weight"], p["0.bias"])
    a1 = np.maximum(h1, 0)
    m1, i1 = maxpool_forward(a1)
    h2, P2 = conv_forward(m1, p["3.weight"], p["3.bias"])
    a2 = np.maximum(h2, 0)
    m2, i2 = maxpool_forward(a2)
    f = m2.reshape(m2.shape[0], -1)
    h3 = f @ p["7.weight"].T + p["7.bias"]
    a3 = np.maximum(h3, 0)
    z = a3 @ p["9.weight"].T + p["9.bias"]
    loss, g = softmax_ce(z, y)
    grads = {"9.weight": g.T @ a3, "9.bias": g.sum(0)}
    d3 = (g @ p["9.weight"]) * (h3 > 0)
    grads["7.weight"], grads["7.bias"] = d3.T @ f, d3.sum(0)
    df = (d3 @ p["7.weight"]).reshape(m2.shape)
    da2 = maxpool_backward(df, i2, a2.shape) * (h2 > 0)
    grads["3.weight"], grads["3.bias"], dm1 = conv_backward(da2, P2, p["3.weight"], m1.shape, True)
    da1 = maxpool_backward(dm1, i1, a1.shape) * (h1 > 0)
    grads["0.weight"], grads["0.bias"], _ = conv_backward(da1, P1, p["0.weight"], x.shape, False)
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
