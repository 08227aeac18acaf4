/**
 * The quadratic-model step of `kfac({ adaptive: true })` (adaptive.ts): on a loss that is exactly quadratic (a
 * linear network with mse, whose Gauss–Newton matrix is its Hessian) the predicted and actual changes agree
 * (ρ = 1) and the step minimises the loss over the plane of the preconditioned gradient and the previous update,
 * checked against the Hessian written out in the test; the Levenberg–Marquardt rule moves the damping as kfac-jax's;
 * the options the step replaces are refused.
 */
import { describe, expect, it } from "vitest";
import { Matrix } from "../../src/linalg/matrix.js";
import { Rng } from "../../src/random/rng.js";
import { gaussianMatrix } from "../../src/random/matrices.js";
import { dense, mse, sequential } from "../../src/nn/index.js";
import type { BatchCurvature, Params } from "../../src/nn/types.js";
import { ekfac, kfac, type AdaptiveState, type GradientTransformation, type KfacState } from "../../src/optim/index.js";
import { nextDamping, solveQuadraticModel, type AdaptiveRule } from "../../src/optim/curvature/adaptive.js";

// L(W) = (1/2n) ‖X Wᵀ − Y‖²: ∇L = (1/n)(X Wᵀ − Y)ᵀ X, and the Hessian acts as H[V] = (1/n) V XᵀX.
const n = 40;
const rng = new Rng(11);
const X = gaussianMatrix(rng, n, 5);
for (let i = 0; i < n; i++) X.data[i * 5 + 1] *= 4; // an uneven Hessian, so the step size matters
const Y = gaussianMatrix(rng, n, 3);
const net = sequential([dense(5, 3, { bias: false })], { inputShape: [5] });

function hessianProduct(V: Matrix): Matrix {
  const out = new Matrix(3, 5);
  for (let a = 0; a < 3; a++)
    for (let b = 0; b < 5; b++) {
      let s = 0;
      for (let i = 0; i < n; i++) {
        let vx = 0;
        for (let c = 0; c < 5; c++) vx += V.data[a * 5 + c] * X.data[i * 5 + c];
        s += vx * X.data[i * 5 + b];
      }
      out.data[a * 5 + b] = s / n;
    }
  return out;
}

const dot = (a: Matrix, b: Matrix) => a.data.reduce((s, x, i) => s + x * b.data[i], 0);
const W = "0.weight";

type Adaptive = GradientTransformation<AdaptiveState<KfacState>>;

/** Runs `steps` adaptive steps on the quadratic; returns what each step saw and did. */
function run(t: Adaptive, steps: number) {
  let params: Params = net.init(2);
  let state = t.init(params);
  const trace = [];
  for (let s = 0; s < steps; s++) {
    const pass = net.lossAndGrad(params, X, Y, mse, { curvature: true });
    const r = t.update(pass.grads, state, params, {
      stats: pass.stats,
      loss: pass.loss,
      curvature: pass.curvature,
    });
    const next: Params = { [W]: params[W].clone() };
    next[W].data.forEach((_, i, d) => (d[i] += r.updates[W].data[i]));
    trace.push({ params, grads: pass.grads, loss: pass.loss, updates: r.updates, state: r.state, next });
    state = r.state;
    params = next;
  }
  return trace;
}

