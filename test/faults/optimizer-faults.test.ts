import { afterEach, describe, expect, it, vi } from "vitest";
import fc from "fast-check";
import { Matrix } from "../../src/linalg/matrix.js";
import * as optim from "../../src/optim/index.js";
import type { Params } from "../../src/nn/types.js";
import { bitEqual } from "../optim/fixtures.js";
import { batch, initial, makers, poisoned, type Where } from "./fixtures.js";

interface Run {
  p: Params;
  state: unknown;
}

/** Steps over batches 0..7; before step `badAt` (if given) one extra, poisoned batch is fed. */
function run(
  t: optim.GradientTransformation<unknown>,
  bad?: { at: number; feed: (p: Params) => ReturnType<typeof batch> },
): Run {
  let p = initial;
  let state = t.init(p);
  for (let s = 0; s < 8; s++) {
    if (bad && bad.at === s) {
      const { grads, ctx } = bad.feed(p);
      const r = t.update(grads, state, p, ctx);
      for (const u of Object.values(r.updates)) expect(u.data.every((x) => x === 0)).toBe(true);
      state = r.state;
      p = optim.applyUpdates(p, r.updates);
    }
    const { grads, ctx } = batch(p, s);
    const r = t.update(grads, state, p, ctx);
    state = r.state;
    p = optim.applyUpdates(p, r.updates);
  }
  return { p, state };
}

/** The state without its fault counters, as saveState writes it (bit-exact comparison of the whole tree). */
function withoutFaults(state: unknown): string {
  return optim.saveState({ ...(state as object), faults: null });
}

afterEach(() => vi.restoreAllMocks());

describe("fault policy: a NaN/Inf batch in the middle leaves the trajectory identical to the run without it", () => {
  for (const [name, make] of Object.entries(makers)) {
    it(name, () => {
      const clean = run(make());
      const onFault = vi.fn();
      const t = make({ onFault });
      const faulty = run(t, { at: 4, feed: (p) => poisoned(p, 4, "gradient", "w", 5, NaN) });
      expect(bitEqual(faulty.p, clean.p)).toBe(true);
      expect(withoutFaults(faulty.state)).toBe(withoutFaults(clean.state));
      expect((faulty.state as optim.Guarded<object>).faults).toEqual({ consecutive: 0, total: 1 });
      expect(onFault).toHaveBeenCalledTimes(1);
      expect(onFault.mock.calls[0][0]).toMatchObject({
        optimizer: t.name,
        step: 5,
        parameter: "w",
        what: "the gradient",
        faults: { consecutive: 1, total: 1 },
      });
      // The run moved (a no-op optimizer would pass trivially), and without the policy the fault poisons it.
      expect(bitEqual(clean.p, initial)).toBe(false);
      const off = make({ skipNonFinite: false });
      let poisonedRun: Run | null = null;
      try {
        poisonedRun = run(off, { at: 4, feed: (p) => poisoned(p, 4, "gradient", "w", 5, NaN) });
      } catch {
        // Some optimizers raise on their own (a failed curvature refresh); that too differs from the clean run.
      }
      if (poisonedRun) expect(bitEqual(poisonedRun.p, clean.p)).toBe(false);
    });
  }
});

