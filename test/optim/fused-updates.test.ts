/**
 * The fused one-pass updates of sgd, adam and adamw against the rules written out naively, one array per
 * intermediate quantity (d, b, direction, m, v, bias-corrected moments) exactly as torch.optim states them: the
 * results must agree bit for bit (the fusion may not change the rounding), and `update` must leave its inputs alone.
 */
import { describe, expect, it } from "vitest";
import { Matrix } from "../../src/linalg/matrix.js";
import { pow } from "../../src/linalg/elementary.js";
import * as optim from "../../src/optim/index.js";
import type { Params } from "../../src/nn/types.js";
import { bitEqual, gradientSequence, randomParams } from "./fixtures.js";

const SHAPES: Record<string, [number, number]> = { w: [7, 5], b: [1, 7], v: [3, 1] };

const map = (p: Params, f: (key: string, m: Matrix) => Float64Array): Params =>
  Object.fromEntries(Object.entries(p).map(([k, m]) => [k, new Matrix(m.rows, m.cols, f(k, m))]));

const copy = (p: Params): Params => map(p, (_, m) => m.data.slice());

/** torch.optim.SGD's step, one intermediate array at a time; returns the updates and the new buffers. */
function naiveSgd(
  grads: Params,
  params: Params,
  buffers: Params | null,
  o: { eta: number; mu: number; nesterov: boolean; wd: number },
): { updates: Params; buffers: Params | null } {
  const d = map(grads, (k, g) => g.data.map((x, i) => (o.wd > 0 ? x + o.wd * params[k].data[i] : x)));
  if (o.mu === 0) return { updates: map(d, (_, m) => m.data.map((x) => -o.eta * x)), buffers: null };
  const b = map(d, (k, m) => m.data.map((x, i) => (buffers ? o.mu * buffers[k].data[i] + x : x)));
  const dir = o.nesterov ? map(d, (k, m) => m.data.map((x, i) => x + o.mu * b[k].data[i])) : b;
  return { updates: map(dir, (_, m) => m.data.map((x) => -o.eta * x)), buffers: b };
}

/** torch.optim.Adam / AdamW's step (ε outside the corrected root), one intermediate array at a time. */
function naiveAdam(
  grads: Params,
  params: Params,
  state: { m: Params; v: Params },
  t: number,
  o: { eta: number; b1: number; b2: number; eps: number; wd: number },
): { updates: Params; m: Params; v: Params } {
  const m = map(grads, (k, g) => g.data.map((x, i) => o.b1 * state.m[k].data[i] + (1 - o.b1) * x));
  const v = map(grads, (k, g) => g.data.map((x, i) => o.b2 * state.v[k].data[i] + (1 - o.b2) * x * x));
  const bc1 = 1 - pow(o.b1, t);
  const bc2Sqrt = Math.sqrt(1 - pow(o.b2, t));
  const dir = map(m, (k, mk) => mk.data.map((x, i) => x / bc1 / (Math.sqrt(v[k].data[i]) / bc2Sqrt + o.eps)));
  const updates = map(dir, (k, d) =>
    d.data.map((x, i) => (o.wd > 0 ? -o.eta * o.wd * params[k].data[i] - o.eta * x : -o.eta * x)),
  );
  return { updates, m, v };
}

describe("fused first-order updates equal the naive rules bit for bit and leave their inputs alone", () => {
  const start = randomParams(11, SHAPES);
  const grads = gradientSequence(12, start, 6);

  for (const [label, o] of [
    ["plain", { mu: 0, nesterov: false, wd: 0 }],
    ["plain + weight decay", { mu: 0, nesterov: false, wd: 0.03 }],
    ["momentum", { mu: 0.9, nesterov: false, wd: 0 }],
    ["momentum + weight decay", { mu: 0.9, nesterov: false, wd: 0.03 }],
    ["nesterov", { mu: 0.8, nesterov: true, wd: 0 }],
    ["nesterov + weight decay", { mu: 0.8, nesterov: true, wd: 0.03 }],
  ] as const) {
    it(`sgd, ${label}`, () => {
      const eta = 0.07;
      const t = optim.sgd({ learningRate: eta, momentum: o.mu, nesterov: o.nesterov, weightDecay: o.wd });
      let state = t.init(start);
      let params = start;
      let buffers: Params | null = null;
      for (const g of grads) {
        const before = { g: copy(g), p: copy(params), b: state.momentum ? copy(state.momentum) : null };
        const r = t.update(g, state, params);
        const ref = naiveSgd(g, params, buffers, { eta, ...o });
        expect(bitEqual(r.updates, ref.updates)).toBe(true);
        if (ref.buffers) expect(bitEqual(r.state.momentum as Params, ref.buffers)).toBe(true);
        else expect(r.state.momentum).toBeNull();
        // Inputs untouched: gradients, params and the previous state's buffers.
        expect(bitEqual(g, before.g)).toBe(true);
        expect(bitEqual(params, before.p)).toBe(true);
        if (before.b) expect(bitEqual(state.momentum as Params, before.b)).toBe(true);
        buffers = ref.buffers;
        state = r.state;
        params = optim.applyUpdates(params, r.updates);
      }
    });
  }

  for (const [label, make, o] of [
    [
      "adam",
      () => optim.adam({ learningRate: 0.01, b1: 0.8, b2: 0.99, eps: 1e-6 }),
      { b1: 0.8, b2: 0.99, eps: 1e-6, wd: 0 },
    ],
    ["adamw", () => optim.adamw({ learningRate: 0.01, weightDecay: 0.2 }), { b1: 0.9, b2: 0.999, eps: 1e-8, wd: 0.2 }],
  ] as const) {
    it(`${label}, with bias correction over several steps`, () => {
      const t = make();
      let state = t.init(start);
      let params = start;
      let step = 0;
      for (const g of grads) {
        step++;
        const before = { g: copy(g), p: copy(params), m: copy(state.m), v: copy(state.v) };
        const r = t.update(g, state, params);
        const ref = naiveAdam(g, params, state, step, { eta: 0.01, ...o });
        expect(bitEqual(r.updates, ref.updates)).toBe(true);
        expect(bitEqual(r.state.m, ref.m)).toBe(true);
        expect(bitEqual(r.state.v, ref.v)).toBe(true);
        expect(bitEqual(g, before.g)).toBe(true);
        expect(bitEqual(params, before.p)).toBe(true);
        expect(bitEqual(state.m, before.m) && bitEqual(state.v, before.v)).toBe(true);
        state = r.state;
        params = optim.applyUpdates(params, r.updates);
      }
    });
  }

  it("applyUpdatesInPlace gives applyUpdates' sums in params' own matrices", () => {
    const params = copy(start);
    const expected = optim.applyUpdates(params, grads[0]);
    const matrices = Object.values(params);
    const out = optim.applyUpdatesInPlace(params, grads[0]);
    expect(out).toBe(params);
    expect(Object.values(out)).toEqual(matrices); // same Matrix objects, overwritten
    expect(bitEqual(out, expected)).toBe(true);
    expect(out.w.data[4]).toBe(start.w.data[4] + grads[0].w.data[4]);
    expect(() => optim.applyUpdatesInPlace(params, { w: grads[0].w })).toThrow(
      /applyUpdatesInPlace: updates has no entry "b"/,
    );
  });
});
