import { describe, expect, it } from "vitest";
import { sgd } from "../../src/optim/sgd.js";
import { adam } from "../../src/optim/adam.js";

describe("sgd", () => {
  it("takes θ − η∇ and minimises a quadratic", () => {
    const opt = sgd({ lr: 0.1 });
    const theta = [Float64Array.from([1, -2]), Float64Array.from([3])];
    let state = opt.init(theta);
    state = opt.step(theta, [Float64Array.from([10, 0]), Float64Array.from([-1])], state);
    expect(Array.from(theta[0])).toEqual([0, -2]);
    expect(theta[1][0]).toBeCloseTo(3.1, 14);
    // f(θ) = ½ Σ cᵢ θᵢ², ∇ = c θ: each coordinate contracts by (1 − η cᵢ) per step.
    const c = [1, 4];
    const p = [Float64Array.from([1, 1])];
    for (let t = 0; t < 50; t++) state = opt.step(p, [Float64Array.from([c[0] * p[0][0], c[1] * p[0][1]])], state);
    expect(p[0][0]).toBeCloseTo(0.9 ** 50, 12);
    expect(p[0][1]).toBeCloseTo(0.6 ** 50, 12);
  });

  it("refuses bad step sizes and mismatched gradients", () => {
    expect(() => sgd({ lr: 0 })).toThrow(/lr must be a finite number > 0, got 0/);
    const opt = sgd({ lr: 1 });
    expect(() => opt.step([new Float64Array(2)], [new Float64Array(3)], {})).toThrow(/parameter 0 has 2 entries/);
  });
});

describe("adam", () => {
  it("matches a scalar reference implementation of Kingma & Ba's Algorithm 1", () => {
    const lr = 0.05;
    const [b1, b2, eps] = [0.8, 0.95, 1e-6];
    const opt = adam({ lr, beta1: b1, beta2: b2, eps });
    const theta = [Float64Array.from([0.5, -1.5])];
    let state = opt.init(theta);
    const ref = [0.5, -1.5];
    const m = [0, 0];
    const v = [0, 0];
    for (let t = 1; t <= 20; t++) {
      const g = ref.map((x, i) => Math.sin(3 * x + i) + x); // a non-trivial gradient field
      state = opt.step(theta, [Float64Array.from(theta[0].map((x, i) => Math.sin(3 * x + i) + x))], state);
      for (let i = 0; i < 2; i++) {
        m[i] = b1 * m[i] + (1 - b1) * g[i];
        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
        const mh = m[i] / (1 - b1 ** t);
        const vh = v[i] / (1 - b2 ** t);
        ref[i] -= (lr * mh) / (Math.sqrt(vh) + eps);
      }
    }
    expect(state.t).toBe(20);
    for (let i = 0; i < 2; i++) expect(theta[0][i]).toBeCloseTo(ref[i], 12);
  });

  it("first step moves every coordinate by lr·sign(g) whatever the gradient's scale (bias correction)", () => {
    const opt = adam({ lr: 0.01 });
    const theta = [Float64Array.from([0, 0, 0])];
    opt.step(theta, [Float64Array.from([1e-3, -50, 2])], opt.init(theta));
    expect(theta[0][0]).toBeCloseTo(-0.01, 6);
    expect(theta[0][1]).toBeCloseTo(0.01, 9);
    expect(theta[0][2]).toBeCloseTo(-0.01, 9);
  });

  it("refuses bad moments", () => {
    expect(() => adam({ lr: 0.1, beta1: 1 })).toThrow(/beta1 must be in \[0, 1\), got 1/);
  });
});
