/**
 * The cheaper defaults of the curvature methods (float32 products, factors every k steps, low-rank applies,
 * Shampoo's start-up period, float32 Newton–Schulz) against the float64 behaviour that matches the references, and
 * `partition`.
 */
import { describe, expect, it } from "vitest";
import { gram, matmul } from "../../src/linalg/blas.js";
import { eigh } from "../../src/linalg/eigh.js";
import { gramFloat32 } from "../../src/linalg/blas32.js";
import { Matrix } from "../../src/linalg/matrix.js";
import { Rng, gaussianMatrix } from "../../src/random/index.js";
import * as optim from "../../src/optim/index.js";
import { spdInverse } from "../../src/optim/curvature/precision.js";
import type { KroneckerStats, Params } from "../../src/nn/types.js";
import { denseLeastSquares, gradientSequence, maxRelDiff, randomParams } from "./fixtures.js";

function run(
  t: optim.GradientTransformation<unknown>,
  params: Params,
  grads: Params[],
  stats?: KroneckerStats[],
): Params[] {
  let state = t.init(params);
  let p = params;
  return grads.map((g, i) => {
    const r = t.update(g, state, p, stats ? { stats: [stats[i]] } : undefined);
    state = r.state;
    p = optim.applyUpdates(p, r.updates);
    return r.updates;
  });
}

/** The largest ‖x_k − y_k‖_F / ‖y_k‖_F over the parameters k (normwise: the step's direction, not an entry). */
function normRelDiff(x: Params, y: Params): number {
  let worst = 0;
  for (const k of Object.keys(y)) {
    let [d, n] = [0, 0];
    y[k].data.forEach((b, i) => {
      d += (x[k].data[i] - b) ** 2;
      n += b * b;
    });
    worst = Math.max(worst, n > 0 ? Math.sqrt(d / n) : d === 0 ? 0 : Infinity);
  }
  return worst;
}

/** A dense least-squares layer with more inputs than examples (the low-rank apply is the cheaper one). */
function wideLayer(seed: number, batches: number): { params: Params; grads: Params[]; stats: KroneckerStats[] } {
  const rng = new Rng(seed);
  const W = gaussianMatrix(rng, 6, 20, 0.3);
  const b = gaussianMatrix(rng, 1, 6);
  const passes = Array.from({ length: batches }, () =>
    denseLeastSquares(W, b, gaussianMatrix(rng, 4, 20), gaussianMatrix(rng, 4, 6)),
  );
  return { params: { w: W, b }, grads: passes.map((p) => p.grads), stats: passes.map((p) => p.stats) };
}

describe("gramFloat32", () => {
  it("equals the float64 Gram matrix of the float32-rounded input to float32 accuracy, exactly symmetric", () => {
    const X = gaussianMatrix(new Rng(3), 70, 33);
    for (const trans of [false, true]) {
      const ours = gramFloat32(X, { trans });
      const reference = gram(new Matrix(X.rows, X.cols, X.data.map(Math.fround)), { trans });
      const n = ours.rows;
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) {
          expect(Math.abs(ours.get(i, j) - reference.get(i, j))).toBeLessThan(
            1e-5 * (1 + Math.abs(reference.get(i, i))),
          );
          expect(ours.get(i, j)).toBe(ours.get(j, i));
          expect(Math.fround(ours.get(i, j))).toBe(ours.get(i, j));
        }
    }
  });
});

describe("spdInverse", () => {
  it("float32 (float64 Cholesky and solve, float32 Gram L⁻ᵀL⁻¹) equals the float64 inverse to float32 accuracy", () => {
    const rng = new Rng(11);
    for (const [rows, n, ridge] of [
      [80, 40, 0.1],
      [10, 40, 1e-3], // rank-deficient statistics, damped: condition number ≈ 10⁵
    ] as const) {
      const X = gram(gaussianMatrix(rng, rows, n));
      for (let i = 0; i < n; i++) X.data[i * n + i] += ridge;
      const f32 = spdInverse("float32", X);
      const f64 = spdInverse("float64", X);
      expect(normRelDiff({ x: f32 }, { x: f64 })).toBeLessThan(1e-6);
      // And it is the inverse: X·X⁻¹ = I up to the condition number times float32 round-off.
      const I = matmul(X, f32);
      let worst = 0;
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) worst = Math.max(worst, Math.abs(I.get(i, j) - (i === j ? 1 : 0)));
      expect(worst).toBeLessThan(ridge === 0.1 ? 1e-5 : 1e-2);
      for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) expect(f32.get(i, j)).toBe(f32.get(j, i));
    }
  });
});

