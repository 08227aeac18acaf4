import { describe, expect, it } from "vitest";
import { Matrix } from "../../src/linalg/matrix.js";
import { solve } from "../../src/linalg/lu.js";
import { eigh } from "../../src/linalg/eigh.js";
import { Rng, gaussianMatrix } from "../../src/random/index.js";
import * as optim from "../../src/optim/index.js";
import type { DiagonalStats, KroneckerStats, Params } from "../../src/nn/types.js";
import { naiveMatmul } from "../helpers/naive.js";
import { denseLeastSquares } from "./fixtures.js";

/** The behaviour before the cheaper defaults (float64 products, factors folded every step, refreshes used at once),
 * which matches the references to round-off; the low-rank apply stays on, as it computes the same step. */
const TODAY = { precision: "float64", factorUpdateEvery: 1, refreshDelay: 0 } as const;

/** Row-major vec of [W | bᵀ] (out×(in+1)). */
function joined(W: Matrix, b?: Matrix): number[] {
  const out: number[] = [];
  for (let k = 0; k < W.rows; k++) {
    for (let j = 0; j < W.cols; j++) out.push(W.get(k, j));
    if (b) out.push(b.data[k]);
  }
  return out;
}

/** Output gradients whose second moment (1/n)Σ ggᵀ is exactly Bᵀ B: gᵢ = Bᵀ εᵢ with εᵢ = √m e_(i mod m). */
function exactCurvatureRows(n: number, B: Matrix): Matrix {
  const m = B.rows;
  const g = new Matrix(n, B.cols);
  for (let i = 0; i < n; i++) for (let k = 0; k < B.cols; k++) g.set(i, k, Math.sqrt(m) * B.get(i % m, k));
  return g;
}

function solveVec(M: number[][], v: number[]): number[] {
  return Array.from(solve(Matrix.fromRows(M), Matrix.column(v)).data);
}

function maxAbs(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]));
  return m;
}

function expectClose(x: ArrayLike<number>, y: ArrayLike<number>, tol: number): void {
  expect(x.length).toBe(y.length);
  const scale = Math.max(1, maxAbs(y));
  for (let i = 0; i < x.length; i++) expect(Math.abs(x[i] - y[i]) / scale).toBeLessThan(tol);
}

