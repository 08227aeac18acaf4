"""numpy peer of bench/train.bench.ts: one epoch of the fashion-mlp network trained with SGD, written the way a
numpy user would (in DTYPE, float64 or float32, whatever threads OPENBLAS_NUM_THREADS allows).

The network and the step are fashion-mlp's: 784-256-256-10 with ReLU, softmax cross-entropy averaged over the
batch, PyTorch's default initialisation (weights and biases U(−1/√fan_in, 1/√fan_in)), SGD with heavy-ball
momentum as PyTorch applies it (buf ← μ·buf + g, p ← p − lr·buf), a fresh random permutation per epoch cut into
batches of 128. Inputs are standardised with the training split's per-pixel mean and global std.

Usage:
  python3 train.py DATA_DIR N_TRAIN EPOCHS LR MOMENTUM [DTYPE]
    -> {"secondsPerEpoch": [...], "cpuSecondsPerEpoch": [...], "trainLoss": last-epoch mean,
        "testAccuracy": after the last epoch}
(CPU seconds: this process's user + system time, every OpenBLAS thread included.)
DATA_DIR holds Fashion-MNIST's IDX files; "random" uses random pixels and labels of the same shape instead
(the timing does not depend on the values). DTYPE (default float64) is the dtype of the data, the parameters and
every array of the step, as a numpy user training in float32 would write it.
"""
import gzip
import json
import os
import sys
import time

import numpy as np


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(data_dir, n_train, rng):
    if data_dir == "random":
        x = rng.integers(0, 256, size=(n_train + 10000, 784)).astype(np.float64) / 255
        y = rng.integers(0, 10, size=n_train + 10000)
        return x[:n_train], y[:n_train], x[n_train:], y[n_train:]

    def find(name):
        for candidate in (name + ".gz", name):
            path = os.path.join(data_dir, candidate)
            if os.path.exists(path):
                return path
        raise SystemExit(f"{name} not found in {data_dir}")

    xtr = read_idx(find("train-images-idx3-ubyte")).reshape(-1, 784).astype(np.float64) / 255
    ytr = read_idx(find("train-labels-idx1-ubyte")).astype(np.int64)
    xte = read_idx(find("t10k-images-idx3-ubyte")).reshape(-1, 784).astype(np.float64) / 255
    yte = read_idx(find("t10k-labels-idx1-ubyte")).astype(np.int64)
    return xtr[:n_train], ytr[:n_train], xte, yte


def init(rng, sizes, dtype):
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1 / np.sqrt(fan_in)
        params.append(rng.uniform(-bound, bound, size=(fan_out, fan_in)).astype(dtype))
        params.append(rng.uniform(-bound, bound, size=fan_out).astype(dtype))
    return params


def forward(params, x):
    h = x
    acts = [h]
    layers = len(params) // 2
    for l in range(layers):
        z = h @ params[2 * l].T + params[2 * l + 1]
        h = np.maximum(z, 0) if l < layers - 1 else z
        acts.append(h)
    return acts


def loss_and_grads(params, x, y):
    acts = forward(params, x)
    logits = acts[-1]
    z = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    n = x.shape[0]
    loss = -np.log(p[np.arange(n), y]).mean()
    d = p
    d[np.arange(n), y] -= 1
    d /= n
    grads = [None] * len(params)
    for l in range(len(params) // 2 - 1, -1, -1):
        grads[2 * l] = d.T @ acts[l]
        grads[2 * l + 1] = d.sum(axis=0)
        if l > 0:
            d = (d @ params[2 * l]) * (acts[l] > 0)
    return loss, grads


def main():
    data_dir, n_train, epochs, lr, momentum = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
    dtype = np.dtype(sys.argv[6] if len(sys.argv) > 6 else "float64")
    if dtype not in (np.float32, np.float64):
        raise SystemExit(f"DTYPE must be float32 or float64, got {dtype}")
    rng = np.random.default_rng(0)
    xtr, ytr, xte, yte = load(data_dir, n_train, rng)
    mean = xtr.mean(axis=0)
    std = np.sqrt(((xtr - mean) ** 2).mean())
    xtr = ((xtr - mean) / std).astype(dtype)
    xte = ((xte - mean) / std).astype(dtype)
    params = init(rng, [784, 256, 256, 10], dtype)
    bufs = [None] * len(params)
    seconds = []
    cpu_seconds = []
    losses = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        c0 = time.process_time()
        order = rng.permutation(xtr.shape[0])
        losses = []
        for start in range(0, xtr.shape[0], 128):
            idx = order[start : start + 128]
            loss, grads = loss_and_grads(params, xtr[idx], ytr[idx])
            losses.append(loss)
            for i, g in enumerate(grads):
                bufs[i] = g if bufs[i] is None else momentum * bufs[i] + g
                params[i] -= lr * bufs[i]
        seconds.append(time.perf_counter() - t0)
        cpu_seconds.append(time.process_time() - c0)
    accuracy = float((forward(params, xte)[-1].argmax(axis=1) == yte).mean())
    assert all(p.dtype == dtype for p in params), "a parameter changed dtype during training"
    print(json.dumps({"secondsPerEpoch": seconds, "cpuSecondsPerEpoch": cpu_seconds, "trainLoss": float(np.mean(losses)), "testAccuracy": accuracy}))


if __name__ == "__main__":
    main()
