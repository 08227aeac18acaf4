/**
 * `npm run bench -- adaptive`: the cost of a whole training step (forward/backward pass + update) of KFAC with the
 * quadratic-model step (`kfac({ adaptive: true })`, "kfac-auto") against plain KFAC and SGD, on fashion-mlp's
 * network (784-256-256-10, ReLU, float32 products) at batch 128 with random data. kfac-auto's extra work per step:
 * the curvature's 4 float64 forward passes (two central differences J v, for the preconditioned step and the
 * previous update) and, every 5th step, one more forward pass for the loss after the step.
 */
import { Matrix } from "../src/linalg/matrix.js";
import { Rng, gaussianMatrix } from "../src/random/index.js";
import { dense, relu, sequential, softmaxCrossEntropy } from "../src/nn/index.js";
import type { Params } from "../src/nn/types.js";
import * as optim from "../src/optim/index.js";
import { applyUpdatesInPlace } from "../src/optim/transforms/combine.js";
import { printTable } from "./numpy.js";

const BATCH = 128;
/** A multiple of KFAC's refresh period (10) and of the damping interval (5), so every kind of step is sampled. */
const PERIOD = 10;

interface Case {
  name: string;
  make: () => optim.GradientTransformation<unknown>;
  curvature: boolean;
}

/** Median ms per step over `periods` whole periods after one untimed period. */
function timeSteps(c: Case, periods: number): number {
  const net = sequential([dense(784, 256), relu(), dense(256, 256), relu(), dense(256, 10)], {
    inputShape: [784],
    dtype: "float32",
  });
  const rng = new Rng(0);
  const params: Params = net.init(0);
  const batches = [0, 1, 2, 3].map(() => ({
    x: gaussianMatrix(rng, BATCH, 784),
    y: Int32Array.from({ length: BATCH }, () => Math.floor(rng.uniform() * 10)),
  }));
  const t = c.make();
  let state = t.init(params);
  const perPeriod: number[] = [];
  for (let p = 0; p <= periods; p++) {
    const t0 = performance.now();
    for (let s = 0; s < PERIOD; s++) {
      const b = batches[(p * PERIOD + s) % batches.length];
      const stats = optim.statsRequest(t, state);
      const pass = net.lossAndGrad(params, b.x, b.y, softmaxCrossEntropy, { stats, curvature: c.curvature });
      const r = t.update(pass.grads, state, params, { stats: pass.stats, loss: pass.loss, curvature: pass.curvature });
      state = r.state;
      applyUpdatesInPlace(params, r.updates as Record<string, Matrix>);
    }
    if (p > 0) perPeriod.push((performance.now() - t0) / PERIOD);
  }
  return perPeriod.sort((a, b) => a - b)[Math.floor(perPeriod.length / 2)];
}

export default function main(): void {
  const cases: Case[] = [
    {
      name: "sgd (momentum 0.9)",
      make: () => optim.sgd({ learningRate: 0.05, momentum: 0.9 }),
      curvature: false,
    },
    {
      name: "kfac (lr 0.1, momentum 0.9, inverse every 10)",
      make: () => optim.kfac({ learningRate: 0.1, damping: 0.1, momentum: 0.9, inverseEvery: 10 }),
      curvature: false,
    },
    {
      name: "kfac-auto (adaptive: true, inverse every 10)",
      make: () => optim.kfac({ adaptive: true, damping: 1, inverseEvery: 10 }),
      curvature: true,
    },
  ];
  const ms = cases.map((c) => timeSteps(c, 5));
  const [sgdMs, kfacMs] = ms;
  printTable(
    "whole training step (pass + update), 784-256-256-10 MLP, float32 products, batch 128 (median of 5 periods of 10 steps)",
    cases.map((c, i) => ({
      optimizer: c.name,
      "ms/step": ms[i],
      "× sgd step": ms[i] / sgdMs,
      "× kfac step": ms[i] / kfacMs,
    })),
  );
}
