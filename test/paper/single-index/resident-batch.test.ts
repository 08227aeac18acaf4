/**
 * The resident full-batch passes against the two-layer module's own lossAndGradient and loss: the same kernels in
 * the same order, so every number must agree bit for bit (stored single-index results depend on it).
 */
import { describe, expect, it } from "vitest";
import { Rng } from "../../../src/random/index.js";
import { gaussianMatrix } from "../../../src/random/matrices.js";
import { activation } from "../../../src/nn/activations.js";
import { initTwoLayer, loss, lossAndGradient } from "../../../src/paper/single-index/two-layer.js";
import { ResidentBatch, residentBatchApplies } from "../../../src/paper/single-index/resident-batch.js";
import { train } from "../../../src/paper/single-index/updates.js";

function problem(act: string, n: number, N: number, d: number, batchNorm = false) {
  const rng = new Rng(3);
  const X = gaussianMatrix(rng, n, d);
  const y = Float64Array.from({ length: n }, () => rng.normal());
  const net = initTwoLayer(new Rng(4), N, d, { act: activation(act), init: "sign", batchNorm });
  for (let j = 0; j < N; j++) net.a[j] *= 3; // a visible gradient
  return { X, y, net };
}

describe("ResidentBatch", () => {
  for (const act of ["tanh", "relu"]) {
    it(`gives lossAndGradient's and loss's bits, before and after W changes (${act}, odd sizes)`, () => {
      const { X, y, net } = problem(act, 61, 33, 17);
      const batch = new ResidentBatch(net, X, y);
      try {
        for (let step = 0; step < 2; step++) {
          const ref = lossAndGradient(net, X, y);
          const ours = batch.lossAndGradient(true);
          expect(ours.loss).toBe(ref.loss);
          expect(Array.from(ours.gradW.data)).toEqual(Array.from(ref.gradW.data));
          expect(Array.from(ours.dH!.data)).toEqual(Array.from(ref.dH.data));
          expect(batch.lossAndGradient(false).dH).toBeNull();
          expect(batch.loss()).toBe(loss(net, X, y));
          for (let k = 0; k < net.W.data.length; k++) net.W.data[k] -= 0.5 * ref.gradW.data[k];
        }
      } finally {
        batch.release();
      }
    });
  }

  it("applies only to kernel activations without batch-norm on GEMM-sized batches, and says why not", () => {
    expect(residentBatchApplies(problem("tanh", 61, 33, 17).net, problem("tanh", 61, 33, 17).X)).toBe(true);
    const bn = problem("tanh", 61, 33, 17, true);
    expect(residentBatchApplies(bn.net, bn.X)).toBe(false);
    const gelu = problem("gelu", 61, 33, 17);
    expect(residentBatchApplies(gelu.net, gelu.X)).toBe(false);
    const tiny = problem("tanh", 3, 4, 5);
    expect(residentBatchApplies(tiny.net, tiny.X)).toBe(false);
    expect(() => new ResidentBatch(tiny.net, tiny.X, tiny.y)).toThrow(/kernel activation/);
  });

  it("leaves train()'s results unchanged: gd, kfac with both factors, adam over three steps", () => {
    for (const algorithm of ["gd", "kfac", "adam"] as const) {
      const options = {
        eta: 0.3,
        steps: 3,
        damping: 1e-3,
        leftFactor: true,
        leftDamping: 0.1,
        adam: { beta1: 0.9, beta2: 0.999, eps: 1e-8 },
      };
      const a = problem("tanh", 61, 33, 17);
      const lossesOurs = train(a.net, a.X, a.y, algorithm, options);
      // Reference: the two-layer module's passes, W updated by the same rules by hand for gd.
      const b = problem("tanh", 61, 33, 17);
      if (algorithm === "gd") {
        const expected: number[] = [];
        for (let t = 0; t < 3; t++) {
          const g = lossAndGradient(b.net, b.X, b.y);
          expected.push(g.loss);
          const s = options.eta * Math.sqrt(33);
          for (let k = 0; k < b.net.W.data.length; k++) b.net.W.data[k] -= s * g.gradW.data[k];
        }
        expected.push(loss(b.net, b.X, b.y));
        expect(lossesOurs).toEqual(expected);
        expect(Array.from(a.net.W.data)).toEqual(Array.from(b.net.W.data));
      }
      expect(lossesOurs.every(Number.isFinite)).toBe(true);
      expect(lossesOurs[3]).toBeLessThan(lossesOurs[0]);
    }
  });
});
