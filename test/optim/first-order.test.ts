import { describe, expect, it } from "vitest";
import { Matrix } from "../../src/linalg/matrix.js";
import * as optim from "../../src/optim/index.js";
import type { Params } from "../../src/nn/types.js";
import { gradientSequence, maxRelDiff, randomParams } from "./fixtures.js";

const SHAPES: Record<string, [number, number]> = { w: [3, 4], b: [1, 3] };

/** Runs a transform over a gradient sequence (gradient at each step given the current params). */
function run(t: optim.GradientTransformation<unknown>, params: Params, grads: Params[]): Params[] {
  let state = t.init(params);
  let p = params;
  const trajectory: Params[] = [];
  for (const g of grads) {
    const r = t.update(g, state, p);
    state = r.state;
    p = optim.applyUpdates(p, r.updates);
    trajectory.push(p);
  }
  return trajectory;
}

/** The textbook per-scalar loop of torch.optim.SGD (dampening 0) over the same sequence. */
function sgdReference(
  params: Params,
  grads: Params[],
  lr: number,
  mu: number,
  nesterov: boolean,
  wd: number,
): Params[] {
  const p: Record<string, number[]> = {};
  const buf: Record<string, number[] | null> = {};
  for (const k of Object.keys(params)) {
    p[k] = Array.from(params[k].data);
    buf[k] = null;
  }
  const out: Params[] = [];
  for (const g of grads) {
    const snap: Params = {};
    for (const k of Object.keys(params)) {
      const d = Array.from(g[k].data, (x, i) => x + wd * p[k][i]);
      let step = d;
      if (mu !== 0) {
        const prev = buf[k];
        buf[k] = prev === null ? d.slice() : prev.map((b, i) => mu * b + d[i]);
        const bk = buf[k] as number[];
        step = nesterov ? d.map((x, i) => x + mu * bk[i]) : bk;
      }
      p[k] = p[k].map((x, i) => x - lr * step[i]);
      snap[k] = new Matrix(params[k].rows, params[k].cols, Float64Array.from(p[k]));
    }
    out.push(snap);
  }
  return out;
}

/** torch.optim.Adam / AdamW arithmetic per scalar (AdamW: θ ← θ(1 − ηλ) before the Adam step). */
function adamReference(
  params: Params,
  grads: Params[],
  lr: number,
  b1: number,
  b2: number,
  eps: number,
  decoupledWd: number,
): Params[] {
  const p: Record<string, number[]> = {};
  const m: Record<string, number[]> = {};
  const v: Record<string, number[]> = {};
  for (const k of Object.keys(params)) {
    p[k] = Array.from(params[k].data);
    m[k] = p[k].map(() => 0);
    v[k] = p[k].map(() => 0);
  }
  const out: Params[] = [];
  grads.forEach((g, index) => {
    const t = index + 1;
    const snap: Params = {};
    for (const k of Object.keys(params)) {
      p[k] = p[k].map((x) => x * (1 - lr * decoupledWd));
      for (let i = 0; i < p[k].length; i++) {
        const gi = g[k].data[i];
        m[k][i] = b1 * m[k][i] + (1 - b1) * gi;
        v[k][i] = b2 * v[k][i] + (1 - b2) * gi * gi;
        const mhat = m[k][i] / (1 - b1 ** t);
        const vhat = v[k][i] / (1 - b2 ** t);
        p[k][i] -= (lr * mhat) / (Math.sqrt(vhat) + eps);
      }
      snap[k] = new Matrix(params[k].rows, params[k].cols, Float64Array.from(p[k]));
    }
    out.push(snap);
  });
  return out;
}

describe("sgd / adam / adamw follow PyTorch's update rules", () => {
  const params = randomParams(1, SHAPES);
  const grads = gradientSequence(2, params, 12);

  for (const [label, opts] of [
    ["plain", { momentum: 0, nesterov: false, weightDecay: 0 }],
    ["momentum", { momentum: 0.9, nesterov: false, weightDecay: 0 }],
    ["nesterov", { momentum: 0.8, nesterov: true, weightDecay: 0 }],
    ["nesterov + weight decay", { momentum: 0.7, nesterov: true, weightDecay: 0.05 }],
    ["momentum + weight decay", { momentum: 0.5, nesterov: false, weightDecay: 0.1 }],
  ] as const) {
    it(`sgd, ${label}`, () => {
      const ours = run(optim.sgd({ learningRate: 0.03, ...opts }), params, grads);
      const ref = sgdReference(params, grads, 0.03, opts.momentum, opts.nesterov, opts.weightDecay);
      ours.forEach((p, t) => expect(maxRelDiff(p, ref[t])).toBeLessThan(1e-12));
    });
  }

  it("adam", () => {
    const ours = run(optim.adam({ learningRate: 0.01, b1: 0.8, b2: 0.99, eps: 1e-6 }), params, grads);
    const ref = adamReference(params, grads, 0.01, 0.8, 0.99, 1e-6, 0);
    ours.forEach((p, t) => expect(maxRelDiff(p, ref[t])).toBeLessThan(1e-12));
  });

  it("adam with defaults (β = 0.9, 0.999, ε = 1e-8) and adamw with the default decay 0.01", () => {
    const ours = run(optim.adam({ learningRate: 0.01 }), params, grads);
    const ref = adamReference(params, grads, 0.01, 0.9, 0.999, 1e-8, 0);
    ours.forEach((p, t) => expect(maxRelDiff(p, ref[t])).toBeLessThan(1e-12));
    const oursW = run(optim.adamw({ learningRate: 0.01 }), params, grads);
    const refW = adamReference(params, grads, 0.01, 0.9, 0.999, 1e-8, 0.01);
    oursW.forEach((p, t) => expect(maxRelDiff(p, refW[t])).toBeLessThan(1e-12));
    // The decay is not a no-op: adamw and adam differ.
    expect(maxRelDiff(oursW[11], ours[11])).toBeGreaterThan(1e-6);
  });

  it("adamw with a large decoupled decay", () => {
    const ours = run(optim.adamw({ learningRate: 0.05, weightDecay: 0.3, b1: 0.5 }), params, grads);
    const ref = adamReference(params, grads, 0.05, 0.5, 0.999, 1e-8, 0.3);
    ours.forEach((p, t) => expect(maxRelDiff(p, ref[t])).toBeLessThan(1e-12));
  });

  it("adam's first step moves every coordinate by lr·sign(g) whatever the gradient's scale (bias correction)", () => {
    const params: Params = { w: new Matrix(1, 3) };
    const g: Params = { w: new Matrix(1, 3, Float64Array.from([1e-3, -50, 2])) };
    const t = optim.adam({ learningRate: 0.01 });
    const u = t.update(g, t.init(params), params).updates.w.data;
    expect(u[0]).toBeCloseTo(-0.01, 6);
    expect(u[1]).toBeCloseTo(0.01, 9);
    expect(u[2]).toBeCloseTo(-0.01, 9);
  });

  it("a schedule is read at the 0-based step count", () => {
    const lrs: number[] = [];
    const schedule = (t: number): number => {
      lrs.push(t);
      return 0.1 / (1 + t);
    };
    const ours = run(optim.sgd({ learningRate: schedule }), params, grads.slice(0, 3));
    expect(lrs).toEqual([0, 1, 2]);
    const expected =
      params.w.data[5] - 0.1 * grads[0].w.data[5] - 0.05 * grads[1].w.data[5] - (0.1 / 3) * grads[2].w.data[5];
    expect(ours[2].w.data[5]).toBeCloseTo(expected, 14);
  });
});

