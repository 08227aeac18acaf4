import { describe, expect, it } from "vitest";
import { Matrix } from "../../src/linalg/matrix.js";
import { Rng, gaussianMatrix } from "../../src/random/index.js";
import * as optim from "../../src/optim/index.js";
import type { Params, UpdateContext } from "../../src/nn/types.js";
import { bitEqual, denseLeastSquares } from "./fixtures.js";

describe("saveState / loadState", () => {
  it("round-trips plain data, matrices and float arrays bit for bit (NaN, ±Inf, −0 included)", () => {
    const nanPayload = new Float64Array(new BigUint64Array([0x7ff8_0000_dead_beefn]).buffer)[0];
    const state = {
      count: 3,
      odd: [NaN, Infinity, -Infinity, -0, 1e-310, null, true, "text"],
      m: new Matrix(2, 2, Float64Array.from([1, NaN, -0, Infinity])),
      raw: Float64Array.from([nanPayload, -Infinity, 5e-324]),
      nested: { none: null, list: [new Matrix(0, 3)] },
    };
    const back = optim.loadState<typeof state>(optim.saveState(state));
    expect(back.count).toBe(3);
    expect(back.odd.slice(0, 4).map((x) => Object.is(x, NaN) || x)).toEqual([true, Infinity, -Infinity, -0]);
    expect(Object.is(back.odd[3], -0)).toBe(true);
    expect(back.odd.slice(4)).toEqual([1e-310, null, true, "text"]);
    expect(back.m).toBeInstanceOf(Matrix);
    expect(bitEqual({ m: back.m }, { m: state.m })).toBe(true);
    const bytes = (a: Float64Array): number[] => Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    expect(bytes(back.raw)).toEqual(bytes(state.raw));
    expect(back.nested.list[0].shape()).toBe("0×3");
    expect(optim.saveState(back)).toBe(optim.saveState(state));
  });

  it("refuses what is not plain data, and text it did not write", () => {
    expect(() => optim.saveState({ f: () => 1 })).toThrow(/state.f is a function; state must be plain data/);
    expect(() => optim.saveState({ d: new Date() })).toThrow(/state.d is an object of an unsupported class/);
    expect(() => optim.loadState("{")).toThrow(/not JSON/);
    expect(() => optim.loadState('{"state":1}')).toThrow(/not an optimizer state written by saveState/);
  });
});

describe("loadState and a transform's upgradeState hook", () => {
  // A toy transform whose state grew: version 1 held { count }, the current one also a `velocity` per parameter.
  const params: Params = { w: new Matrix(2, 3, Float64Array.from([1, 2, 3, 4, 5, 6])) };
  type Current = { count: number; velocity: Params };
  const grown = (upgraded: unknown[]): optim.GradientTransformation<Current> => ({
    name: "grown",
    init: (p) => ({
      count: 0,
      velocity: Object.fromEntries(Object.entries(p).map(([k, v]) => [k, new Matrix(v.rows, v.cols)])),
    }),
    update: (grads, state) => ({ updates: grads, state }),
    upgradeState(old) {
      upgraded.push(old);
      const velocity = { w: new Matrix(2, 3) };
      return "velocity" in (old as object) ? (old as Current) : { ...(old as { count: number }), velocity };
    },
  });

  it("calls the hook on the decoded state before checking it, and returns what it made", () => {
    const calls: unknown[] = [];
    const t = grown(calls);
    const loaded = optim.loadState(optim.saveState({ count: 7 }, t), t, params);
    expect(calls).toEqual([{ count: 7 }]);
    expect(loaded.count).toBe(7);
    expect(bitEqual(loaded.velocity, { w: new Matrix(2, 3) })).toBe(true);
  });

  it("without the hook the version-1 state is refused (the check sees the missing velocity)", () => {
    const withoutHook = { ...grown([]), upgradeState: undefined };
    expect(() => optim.loadState(optim.saveState({ count: 7 }, withoutHook), withoutHook, params)).toThrow(/velocity/);
  });

  it("the fault policy forwards the hook to the optimizer it guards and keeps its counters", () => {
    const t = optim.shampoo({ learningRate: 0.01 });
    const state = t.init(params);
    const old: Record<string, unknown> = { ...state, faults: { consecutive: 1, total: 2 } };
    delete old.pending;
    expect(t.upgradeState?.(old)).toEqual({ ...state, faults: { consecutive: 1, total: 2 } });
  });
});

