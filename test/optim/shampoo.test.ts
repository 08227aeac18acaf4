import { describe, expect, it } from "vitest";
import { Matrix } from "../../src/linalg/matrix.js";
import { spdPower } from "../../src/linalg/spd-power.js";
import { eigh } from "../../src/linalg/eigh.js";
import { qr } from "../../src/linalg/qr.js";
import { addRidge } from "../../src/optim/curvature/kronecker-block.js";
import { Rng } from "../../src/random/index.js";
import * as optim from "../../src/optim/index.js";
import type { Params } from "../../src/nn/types.js";
import { naiveMatmul } from "../helpers/naive.js";
import { gradientSequence, maxRelDiff, randomParams } from "./fixtures.js";

function run(t: optim.GradientTransformation<unknown>, params: Params, grads: Params[]): Params[] {
  let state = t.init(params);
  let p = params;
  return grads.map((g) => {
    const r = t.update(g, state, p);
    state = r.state;
    p = optim.applyUpdates(p, r.updates);
    return r.updates;
  });
}

/** Shampoo before the cheaper defaults (float64 products, roots every step from step 1, used at once): the reference behaviour. */
const SHAMPOO_TODAY = {
  precision: "float64",
  preconditionEvery: 1,
  startPreconditioningStep: 1,
  refreshDelay: 0,
} as const;

const add = (A: Matrix, B: Matrix, s = 1): Matrix =>
  new Matrix(
    A.rows,
    A.cols,
    A.data.map((x, i) => s * x + B.data[i]),
  );
const gg = (G: Matrix): Matrix => naiveMatmul(G, G, false, true);
const gtg = (G: Matrix): Matrix => naiveMatmul(G, G, true, false);

