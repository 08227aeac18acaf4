"""The numpy forward/backward pass of a small CNN, shared by the peers of bench/nn.bench.ts (nn.py) and
bench/cnn.bench.ts (cnn.py): conv k×k 'same' → ReLU → max-pool 2×2, twice, then dense → ReLU → dense, softmax
cross-entropy; convolutions by im2col + GEMM, the patch gradient scattered back kernel offset by kernel offset.
Parameters in PyTorch's layout ("0", "3": convolutions with weights outC×(inC·k·k); "7", "9": dense layers). Every
array stays in the dtype of the input. The importer sets the BLAS thread count before importing this module.
"""
from math import isqrt

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def softmax_ce(z, y):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    s = e.sum(axis=1, keepdims=True)
    n = z.shape[0]
    loss = float(np.mean(np.log(s[:, 0]) - z[np.arange(n), y]))
    g = e / s
    g[np.arange(n), y] -= 1
    return loss, g / n


def kernel_size(W, channels):
    """k of a conv weight outC×(channels·k·k)."""
    return isqrt(W.shape[1] // channels)


def im2col(x, k):
    n, c, h, w = x.shape
    pad = k // 2
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    win = sliding_window_view(xp, (k, k), axis=(2, 3))  # n, c, h, w, k, k
    return win.transpose(0, 2, 3, 1, 4, 5).reshape(n * h * w, c * k * k)


def conv_forward(x, W, b):
    n, c, h, w = x.shape
    P = im2col(x, kernel_size(W, c))
    Y = P @ W.T + b
    return Y.reshape(n, h, w, -1).transpose(0, 3, 1, 2), P


def conv_backward(dout, P, W, x_shape, need_dx):
    n, c, h, w = x_shape
    G = dout.transpose(0, 2, 3, 1).reshape(n * h * w, -1)
    dW, db = G.T @ P, G.sum(0)
    if not need_dx:
        return dW, db, None
    k = kernel_size(W, c)
    pad = k // 2
    dP = (G @ W).reshape(n, h, w, c, k, k)
    dxp = np.zeros((n, c, h + 2 * pad, w + 2 * pad), dtype=dout.dtype)
    for i in range(k):
        for j in range(k):
            dxp[:, :, i : i + h, j : j + w] += dP[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    return dW, db, dxp[:, :, pad : pad + h, pad : pad + w]


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


def cnn_pass(p, x, y):
    """The loss and the gradient of every parameter for 28×28 single-channel images x (rows) and labels y."""
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