describe("kfac on a single dense layer with MSE", () => {
  const rng = new Rng(11);
  const [out, inp, n] = [3, 4, 12];
  const W = gaussianMatrix(rng, out, inp);
  const b = gaussianMatrix(rng, 1, out);
  const X = gaussianMatrix(rng, n, inp);
  const Y = gaussianMatrix(rng, n, out);
  const { grads, stats } = denseLeastSquares(W, b, X, Y);
  // MSE's output Hessian is I, so the exact GGN's output factor is I: feed it as the "sampled" gradients.
  const exact: KroneckerStats = { ...stats, gSampled: exactCurvatureRows(n, Matrix.identity(out)) };
  const P = out * (inp + 1);

  /** The explicit GGN (1/n) Σ Jᵢᵀ Jᵢ over θ = vec([W | b]), Jᵢ[k, (k', j)] = δ_kk' aᵢⱼ. */
  function explicitGgn(): number[][] {
    const F = Array.from({ length: P }, () => new Array<number>(P).fill(0));
    for (let i = 0; i < n; i++) {
      const J = Array.from({ length: out }, () => new Array<number>(P).fill(0));
      for (let k = 0; k < out; k++) for (let j = 0; j <= inp; j++) J[k][k * (inp + 1) + j] = stats.a.get(i, j);
      for (let p = 0; p < P; p++)
        for (let q = 0; q < P; q++) for (let k = 0; k < out; k++) F[p][q] += (J[k][p] * J[k][q]) / n;
    }
    return F;
  }

  it("equals the natural-gradient step from the explicit GGN (damping → 0)", () => {
    const lr = 0.7;
    const t = optim.kfac({ ...TODAY, learningRate: lr, damping: 1e-20, fisher: "sampled", emaDecay: 0 });
    const u = t.update(grads, t.init(grads), undefined, { stats: [exact] }).updates;
    const natural = solveVec(explicitGgn(), joined(grads.w, grads.b)).map((x) => -lr * x);
    expectClose(joined(u.w, u.b), natural, 1e-8);
  });

  it("with damping λ equals the explicit (A + π√λ I) ⊗ (G + √λ/π I) solve", () => {
    const lambda = 0.3;
    const t = optim.kfac({ ...TODAY, learningRate: 1, damping: lambda, fisher: "sampled" });
    const u = t.update(grads, t.init(grads), undefined, { stats: [exact] }).updates;
    const d = inp + 1;
    const A = naiveMatmul(stats.a, stats.a, true, false);
    let trA = 0;
    for (let j = 0; j < d; j++) trA += A.get(j, j) / n;
    const pi = Math.sqrt(trA / d / 1); // G = I: tr G / dim G = 1
    const M: number[][] = [];
    for (let k = 0; k < out; k++)
      for (let j = 0; j < d; j++) {
        const row: number[] = [];
        for (let k2 = 0; k2 < out; k2++)
          for (let j2 = 0; j2 < d; j2++) {
            const Gd = (k === k2 ? 1 : 0) + (k === k2 ? Math.sqrt(lambda) / pi : 0);
            const Ad = A.get(j, j2) / n + (j === j2 ? pi * Math.sqrt(lambda) : 0);
            row.push(Gd * Ad);
          }
        M.push(row);
      }
    const expected = solveVec(M, joined(grads.w, grads.b)).map((x) => -x);
    expectClose(joined(u.w, u.b), expected, 1e-12);
    // Damping is not a no-op here.
    const natural = solveVec(explicitGgn(), joined(grads.w, grads.b)).map((x) => -x);
    expect(maxAbs(joined(u.w, u.b).map((x, i) => x - natural[i]))).toBeGreaterThan(1e-3);
  });

  it("solves the least-squares problem in one step (lr 1, exact curvature)", () => {
    const t = optim.kfac({ ...TODAY, learningRate: 1, damping: 1e-20, fisher: "sampled" });
    const u = t.update(grads, t.init(grads), undefined, { stats: [exact] }).updates;
    const next = optim.applyUpdates({ w: W, b }, u);
    const after = denseLeastSquares(next.w, next.b, X, Y);
    // At the optimum the gradient vanishes; compare with the normal-equations solution too.
    expect(maxAbs(after.grads.w.data)).toBeLessThan(1e-8);
    expect(maxAbs(after.grads.b.data)).toBeLessThan(1e-8);
    const AtA = naiveMatmul(stats.a, stats.a, true, false);
    const AtY = naiveMatmul(stats.a, Y, true, false);
    const theta = solve(AtA, AtY); // (in+1)×out
    for (let k = 0; k < out; k++) {
      for (let j = 0; j < inp; j++) expect(next.w.get(k, j)).toBeCloseTo(theta.get(j, k), 8);
      expect(next.b.data[k]).toBeCloseTo(theta.get(inp, k), 8);
    }
  });

  it("refuses fisher 'sampled' without gSampled and update without stats", () => {
    const t = optim.kfac({ ...TODAY, learningRate: 1, fisher: "sampled" });
    expect(() => t.update(grads, t.init(grads), undefined, { stats: [stats] })).toThrow(/layer "w" has no gSampled/);
    expect(() => t.update(grads, t.init(grads))).toThrow(/needs ctx.stats/);
    const bad: KroneckerStats = { ...stats, a: new Matrix(n, inp) };
    expect(() => t.update(grads, t.init(grads), undefined, { stats: [bad] })).toThrow(/a is 12×4, need 5 columns/);
  });
});

