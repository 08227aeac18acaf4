/**
 * The optimizer playground's training loop: one small MLP on the MNIST digits trained by two optimizers side by
 * side, from the same initial weights on the same mini-batches, one step of each in turn. Reports the batch loss
 * at every step and the accuracy on a fixed set of test digits every `evalEvery` steps. Runs wherever the
 * package runs (the playground's Web Worker; Node for tests).
 */
import type * as Layerwise from "../../src/index.js";

export const OPTIMIZERS = ["sgd", "adam", "kfac", "ekfac", "shampoo", "soap", "muon"] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

/** One side: an optimizer, its step size and its second knob (momentum or damping, where it has one). */
export interface OptimizerChoice {
  name: OptimizerName;
  learningRate: number;
  /** sgd, muon: momentum; kfac, ekfac: damping; ignored by the others. */
  extra?: number;
}

/** What the second knob of each optimizer is, with its default, and the default step size. */
export const KNOBS: Record<OptimizerName, { learningRate: number; extra?: { label: string; value: number } }> = {
  sgd: { learningRate: 0.1, extra: { label: "momentum", value: 0.9 } },
  adam: { learningRate: 3e-3 },
  kfac: { learningRate: 0.1, extra: { label: "damping", value: 0.01 } },
  ekfac: { learningRate: 0.1, extra: { label: "damping", value: 0.01 } },
  shampoo: { learningRate: 3e-3 },
  soap: { learningRate: 3e-3 },
  muon: { learningRate: 0.02, extra: { label: "momentum", value: 0.95 } },
};

export interface PlaygroundConfig {
  optimizers: [OptimizerChoice, OptimizerChoice];
  hidden: number;
  steps: number;
  batch: number;
  /** Image side: 28 (as stored) or 14 (2×2 averages, four times fewer inputs: faster curvature blocks). */
  resolution: 14 | 28;
  evalEvery: number;
  /** Test digits used for the accuracy. */
  testSize: number;
  seed: number;
}

/** The curves so far: loss per step and test accuracy per evaluation, one array per side. */
export interface PlaygroundProgress {
  steps: number[];
  loss: [number[], number[]];
  evalSteps: number[];
  accuracy: [number[], number[]];
  /** Why a side stopped early (diverged or refused), or null while it trains. */
  failed: [string | null, string | null];
}

/** The optimizer of one side. Curvature refreshes every 10 steps keep KFAC, Shampoo and SOAP interactive. */
export function makeOptimizer(lw: typeof Layerwise, choice: OptimizerChoice): Layerwise.optim.GradientTransformation {
  const { optim } = lw;
  const learningRate = choice.learningRate;
  const extra = choice.extra ?? KNOBS[choice.name].extra?.value;
  const made = {
    sgd: () => optim.sgd({ learningRate, momentum: extra }),
    adam: () => optim.adam({ learningRate }),
    kfac: () => optim.kfac({ learningRate, damping: extra, inverseEvery: 10 }),
    ekfac: () => optim.ekfac({ learningRate, damping: extra, inverseEvery: 10 }),
    shampoo: () => optim.shampoo({ learningRate, preconditionEvery: 10 }),
    soap: () => optim.soap({ learningRate, preconditionEvery: 10 }),
    muon: () => optim.muon({ learningRate, momentum: extra }),
  }[choice.name];
  if (!made)
    throw new Error(`playground: unknown optimizer ${JSON.stringify(choice.name)}; allowed: ${OPTIMIZERS.join(", ")}`);
  return made() as Layerwise.optim.GradientTransformation;
}

/** Rows of 28×28 images averaged over 2×2 blocks into 14×14. */
function halve(lw: typeof Layerwise, x: Layerwise.Matrix): Layerwise.Matrix {
  const out = new lw.Matrix(x.rows, 196);
  for (let r = 0; r < x.rows; r++) {
    for (let i = 0; i < 14; i++) {
      for (let j = 0; j < 14; j++) {
        const p = r * 784 + 2 * i * 28 + 2 * j;
        out.data[r * 196 + i * 14 + j] = (x.data[p] + x.data[p + 1] + x.data[p + 28] + x.data[p + 29]) / 4;
      }
    }
  }
  return out;
}

/** Trains both sides for `config.steps` steps; `report` receives the curves after every step. */
export async function trainSideBySide(
  lw: typeof Layerwise,
  config: PlaygroundConfig,
  report: (progress: PlaygroundProgress, fraction: number) => void,
): Promise<PlaygroundProgress> {
  const { data, nn, optim, random } = lw;
  const digits = await data.loadMnistDigits();
  const prepare = (set: Layerwise.data.Dataset) => ({
    x: config.resolution === 14 ? halve(lw, set.x) : set.x,
    y: set.y,
    classes: set.classes,
  });
  const train = prepare(digits.train);
  const test = prepare(data.randomSubset(digits.test, config.testSize, config.seed));
  const inputs = train.x.cols;
  const net = nn.sequential([nn.dense(inputs, config.hidden), nn.relu(), nn.dense(config.hidden, 10)], {
    inputShape: [inputs],
  });
  const sides = config.optimizers.map((choice) => {
    const opt = makeOptimizer(lw, choice);
    const params = net.init(config.seed);
    return { opt, params, state: opt.init(params) };
  });
  const progress: PlaygroundProgress = {
    steps: [],
    loss: [[], []],
    evalSteps: [],
    accuracy: [[], []],
    failed: [null, null],
  };
  const evaluate = (step: number) => {
    progress.evalSteps.push(step);
    sides.forEach((side, s) =>
      progress.accuracy[s].push(progress.failed[s] ? NaN : nn.accuracy(net.forward(side.params, test.x), test.y)),
    );
  };
  evaluate(0);
  const order = new random.Rng(config.seed);
  let batches: Int32Array[] = [];
  for (let step = 1; step <= config.steps; step++) {
    if (batches.length === 0) batches = data.epochBatches(train.y.length, config.batch, order).reverse();
    const batch = data.selectRows(train, batches.pop()!);
    progress.steps.push(step);
    sides.forEach((side, s) => {
      if (progress.failed[s]) return void progress.loss[s].push(NaN);
      try {
        const r = net.lossAndGrad(side.params, batch.x, batch.y, nn.softmaxCrossEntropy, {
          // Only what the optimizer reads at this step (KFAC's statistics; none for Adam or SGD).
          stats: optim.statsRequest(side.opt, side.state),
        });
        if (!Number.isFinite(r.loss)) throw new Error(`the loss is ${r.loss}`);
        progress.loss[s].push(r.loss);
        const u = side.opt.update(r.grads, side.state, side.params, { stats: r.stats, loss: r.loss });
        side.state = u.state;
        side.params = optim.applyUpdates(side.params, u.updates);
      } catch (e) {
        progress.failed[s] = `stopped at step ${step}: ${e instanceof Error ? e.message : String(e)}`;
        if (progress.loss[s].length < progress.steps.length) progress.loss[s].push(NaN);
      }
    });
    if (step % config.evalEvery === 0 || step === config.steps) evaluate(step);
    report(progress, step / config.steps);
  }
  return progress;
}
