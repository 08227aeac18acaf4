import { describe, expect, it } from "vitest";
import { Rng } from "../../../src/random/index.js";
import { gaussianMatrix } from "../../../src/random/matrices.js";
import { inv, matmul } from "../../../src/linalg/index.js";
import { activation } from "../../../src/nn/activations.js";
import { initTwoLayer, lossAndGradient, type TwoLayerNet } from "../../../src/paper/single-index/two-layer.js";
import { train, type UpdateOptions } from "../../../src/paper/single-index/updates.js";

const opts: UpdateOptions = {
  eta: 0.7,
  steps: 1,
  damping: 0.01,
  leftFactor: false,
  leftDamping: 0.1,
  adam: { beta1: 0.9, beta2: 0.999, eps: 1e-8 },
};

function setup(batchNorm = false) {
  const rng = new Rng(11);
  const n = 30;
  const d = 6;
  const N = 8;
  const X = gaussianMatrix(rng, n, d);
  const y = Float64Array.from({ length: n }, () => rng.normal());
  const net = initTwoLayer(new Rng(12), N, d, { act: activation("tanh"), init: "sign", batchNorm });
  return { X, y, net, n, d, N };
}

const clone = (net: TwoLayerNet): TwoLayerNet => ({ ...net, W: net.W.clone() });

describe("single-index updates", () => {
  it("gd: W₁ = W₀ − η√N ∇_W L̂", () => {
    const { X, y, net, N } = setup();
    const { gradW } = lossAndGradient(net, X, y);
    const next = clone(net);
    train(next, X, y, "gd", opts);
    for (let k = 0; k < gradW.data.length; k++) {
      expect(next.W.data[k]).toBeCloseTo(net.W.data[k] - opts.eta * Math.sqrt(N) * gradW.data[k], 12);
    }
  });

  it("kfac: W₁ = W₀ − η√N ∇ (Σ̂ + λI)⁻¹ with λ = damping·tr(Σ̂)/d (explicit inverse as the reference)", () => {
    const { X, y, net, n, d, N } = setup();
    const { gradW } = lossAndGradient(net, X, y);
    const S = matmul(X, X, { transA: true });
    let tr = 0;
    for (let i = 0; i < d; i++) tr += S.get(i, i) / n;
    for (let k = 0; k < S.data.length; k++) S.data[k] /= n;
    for (let i = 0; i < d; i++) S.set(i, i, S.get(i, i) + (opts.damping * tr) / d);
    const dir = matmul(gradW, inv(S));
    const next = clone(net);
    train(next, X, y, "kfac", opts);
    for (let k = 0; k < dir.data.length; k++) {
      expect(next.W.data[k]).toBeCloseTo(net.W.data[k] - opts.eta * Math.sqrt(N) * dir.data[k], 10);
    }
  });

  it("kfac with the left factor: P⁻¹ ∇ (Σ̂ + λI)⁻¹ with P the rescaled, damped output-gradient factor", () => {
    const { X, y, net, n, d, N } = setup();
    const { gradW, dH } = lossAndGradient(net, X, y);
    const S = matmul(X, X, { transA: true });
    let tr = 0;
    for (let i = 0; i < d; i++) tr += S.get(i, i) / n;
    for (let k = 0; k < S.data.length; k++) S.data[k] /= n;
    for (let i = 0; i < d; i++) S.set(i, i, S.get(i, i) + (opts.damping * tr) / d);
    // P₀ = (1/n) Σ g_i g_iᵀ with g_i = n dH_i; rescaled to unit mean eigenvalue, plus δI.
    const P = matmul(dH, dH, { transA: true });
    let trP = 0;
    for (let i = 0; i < N; i++) trP += P.get(i, i);
    for (let k = 0; k < P.data.length; k++) P.data[k] *= N / trP;
    for (let i = 0; i < N; i++) P.set(i, i, P.get(i, i) + opts.leftDamping);
    const dir = matmul(matmul(inv(P), gradW), inv(S));
    const next = clone(net);
    train(next, X, y, "kfac", { ...opts, leftFactor: true });
    for (let k = 0; k < dir.data.length; k++) {
      expect(next.W.data[k]).toBeCloseTo(net.W.data[k] - opts.eta * Math.sqrt(N) * dir.data[k], 9);
    }
  });

  it("adam's first step is −η g/(|g| + ε)", () => {
    const { X, y, net } = setup();
    const { gradW } = lossAndGradient(net, X, y);
    const next = clone(net);
    train(next, X, y, "adam", opts);
    for (let k = 0; k < gradW.data.length; k++) {
      const g = gradW.data[k];
      expect(next.W.data[k]).toBeCloseTo(net.W.data[k] - (opts.eta * g) / (Math.abs(g) + 1e-8), 12);
    }
  });

  it("several small steps decrease the training loss for every rule; gd-bn needs the batch-norm network", () => {
    for (const alg of ["gd", "kfac", "adam", "gd-bn"] as const) {
      const { X, y, net } = setup(alg === "gd-bn");
      const eta = alg === "adam" ? 0.01 : 0.3;
      const losses = train(net, X, y, alg, { ...opts, eta, steps: 5 });
      expect(losses).toHaveLength(6);
      expect(losses[5], alg).toBeLessThan(losses[0]);
    }
    const { X, y, net } = setup(false);
    expect(() => train(net, X, y, "gd-bn", opts)).toThrow(/batch-norm/);
    expect(() => train(net, X, y, "gd", { ...opts, eta: 0 })).toThrow(/eta must be/);
  });
});