describe("the Kronecker block on a deep linear network", () => {
  // x (5) → [W1 | b1] → 4 → W2 → 4 → [W3 | b3] → 4, loss (1/n) Σ ½‖out − y‖². For a linear network the output
  // Jacobian of layer ℓ's outputs is the same B_ℓ = W_L⋯W_{ℓ+1} for every example, so the GGN's diagonal block
  // of layer ℓ is exactly A_ℓ ⊗ B_ℓᵀB_ℓ (kfac-jax tests its blocks on the same identity).
  const rng = new Rng(21);
  const n = 16;
  const W1 = gaussianMatrix(rng, 4, 5);
  const b1 = gaussianMatrix(rng, 1, 4);
  const W2 = gaussianMatrix(rng, 4, 4);
  const W3 = gaussianMatrix(rng, 4, 4);
  const X = gaussianMatrix(rng, n, 5);
  const Y = gaussianMatrix(rng, n, 4);
  const withOnes = (H: Matrix): Matrix => {
    const out = new Matrix(H.rows, H.cols + 1);
    for (let i = 0; i < H.rows; i++) {
      for (let j = 0; j < H.cols; j++) out.set(i, j, H.get(i, j));
      out.set(i, H.cols, 1);
    }
    return out;
  };
  const a1 = withOnes(X);
  const H1 = naiveMatmul(a1, Matrix.fromRows([...W1.toRows().map((r, k) => [...r, b1.data[k]])]), false, true);
  const a2 = H1;
  const H2 = naiveMatmul(a2, W2, false, true);
  const a3 = withOnes(H2);
  const layers = [
    { key: "w1", bias: "b1", a: a1, B: naiveMatmul(W3, W2) },
    { key: "w2", bias: undefined, a: a2, B: W3 },
    { key: "w3", bias: "b3", a: a3, B: Matrix.identity(4) },
  ];
  const rngG = new Rng(22);
  const grads: Params = {
    w1: gaussianMatrix(rngG, 4, 5),
    b1: gaussianMatrix(rngG, 1, 4),
    w2: gaussianMatrix(rngG, 4, 4),
    w3: gaussianMatrix(rngG, 4, 4),
    b3: gaussianMatrix(rngG, 1, 4),
  };
  void Y;

  it("KFAC's per-layer step equals the explicit GGN diagonal block's solve", () => {
    const stats: KroneckerStats[] = layers.map((l) => ({
      kind: "dense",
      weight: l.key,
      bias: l.bias,
      a: l.a,
      g: new Matrix(n, 4),
      gSampled: exactCurvatureRows(n, l.B),
      batchSize: n,
      positions: 1,
    }));
    const t = optim.kfac({ ...TODAY, learningRate: 1, damping: 1e-20, fisher: "sampled" });
    const u = t.update(grads, t.init(grads), undefined, { stats }).updates;
    for (const l of layers) {
      const d = l.a.cols;
      const P = 4 * d;
      // Explicit block: Jᵢ[m, (k, j)] = B[m, k] aᵢⱼ.
      const F = Array.from({ length: P }, () => new Array<number>(P).fill(0));
      for (let i = 0; i < n; i++)
        for (let p = 0; p < P; p++)
          for (let q = 0; q < P; q++) {
            const [k, j] = [Math.floor(p / d), p % d];
            const [k2, j2] = [Math.floor(q / d), q % d];
            let s = 0;
            for (let m = 0; m < 4; m++) s += l.B.get(m, k) * l.B.get(m, k2);
            F[p][q] += (s * l.a.get(i, j) * l.a.get(i, j2)) / n;
          }
      const gradVec = joined(grads[l.key], l.bias ? grads[l.bias] : undefined);
      const expected = solveVec(F, gradVec).map((x) => -x);
      expectClose(joined(u[l.key], l.bias ? u[l.bias] : undefined), expected, 1e-7);
    }
  });
});

