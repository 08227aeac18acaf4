/**
 * A failed refresh keeps the last good preconditioner and is reported once per block, for every curvature method.
 * These run with `skipNonFinite: false`: the default fault policy (test/faults) would skip the poisoned steps
 * before they reach the curvature blocks, and these tests are about the blocks' own guard beneath it.
 */
import { describe, expect, it } from "vitest";
import { Rng, gaussianMatrix } from "../../src/random/index.js";
import * as optim from "../../src/optim/index.js";
import type { KroneckerStats, Params } from "../../src/nn/types.js";
import { denseLeastSquares, gradientSequence, randomParams } from "./fixtures.js";

describe("failed refreshes: last good preconditioner, one warning per block", () => {
  for (const name of ["kfac", "ekfac"] as const) {
    it(`${name}: non-finite statistics`, () => {
      const rng = new Rng(31);
      const [W, b] = [gaussianMatrix(rng, 3, 4), gaussianMatrix(rng, 1, 3)];
      const pass = (): ReturnType<typeof denseLeastSquares> =>
        denseLeastSquares(W, b, gaussianMatrix(rng, 6, 4), gaussianMatrix(rng, 6, 3));
      const [good, bad] = [pass(), pass()];
      const poisoned: KroneckerStats = { ...bad.stats, a: bad.stats.a.clone() };
      poisoned.a.data[2] = NaN;
      const warnings: string[] = [];
      const t = optim[name]({
        learningRate: 0.1,
        inverseEvery: 1,
        factorUpdateEvery: 1,
        maxFailures: 5,
        skipNonFinite: false,
        onWarning: (m) => warnings.push(m),
      });
      let state = t.update(good.grads, t.init(good.grads), undefined, { stats: [good.stats] }).state;
      const cache = state.layers.w.leftCache;
      for (let i = 0; i < 3; i++) {
        const r = t.update(bad.grads, state, undefined, { stats: [poisoned] });
        state = r.state;
        expect(state.layers.w.leftCache).toBe(cache);
        for (const u of Object.values(r.updates)) expect(u.data.every(Number.isFinite)).toBe(true);
      }
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(new RegExp(`^${name}: the curvature block of "w" failed .*NaN/Inf.*last good`));
    });
  }

  for (const name of ["shampoo", "soap"] as const) {
    it(`${name}: a non-finite gradient`, () => {
      const params = randomParams(32, { w: [4, 3], b: [1, 4] });
      const grads = gradientSequence(33, params, 6);
      const bad: Params = { w: grads[3].w.clone(), b: grads[3].b };
      bad.w.data[5] = Infinity;
      const warnings: string[] = [];
      const onWarning = (m: string): number => warnings.push(m);
      // Refresh every step with no delay, so the failing statistics reach the refresh at once.
      const options = {
        learningRate: 0.01,
        preconditionEvery: 1,
        refreshDelay: 0,
        maxFailures: 5,
        skipNonFinite: false,
        onWarning,
      };
      const t = name === "shampoo" ? optim.shampoo(options) : optim.soap(options);
      let state: optim.ShampooState | optim.SoapState = t.init(params);
      const step = (g: Params): void => {
        state = (t as optim.GradientTransformation<typeof state>).update(g, state, params).state;
      };
      for (const g of grads.slice(0, 3)) step(g);
      const cacheOf = (): unknown =>
        "momentum" in state ? state.blocks.w[0].leftCache : (state as optim.SoapState).blocks.w[0].leftCache;
      const cache = cacheOf();
      step(bad);
      step(bad);
      expect(cacheOf()).toBe(cache);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(new RegExp(`^${name}: the curvature block of "w(\\[tile 0\\])?" failed .*NaN/Inf`));
    });
  }

  it("the warning handler must be a function", () => {
    expect(() => optim.kfac({ learningRate: 1, onWarning: "log" as never })).toThrow(
      /kfac: option onWarning must be a function/,
    );
  });
});
