/**
 * Every optimizer trains a real network (nn.sequential) to 100% training accuracy on a task a linear model
 * cannot solve: four Gaussian clusters at (±2, ±2) labelled by the sign of x₁x₂ (XOR), embedded in 6 dimensions
 * with a fixed random rotation so no coordinate is special.
 */
import { describe, expect, it } from "vitest";
import { Matrix, nn, optim, random } from "../../src/index.js";

function xorTask(n: number, seed: number): { x: Matrix; labels: Int32Array } {
  const rng = new random.Rng(seed);
  const dim = 6;
  const rotate = random.haarOrthogonal(rng, dim, dim);
  const x = new Matrix(n, dim);
  const labels = new Int32Array(n);
  const raw = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    const sx = rng.uniform() < 0.5 ? -1 : 1;
    const sy = rng.uniform() < 0.5 ? -1 : 1;
    raw.fill(0);
    raw[0] = 2 * sx + 0.4 * rng.normal();
    raw[1] = 2 * sy + 0.4 * rng.normal();
    for (let j = 2; j < dim; j++) raw[j] = 0.4 * rng.normal();
    for (let r = 0; r < dim; r++) {
      let s = 0;
      for (let c = 0; c < dim; c++) s += rotate.get(r, c) * raw[c];
      x.set(i, r, s);
    }
    labels[i] = sx * sy > 0 ? 1 : 0;
  }
  return { x, labels };
}

/** Each optimizer with a step size that suits it (the defaults it documents for everything else). */
const OPTIMIZERS: Record<string, () => optim.GradientTransformation<unknown>> = {
  sgd: () => optim.sgd({ learningRate: 0.1, momentum: 0.9 }) as optim.GradientTransformation<unknown>,
  adam: () => optim.adam({ learningRate: 0.01 }) as optim.GradientTransformation<unknown>,
  adamw: () => optim.adamw({ learningRate: 0.01 }) as optim.GradientTransformation<unknown>,
  kfac: () => optim.kfac({ learningRate: 0.1, damping: 1e-2 }) as optim.GradientTransformation<unknown>,
  ekfac: () => optim.ekfac({ learningRate: 0.1, damping: 1e-2 }) as optim.GradientTransformation<unknown>,
  shampoo: () => optim.shampoo({ learningRate: 0.01 }) as optim.GradientTransformation<unknown>,
  soap: () => optim.soap({ learningRate: 0.01 }) as optim.GradientTransformation<unknown>,
  muon: () => optim.muon({ learningRate: 0.02 }) as optim.GradientTransformation<unknown>,
};

describe("training a small MLP on XOR clusters", () => {
  const { x, labels } = xorTask(200, 11);
  const net = nn.sequential([nn.dense(6, 32), nn.relu(), nn.dense(32, 2)], { inputShape: [6] });

  it("a linear model cannot fit the task (the hidden layer is needed)", () => {
    const linear = nn.sequential([nn.dense(6, 2)], { inputShape: [6] });
    let params = linear.init(1);
    const opt = optim.adam({ learningRate: 0.05 });
    let state = opt.init(params);
    for (let t = 0; t < 300; t++) {
      const r = linear.lossAndGrad(params, x, labels, nn.softmaxCrossEntropy, { stats: false });
      const u = opt.update(r.grads, state, params);
      state = u.state;
      params = optim.applyUpdates(params, u.updates);
    }
    expect(nn.accuracy(linear.forward(params, x), labels)).toBeLessThan(0.8);
  });

  for (const [name, make] of Object.entries(OPTIMIZERS)) {
    it(`${name} reaches 100% training accuracy within 300 full-batch steps`, () => {
      let params = net.init(3);
      const opt = make();
      let state = opt.init(params);
      let steps = 0;
      for (; steps < 300; steps++) {
        const r = net.lossAndGrad(params, x, labels, nn.softmaxCrossEntropy);
        if (nn.accuracy(r.output, labels) === 1) break;
        const u = opt.update(r.grads, state, params, { stats: r.stats, loss: r.loss });
        state = u.state;
        params = optim.applyUpdates(params, u.updates);
      }
      expect(nn.accuracy(net.forward(params, x), labels)).toBe(1);
    });
  }
});