describe("kfac / ekfac cost options", () => {
  const float64 = { precision: "float64", factorUpdateEvery: 1, inverseEvery: 1, learningRate: 0.1 } as const;

  for (const name of ["kfac", "ekfac"] as const) {
    it(`${name}: the low-rank apply (gL)ᵀ(aR)/n gives the same steps as the apply through the gradient`, () => {
      const { params, grads, stats } = wideLayer(5, 4);
      const low = run(optim[name]({ ...float64, lowRankApply: true }), params, grads, stats);
      const plain = run(optim[name]({ ...float64, lowRankApply: false }), params, grads, stats);
      low.forEach((u, t) => expect(maxRelDiff(u, plain[t])).toBeLessThan(1e-10));
    });

    it(`${name}: a gradient that is not gᵀa/n (changed on the way) goes through the gradient itself`, () => {
      const { params, grads, stats } = wideLayer(6, 3);
      // Weight decay added before the optimizer: the gradient no longer factors through the statistics.
      const decayed = grads.map((g) => ({
        ...g,
        w: new Matrix(
          6,
          20,
          g.w.data.map((x, i) => x + 0.5 * params.w.data[i]),
        ),
      }));
      const low = run(optim[name]({ ...float64, lowRankApply: true }), params, decayed, stats);
      const plain = run(optim[name]({ ...float64, lowRankApply: false }), params, decayed, stats);
      low.forEach((u, t) => expect(maxRelDiff(u, plain[t])).toBe(0));
    });

    it(`${name}: float32 products (the default) stay within float32 accuracy of float64`, () => {
      const { params, grads, stats } = wideLayer(7, 4);
      const f32 = run(optim[name]({ ...float64, precision: "float32" }), params, grads, stats);
      const f64 = run(optim[name](float64), params, grads, stats);
      // Float32 round-off (6e-8 relative) amplified by the preconditioner: 4 examples leave most of A's 21
      // directions with second moments near 0, where EKFAC divides by the damping alone (1e-3).
      f32.forEach((u, t) => expect(normRelDiff(u, f64[t])).toBeLessThan(name === "kfac" ? 1e-4 : 2e-3));
    });
  }

  it("kfac: factorUpdateEvery k folds the batch factors at steps 1, k+1, 2k+1, … only", () => {
    const { params, grads, stats } = wideLayer(8, 5);
    const decay = 0.5;
    const t = optim.kfac({ ...float64, emaDecay: decay, factorUpdateEvery: 3 });
    let state = t.init(params);
    const lefts: Matrix[] = [];
    grads.forEach((g, i) => {
      state = t.update(g, state, params, { stats: [stats[i]] }).state;
      lefts.push(state.layers.w.left!);
    });
    // G = (1/n) gᵀg of a batch; the moving average starts at batch 1 and folds batch 4 in.
    const G = (i: number): Matrix => {
      const M = gram(stats[i].g);
      return new Matrix(
        M.rows,
        M.cols,
        M.data.map((x) => x / 4),
      );
    };
    expect(maxRelDiff({ l: lefts[2] }, { l: G(0) })).toBeLessThan(1e-14);
    const folded = new Matrix(
      6,
      6,
      G(0).data.map((x, i) => decay * x + (1 - decay) * G(3).data[i]),
    );
    expect(maxRelDiff({ l: lefts[3] }, { l: folded })).toBeLessThan(1e-14);
    expect(lefts[4]).toBe(lefts[3]);
  });
});