describe("kfac({ adaptive: true }) on a quadratic loss", () => {
  const exact = { damping: 1e-12, minDamping: 1e-12, dampingAdaptationInterval: 1 } as const;

  for (const [name, make] of [
    ["kfac", () => kfac({ adaptive: true, ...exact })],
    ["ekfac", () => ekfac({ adaptive: true, ...exact })],
  ] as const) {
    it(`${name}: ρ = 1 at every step, and the step is the exact minimiser over its plane`, () => {
      // Three steps: by the fourth the loss is at its minimum to ~1e-13, below what a difference of losses resolves.
      const trace = run(make(), 3);
      for (const [s, step] of trace.entries()) {
        const info = step.state.last!;
        expect(info.rho).toBeCloseTo(1, 6);
        // Stationarity of L(θ + δ) over span{Δ, δ₀}: ∇L(θ+δ) ⊥ Δ and ⊥ δ₀, with ∇L(θ+δ) = ∇L(θ) + H[δ].
        const gradAfter = step.grads[W].clone();
        const Hd = hessianProduct(step.updates[W]);
        gradAfter.data.forEach((_, i, d) => (d[i] += Hd.data[i]));
        const scale = Math.sqrt(dot(step.grads[W], step.grads[W]));
        const delta = step.updates[W];
        // Δ is the direction of the step's α term: δ − μ δ₀ = −αΔ.
        const previous = s > 0 ? trace[s - 1].updates[W] : null;
        const alphaDelta = delta.clone();
        if (previous) alphaDelta.data.forEach((_, i, d) => (d[i] -= info.momentum * previous.data[i]));
        const unit = (m: Matrix) => Math.sqrt(dot(m, m));
        expect(Math.abs(dot(gradAfter, alphaDelta)) / (scale * unit(alphaDelta))).toBeLessThan(1e-6);
        if (previous) expect(Math.abs(dot(gradAfter, previous)) / (scale * unit(previous))).toBeLessThan(1e-6);
        expect(step.next[W].data.every(Number.isFinite)).toBe(true);
      }
      // The loss falls at every step.
      for (let s = 1; s < trace.length; s++) expect(trace[s].loss).toBeLessThan(trace[s - 1].loss);
    });
  }

  it("the first step's learning rate is gᵀΔ / (ΔᵀHΔ + λ‖Δ‖²) with the Hessian written out", () => {
    const lambda = 0.3;
    const trace = run(kfac({ adaptive: true, damping: lambda }), 1);
    const step = trace[0];
    const info = step.state.last!;
    // The update is α·(−Δ): recover −Δ from the inner KFAC (learning rate 1) and check α independently.
    const inner = kfac({ learningRate: 1, damping: lambda });
    const pass = net.lossAndGrad(step.params, X, Y, mse);
    const minusDelta = inner.update(pass.grads, inner.init(step.params), step.params, { stats: pass.stats }).updates[W];
    const g = step.grads[W];
    const alpha =
      -dot(g, minusDelta) / (dot(minusDelta, hessianProduct(minusDelta)) + lambda * dot(minusDelta, minusDelta));
    expect(info.learningRate).toBeCloseTo(alpha, 8);
    expect(info.momentum).toBe(0);
    for (let i = 0; i < g.data.length; i++) expect(step.updates[W].data[i]).toBeCloseTo(alpha * minusDelta.data[i], 10);
  });

  it("with ρ = 1 the damping falls by ω = 0.9⁵ every 5 steps (kfac-jax's defaults)", () => {
    const trace = run(kfac({ adaptive: true, damping: 1 }), 10);
    const dampings = trace.map((t) => t.state.damping);
    const omega = 0.9 ** 5;
    expect(dampings.slice(0, 4)).toEqual([1, 1, 1, 1]);
    expect(dampings[4]).toBeCloseTo(omega, 14);
    expect(dampings.slice(5, 9)).toEqual([omega, omega, omega, omega].map((d) => expect.closeTo(d, 14)));
    expect(dampings[9]).toBeCloseTo(omega * omega, 14);
    const rhos = trace.map((t) => t.state.last!.rho);
    expect(rhos.filter((r) => r !== null)).toHaveLength(2);
  });
});