describe("kfac statistics, refresh schedule, KL-clipping, batch norm", () => {
  const rng = new Rng(31);
  const [out, inp, n] = [3, 2, 10];
  const W = gaussianMatrix(rng, out, inp);
  const b = gaussianMatrix(rng, 1, out);
  const batches = [0, 1, 2].map(() =>
    denseLeastSquares(W, b, gaussianMatrix(rng, n, inp), gaussianMatrix(rng, n, out)),
  );

  it("moving averages start at the first batch; inverses refresh every inverseEvery steps", () => {
    const t = optim.kfac({ ...TODAY, learningRate: 0.1, emaDecay: 0.25, inverseEvery: 2 });
    let state = t.init(batches[0].grads);
    const factors = batches.map((x) => ({
      A: naiveMatmul(x.stats.a, x.stats.a, true, false),
      G: naiveMatmul(x.stats.g, x.stats.g, true, false),
    }));
    state = t.update(batches[0].grads, state, undefined, { stats: [batches[0].stats] }).state;
    const cache1 = state.layers.w.leftCache!.data.slice();
    state = t.update(batches[1].grads, state, undefined, { stats: [batches[1].stats] }).state;
    const A = state.layers.w.right!;
    const G = state.layers.w.left!;
    A.data.forEach((x, i) =>
      expect(x).toBeCloseTo((0.25 * factors[0].A.data[i] + 0.75 * factors[1].A.data[i]) / n, 13),
    );
    G.data.forEach((x, i) =>
      expect(x).toBeCloseTo((0.25 * factors[0].G.data[i] + 0.75 * factors[1].G.data[i]) / n, 13),
    );
    expect(Array.from(state.layers.w.leftCache!.data)).toEqual(Array.from(cache1)); // step 2: no refresh
    state = t.update(batches[2].grads, state, undefined, { stats: [batches[2].stats] }).state;
    expect(Array.from(state.layers.w.leftCache!.data)).not.toEqual(Array.from(cache1)); // step 3: refreshed
  });

  it("weight decay is added to the preconditioned step, then PyTorch-style momentum", () => {
    const [lr, mu, wd] = [0.4, 0.7, 0.05];
    const theta: Params = { w: W, b };
    const plain = optim.kfac({ ...TODAY, learningRate: lr, inverseEvery: 1 });
    const heavy = optim.kfac({ ...TODAY, learningRate: lr, inverseEvery: 1, momentum: mu, weightDecay: wd });
    let sp = plain.init(theta);
    let sh = heavy.init(theta);
    let buf: number[] | null = null;
    for (const x of batches) {
      const rp = plain.update(x.grads, sp, theta, { stats: [x.stats] });
      const rh = heavy.update(x.grads, sh, theta, { stats: [x.stats] });
      sp = rp.state;
      sh = rh.state;
      const delta = joined(rp.updates.w, rp.updates.b).map((u, i) => -u / lr + wd * joined(W, b)[i]);
      const prev: number[] | null = buf;
      buf = prev ? delta.map((d, i) => d + mu * prev[i]) : delta;
      expectClose(
        joined(rh.updates.w, rh.updates.b),
        buf.map((v) => -lr * v),
        1e-12,
      );
    }
  });

  it("KL-clipping scales the step so that η²ν²⟨Δ, ∇⟩ equals the bound", () => {
    const x = batches[0];
    const free = optim.kfac({ ...TODAY, learningRate: 0.5 });
    const u0 = free.update(x.grads, free.init(x.grads), undefined, { stats: [x.stats] }).updates;
    const dg = -(joined(u0.w, u0.b).reduce((s, v, i) => s + v * joined(x.grads.w, x.grads.b)[i], 0) / 0.5);
    const c = (0.5 * 0.5 * dg) / 16; // forces ν = 1/4
    const clipped = optim.kfac({ ...TODAY, learningRate: 0.5, klClip: c });
    const u1 = clipped.update(x.grads, clipped.init(x.grads), undefined, { stats: [x.stats] }).updates;
    joined(u1.w, u1.b).forEach((v, i) => expect(v).toBeCloseTo(0.25 * joined(u0.w, u0.b)[i], 13));
    const loose = optim.kfac({ ...TODAY, learningRate: 0.5, klClip: 1e6 });
    const u2 = loose.update(x.grads, loose.init(x.grads), undefined, { stats: [x.stats] }).updates;
    expect(Array.from(u2.w.data)).toEqual(Array.from(u0.w.data));
  });

  it("batch-norm scale and shift go through a diagonal block: Δ = ∇/(mean of per-example ∇² + λ)", () => {
    const rngB = new Rng(32);
    const per = { gamma: gaussianMatrix(rngB, 5, 3), beta: gaussianMatrix(rngB, 5, 3) };
    const grads: Params = {
      gamma: gaussianMatrix(rngB, 1, 3),
      beta: gaussianMatrix(rngB, 1, 3),
      other: gaussianMatrix(rngB, 2, 2),
    };
    const bn: DiagonalStats = { kind: "batchNorm", weight: "gamma", bias: "beta", perExample: per, batchSize: 5 };
    const lambda = 0.01;
    const t = optim.kfac({ ...TODAY, learningRate: 2, damping: lambda });
    const u = t.update(grads, t.init(grads), undefined, { stats: [bn] }).updates;
    for (const key of ["gamma", "beta"] as const) {
      for (let j = 0; j < 3; j++) {
        let F = 0;
        for (let i = 0; i < 5; i++) F += per[key].get(i, j) ** 2 / 5;
        expect(u[key].data[j]).toBeCloseTo((-2 * grads[key].data[j]) / (F + lambda), 12);
      }
    }
    // A parameter no statistics cover takes the plain gradient step.
    u.other.data.forEach((x, i) => expect(x).toBe(-2 * grads.other.data[i]));
  });
});