describe("ekfac: scalings every scalingUpdateEvery steps", () => {
  const float64 = { precision: "float64", inverseEvery: 100, learningRate: 0.1, emaDecay: 0.5 } as const;

  it("re-estimates the scalings at steps 1, k+1, 2k+1, … only; in between the step uses the last scalings", () => {
    const { params, grads, stats } = wideLayer(9, 5);
    const t = optim.ekfac({ ...float64, factorUpdateEvery: 3, scalingUpdateEvery: 3 });
    let state = t.init(params);
    const scalings: Matrix[] = [];
    grads.forEach((g, i) => {
      state = t.update(g, state, params, { stats: [stats[i]] }).state;
      scalings.push(state.scalings.w);
    });
    expect(scalings[1]).toBe(scalings[0]);
    expect(scalings[2]).toBe(scalings[0]);
    expect(scalings[3]).not.toBe(scalings[0]);
    expect(scalings[4]).toBe(scalings[3]);
  });

  it("scalingUpdateEvery 1 with factors every k equals a naive EKFAC that re-estimates the scalings every step", () => {
    // More examples than inputs, so that the factors' eigenvalues are distinct and the eigenbases unique.
    const rng = new Rng(10);
    const W = gaussianMatrix(rng, 3, 5, 0.3);
    const b0 = gaussianMatrix(rng, 1, 3);
    const passes = Array.from({ length: 4 }, () =>
      denseLeastSquares(W, b0, gaussianMatrix(rng, 30, 5), gaussianMatrix(rng, 30, 3)),
    );
    const [params, grads, stats] = [{ w: W, b: b0 }, passes.map((p) => p.grads), passes.map((p) => p.stats)];
    const [decay, lambda, lr] = [0.5, 1e-3, 0.1];
    const t = optim.ekfac({ ...float64, damping: lambda, factorUpdateEvery: 3, scalingUpdateEvery: 1 });
    const ours = run(t, params, grads, stats);
    // Naive: the eigenbases of the first batch's factors (no fold before step 4, no refresh before step 101);
    // S starts at λ_G λ_Aᵀ and folds (1/n) Σᵢ (Q_Gᵀ gᵢ aᵢᵀ Q_A)² every step.
    const n = stats[0].batchSize;
    const scaled = (M: Matrix, c: number): Matrix =>
      new Matrix(
        M.rows,
        M.cols,
        M.data.map((x) => x * c),
      );
    const eG = eigh(scaled(gram(stats[0].g), 1 / n));
    const eA = eigh(scaled(gram(stats[0].a), 1 / n));
    const [QG, QA] = [eG.vectors, eA.vectors];
    let S = new Matrix(QG.cols, QA.cols);
    for (let k = 0; k < S.rows; k++)
      for (let j = 0; j < S.cols; j++) S.data[k * S.cols + j] = eG.values[k] * eA.values[j];
    ours.forEach((u, step) => {
      const { a, g } = stats[step];
      const batch = new Matrix(S.rows, S.cols);
      for (let i = 0; i < n; i++) {
        const gi = new Matrix(1, g.cols, g.data.slice(i * g.cols, (i + 1) * g.cols));
        const ai = new Matrix(1, a.cols, a.data.slice(i * a.cols, (i + 1) * a.cols));
        const P = matmul(matmul(QG, matmul(gi, ai, { transA: true }), { transA: true }), QA);
        for (let k = 0; k < batch.data.length; k++) batch.data[k] += P.data[k] ** 2 / n;
      }
      S = new Matrix(
        S.rows,
        S.cols,
        S.data.map((x, k) => decay * x + (1 - decay) * batch.data[k]),
      );
      const joined = new Matrix(g.cols, a.cols);
      for (let r = 0; r < g.cols; r++) {
        for (let c = 0; c + 1 < a.cols; c++) joined.set(r, c, grads[step].w.get(r, c));
        joined.set(r, a.cols - 1, grads[step].b.data[r]);
      }
      const P = matmul(matmul(QG, joined, { transA: true }), QA);
      const D = new Matrix(
        P.rows,
        P.cols,
        P.data.map((x, k) => x / (S.data[k] + lambda)),
      );
      const step_ = matmul(matmul(QG, D), QA, { transB: true });
      for (let r = 0; r < g.cols; r++) {
        for (let c = 0; c + 1 < a.cols; c++) expect(u.w.get(r, c)).toBeCloseTo(-lr * step_.get(r, c), 9);
        expect(u.b.data[r]).toBeCloseTo(-lr * step_.get(r, a.cols - 1), 9);
      }
    });
  });
});