describe("checkpoint → restore → continue equals an uninterrupted run, bit for bit", () => {
  // A dense least-squares layer w (3×4), b (1×3) plus a batch-norm-like pair; each step draws its batch from the
  // step number, so both runs see the same data.
  const rng = new Rng(1);
  const X = [0, 1, 2, 3, 4, 5, 6, 7].map(() => gaussianMatrix(rng, 10, 4));
  const Y = X.map(() => gaussianMatrix(rng, 10, 3));
  const perExample = X.map(() => ({ gamma: gaussianMatrix(rng, 10, 2), beta: gaussianMatrix(rng, 10, 2) }));
  const initial: Params = {
    w: gaussianMatrix(rng, 3, 4),
    b: gaussianMatrix(rng, 1, 3),
    gamma: gaussianMatrix(rng, 1, 2),
    beta: gaussianMatrix(rng, 1, 2),
  };
  function batch(p: Params, t: number): { grads: Params; ctx: UpdateContext } {
    const { grads, stats, loss } = denseLeastSquares(p.w, p.b, X[t], Y[t]);
    const mean = (m: Matrix): Matrix => {
      const out = new Matrix(1, m.cols);
      for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.cols; j++) out.data[j] += m.get(i, j) / m.rows;
      return out;
    };
    const pe = perExample[t];
    return {
      grads: { ...grads, gamma: mean(pe.gamma), beta: mean(pe.beta) },
      ctx: {
        loss,
        stats: [
          { ...stats, gSampled: stats.g },
          { kind: "batchNorm", weight: "gamma", bias: "beta", perExample: pe, perExampleSampled: pe, batchSize: 10 },
        ],
      },
    };
  }
  function steps(t: optim.GradientTransformation<unknown>, p: Params, state: unknown, from: number, to: number) {
    for (let s = from; s < to; s++) {
      const { grads, ctx } = batch(p, s);
      const r = t.update(grads, state, p, ctx);
      state = r.state;
      p = optim.applyUpdates(p, r.updates);
    }
    return { p, state };
  }
  const makers: Record<string, () => optim.GradientTransformation<unknown>> = {
    sgd: () =>
      optim.sgd({
        learningRate: optim.cosine({ initial: 0.1, decaySteps: 8 }),
        momentum: 0.9,
        nesterov: true,
        weightDecay: 0.01,
      }),
    adam: () => optim.adam({ learningRate: 0.01 }),
    adamw: () => optim.adamw({ learningRate: optim.linearWarmup({ peak: 0.01, warmupSteps: 3 }) }),
    kfac: () => optim.kfac({ learningRate: 0.3, inverseEvery: 3, momentum: 0.5, klClip: 1e-3, weightDecay: 1e-4 }),
    kfacSampled: () => optim.kfac({ learningRate: 0.3, inverseEvery: 2, fisher: "sampled" }),
    ekfac: () => optim.ekfac({ learningRate: 0.3, inverseEvery: 3 }),
    shampoo: () =>
      optim.shampoo({ learningRate: 0.01, preconditionEvery: 2, maxPreconditionerDim: 2, startPreconditioningStep: 2 }),
    soap: () => optim.soap({ learningRate: 0.01, preconditionEvery: 2 }),
    muon: () => optim.muon({ learningRate: 0.02 }),
    chain: () => optim.chain(optim.clipByGlobalNorm(0.5), optim.sgd({ learningRate: 0.1, momentum: 0.5 })),
    graft: () => optim.graft(optim.adam({ learningRate: 0.01 }), optim.shampoo({ learningRate: 1, graft: "none" })),
  };
  for (const [name, make] of Object.entries(makers)) {
    it(name, () => {
      const t = make();
      const straight = steps(t, initial, t.init(initial), 0, 8);
      const half = steps(t, initial, t.init(initial), 0, 4);
      const text = optim.saveState(half.state);
      // A fresh optimizer object, as after a process restart.
      const t2 = make();
      const resumed = steps(t2, half.p, optim.loadState(text), 4, 8);
      expect(bitEqual(resumed.p, straight.p)).toBe(true);
      expect(optim.saveState(resumed.state)).toBe(optim.saveState(straight.state));
      // The run moved the parameters (a no-op optimizer would pass the checks above trivially).
      expect(bitEqual(straight.p, initial)).toBe(false);
    });
  }

  // States written before delayed refreshes (no `pending`) and, for SOAP, before tiles (one block per matrix).
  const earlier: Record<string, () => optim.GradientTransformation<unknown>> = {
    shampoo: () => optim.shampoo({ learningRate: 0.01, preconditionEvery: 2, refreshDelay: 0 }),
    soap: () => optim.soap({ learningRate: 0.01, preconditionEvery: 2, refreshDelay: 0 }),
  };
  for (const [name, make] of Object.entries(earlier)) {
    it(`${name}: a state saved by the earlier version loads and continues on the same trajectory`, () => {
      const t = make();
      const straight = steps(t, initial, t.init(initial), 0, 8);
      const half = steps(t, initial, t.init(initial), 0, 4);
      const { pending, ...withoutPending } = half.state as { pending: object; blocks: Record<string, unknown[]> };
      expect(pending).toEqual({});
      const old =
        name === "soap"
          ? {
              ...withoutPending,
              blocks: Object.fromEntries(Object.entries(withoutPending.blocks).map(([k, tiles]) => [k, tiles[0]])),
            }
          : withoutPending;
      const text = optim.saveState(old, t);
      const loaded = optim.loadState(text, make(), initial);
      expect(loaded).toEqual(half.state);
      const resumed = steps(make(), half.p, loaded, 4, 8);
      expect(bitEqual(resumed.p, straight.p)).toBe(true);
    });
  }

  // The wrappers upgrade each part's state with that part's hook: an earlier Shampoo state (no `pending`) inside them.
  const shampooPart = () =>
    optim.shampoo({ learningRate: 0.01, preconditionEvery: 2, maxPreconditionerDim: 2, refreshDelay: 0 });
  const withoutPending = (state: unknown): unknown => {
    const { pending, ...old } = state as { pending: object };
    expect(pending).toEqual({});
    return old;
  };
  const wrapped: Record<string, { make: () => optim.GradientTransformation<unknown>; old: (s: unknown) => unknown }> = {
    chain: {
      make: () => optim.chain(optim.clipByGlobalNorm(0.5), shampooPart()),
      old: (s) => [(s as unknown[])[0], withoutPending((s as unknown[])[1])],
    },
    partition: {
      make: () =>
        optim.partition(
          { shampoo: shampooPart(), adam: optim.adam({ learningRate: 0.01 }) },
          { w: "shampoo", b: "shampoo", gamma: "adam", beta: "adam" },
        ) as optim.GradientTransformation<unknown>,
      old: (s) => ({ ...(s as object), shampoo: withoutPending((s as { shampoo: unknown }).shampoo) }),
    },
    graft: {
      make: () =>
        optim.graft(optim.adam({ learningRate: 0.01 }), shampooPart()) as optim.GradientTransformation<unknown>,
      old: (s) => ({ ...(s as object), direction: withoutPending((s as { direction: unknown }).direction) }),
    },
  };
  for (const [name, { make, old }] of Object.entries(wrapped)) {
    it(`${name}: an earlier Shampoo state inside it loads as the upgraded state and continues on the same trajectory`, () => {
      const t = make();
      const straight = steps(t, initial, t.init(initial), 0, 8);
      const half = steps(t, initial, t.init(initial), 0, 4);
      const text = optim.saveState(old(half.state), t);
      const loaded = optim.loadState(text, make(), initial);
      expect(loaded).toEqual(half.state);
      // The same state as the current one loaded directly, and the same steps from it.
      expect(loaded).toEqual(optim.loadState(optim.saveState(half.state, t), make(), initial));
      const resumed = steps(make(), half.p, loaded, 4, 8);
      expect(bitEqual(resumed.p, straight.p)).toBe(true);
      expect(optim.saveState(resumed.state)).toBe(optim.saveState(straight.state));
    });
  }

  it("a wrapper whose parts have no hook has none, and parts without a hook keep their state as it is", () => {
    expect(optim.chain(optim.clipByGlobalNorm(0.5), optim.sgd({ learningRate: 0.1 })).upgradeState).toBeUndefined();
    expect(optim.partition({ a: optim.adam({ learningRate: 0.01 }) }, () => "a").upgradeState).toBeUndefined();
    const t = optim.chain(optim.adam({ learningRate: 0.01 }), shampooPart());
    const state = t.init(initial);
    const upgraded = t.upgradeState!([state[0], withoutPending(state[1])]);
    expect(upgraded[0]).toBe(state[0]);
    expect(upgraded).toEqual(state);
    // Not a list of part states: left for the state check to name.
    expect(t.upgradeState!(7)).toBe(7);
  });
});
