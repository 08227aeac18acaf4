"""numpy peer of bench/linrep.bench.ts: the linear representation learning training loop written the way a numpy
user would write it, with numpy's default BLAS threads.

Usage:
  python3 linrep.py step ALGORITHM STEPS DX K DY N   -> {"msPerStep": ...}
  python3 linrep.py sweep CONFIG_JSON                -> {"seconds": ..., "trials": ..., "steps": ..., "summary": [...]}

Both follow src/experiments/linrep/train.ts and tuning.ts: online batches x = Σ^{1/2}ξ (ξ Rademacher), Σ rotated
with log-spaced spectrum, y = F★G★x + σε; G₀ Haar rows, F₀ ~ N(0, 0.01/k); loss logged on a fixed evaluation
set, the spectral subspace distance checked every step when a target is set; transfer excess at the end. The
sweep runs every (algorithm, κₓ, κ_F, seed) with the same step-size grid search (on a separate problem and data
stream) and the same stopping rules, one after the other. Prints one JSON line.
"""
import json
import sys
import time

import numpy as np

EXPLODED = 1e6


def haar(rng, n, k):
    q, r = np.linalg.qr(rng.standard_normal((n, k)))
    return q * np.sign(np.diag(r))


def logspaced(d, kappa):
    return kappa ** ((d - 1 - np.arange(d)) / max(d - 1, 1))


def covariance(rng, d, kappa):
    q = haar(rng, d, d)
    s = logspaced(d, kappa)
    return (q * s) @ q.T, (q * np.sqrt(s)) @ q.T, s


def make_problem(rng, dx, dy, k, kappa_x, kappa_f, noise=0.1):
    sigma, sqrt, s = covariance(rng, dx, kappa_x)
    gstar = haar(rng, dx, k).T
    fstar = (haar(rng, dy, k) * logspaced(k, kappa_f)) @ haar(rng, k, k).T
    t_sigma, t_sqrt, _ = covariance(rng, dx, 10.0)
    t_f = (haar(rng, dy, k) * logspaced(k, 1.0)) @ haar(rng, k, k).T
    return dict(sqrt=sqrt, eig=s, gstar=gstar, fstar=fstar, noise=noise, t_sqrt=t_sqrt, t_f=t_f, t_noise=0.1)


def sample(rng, sqrt, f, gstar, noise, n):
    xi = rng.integers(0, 2, size=(n, sqrt.shape[0])) * 2.0 - 1.0
    x = xi @ sqrt
    return x, x @ (f @ gstar).T + noise * rng.standard_normal((n, f.shape[0]))


def distance(g, gstar):
    u, _ = np.linalg.qr(g.T)
    return np.linalg.norm(u - gstar.T @ (gstar @ u), 2)


def loss(g, f, x, y, bn=None):
    z = x @ g.T
    if bn is not None:
        z = bn[0] * (z - z.mean(0)) / np.sqrt(z.var(0) + 1e-5) + bn[1]
    return 0.5 * np.sum((z @ f.T - y) ** 2) / x.shape[0]


def transfer_excess(rng, p, g, n_t, n_test):
    x, y = sample(rng, p["t_sqrt"], p["t_f"], p["gstar"], p["t_noise"], n_t)
    z = x @ g.T
    w = np.linalg.solve(z.T @ z, z.T @ y)
    x, y = sample(rng, p["t_sqrt"], p["t_f"], p["gstar"], p["t_noise"], n_test)
    return np.sum((x @ g.T @ w - y) ** 2) / n_test - y.shape[1] * p["t_noise"] ** 2