describe("shampoo, soap and muon defaults", () => {
  it("shampoo: before step preconditionEvery (default 100) the step is the graft's (Adam); the roots start there", () => {
    const params = randomParams(11, { w: [4, 3], b: [1, 4] });
    const grads = gradientSequence(12, params, 101);
    const ours = run(optim.shampoo({ learningRate: 0.01 }), params, grads);
    const adam = run(optim.adam({ learningRate: 0.01, b1: 0.9, b2: 0.999, eps: 1e-8 }), params, grads);
    for (let t = 0; t < 99; t++) expect(maxRelDiff(ours[t], adam[t])).toBe(0);
    expect(normRelDiff(ours[99], adam[99])).toBeGreaterThan(1e-2);
    const late = run(optim.shampoo({ learningRate: 0.01, startPreconditioningStep: 1 }), params, grads.slice(0, 2));
    expect(normRelDiff(late[0], adam[0])).toBeGreaterThan(1e-2);
  });

  it("shampoo, soap: float32 products (the default) stay within float32 accuracy of float64", () => {
    const params = randomParams(13, { w: [8, 5], b: [1, 8] });
    const grads = gradientSequence(14, params, 6);
    const every = { preconditionEvery: 2, startPreconditioningStep: 1 };
    const shampoo32 = run(optim.shampoo({ learningRate: 0.01, eps: 1e-4, ...every }), params, grads);
    const shampoo64 = run(
      optim.shampoo({ learningRate: 0.01, eps: 1e-4, ...every, precision: "float64" }),
      params,
      grads,
    );
    // Round-off amplified by the roots of rank-deficient early statistics ((L + εI)^(-1/4) ≤ ε^(-1/4) = 10).
    shampoo32.forEach((u, t) => expect(normRelDiff(u, shampoo64[t])).toBeLessThan(1e-3));
    // SOAP on a 3×4 weight: after one gradient the factors' null spaces are at most one-dimensional, so the
    // eigenbases are the same in both precisions up to signs (a wider null space has an arbitrary basis, in which
    // Adam's per-coordinate steps differ whatever the precision).
    const small = randomParams(25, { w: [3, 4], b: [1, 3] });
    const smallGrads = gradientSequence(26, small, 6);
    const soapAt = (precision: "float32" | "float64"): Params[] =>
      run(optim.soap({ learningRate: 0.01, eps: 1e-4, preconditionEvery: 2, precision }), small, smallGrads);
    const soap64 = soapAt("float64");
    soapAt("float32").forEach((u, t) => expect(normRelDiff(u, soap64[t])).toBeLessThan(1e-3));
  });

  it("soap: the first step moves nothing, whatever ε (the round-off of ∇ in its own basis is not divided by ε)", () => {
    const params = randomParams(15, { w: [5, 4], b: [1, 5] });
    const [g] = gradientSequence(16, params, 1);
    const t = optim.soap({ learningRate: 1, eps: 1e-16, weightDecay: 0.1, precision: "float64" });
    const r = t.update(g, t.init(params), params);
    for (const u of Object.values(r.updates)) expect(u.data.every((x) => x === 0)).toBe(true);
    expect(r.state.blocks.w[0].leftCache).not.toBeNull();
    expect(r.state.m.w.data.every((x) => x === 0)).toBe(true);
  });

  it("muon and newtonSchulz: the float32 iteration stays within float32 accuracy of float64", () => {
    const rng = new Rng(17);
    for (const [r, c] of [
      [6, 9],
      [9, 6],
    ]) {
      const G = gaussianMatrix(rng, r, c);
      const x32 = optim.newtonSchulz(G, { precision: "float32" });
      const x64 = optim.newtonSchulz(G);
      expect(maxRelDiff({ x: x32 }, { x: x64 })).toBeLessThan(1e-5);
    }
    const params = randomParams(18, { w: [7, 5], b: [1, 7] });
    const grads = gradientSequence(19, params, 4);
    const m32 = run(optim.muon({ learningRate: 0.02 }), params, grads);
    const m64 = run(optim.muon({ learningRate: 0.02, precision: "float64" }), params, grads);
    m32.forEach((u, t) => expect(maxRelDiff(u, m64[t])).toBeLessThan(1e-5));
  });

  it("muon and soap send a 1×n or n×1 parameter to AdamW (in this layout such a parameter is a bias or a one-unit head)", () => {
    const params = randomParams(20, { head: [1, 6], col: [6, 1] });
    const grads = gradientSequence(21, params, 3);
    const muon = run(optim.muon({ learningRate: 0.01, auxB2: 0.99 }), params, grads);
    const adamw = run(optim.adamw({ learningRate: 0.01, b2: 0.99, weightDecay: 0 }), params, grads);
    muon.forEach((u, t) => expect(maxRelDiff(u, adamw[t])).toBe(0));
    const soap = run(optim.soap({ learningRate: 0.01, weightDecay: 0 }), params, grads);
    const adam = run(optim.adam({ learningRate: 0.01, b1: 0.95, b2: 0.95 }), params, grads.slice(1));
    adam.forEach((u, t) => expect(maxRelDiff(soap[t + 1], u)).toBeLessThan(1e-12));
  });
});

