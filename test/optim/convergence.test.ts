import { describe, expect, it } from "vitest";
import { Matrix } from "../../src/linalg/matrix.js";
import { solve } from "../../src/linalg/lu.js";
import { Rng, gaussianMatrix } from "../../src/random/index.js";
import * as optim from "../../src/optim/index.js";
import type { Params } from "../../src/nn/types.js";
import { naiveMatmul } from "../helpers/naive.js";
import { denseLeastSquares } from "./fixtures.js";

/**
 * Every optimizer on a synthetic least-squares problem whose statistics the test computes: a dense layer
 * y = W x + b with ill-conditioned inputs, fitted from a fixed batch. The curvature methods use the Monte-Carlo
 * Fisher of the unit-variance Gaussian model (g = −ε, ε ~ N(0, I)), which is the Gauss–Newton matrix in
 * expectation; the empirical Fisher would shrink to the noise level near the optimum.
 */
describe("every optimizer fits a least-squares layer", () => {
  const rng = new Rng(5);
  const [n, inp, out] = [64, 6, 3];
  const scales = [1, 0.5, 2, 0.3, 1.5, 0.8];
  const X = gaussianMatrix(rng, n, inp);
  for (let i = 0; i < n; i++) for (let j = 0; j < inp; j++) X.set(i, j, X.get(i, j) * scales[j]);
  const Wstar = gaussianMatrix(rng, out, inp);
  const Y = naiveMatmul(X, Wstar, false, true);
  const noise = gaussianMatrix(rng, n, out, 0.1);
  for (let i = 0; i < Y.data.length; i++) Y.data[i] += noise.data[i] + 0.5;
  const start: Params = { w: new Matrix(out, inp), b: new Matrix(1, out) };
  // The optimum by the normal equations on [X | 1].
  const a = denseLeastSquares(start.w, start.b, X, Y).stats.a;
  const theta = solve(naiveMatmul(a, a, true, false), naiveMatmul(a, Y, true, false));
  const best = denseLeastSquares(
    new Matrix(
      out,
      inp,
      Float64Array.from({ length: out * inp }, (_, k) => theta.get(k % inp, Math.floor(k / inp))),
    ),
    Matrix.fromRows([Array.from({ length: out }, (_, k) => theta.get(inp, k))]),
    X,
    Y,
  ).loss;
  const initial = denseLeastSquares(start.w, start.b, X, Y).loss;

  const cases: [string, () => optim.GradientTransformation<unknown>, number][] = [
    ["sgd", () => optim.sgd({ learningRate: 0.1, momentum: 0.9 }), 300],
    ["adam", () => optim.adam({ learningRate: 0.05 }), 300],
    ["adamw", () => optim.adamw({ learningRate: 0.05, weightDecay: 1e-4 }), 300],
    ["kfac", () => optim.kfac({ learningRate: 1, damping: 1e-4, fisher: "sampled", inverseEvery: 5 }), 30],
    ["ekfac", () => optim.ekfac({ learningRate: 1, damping: 1e-4, fisher: "sampled", inverseEvery: 5 }), 30],
    ["shampoo", () => optim.shampoo({ learningRate: 0.05 }), 300],
    ["soap", () => optim.soap({ learningRate: 0.05, weightDecay: 0 }), 300],
    ["muon", () => optim.muon({ learningRate: 0.05 }), 300],
  ];
  for (const [name, make, steps] of cases) {
    it(`${name} closes 99% of the gap to the optimum in ${steps} steps`, () => {
      const t = make();
      const sample = new Rng(6);
      let state = t.init(start);
      let p = start;
      for (let s = 0; s < steps; s++) {
        const { grads, stats } = denseLeastSquares(p.w, p.b, X, Y);
        const gSampled = gaussianMatrix(sample, n, out);
        const r = t.update(grads, state, p, { stats: [{ ...stats, gSampled }] });
        state = r.state;
        p = optim.applyUpdates(p, r.updates);
      }
      const final = denseLeastSquares(p.w, p.b, X, Y).loss;
      expect(final - best).toBeLessThan(0.01 * (initial - best));
    });
  }
});