describe("the Levenberg–Marquardt rule", () => {
  const rule: AdaptiveRule = {
    initialDamping: 1,
    interval: 5,
    factor: 0.9 ** 5,
    minDamping: 1e-8,
    maxDamping: 100,
    lower: 0.25,
    upper: 0.75,
    adaptiveMomentum: true,
    includeDamping: false,
  };
  it("raises λ by 1/ω when ρ < 1/4 (NaN counts as −100), lowers it by ω when ρ > 3/4, keeps it between", () => {
    // Predicted change −1: ρ = old − new.
    expect(nextDamping(2, 1, 0.9, -1, rule)).toEqual({ damping: 2 / rule.factor, rho: expect.closeTo(0.1, 12) });
    expect(nextDamping(2, 1, 1.5, -1, rule).damping).toBe(2 / rule.factor); // the loss rose: ρ < 0
    expect(nextDamping(2, 1, 0.1, -1, rule)).toEqual({ damping: 2 * rule.factor, rho: expect.closeTo(0.9, 12) });
    expect(nextDamping(2, 1, 0.5, -1, rule)).toEqual({ damping: 2, rho: 0.5 });
    expect(nextDamping(2, 1, NaN, -1, rule).damping).toBe(2 / rule.factor);
  });
  it("clips λ to [minDamping, maxDamping]", () => {
    expect(nextDamping(1e-8, 1, 0, -1, rule).damping).toBe(1e-8);
    expect(nextDamping(99, 1, 2, -1, rule).damping).toBe(100);
  });
  it("the damping of a whole step rises when the loss after the step is worse than predicted", () => {
    // A curvature whose lossAt reports a rise: ρ < 0 at step 5, so λ goes up by 1/ω.
    const params: Params = { w: new Matrix(1, 2, Float64Array.from([1, 1])) };
    const curvature: BatchCurvature = {
      batchSize: 1,
      loss: 1,
      outputJvp: (v) => new Matrix(1, 1, Float64Array.from([v.w.data[0] + v.w.data[1]])),
      outputInner: (u, w) => u.data[0] * w.data[0],
      ggnProduct: (v) => v,
      lossAt: () => 2,
    };
    const stats = [
      {
        kind: "dense" as const,
        weight: "w",
        a: new Matrix(1, 2, Float64Array.from([1, 0.5])),
        g: new Matrix(1, 1, Float64Array.from([1])),
        batchSize: 1,
        positions: 1,
      },
    ];
    const t = kfac({ adaptive: true, damping: 1 });
    let state = t.init(params);
    const grads = { w: new Matrix(1, 2, Float64Array.from([1, 0.5])) };
    for (let s = 0; s < 5; s++) state = t.update(grads, state, params, { stats, loss: 1, curvature }).state;
    expect(state.last?.rho).toBeLessThan(0);
    expect(state.damping).toBeCloseTo(1 / 0.9 ** 5, 14);
  });
});

describe("solveQuadraticModel", () => {
  it("solves (A + λD) w = −b, on the first vector alone when the second is zero", () => {
    const A = [
      [2, 1],
      [1, 3],
    ];
    const D = [
      [1, 0.5],
      [0.5, 2],
    ];
    const b = [1, -2];
    const { w, change } = solveQuadraticModel(A, D, b, 0.5, false);
    // (A + λD) w = −b checked by substitution; change = ½ wᵀAw + wᵀb.
    expect(2.5 * w[0] + 1.25 * w[1]).toBeCloseTo(-1, 12);
    expect(1.25 * w[0] + 4 * w[1]).toBeCloseTo(2, 12);
    expect(change).toBeCloseTo(0.5 * (2 * w[0] ** 2 + 2 * w[0] * w[1] + 3 * w[1] ** 2) + w[0] - 2 * w[1], 12);
    const zero = solveQuadraticModel(
      [
        [2, 0],
        [0, 0],
      ],
      [
        [1, 0],
        [0, 0],
      ],
      [1, 0],
      0.5,
      true,
    );
    expect(zero.w).toEqual([-1 / 2.5, 0]);
    expect(zero.change).toBeCloseTo(0.5 * 2.5 * 0.16 - 0.4, 12);
  });
});

describe("refusals", () => {
  it("refuses the options the quadratic model replaces, naming why", () => {
    expect(() => kfac({ adaptive: true, learningRate: 0.1 } as never)).toThrow(/learningRate.*adaptive: true.*chosen/);
    expect(() => ekfac({ adaptive: true, momentum: 0.9 } as never)).toThrow(/momentum.*adaptive: true/);
    expect(() => kfac({ adaptive: true, klClip: 1e-3 } as never)).toThrow(/klClip/);
    expect(() => kfac({ adaptive: true, weightDecay: 1e-4 } as never)).toThrow(/weightDecay.*loss/);
    expect(() => kfac({ adaptive: true, dampingAdaptationDecay: 1 })).toThrow(/dampingAdaptationDecay/);
    expect(() => kfac({ adaptive: true, damping: 0 })).toThrow(/damping/);
    expect(() => kfac({ adaptive: true, lr: 1 } as never)).toThrow(/unknown field/);
  });
  it("refuses an update without ctx.curvature, saying what to pass", () => {
    const t = kfac({ adaptive: true, damping: 1 });
    const params = net.init(0);
    const pass = net.lossAndGrad(params, X, Y, mse);
    expect(() => t.update(pass.grads, t.init(params), params, { stats: pass.stats, loss: pass.loss })).toThrow(
      /lossAndGrad\(params, x, y, loss, \{ curvature: true \}\).*\{ stats, loss, curvature \}/,
    );
  });
});