describe("shampoo", () => {
  const params = randomParams(1, { w: [4, 3], b: [1, 4] });
  const grads = gradientSequence(2, params, 6);

  it("with preconditioning disabled equals its graft (adam, and sgd for β₁ = 0)", () => {
    const never = { startPreconditioningStep: 100 };
    const s = run(
      optim.shampoo({ ...SHAMPOO_TODAY, learningRate: 0.01, beta1: 0.8, graftBeta2: 0.99, graftEps: 1e-6, ...never }),
      params,
      grads,
    );
    const a = run(optim.adam({ learningRate: 0.01, b1: 0.8, b2: 0.99, eps: 1e-6 }), params, grads);
    s.forEach((u, t) => expect(maxRelDiff(u, a[t])).toBe(0));
    const s2 = run(
      optim.shampoo({ ...SHAMPOO_TODAY, learningRate: 0.1, beta1: 0, graft: "sgd", ...never }),
      params,
      grads,
    );
    const g2 = run(optim.sgd({ learningRate: 0.1 }), params, grads);
    s2.forEach((u, t) => expect(maxRelDiff(u, g2[t])).toBe(0));
  });

  it("equals a naive computation with spdPower: sums or EMA of GGᵀ, GᵀG, momentum, stale roots", () => {
    for (const { beta1, beta2, every, statsEvery } of [
      { beta1: 0, beta2: 1, every: 1, statsEvery: 1 },
      { beta1: 0.9, beta2: 0.7, every: 2, statsEvery: 1 },
      { beta1: 0.9, beta2: 0.7, every: 2, statsEvery: 3 },
    ]) {
      const [lr, eps] = [0.05, 1e-3];
      const ours = run(
        optim.shampoo({
          ...SHAMPOO_TODAY,
          learningRate: lr,
          beta1,
          beta2,
          eps,
          graft: "none",
          preconditionEvery: every,
          statisticsUpdateEvery: statsEvery,
        }),
        params,
        grads,
      );
      let L = new Matrix(4, 4);
      let R = new Matrix(3, 3);
      let M = new Matrix(4, 3);
      let d = new Matrix(1, 4);
      let mb = new Matrix(1, 4);
      let PL = Matrix.identity(4);
      let PR = Matrix.identity(3);
      grads.forEach((g, i) => {
        const t = i + 1;
        // The statistics take the gradients of steps 1, statsEvery + 1, …
        const fold = (t - 1) % statsEvery === 0;
        if (fold) {
          L = add(L, gg(g.w), beta2);
          R = add(R, gtg(g.w), beta2);
        }
        M = add(
          M,
          new Matrix(
            4,
            3,
            g.w.data.map((x) => (1 - beta1) * x),
          ),
          beta1,
        );
        if ((t - 1) % every === 0) {
          PL = spdPower(addRidge(L, eps), -0.25);
          PR = spdPower(addRidge(R, eps), -0.25);
        }
        const Mhat = new Matrix(
          4,
          3,
          M.data.map((x) => x / (1 - beta1 ** t)),
        );
        const expectedW = naiveMatmul(naiveMatmul(PL, Mhat), PR);
        expectedW.data.forEach((x, k) => expect(ours[i].w.data[k]).toBeCloseTo(-lr * x, 12));
        // The 1×4 bias takes the diagonal form M̂ / √(d + ε).
        if (fold) {
          d = add(
            d,
            new Matrix(
              1,
              4,
              g.b.data.map((x) => x * x),
            ),
            beta2,
          );
        }
        mb = add(
          mb,
          new Matrix(
            1,
            4,
            g.b.data.map((x) => (1 - beta1) * x),
          ),
          beta1,
        );
        mb.data.forEach((x, k) =>
          expect(ours[i].b.data[k]).toBeCloseTo((-lr * (x / (1 - beta1 ** t))) / Math.sqrt(d.data[k] + eps), 12),
        );
      });
    }
  });

  it("blocks dimensions above maxPreconditionerDim into independent tiles", () => {
    const p = randomParams(3, { w: [5, 3] });
    const gs = gradientSequence(4, p, 2);
    const [lr, eps] = [0.1, 1e-4];
    const ours = run(
      optim.shampoo({ ...SHAMPOO_TODAY, learningRate: lr, beta1: 0, eps, graft: "none", maxPreconditionerDim: 2 }),
      p,
      gs,
    );
    const tiles = [
      [0, 2, 0, 2],
      [0, 2, 2, 1],
      [2, 2, 0, 2],
      [2, 2, 2, 1],
      [4, 1, 0, 2],
      [4, 1, 2, 1],
    ];
    for (const [r0, r, c0, c] of tiles) {
      const read = (G: Matrix): Matrix => {
        const out = new Matrix(r, c);
        for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out.set(i, j, G.get(r0 + i, c0 + j));
        return out;
      };
      const G1 = read(gs[0].w);
      const G2 = read(gs[1].w);
      const L = add(gg(G1), gg(G2));
      const R = add(gtg(G1), gtg(G2));
      const expected = naiveMatmul(
        naiveMatmul(spdPower(addRidge(L, eps), -0.25), G2),
        spdPower(addRidge(R, eps), -0.25),
      );
      for (let i = 0; i < r; i++)
        for (let j = 0; j < c; j++) expect(ours[1].w.get(r0 + i, c0 + j)).toBeCloseTo(-lr * expected.get(i, j), 12);
    }
  });

  it("grafting keeps the graft's per-parameter norm and Shampoo's direction", () => {
    const [lr, eps] = [0.02, 1e-3];
    const g = run(optim.shampoo({ ...SHAMPOO_TODAY, learningRate: lr, eps, graft: "adam" }), params, grads);
    const none = run(optim.shampoo({ ...SHAMPOO_TODAY, learningRate: lr, eps, graft: "none" }), params, grads);
    const a = run(optim.adam({ learningRate: lr, b1: 0.9, b2: 0.999, eps: 1e-8 }), params, grads);
    for (let t = 0; t < grads.length; t++)
      for (const k of ["w", "b"]) {
        const norm = (m: Matrix): number => Math.hypot(...m.data);
        expect(norm(g[t][k])).toBeCloseTo(norm(a[t][k]), 12);
        g[t][k].data.forEach((x, i) =>
          expect(x / norm(g[t][k])).toBeCloseTo(none[t][k].data[i] / norm(none[t][k]), 12),
        );
      }
  });

  it("NaN gradients keep the previous statistics and roots; maxFailures in a row raise", () => {
    const t = optim.shampoo({ ...SHAMPOO_TODAY, learningRate: 0.1, maxFailures: 2, skipNonFinite: false });
    let state = t.init(params);
    state = t.update(grads[0], state).state;
    const bad: Params = { w: grads[1].w.clone(), b: grads[1].b };
    bad.w.data[0] = NaN;
    const r = t.update(bad, state);
    expect(r.state.blocks.w[0].failures).toBe(1);
    expect(r.state.blocks.w[0].left).toBe(state.blocks.w[0].left);
    expect(r.state.blocks.w[0].leftCache).toBe(state.blocks.w[0].leftCache);
    expect(() => t.update(bad, r.state)).toThrow(
      /shampoo: the curvature block of "w\[tile 0\]" failed 2 steps in a row/,
    );
  });
});