def train(p, alg, steps, n, lr, damping, rng, target=None, log_every=1, n_t=200, n_test=2000):
    """One run; returns (steps to target or None, final distance, diverged, steps taken)."""
    dx, k, dy = p["gstar"].shape[1], p["gstar"].shape[0], p["fstar"].shape[0]
    g = haar(rng, dx, k).T
    f = rng.standard_normal((dy, k)) * 0.1 / np.sqrt(k)
    bn = [np.ones(k), np.zeros(k)] if alg == "sgd-bn" else None
    m = v = None
    xe, ye = sample(rng, p["sqrt"], p["fstar"], p["gstar"], p["noise"], n_test)
    loss0 = loss(g, f, xe, ye, bn)
    d = distance(g, p["gstar"])
    reached = 0 if target is not None and d <= target else None
    t = 0
    while reached is None and t < steps:
        t += 1
        x, y = sample(rng, p["sqrt"], p["fstar"], p["gstar"], p["noise"], n)
        try:
            if alg in ("sgd", "adam"):
                z = x @ g.T
                r = z @ f.T - y
                grads = [(r @ f).T @ x / n, r.T @ z / n]
                if alg == "sgd":
                    g, f = g - lr * grads[0], f - lr * grads[1]
                else:
                    if m is None:
                        m, v = [np.zeros_like(a) for a in grads], [np.zeros_like(a) for a in grads]
                    for i, gr in enumerate(grads):
                        m[i] = 0.9 * m[i] + 0.1 * gr
                        v[i] = 0.999 * v[i] + 0.001 * gr * gr
                    step = [lr * (m[i] / (1 - 0.9**t)) / (np.sqrt(v[i] / (1 - 0.999**t)) + 1e-8) for i in range(2)]
                    g, f = g - step[0], f - step[1]
            elif alg == "sgd-bn":
                z = x @ g.T
                mu, var = z.mean(0), z.var(0)
                inv = 1 / np.sqrt(var + 1e-5)
                zh = (z - mu) * inv
                h = bn[0] * zh + bn[1]
                r = h @ f.T - y
                dh = r @ f / n
                dgamma, dbeta = (dh * zh).sum(0), dh.sum(0)
                dz = bn[0] * inv * (dh - dh.mean(0) - zh * (dh * zh).mean(0))
                g, f = g - lr * (dz.T @ x), f - lr * (r.T @ h / n)
                bn = [bn[0] - lr * dgamma, bn[1] - lr * dbeta]
            elif alg == "amd":
                z = x @ g.T
                f = np.linalg.solve(z.T @ z, z.T @ y).T
                g = g - lr * ((z @ f.T - y) @ f).T @ x / n
            elif alg in ("one-sided", "kfac"):
                r = x @ g.T @ f.T - y
                dg = (r @ f).T @ x / n
                if alg == "kfac":
                    dg = np.linalg.solve(f.T @ f, dg)
                sx = x.T @ x / n + damping * np.eye(dx)
                g = g - lr * np.linalg.solve(sx, dg.T).T
                z = x @ g.T
                sz = z.T @ z / n
                f = f - np.linalg.solve(sz, ((z @ f.T - y).T @ z / n).T).T
            elif alg == "ngd":
                z = x @ g.T
                r = z @ f.T - y
                sx, sz, szx = x.T @ x / n, z.T @ z / n, z.T @ x / n
                mat = np.block([[np.kron(np.eye(dy), sz), np.kron(f, szx)], [np.kron(f, szx).T, np.kron(f.T @ f, sx)]])
                grad = np.concatenate([(r.T @ z / n).ravel(), ((r @ f).T @ x / n).ravel()])
                delta = np.linalg.solve(mat + damping * np.eye(mat.shape[0]), grad)
                f, g = f - lr * delta[: dy * k].reshape(dy, k), g - lr * delta[dy * k :].reshape(k, dx)
        except np.linalg.LinAlgError:
            return None, np.inf, True, t
        if not (np.linalg.norm(g) < EXPLODED and np.linalg.norm(f) < EXPLODED):
            return None, np.inf, True, t
        log_now = t == steps or t % log_every == 0
        if target is None and not log_now:
            continue
        d = distance(g, p["gstar"])
        if target is not None and d <= target:
            reached = t
        if log_now or reached is not None:
            l = loss(g, f, xe, ye, bn)
            if not (l <= EXPLODED * loss0):
                return None, np.inf, True, t
    transfer_excess(rng, p, g, n_t, n_test)
    return reached, d, False, t


