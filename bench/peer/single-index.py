"""numpy peer of bench/single-index.bench.ts: the same single-index alignment trial (docs/single-index.md), and the same
sweep, written the way a numpy user would, with numpy's default threads.

One trial (algorithm gd, kfac, adam or gd-bn): take the task of (d, κ) (Haar-rotated log-spaced spectrum with tr Σ = d,
random β★ with ⟨β★, Σβ★⟩ = 1; built once per κ and shared by the trials, as ours is), draw n samples x = Σ^{1/2} ξ and y = tanh(⟨β★, x⟩) + 0.1 ε, initialise W₀ (rows N(0, I/d)) and
a = ±1/√N, take one step (gd: −η√N ∇; kfac: −η√N ∇ (Σ̂ + λI)⁻¹ with λ = 1e-3 tr Σ̂ / d; adam: −η g/(|g| + ε);
gd-bn: gd through batch-norm on the hidden layer), evaluate the loss
before and after, and measure the spike: the top two right singular vectors of ΔW and of W₁ (from the
eigendecomposition of the d×d Gram matrix) and their alignment with β★ and Σβ★.

Usage:
  python3 single-index.py trial D N N_OVER_D KAPPA REPEATS   -> {"gd": {"ms", "alignment"}, "kfac": {...}}
  python3 single-index.py sweep D N                          -> {"ms": total, "trials": count, "rows": [...]}
The sweep is single-index-alignment's default grid: 4 algorithms × κ ∈ {1, 10, 100} × n/d ∈ {0.5, …, 32}.
"""
import json
import sys
import time

import numpy as np


def task(rng, d, kappa):
    s = kappa ** ((d - 1 - np.arange(d)) / (d - 1)) if d > 1 else np.ones(1)
    s *= d / s.sum()
    z = rng.standard_normal((d, d))
    q, r = np.linalg.qr(z)
    q *= np.sign(np.diag(r))
    sigma = (q * s) @ q.T
    sqrt = (q * np.sqrt(s)) @ q.T
    beta = rng.standard_normal(d)
    beta /= np.sqrt(beta @ sigma @ beta)
    return sigma, sqrt, beta


def loss_and_grad(W, a, X, y, want_grad=True, bn=False, eps=1e-5):
    n, N = X.shape[0], W.shape[0]
    H = X @ W.T
    if bn:
        H = H - H.mean(axis=0)
        inv_std = 1.0 / np.sqrt((H * H).mean(axis=0) + eps)
        H *= inv_std
    F = np.tanh(H)
    r = F @ a / np.sqrt(N) - y
    loss = 0.5 * (r @ r) / n
    if not want_grad:
        return loss, None
    dZ = (r / (n * np.sqrt(N)))[:, None] * a[None, :] * (1.0 - F * F)
    if bn:
        dZ = inv_std * (dZ - dZ.mean(axis=0) - H * (dZ * H).mean(axis=0))
    return loss, dZ.T @ X


def spike(M, beta, sb):
    vals, vecs = np.linalg.eigh(M.T @ M)
    v1 = vecs[:, -1]
    al = abs(v1 @ beta) / np.linalg.norm(beta)
    al_sb = abs(v1 @ sb) / np.linalg.norm(sb)
    return al, al_sb, np.sqrt(vals[-1] / vals[-2])


_tasks = {}


def task_for(d, kappa):
    """The task of (d, κ), built once and shared by every trial at that κ, as src/experiments/single-index/trial.ts
    does (its task depends only on the problem seed and κ, and each worker keeps recent ones)."""
    key = (d, kappa)
    if key not in _tasks:
        _tasks[key] = task(np.random.default_rng([d, round(1000 * kappa)]), d, kappa)
    return _tasks[key]


def trial(seed, algorithm, d, N, n_over_d, kappa, eta=1.0, damping=1e-3):
    rng = np.random.default_rng(seed)
    sigma, sqrt, beta = task_for(d, kappa)
    n = max(2, round(n_over_d * d))
    X = rng.standard_normal((n, d)) @ sqrt
    y = np.tanh(X @ beta) + 0.1 * rng.standard_normal(n)
    W0 = rng.standard_normal((N, d)) / np.sqrt(d)
    a = rng.choice([-1.0, 1.0], N) / np.sqrt(N)
    bn = algorithm == "gd-bn"
    loss0, g = loss_and_grad(W0, a, X, y, bn=bn)
    if algorithm == "adam":
        W1 = W0 - eta * g / (np.abs(g) + 1e-8)
    else:
        if algorithm == "kfac":
            S = X.T @ X / n
            S[np.diag_indices(d)] += damping * np.trace(S) / d
            g = np.linalg.solve(S, g.T).T
        W1 = W0 - eta * np.sqrt(N) * g
    loss1, _ = loss_and_grad(W1, a, X, y, want_grad=False, bn=bn)
    sb = sigma @ beta
    al, al_sb, strength = spike(W1 - W0, beta, sb)
    al_w1, _, _ = spike(W1, beta, sb)
    return {"alignment": al, "alignmentSigmaBeta": al_sb, "spikeStrength": strength, "alignmentW1": al_w1,
            "loss": [loss0, loss1]}


def main():
    mode = sys.argv[1]
    d, N = int(sys.argv[2]), int(sys.argv[3])
    if mode == "trial":
        n_over_d, kappa, repeats = float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
        out = {}
        for alg in ("gd", "kfac"):
            trial(0, alg, d, N, n_over_d, kappa)  # warm-up
            times, res = [], None
            for r in range(repeats):
                t0 = time.perf_counter()
                res = trial(r + 1, alg, d, N, n_over_d, kappa)
                times.append(time.perf_counter() - t0)
            times.sort()
            out[alg] = {"ms": times[len(times) // 2] * 1e3, "alignment": res["alignment"]}
        print(json.dumps(out))
    elif mode == "sweep":
        kappas = [1, 10, 100]
        ratios = [0.5, 1, 2, 4, 8, 16, 32]
        t0 = time.perf_counter()
        rows = []
        seed = 0
        for alg in ("gd", "kfac", "adam", "gd-bn"):
            for kappa in kappas:
                for r in ratios:
                    seed += 1
                    rows.append({"algorithm": alg, "kappa": kappa, "nOverD": r,
                                 "alignment": trial(seed, alg, d, N, r, kappa)["alignment"]})
        print(json.dumps({"ms": (time.perf_counter() - t0) * 1e3, "trials": len(rows), "rows": rows}))
    else:
        raise SystemExit(f"unknown mode {mode!r}; use trial or sweep")


if __name__ == "__main__":
    main()
