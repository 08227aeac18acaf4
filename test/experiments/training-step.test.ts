/**
 * The training step shared by the experiments' loops: fashion's `trainClassifier` and time-to-target's
 * `trainForBudget` take the same steps, bit for bit, as a naive loop written here (fresh batches and gradients,
 * every statistic at every step, θ ← θ + u into new matrices) on a tiny MLP with batch-norm, with KFAC (which reads
 * the layer statistics) and Adam; fashion's `onStep` sees each step's loss and the parameters before its update.
 */
import { describe, expect, it } from "vitest";
import { epochBatches } from "../../src/data/batches.js";
import { selectRows, type Dataset } from "../../src/data/dataset.js";
import { trainClassifier } from "../../src/experiments/fashion/train.js";
import { trainForBudget } from "../../src/experiments/time-to-target/train.js";
import type { Workload } from "../../src/experiments/time-to-target/workloads.js";
import { Matrix } from "../../src/linalg/matrix.js";
import * as nn from "../../src/nn/index.js";
import type { Network } from "../../src/nn/sequential.js";
import type { Params } from "../../src/nn/types.js";
import * as optim from "../../src/optim/index.js";
import { Rng, gaussianMatrix } from "../../src/random/index.js";
import { bitEqual } from "../optim/fixtures.js";

const CLASSES = 3;
const SEED = 5;
const EPOCHS = 3;
const BATCH = 4;

function tinyMlp(): Network {
  return nn.sequential([nn.dense(6, 5), nn.batchNorm(5), nn.relu(), nn.dense(5, CLASSES)], { inputShape: [6] });
}

function dataset(n: number, seed: number): Dataset {
  const rng = new Rng(seed);
  return { x: gaussianMatrix(rng, n, 6), y: Int32Array.from({ length: n }, () => rng.int(CLASSES)), classes: CLASSES };
}

const copy = (p: Params): Params => Object.fromEntries(Object.entries(p).map(([k, m]) => [k, m.clone()]));

/** The loop by hand, in the trainers' batch order (epochs of a permutation stream split from the seed). */
function naiveTraining(net: Network, t: optim.GradientTransformation, train: Dataset, steps: number) {
  let params = net.init(SEED);
  let netState = net.initState();
  let state = t.init(params);
  const order = new Rng(SEED).split(1);
  const losses: number[] = [];
  const before: Params[] = [];
  while (losses.length < steps) {
    for (const indices of epochBatches(train.y.length, BATCH, order)) {
      if (losses.length >= steps) break;
      const batch = selectRows(train, indices);
      const pass = net.lossAndGrad(params, batch.x, batch.y, nn.softmaxCrossEntropy, { state: netState });
      losses.push(pass.loss);
      before.push(copy(params));
      const r = t.update(pass.grads, state, params, { stats: pass.stats, loss: pass.loss });
      state = r.state;
      const next: Params = {};
      for (const [k, p] of Object.entries(params)) {
        const u = r.updates[k];
        next[k] = new Matrix(
          p.rows,
          p.cols,
          p.data.map((v, i) => v + u.data[i]),
        );
      }
      params = next;
      netState = pass.state;
    }
  }
  return { params, netState, losses, before };
}

const optimizers = {
  kfac: () => optim.kfac({ learningRate: 0.05, damping: 0.1, factorUpdateEvery: 3, inverseEvery: 2 }),
  adam: () => optim.adam({ learningRate: 0.01 }),
};

describe("the shared training step", () => {
  const train = dataset(14, 9); // 14 = 3 batches of 4 and one of 2 per epoch
  const steps = EPOCHS * Math.ceil(train.y.length / BATCH);

  for (const [name, make] of Object.entries(optimizers)) {
    it(`${name}: both trainers match a naive loop bit for bit, and onStep sees the loss and the pre-update parameters`, async () => {
      const net = tinyMlp();
      const naive = naiveTraining(net, make() as optim.GradientTransformation, train, steps);

      const seen: { loss: number; params: Params }[] = [];
      const fashion = await trainClassifier({
        network: net,
        optimizer: make() as optim.GradientTransformation,
        layerStats: true,
        train,
        evaluation: train,
        epochs: EPOCHS,
        batchSize: BATCH,
        seed: SEED,
        onStep: (_step, loss, params) => seen.push({ loss, params: copy(params) }),
      });
      expect(fashion.diverged).toBe(false);
      expect(bitEqual(fashion.params, naive.params)).toBe(true);
      expect(fashion.state).toEqual(naive.netState);
      expect(seen.map((s) => s.loss)).toEqual(naive.losses);
      seen.forEach((s, k) => expect(bitEqual(s.params, naive.before[k]), `step ${k + 1}`).toBe(true));

      const workload: Workload = {
        name: "fashion-mlp",
        metric: "accuracy",
        higherIsBetter: true,
        build: () => net,
        loss: nn.softmaxCrossEntropy,
        targets: (batch) => batch.y,
        evaluate: () => 0,
      };
      const budget = await trainForBudget({
        workload,
        network: net,
        optimizer: make() as optim.GradientTransformation,
        layerStats: true,
        curvature: false,
        train,
        validation: train,
        steps,
        batchSize: BATCH,
        evaluations: 2,
        seed: SEED,
      });
      expect(budget.diverged).toBe(false);
      expect(bitEqual(budget.params, naive.params)).toBe(true);
      expect(budget.state).toEqual(naive.netState);
    });
  }
});
