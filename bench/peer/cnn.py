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
from convnet import cnn_pass, kernel_size  # noqa: E402


def numpy_step(p, x, y, lr):
    loss, grads = cnn_pass(p, x, y)
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
    k = kernel_size(params["0.weight"], 1)

    def conv(key, c_in):
        return p[key].view(-1, c_in, k, k)

    xs = torch.tensor(x, dtype=tdtype).view(-1, 1, 28, 28)
    ys = torch.tensor(y, dtype=torch.long)

    def step():
        h = F.max_pool2d(F.relu(F.conv2d(xs, conv("0.weight", 1), p["0.bias"], padding=k // 2)), 2)
        h = F.max_pool2d(F.relu(F.conv2d(h, conv("3.weight", 32), p["3.bias"], padding=k // 2)), 2)
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