describe("fault policy: reports and limits", () => {
  it("warns once by default; counts every skipped step", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const t = optim.adam({ learningRate: 0.01 });
    let state = t.init(initial);
    const bad = poisoned(initial, 0, "gradient", "b", 1, Infinity);
    state = t.update(bad.grads, state, initial).state;
    state = t.update(bad.grads, state, initial).state;
    expect(state.faults).toEqual({ consecutive: 2, total: 2 });
    expect(state.count).toBe(0);
    const good = batch(initial, 0);
    state = t.update(good.grads, state, initial).state;
    expect(state.faults).toEqual({ consecutive: 0, total: 2 });
    expect(state.count).toBe(1);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toMatch(/adam: step 1 skipped: the gradient of "b" has NaN\/Inf entries/);
  });

  it("faultTolerance bad steps in a row raise NonFiniteStepError naming the parameter and the step", () => {
    const t = optim.kfac({ learningRate: 0.3, faultTolerance: 2, onFault: () => undefined });
    let state = t.init(initial);
    for (let s = 0; s < 3; s++) state = t.update(batch(initial, s).grads, state, initial, batch(initial, s).ctx).state;
    const bad = poisoned(initial, 3, "a", "", 7, NaN);
    state = t.update(bad.grads, state, initial, bad.ctx).state;
    expect(() => t.update(bad.grads, state, initial, bad.ctx)).toThrow(optim.NonFiniteStepError);
    expect(() => t.update(bad.grads, state, initial, bad.ctx)).toThrow(
      /kfac: step 5: the layer statistics \(a\) of "w" has NaN\/Inf entries, 2 steps in a row \(faultTolerance = 2\)/,
    );
  });

  it("a donated step with non-finite inputs is skipped before anything is overwritten", () => {
    const onFault = vi.fn();
    const t = optim.adam({ learningRate: 0.01, onFault });
    const good = batch(initial, 0);
    const s1 = t.update(good.grads, t.init(initial), initial, { donate: true }).state;
    const before = optim.saveState(s1);
    const bad = poisoned(initial, 1, "gradient", "w", 0, -Infinity);
    const r = t.update(bad.grads, s1, initial, { donate: true });
    expect(r.state.faults.total).toBe(1);
    expect(optim.saveState({ ...r.state, faults: s1.faults })).toBe(before);
  });

  it("non-finite updates from finite inputs are skipped too (an overflowing step)", () => {
    const onFault = vi.fn();
    // −η·g overflows to −Inf for η = 1e308 and g = 1e10.
    const t = optim.sgd({ learningRate: 1e308, onFault });
    const big: Params = { w: new Matrix(3, 4, new Float64Array(12).fill(1e10)), b: new Matrix(1, 3) };
    const r = t.update(big, t.init(initial), initial);
    expect(onFault).toHaveBeenCalledWith(expect.objectContaining({ parameter: "w", what: "the update" }));
    expect(r.state.count).toBe(0);
  });

  it("non-finite updates under donation cannot be rolled back: they raise at once, naming the step", () => {
    const t = optim.sgd({ learningRate: 1e308, onFault: () => undefined });
    const big: Params = { w: new Matrix(3, 4, new Float64Array(12).fill(1e10)), b: new Matrix(1, 3) };
    expect(() => t.update(big, t.init(initial), initial, { donate: true })).toThrow(
      /sgd: step 1: the update of "w" has NaN\/Inf entries, computed from finite inputs with the state donated/,
    );
  });

  it("refuses bad policy options with the field and the value", () => {
    expect(() => optim.sgd({ learningRate: 1, faultTolerance: 0 })).toThrow(
      /sgd: option faultTolerance must be an integer ≥ 1, got 0/,
    );
    expect(() => optim.kfac({ learningRate: 1, skipNonFinite: "yes" as unknown as boolean })).toThrow(
      /kfac: option skipNonFinite must be true or false, got "yes"/,
    );
    expect(() => optim.adam({ learningRate: 1, onFault: 3 as unknown as () => void })).toThrow(
      /adam: option onFault must be a function, got 3/,
    );
    // A typo lists the policy's fields among the known ones.
    expect(() => optim.soap({ learningRate: 1, faultTolerence: 2 } as optim.SoapOptions)).toThrow(
      /soap: option faultTolerence must be one of the known fields \(learningRate, .*, skipNonFinite, faultTolerance, onFault\); unknown field, got 2/,
    );
  });
});

describe("fault policy, property: any single poisoned entry anywhere is skipped without a trace", () => {
  const names = ["sgd momentum nesterov wd", "adam", "kfac momentum 0.9 + klClip (the experiments' settings)", "soap"];
  it("random position, statistic and value", () => {
    const clean = Object.fromEntries(names.map((n) => [n, run(makers[n]())]));
    fc.assert(
      fc.property(
        fc.constantFrom(...names),
        fc.integer({ min: 0, max: 7 }),
        fc.constantFrom<Where>("gradient", "a", "g"),
        fc.constantFrom("w", "b"),
        fc.nat(60),
        fc.constantFrom(NaN, Infinity, -Infinity),
        (name, at, where, key, index, value) => {
          const t = makers[name]();
          const faulty = run(t, { at, feed: (p) => poisoned(p, at, where, key, index, value) });
          // Every optimizer here receives the statistics in ctx, so a poisoned statistic counts even where unused.
          expect((faulty.state as optim.Guarded<object>).faults).toEqual({ consecutive: 0, total: 1 });
          expect(bitEqual(faulty.p, clean[name].p)).toBe(true);
          expect(withoutFaults(faulty.state)).toBe(withoutFaults(clean[name].state));
        },
      ),
      { numRuns: 40, seed: 24 },
    );
  });
});
