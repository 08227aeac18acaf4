"""Peer of bench/cnn.bench.ts: one SGD training step (forward, softmax cross-entropy, backward, p ← p − lr·∇p) of
DeepOBS's 2c2d network on one thread, written the way a numpy user writes it (convolutions by im2col + GEMM, the
patch gradient scattered back kernel offset by kernel offset) or, with FRAMEWORK=torch, as a PyTorch user writes it
(torch.nn.functional on CPU).

Usage: python3 cnn.py DIR FRAMEWORK. DIR/manifest.json: {"dtypes": [...], "lr": ..., "repeats": ..., "params":
[[key, file, rows, cols]], "x": [file, rows, cols], "y": file}; files little-endian float64 (labels int32), the
parameters in PyTorch's layout with conv weights as outC×(inC·5·5). Every array of the step is in the dtype.
Prints one JSON line {"version": ..., "cases": {dtype: {"ms": median wall time per step, "cpuMs": median CPU time
(this process, every thread), "loss": first step's loss}}}.
"""
import json
import os
import sys
import time

os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["OMP_NUM_THREADS"] = "1"
os.environ["MKL_NUM_THREADS"] = "1"

import numpy as np  # noqa: E402
from numpy.lib.stride_tricks import sliding_window_view  # noqa: E402

K = 5
PAD = 2


def im2col(x):
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (PAD, PAD), (PAD, PAD)))
    win = sliding_window_view(xp, (K, K), axis=(2, 3))  # n, c, h, w, K, K
    return win.transpose(0, 2, 3, 1, 4, 5).reshape(n * h * w, c * K * K)


def conv_forward(x, W, b):
    n, _, h, w = x.shape
    P = im2col(x)
    Y = P @ W.T + b
    return Y.reshape(n, h, w, -1).transpose(0, 3, 1, 2), P


def conv_backward(dout, P, W, x_shape, need_dx):
    n, c, h, w = x_shape
    G = dout.transpose(0, 2, 3, 1).reshape(n * h * w, -1)
    dW, db = G.T @ P, G.sum(0)
    if not need_dx:
        return dW, db, None
    dP = (G @ W).reshape(n, h, w, c, K, K)
    dxp = np.zeros((n, c, h + 2 * PAD, w + 2 * PAD), dtype=dout.dtype)
    for i in range(K):
        for j in range(K):
            dxp[:, :, i : i + h, j : j + w] += dP[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    return dW, db, dxp[:, :, PAD:-PAD, PAD:-PAD]


def maxpool_forward(x):
    n, c, h, w = x.shape
    r = x.reshape(n, c, h // 2, 2, w // 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, h // 2, w // 2, 4)
    idx = r.argmax(axis=-1)
    return np.take_along_axis(r, idx[..., None], axis=-1)[..., 0], idx


def maxpool_backward(dout, idx, x_shape):
    n, c, h, w = x_shape
    r = np.zeros((n, c, h // 2, w // 2, 4), dtype=dout.dtype)
    np.put_along_axis(r, idx[..., None], dout[..., None], axis=-1)
    return r.reshape(n, c, h // 2, w // 2, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, h, w)


def softmax_ce(z, y):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    s = e.sum(axis=1, keepdims=True)
    n = z.shape[0]
    loss = float(np.mean(np.log(s[:, 0]) - z[np.arange(n), y]))
    g = e / s
    g[np.arange(n), y] -= 1
    return loss, g / n


def numpy_step(p, x, y, lr):
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
    for key, grad in grads.items():
        p[key] -= lr * grad
    return loss


def numpy_case(params, x, y, dtype, lr):
    p = {k: v.astype(dtype) for k, v in params.items()}
    xs = x.astype(dtype)
    return lambda: numpy_step(p, xs, y, lr), np.__version__


def torch_case(params, x, y, dtype, lr):
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(1)
    tdtype = {"float32": torch.float32, "float64": torch.float64}[dtype]
    p = {k: torch.tensor(v, dtype=tdtype, requires_grad=True) for k, v in params.items()}
    conv = lambda key, c_in: p[key].view(-1, c_in, K, K)  # noqa: E731
    xs = torch.tensor(x, dtype=tdtype).view(-1, 1, 28, 28)
    ys = torch.tensor(y, dtype=torch.long)

    def step():
        h = F.max_pool2d(F.relu(F.conv2d(xs, conv("0.weight", 1), p["0.bias"], padding=PAD)), 2)
        h = F.max_pool2d(F.relu(F.conv2d(h, conv("3.weight", 32), p["3.bias"], padding=PAD)), 2)
        h = F.relu(F.linear(h.flatten(1), p["7.weight"], p["7.bias"]))
        loss = F.cross_entropy(F.linear(h, p["9.weight"], p["9.bias"]), ys)
        for v in p.values():
            v.grad = None
        loss.backward()
        with torch.no_grad():
            for v in p.values():
                v -= lr * v.grad
        return float(loss)

    return step, torch.__version__


def main():
    folder, framework = sys.argv[1], sys.argv[2]
    with open(os.path.join(folder, "manifest.json")) as f:
        m = json.load(f)
    read = lambda file, rows, cols: np.fromfile(os.path.join(folder, file), dtype="<f8").reshape(rows, cols)  # noqa: E731
    params = {key: read(file, rows, cols) for key, file, rows, cols in m["params"]}
    params = {k: (v[0] if k.endswith(".bias") else v) for k, v in params.items()}
    x = read(*m["x"])
    y = np.fromfile(os.path.join(folder, m["y"]), dtype="<i4")
    make = {"numpy": numpy_case, "torch": torch_case}[framework]
    out = {}
    version = ""
    for dtype in m["dtypes"]:
        step, version = make(params, x, y, dtype, m["lr"])
        loss = step()  # the first step from the given parameters: its loss is compared with ours
        times, cpu = [], []
        for _ in range(m["repeats"]):
            t0, c0 = time.perf_counter(), time.process_time()
            step()
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        median = lambda v: sorted(v)[len(v) // 2] * 1e3  # noqa: E731
        out[dtype] = {"ms": median(times), "cpuMs": median(cpu), "loss": loss}
    print(json.dumps({"version": version, "cases": out}))


main()