describe("schedules", () => {
  it("constant, cosine and linear warm-up match their formulas", () => {
    expect(optim.constant(0.3)(17)).toBe(0.3);
    const c = optim.cosine({ initial: 2, decaySteps: 10, alpha: 0.1 });
    expect(c(0)).toBeCloseTo(2, 15);
    expect(c(5)).toBeCloseTo(2 * (0.9 * 0.5 + 0.1), 15);
    expect(c(10)).toBeCloseTo(0.2, 15);
    expect(c(100)).toBeCloseTo(0.2, 15);
    const w = optim.linearWarmup({ peak: 1, warmupSteps: 4, then: optim.cosine({ initial: 1, decaySteps: 2 }) });
    expect([0, 1, 2, 3, 4, 5, 6].map(w)).toEqual([0, 0.25, 0.5, 0.75, 1, 0.5, 0]);
    expect(() => optim.cosine({ initial: 1, decaySteps: 0 })).toThrow(/decaySteps must be an integer ≥ 1, got 0/);
  });

  it("a schedule that returns NaN is refused at the step", () => {
    const t = optim.sgd({ learningRate: () => NaN });
    const params = randomParams(3, SHAPES);
    expect(() => t.update(params, t.init(params), params)).toThrow(/learningRate\(0\) must be a finite number ≥ 0/);
  });
});

describe("applyUpdates, chain, clipByGlobalNorm, graft", () => {
  const params = randomParams(4, SHAPES);
  const [g] = gradientSequence(5, params, 1);

  it("applyUpdates adds without touching its inputs and checks shapes", () => {
    const before = params.w.data.slice();
    const out = optim.applyUpdates(params, g);
    expect(out.w.data[3]).toBe(params.w.data[3] + g.w.data[3]);
    expect(params.w.data).toEqual(before);
    expect(() => optim.applyUpdates(params, { w: g.w })).toThrow(/has no entry "b"/);
    expect(() => optim.applyUpdates(params, { w: g.w, b: new Matrix(3, 1) })).toThrow(/"b" is 1×3 in params but 3×1/);
  });

  it("clipping rescales to the maximum norm only above it, and chains with sgd", () => {
    const norm = Math.hypot(...g.w.data, ...g.b.data);
    const clip = optim.clipByGlobalNorm(norm / 2);
    const clipped = clip.update(g, clip.init(params)).updates;
    expect(Math.hypot(...clipped.w.data, ...clipped.b.data)).toBeCloseTo(norm / 2, 12);
    expect(clipped.b.data[1] / g.b.data[1]).toBeCloseTo(0.5, 12);
    const loose = optim.clipByGlobalNorm(norm * 2);
    expect(loose.update(g, loose.init(params)).updates.w.data).toEqual(g.w.data);
    const chained = optim.chain(clip, optim.sgd({ learningRate: 0.1 }));
    const u = chained.update(g, chained.init(params), params).updates;
    expect(u.w.data[2]).toBeCloseTo(-0.1 * clipped.w.data[2], 15);
  });

  it("graft takes the magnitude of one update and the direction of another, per parameter", () => {
    const G = optim.graft(optim.sgd({ learningRate: 0.5 }), optim.adam({ learningRate: 1 }));
    const u = G.update(g, G.init(params), params).updates;
    for (const k of ["w", "b"]) {
      const norm = Math.hypot(...u[k].data);
      expect(norm).toBeCloseTo(0.5 * Math.hypot(...g[k].data), 12);
      // Adam's first step is −η·sign(∇) (up to ε): the direction must be the sign pattern.
      const s = 1 / Math.sqrt(u[k].data.length);
      u[k].data.forEach((x, i) => expect(x / norm).toBeCloseTo(-Math.sign(g[k].data[i]) * s, 6));
    }
  });
});