def scales(p, alg):
    lam_max, lam_mean = p["eig"].max(), p["eig"].mean()
    f2 = np.linalg.svd(p["fstar"], compute_uv=False)[0] ** 2
    step = {"sgd": 1 / (f2 * lam_max), "sgd-bn": 1 / (f2 * lam_max), "amd": 1 / (f2 * lam_max),
            "one-sided": 1 / f2, "adam": 0.01, "kfac": 1.0, "ngd": 1.0}[alg]
    damp = {"one-sided": lam_mean, "kfac": lam_mean, "ngd": f2 * lam_max}.get(alg, 0.0)
    return step, damp


def sweep(cfg):
    t0 = time.perf_counter()
    summary, total_steps = [], 0
    lr_factors = cfg.get("lrFactors", [0.25, 0.5, 1, 1.5])
    for seed in range(cfg["seeds"]):
        for ai, alg in enumerate(cfg["algorithms"]):
            for kx in cfg["kappaX"]:
                for kf in cfg["kappaF"]:
                    base = np.random.SeedSequence([seed, ai, int(kx), int(kf)])
                    tune_ss, run_ss = base.spawn(2)
                    tune_p = make_problem(np.random.default_rng(tune_ss), cfg["dX"], cfg["dY"], cfg["k"], kx, kf)
                    tune_data = tune_ss.spawn(1)[0]  # every candidate sees the same data stream
                    step, damp = scales(tune_p, alg)
                    dfs = {"one-sided": [0, 0.01], "kfac": [0, 0.01], "ngd": [1e-4, 1e-3, 1e-2, 1e-1]}.get(alg, [0])
                    best = None
                    for lf in lr_factors:
                        for df in dfs:
                            r, d, div, t = train(tune_p, alg, min(cfg["tuneSteps"], cfg["steps"]), cfg["batch"],
                                                 lf * step, df * damp, np.random.default_rng(tune_data),
                                                 cfg["target"], cfg["tuneSteps"])
                            total_steps += t
                            score = (np.inf, np.inf) if div else (np.inf if r is None else r, d)
                            if best is None or score < best[0]:
                                best = (score, lf * step, df * damp)
                    rng = np.random.default_rng(run_ss)
                    p = make_problem(rng, cfg["dX"], cfg["dY"], cfg["k"], kx, kf)
                    r, d, div, t = train(p, alg, cfg["steps"], cfg["batch"], best[1], best[2], rng, cfg["target"], 1)
                    total_steps += t
                    summary.append({"algorithm": alg, "kappaX": kx, "kappaF": kf, "seed": seed, "stepsToTarget": r})
    trials = len(summary)
    return {"seconds": time.perf_counter() - t0, "trials": trials, "steps": total_steps, "summary": summary}


def main():
    mode = sys.argv[1]
    if mode == "step":
        alg, steps, dx, k, dy, n = sys.argv[2], *map(int, sys.argv[3:8])
        rng = np.random.default_rng(0)
        p = make_problem(rng, dx, dy, k, 100.0, 3.0)
        lr = 1.0 if alg == "kfac" else 0.5 * scales(p, alg)[0]
        train(p, alg, 5, n, lr, 0.0, rng, None, 5, 16, 16)  # warm-up
        t0 = time.perf_counter()
        train(p, alg, steps, n, lr, 0.0, rng, None, steps, 16, 16)
        print(json.dumps({"msPerStep": (time.perf_counter() - t0) * 1e3 / steps}))
    else:
        print(json.dumps(sweep(json.loads(sys.argv[2]))))


if __name__ == "__main__":
    main()
