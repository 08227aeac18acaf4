/**
 * The Monte-Carlo (sampled) Fisher statistics: E over the sampled targets of (1/n) Σ gᵢgᵢᵀ is the true Fisher's
 * output factor (1/n) Σᵢ (diag pᵢ − pᵢpᵢᵀ) for softmax cross-entropy and I for mse (Martens & Grosse 2015, §5),
 * while the empirical factor from the data's labels is something else.
 */
import { describe, expect, it } from "vitest";
import { gram } from "../../src/linalg/blas.js";
import { Matrix } from "../../src/linalg/matrix.js";
import { Rng } from "../../src/random/rng.js";
import { gaussianMatrix } from "../../src/random/matrices.js";
import { batchNorm, dense, mse, sequential, softmaxCrossEntropy, tanh } from "../../src/nn/index.js";
import type { DiagonalStats, KroneckerStats } from "../../src/nn/types.js";

const SAMPLES = 2000;

function maxAbsDiff(A: Matrix, B: Matrix): number {
  let worst = 0;
  for (let k = 0; k < A.data.length; k++) worst = Math.max(worst, Math.abs(A.data[k] - B.data[k]));
  return worst;
}

describe("sampled Fisher statistics", () => {
  const net = sequential([dense(3, 4)], { inputShape: [3] });
  const rng = new Rng(31);
  const params = net.init(6);
  // Larger logits make the predictive distribution uneven, so the Fisher is far from the empirical factor.
  for (const key of ["0.weight", "0.bias"]) params[key].data.forEach((_, k, d) => (d[k] *= 4));
  const n = 5;
  const x = gaussianMatrix(rng, n, 3);
  const y = new Int32Array(n); // every label 0

  it("average to the exact Fisher G factor of a softmax layer; the empirical factor does not", () => {
    const output = net.forward(params, x);
    const exact = new Matrix(4, 4);
    const p = softmaxCrossEntropy.valueAndGrad(output, Int32Array.from([0, 0, 0, 0, 0])).g; // p − e₀
    for (let i = 0; i < n; i++) {
      const pi = p.row(i);
      pi[0] += 1;
      for (let a = 0; a < 4; a++)
        for (let b = 0; b < 4; b++) exact.data[a * 4 + b] += ((a === b ? pi[a] : 0) - pi[a] * pi[b]) / n;
    }
    const estimate = new Matrix(4, 4);
    let empirical: Matrix | undefined;
    let differsFromEmpirical = false;
    for (let s = 0; s < SAMPLES; s++) {
      const { stats } = net.lossAndGrad(params, x, y, softmaxCrossEntropy, { sampledFisherSeed: s });
      const st = stats[0] as KroneckerStats;
      const G = gram(st.gSampled as Matrix);
      for (let k = 0; k < 16; k++) estimate.data[k] += G.data[k] / n / SAMPLES;
      empirical ??= gram(st.g);
      if (maxAbsDiff(st.gSampled as Matrix, st.g) > 1e-3) differsFromEmpirical = true;
    }
    expect(differsFromEmpirical).toBe(true);
    for (let k = 0; k < 16; k++) (empirical as Matrix).data[k] /= n;
    // Monte-Carlo error of each entry is below 0.25/√(n·SAMPLES) ≈ 0.0025 in standard deviation.
    expect(maxAbsDiff(estimate, exact)).toBeLessThan(0.02);
    expect(maxAbsDiff(empirical as Matrix, exact)).toBeGreaterThan(0.1);
  });

  it("the same seed gives the same draws; mse's sampled factor averages to the identity", () => {
    const a = net.lossAndGrad(params, x, y, softmaxCrossEntropy, { sampledFisherSeed: 9 }).stats[0] as KroneckerStats;
    const b = net.lossAndGrad(params, x, y, softmaxCrossEntropy, { sampledFisherSeed: 9 }).stats[0] as KroneckerStats;
    expect((a.gSampled as Matrix).data).toEqual((b.gSampled as Matrix).data);

    const reg = sequential([dense(3, 2), tanh(), dense(2, 2)], { inputShape: [3] });
    const rp = reg.init(1);
    const t = gaussianMatrix(rng, n, 2);
    const estimate = new Matrix(2, 2);
    for (let s = 0; s < SAMPLES; s++) {
      const st = reg.lossAndGrad(rp, x, t, mse, { sampledFisherSeed: s }).stats[1] as KroneckerStats;
      const G = gram(st.gSampled as Matrix);
      for (let k = 0; k < 4; k++) estimate.data[k] += G.data[k] / n / SAMPLES;
    }
    expect(maxAbsDiff(estimate, Matrix.identity(2))).toBeLessThan(0.05);
  });

  it("batch-norm gets per-example gradients for the sampled targets too", () => {
    const bnNet = sequential([dense(3, 2), batchNorm(2), dense(2, 3)], { inputShape: [3] });
    const r = bnNet.lossAndGrad(bnNet.init(2), x, y, softmaxCrossEntropy, {
      state: bnNet.initState(),
      sampledFisherSeed: 1,
    });
    const bn = r.stats[1] as DiagonalStats;
    expect(bn.perExampleSampled?.["1.weight"].shape()).toBe("5×2");
    expect((r.stats[0] as KroneckerStats).gSampled?.shape()).toBe("5×2");
  });
});