describe("kfac / ekfac failure handling", () => {
  const rng = new Rng(41);
  const W = gaussianMatrix(rng, 2, 3);
  const b = gaussianMatrix(rng, 1, 2);
  const good = denseLeastSquares(W, b, gaussianMatrix(rng, 8, 3), gaussianMatrix(rng, 8, 2));
  const second = denseLeastSquares(W, b, gaussianMatrix(rng, 8, 3), gaussianMatrix(rng, 8, 2));
  const poisoned: KroneckerStats = { ...second.stats, a: second.stats.a.clone() };
  poisoned.a.data[4] = NaN;

  for (const name of ["kfac", "ekfac"] as const) {
    it(`${name}: NaN statistics keep the previous factors and preconditioner; maxFailures in a row raise`, () => {
      const t = optim[name]({ ...TODAY, learningRate: 1, inverseEvery: 1, maxFailures: 3, skipNonFinite: false });
      let state = t.init(good.grads);
      state = t.update(good.grads, state, undefined, { stats: [good.stats] }).state;
      const before = state.layers.w;
      const r = t.update(second.grads, state, undefined, { stats: [poisoned] });
      expect(r.state.layers.w.failures).toBe(1);
      expect(r.state.layers.w.left).toBe(before.left);
      expect(r.state.layers.w.right).toBe(before.right);
      expect(r.state.layers.w.leftCache).toBe(before.leftCache);
      for (const m of Object.values(r.updates)) expect(m.data.every(Number.isFinite)).toBe(true);
      if (name === "kfac") {
        // The old inverses applied to the new gradient.
        const expected = naiveMatmul(
          naiveMatmul(before.leftCache!, new Matrix(2, 4, Float64Array.from(joined(second.grads.w, second.grads.b)))),
          before.rightCache!,
        );
        expectClose(
          joined(r.updates.w, r.updates.b),
          Array.from(expected.data, (x) => -x),
          1e-12,
        );
      }
      // A clean step resets the count; three failures in a row raise.
      const clean = t.update(good.grads, r.state, undefined, { stats: [good.stats] }).state;
      expect(clean.layers.w.failures).toBe(0);
      let s = clean;
      s = t.update(second.grads, s, undefined, { stats: [poisoned] }).state;
      s = t.update(second.grads, s, undefined, { stats: [poisoned] }).state;
      expect(s.layers.w.failures).toBe(2);
      expect(() => t.update(second.grads, s, undefined, { stats: [poisoned] })).toThrow(
        new RegExp(`${name}: the curvature block of "w" failed 3 steps in a row`),
      );
    });
  }
});