describe("partition", () => {
  const params = randomParams(22, { w1: [5, 4], b1: [1, 5], w2: [3, 5], b2: [1, 3] });
  const grads = gradientSequence(23, params, 4);

  it("routes each parameter to its label's transform, which sees only its parameters (optax multi_transform)", () => {
    const label = (key: string, p: Matrix): string => (p.rows > 1 && key !== "w2" ? "muon" : "adamw");
    const ours = run(
      optim.partition({ muon: optim.muon({ learningRate: 0.02 }), adamw: optim.adamw({ learningRate: 1e-3 }) }, label),
      params,
      grads,
    );
    const pick = (tree: Params, keys: string[]): Params => Object.fromEntries(keys.map((k) => [k, tree[k]]));
    const muon = run(
      optim.muon({ learningRate: 0.02 }),
      pick(params, ["w1"]),
      grads.map((g) => pick(g, ["w1"])),
    );
    const adamw = run(
      optim.adamw({ learningRate: 1e-3 }),
      pick(params, ["b1", "w2", "b2"]),
      grads.map((g) => pick(g, ["b1", "w2", "b2"])),
    );
    ours.forEach((u, t) => {
      expect(Object.keys(u)).toEqual(["w1", "b1", "w2", "b2"]);
      expect(maxRelDiff(pick(u, ["w1"]), muon[t])).toBe(0);
      expect(maxRelDiff(pick(u, ["b1", "w2", "b2"]), adamw[t])).toBe(0);
    });
  });

  it("gives a curvature transform the layer statistics of its own parameters only", () => {
    const { params: p, grads: g, stats } = wideLayer(24, 2);
    const all = { ...p, extra: new Matrix(2, 2) };
    const gs = g.map((x) => ({ ...x, extra: new Matrix(2, 2, Float64Array.from([1, 2, 3, 4])) }));
    const t = optim.partition(
      { kfac: optim.kfac({ learningRate: 0.1 }), sgd: optim.sgd({ learningRate: 0.5 }) },
      { w: "kfac", b: "kfac", extra: "sgd" },
    );
    const ours = run(t, all, gs, stats);
    const kfac = run(optim.kfac({ learningRate: 0.1 }), p, g, stats);
    ours.forEach((u, i) => {
      expect(maxRelDiff({ w: u.w, b: u.b }, kfac[i])).toBe(0);
      expect(Array.from(u.extra.data)).toEqual([-0.5, -1, -1.5, -2]);
    });
  });

  it("refuses a parameter without a label and a label without a transform, naming them", () => {
    const t = optim.partition({ a: optim.sgd({ learningRate: 1 }) }, { w1: "a" });
    expect(() => t.init(params)).toThrow(/partition: option labels\["b1"\]/);
    const u = optim.partition({ a: optim.sgd({ learningRate: 1 }) }, () => "b");
    expect(() => u.init(params)).toThrow(/partition: option label of "w1" must be one of a, got "b"/);
  });
});