describe("soap", () => {
  it("with an identity eigenbasis (diagonal factors) reduces to Adam", () => {
    // Gradients with one non-zero per row and column at fixed places keep L and R diagonal, so every basis is
    // the identity up to order and sign: SOAP must then be Adam (the bias 1×3 is Adam in any case).
    const rng = new Rng(7);
    const params = randomParams(8, { w: [3, 4], b: [1, 3] });
    const grads: Params[] = [];
    for (let t = 0; t < 7; t++) {
      const w = new Matrix(3, 4);
      w.set(0, 1, rng.normal());
      w.set(1, 3, rng.normal());
      w.set(2, 0, rng.normal());
      grads.push({ w, b: Matrix.fromRows([[rng.normal(), rng.normal(), rng.normal()]]) });
    }
    const ours = run(
      optim.soap({
        precision: "float64",
        learningRate: 0.01,
        b1: 0.9,
        b2: 0.99,
        eps: 1e-8,
        weightDecay: 0,
        preconditionEvery: 2,
      }),
      params,
      grads,
    );
    // The first step moves nothing (as soap.py); from the second on, Adam over the gradients after the first.
    for (const u of Object.values(ours[0])) expect(u.data.every((x) => x === 0)).toBe(true);
    const ref = run(optim.adam({ learningRate: 0.01, b1: 0.9, b2: 0.99, eps: 1e-8 }), params, grads.slice(1));
    ref.forEach((u, t) => expect(maxRelDiff(ours[t + 1], u)).toBeLessThan(1e-12));
  });

  it("equals a naive re-implementation (eigh first, then power iteration + QR with sorted columns)", () => {
    const params = randomParams(9, { w: [4, 3] });
    const grads = gradientSequence(10, params, 5);
    // ε = 1e-6, not 1e-8: after one 4×3 gradient L has a null direction, where ∇' is round-off and Adam divides it
    // by √v + ε; a tiny ε turns that round-off into differences between equivalent computations.
    const [lr, b1, b2, eps, beta, wd, every] = [0.01, 0.9, 0.95, 1e-6, 0.9, 0.1, 2];
    // statsEvery 3 folds the factors at Adam steps 3, 6, … only, so the refresh at step 2 reuses the first ones.
    for (const statsEvery of [1, 3]) soapAgainstNaive(statsEvery);

    function soapAgainstNaive(statsEvery: number): void {
      const ours = run(
        optim.soap({
          precision: "float64",
          learningRate: lr,
          b1,
          b2,
          eps,
          shampooBeta: beta,
          weightDecay: wd,
          preconditionEvery: every,
          statisticsUpdateEvery: statsEvery,
          refreshDelay: 0,
        }),
        params,
        grads,
      );
      const sortDesc = (S: Matrix, Q: Matrix): { Q: Matrix; order: number[] } => {
        const est = Array.from({ length: Q.cols }, (_, k) => {
          let s = 0;
          for (let i = 0; i < Q.rows; i++)
            for (let j = 0; j < Q.rows; j++) s += Q.get(i, k) * S.get(i, j) * Q.get(j, k);
          return s;
        });
        const order = est.map((_, k) => k).sort((x, y) => est[y] - est[x]);
        const out = new Matrix(Q.rows, Q.cols);
        order.forEach((src, k) => {
          for (let i = 0; i < Q.rows; i++) out.set(i, k, Q.get(i, src));
        });
        return { Q: out, order };
      };
      let L = new Matrix(4, 4);
      let R = new Matrix(3, 3);
      let QL: Matrix | null = null;
      let QR: Matrix | null = null;
      let m = new Matrix(4, 3);
      let v = new Matrix(4, 3);
      let theta = params.w;
      /** L ← βL + (1−β)GGᵀ, R ← βR + (1−β)GᵀG. */
      const fold = (G: Matrix): void => {
        const scaled = (S: Matrix): Matrix =>
          new Matrix(
            S.rows,
            S.cols,
            S.data.map((x) => (1 - beta) * x),
          );
        L = add(L, scaled(gg(G)), beta);
        R = add(R, scaled(gtg(G)), beta);
      };
      grads.forEach((g, i) => {
        // soap.py: the first step builds L, R and their eigenbases and moves nothing; Adam counts from the second.
        const t = i;
        if (!QL || !QR) {
          fold(g.w);
          QL = eigh(L).vectors;
          QR = eigh(R).vectors;
          expect(ours[i].w.data.every((x) => x === 0)).toBe(true);
          return;
        }
        m = add(
          m,
          new Matrix(
            4,
            3,
            g.w.data.map((x) => (1 - b1) * x),
          ),
          b1,
        );
        const gp = naiveMatmul(naiveMatmul(QL, g.w, true, false), QR);
        v = add(
          v,
          new Matrix(
            4,
            3,
            gp.data.map((x) => (1 - b2) * x * x),
          ),
          b2,
        );
        const mp = naiveMatmul(naiveMatmul(QL, m, true, false), QR);
        const dirP = new Matrix(
          4,
          3,
          mp.data.map((x, k) => x / (1 - b1 ** t) / (Math.sqrt(v.data[k]) / Math.sqrt(1 - b2 ** t) + eps)),
        );
        const dir = naiveMatmul(naiveMatmul(QL, dirP), QR, false, true);
        const expected = new Matrix(
          4,
          3,
          dir.data.map((x, k) => -lr * x - lr * wd * theta.data[k]),
        );
        expect(maxRelDiff({ w: ours[i].w }, { w: expected })).toBeLessThan(1e-10);
        theta = add(theta, ours[i].w);
        if (t % statsEvery === 0) fold(g.w);
        if (t % every === 0) {
          const l = sortDesc(L, QL);
          const r = sortDesc(R, QR);
          QL = qr(naiveMatmul(L, l.Q)).Q;
          QR = qr(naiveMatmul(R, r.Q)).Q;
          const vv = new Matrix(4, 3);
          for (let a = 0; a < 4; a++) for (let b = 0; b < 3; b++) vv.set(a, b, v.get(l.order[a], r.order[b]));
          v = vv;
        }
      });
    }
  });
});
