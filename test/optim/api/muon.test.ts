import { describe, expect, it } from "vitest";
import { Matrix } from "../../../src/linalg/matrix.js";
import { svd } from "../../../src/linalg/svd.js";
import { Rng, gaussianMatrix } from "../../../src/random/index.js";
import * as optim from "../../../src/optim/index.js";
import type { Params } from "../../../src/nn/types.js";
import { naiveMatmul } from "../../helpers/naive.js";
import { gradientSequence, maxRelDiff, randomParams } from "./fixtures.js";

/** The contract's iteration written out with the naive product, without the tall-matrix transpose. */
function naiveNewtonSchulz(G: Matrix, steps = 5, [a, b, c] = [3.4445, -4.775, 2.0315]): Matrix {
  const norm = Math.hypot(...G.data) + 1e-7;
  let X = new Matrix(
    G.rows,
    G.cols,
    G.data.map((x) => x / norm),
  );
  for (let s = 0; s < steps; s++) {
    // For a tall X the iteration runs on Xᵀ: Xᵀ ← aXᵀ + (bA + cA²)Xᵀ with A = XᵀX, i.e. X ← aX + X(bA + cA²).
    const tall = X.rows > X.cols;
    const A = tall ? naiveMatmul(X, X, true, false) : naiveMatmul(X, X, false, true);
    const A2 = naiveMatmul(A, A);
    const B = new Matrix(
      A.rows,
      A.cols,
      A.data.map((x, i) => b * x + c * A2.data[i]),
    );
    const BX = tall ? naiveMatmul(X, B) : naiveMatmul(B, X);
    X = new Matrix(
      X.rows,
      X.cols,
      X.data.map((x, i) => a * x + BX.data[i]),
    );
  }
  return X;
}

describe("newtonSchulz", () => {
  it("puts every singular value of random matrices in [0.68, 1.2], tall and wide", () => {
    const rng = new Rng(3);
    for (const [r, c] of [
      [8, 8],
      [16, 4],
      [4, 16],
      [30, 10],
      [10, 30],
      [64, 48],
    ]) {
      for (const scale of [1e-3, 1, 1e3]) {
        const X = optim.newtonSchulz(gaussianMatrix(rng, r, c, scale));
        expect([X.rows, X.cols]).toEqual([r, c]);
        const { S } = svd(X);
        for (const s of S) {
          expect(s).toBeGreaterThanOrEqual(0.68);
          expect(s).toBeLessThanOrEqual(1.2);
        }
      }
    }
  });

  it("equals the iteration written out naively, and keeps the singular vectors", () => {
    const rng = new Rng(4);
    for (const [r, c] of [
      [5, 3],
      [3, 5],
    ]) {
      const G = gaussianMatrix(rng, r, c);
      const X = optim.newtonSchulz(G, { steps: 3 });
      const ref = naiveNewtonSchulz(G, 3);
      X.data.forEach((x, i) => expect(x).toBeCloseTo(ref.data[i], 12));
      // X = U f(Σ) Vᵀ: Uᵀ X V is diagonal.
      const { U, V } = svd(G);
      const D = naiveMatmul(naiveMatmul(U, X, true, false), V);
      for (let i = 0; i < D.rows; i++)
        for (let j = 0; j < D.cols; j++) if (i !== j) expect(Math.abs(D.get(i, j))).toBeLessThan(1e-12);
    }
  });
});

describe("muon", () => {
  it("equals a naive re-implementation (Nesterov momentum, √max(1, r/c) scale, decay) with AdamW for biases", () => {
    const params = randomParams(5, { w1: [6, 3], w2: [2, 6], b: [1, 6] });
    const grads = gradientSequence(6, params, 5);
    const [lr, mu, wd] = [0.02, 0.9, 0.1];
    const t = optim.muon({
      precision: "float64",
      learningRate: lr,
      momentum: mu,
      weightDecay: wd,
      auxLearningRate: 0.003,
      auxB2: 0.95,
    });
    const aux = optim.adamw({ learningRate: 0.003, b2: 0.95, weightDecay: 0 });
    let state = t.init(params);
    let auxState = aux.init({ b: params.b });
    let p = params;
    const buf: Record<string, Matrix | null> = { w1: null, w2: null };
    grads.forEach((g) => {
      const r = t.update(g, state, p);
      for (const k of ["w1", "w2"]) {
        const prev = buf[k];
        const b = prev
          ? new Matrix(
              g[k].rows,
              g[k].cols,
              prev.data.map((x, i) => mu * x + g[k].data[i]),
            )
          : g[k].clone();
        buf[k] = b;
        const nest = new Matrix(
          b.rows,
          b.cols,
          g[k].data.map((x, i) => x + mu * b.data[i]),
        );
        const O = naiveNewtonSchulz(nest);
        const scale = Math.sqrt(Math.max(1, b.rows / b.cols));
        const expected = new Matrix(
          b.rows,
          b.cols,
          O.data.map((x, i) => -lr * scale * x - lr * wd * p[k].data[i]),
        );
        expect(maxRelDiff({ x: r.updates[k] }, { x: expected })).toBeLessThan(1e-12);
      }
      const a = aux.update({ b: g.b }, auxState, { b: p.b });
      auxState = a.state;
      expect(Array.from(r.updates.b.data)).toEqual(Array.from(a.updates.b.data));
      state = r.state;
      p = optim.applyUpdates(p, r.updates);
    });
    expect(Object.keys(grads[0])).toEqual(Object.keys(t.update(grads[0], t.init(params), params).updates));
  });

  it("without Nesterov uses the momentum buffer itself", () => {
    const params: Params = randomParams(7, { w: [3, 3] });
    const [g1, g2] = gradientSequence(8, params, 2);
    const t = optim.muon({ precision: "float64", learningRate: 1, momentum: 0.5, nesterov: false });
    const r1 = t.update(g1, t.init(params), params);
    const r2 = t.update(g2, r1.state, params);
    const b2 = new Matrix(
      3,
      3,
      g2.w.data.map((x, i) => x + 0.5 * g1.w.data[i]),
    );
    naiveNewtonSchulz(b2).data.forEach((x, i) => expect(r2.updates.w.data[i]).toBeCloseTo(-x, 12));
  });
});