describe("ekfac", () => {
  it("in an identity eigenbasis rescales each coordinate by its own second moment (Adam-like, no square root)", () => {
    // One-hot inputs and output gradients make A and G diagonal (distinct entries), so the eigenbasis is the
    // identity up to order and sign, and EKFAC becomes the diagonal preconditioner ∇ / (S + λ) with
    // S ← decay·S + (1−decay)·(1/n)Σ(∇ᵢ)², S reset to diag(G) diag(A)ᵀ when the basis is computed.
    const rng = new Rng(51);
    const [out, inp, n] = [3, 4, 24];
    const batch = (): { grads: Params; stats: KroneckerStats } => {
      const a = new Matrix(n, inp);
      const g = new Matrix(n, out);
      for (let i = 0; i < n; i++) {
        a.set(i, i % inp, 0.5 + rng.uniform());
        g.set(i, (i * 7) % out, rng.normal());
      }
      const gw = naiveMatmul(g, a, true, false);
      for (let i = 0; i < gw.data.length; i++) gw.data[i] /= n;
      return { grads: { w: gw }, stats: { kind: "dense", weight: "w", a, g, batchSize: n, positions: 1 } };
    };
    const [b1, b2] = [batch(), batch()];
    const [decay, lambda, lr] = [0.6, 0.05, 0.3];
    const t = optim.ekfac({ ...TODAY, learningRate: lr, damping: lambda, emaDecay: decay, inverseEvery: 100 });
    const r1 = t.update(b1.grads, t.init(b1.grads), undefined, { stats: [b1.stats] });
    const r2 = t.update(b2.grads, r1.state, undefined, { stats: [b2.stats] });
    const second = (x: { stats: KroneckerStats }, k: number, j: number): number => {
      let s = 0;
      for (let i = 0; i < n; i++) s += (x.stats.g.get(i, k) * x.stats.a.get(i, j)) ** 2 / n;
      return s;
    };
    for (let k = 0; k < out; k++)
      for (let j = 0; j < inp; j++) {
        let Gkk = 0;
        let Ajj = 0;
        for (let i = 0; i < n; i++) {
          Gkk += b1.stats.g.get(i, k) ** 2 / n;
          Ajj += b1.stats.a.get(i, j) ** 2 / n;
        }
        const S1 = decay * Gkk * Ajj + (1 - decay) * second(b1, k, j);
        const S2 = decay * S1 + (1 - decay) * second(b2, k, j);
        expect(r1.updates.w.get(k, j)).toBeCloseTo((-lr * b1.grads.w.get(k, j)) / (S1 + lambda), 12);
        expect(r2.updates.w.get(k, j)).toBeCloseTo((-lr * b2.grads.w.get(k, j)) / (S2 + lambda), 12);
      }
  });

  it("equals a naive eigenbasis computation on a conv-like layer (T = 2 positions per example)", () => {
    const rng = new Rng(52);
    const [out, inp, n, T] = [3, 4, 5, 2];
    const a = gaussianMatrix(rng, n * T, inp);
    const g = gaussianMatrix(rng, n * T, out);
    const gw = naiveMatmul(g, a, true, false);
    for (let i = 0; i < gw.data.length; i++) gw.data[i] /= n;
    const stats: KroneckerStats = { kind: "conv2d", weight: "w", a, g, batchSize: n, positions: T };
    const [lambda, decay] = [0.1, 0.3];
    const t = optim.ekfac({ ...TODAY, learningRate: 1, damping: lambda, emaDecay: decay });
    const u = t.update({ w: gw }, t.init({ w: gw }), undefined, { stats: [stats] }).updates.w;
    // KFC factors: A = (1/n) Σ aaᵀ over all rows, G = (1/(nT)) Σ ggᵀ.
    const A = naiveMatmul(a, a, true, false);
    const G = naiveMatmul(g, g, true, false);
    for (let i = 0; i < A.data.length; i++) A.data[i] /= n;
    for (let i = 0; i < G.data.length; i++) G.data[i] /= n * T;
    const eA = eigh(A);
    const eG = eigh(G);
    const QA = eA.vectors;
    const QG = eG.vectors;
    const S = new Matrix(out, inp);
    for (let i = 0; i < n; i++) {
      const gi = new Matrix(T, out, g.data.slice(i * T * out, (i + 1) * T * out));
      const ai = new Matrix(T, inp, a.data.slice(i * T * inp, (i + 1) * T * inp));
      const P = naiveMatmul(naiveMatmul(QG, naiveMatmul(gi, ai, true, false), true, false), QA);
      for (let k = 0; k < S.data.length; k++) S.data[k] += P.data[k] ** 2 / n;
    }
    for (let k = 0; k < out; k++)
      for (let j = 0; j < inp; j++) S.set(k, j, decay * eG.values[k] * eA.values[j] + (1 - decay) * S.get(k, j));
    const P = naiveMatmul(naiveMatmul(QG, gw, true, false), QA);
    for (let k = 0; k < P.data.length; k++) P.data[k] /= S.data[k] + lambda;
    const expected = naiveMatmul(naiveMatmul(QG, P), QA, false, true);
    expectClose(
      u.data,
      Array.from(expected.data, (x) => -x),
      1e-10,
    );
  });
});
