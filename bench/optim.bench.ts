/**
 * `npm run bench -- optim`: the cost of one optimizer `update()` for the parameters of a 784-256-256-10 MLP at
 * batch 128 (float64), with synthetic random gradients and layer statistics a/g of the shapes the layers produce.
 * Reports ms per update (amortised over whole refresh periods), the ratio to sgd's update, and the split between
 * the steps that refresh the curvature (inverses, roots, eigenbases) and the ones that do not, so the table says
 * what dominates each optimizer. The forward/backward pass is not run; the products it would do are timed once
 * so that the table can estimate the ratio of whole training steps.
 */
import { Matrix } from "../src/linalg/matrix.js";
import { matmul } from "../src/linalg/blas.js";
import { Rng, gaussianMatrix } from "../src/random/index.js";
import type { KroneckerStats, Params, UpdateContext } from "../src/nn/types.js";
import * as optim from "../src/optim/index.js";
import { printTable } from "./numpy.js";

const WIDTHS = [784, 256, 256, 10];
const BATCH = 128;
const REFRESH_EVERY = 10;

/** Params of the MLP (dense weight out×in, bias 1×out). */
export function mlpParams(rng: Rng): Params {
  const p: Params = {};
  for (let l = 0; l + 1 < WIDTHS.length; l++) {
    p[`w${l + 1}`] = gaussianMatrix(rng, WIDTHS[l + 1], WIDTHS[l], 1 / Math.sqrt(WIDTHS[l]));
    p[`b${l + 1}`] = new Matrix(1, WIDTHS[l + 1]);
  }
  return p;
}

/** Random gradients and per-layer statistics with the shapes a forward/backward pass would give. */
export function syntheticBatch(rng: Rng): { grads: Params; ctx: UpdateContext } {
  const grads: Params = {};
  const stats: KroneckerStats[] = [];
  for (let l = 0; l + 1 < WIDTHS.length; l++) {
    const [fanIn, fanOut] = [WIDTHS[l], WIDTHS[l + 1]];
    const a = gaussianMatrix(rng, BATCH, fanIn + 1);
    for (let i = 0; i < BATCH; i++) a.data[i * (fanIn + 1) + fanIn] = 1;
    const g = gaussianMatrix(rng, BATCH, fanOut, 1e-2);
    grads[`w${l + 1}`] = gaussianMatrix(rng, fanOut, fanIn, 1e-3);
    grads[`b${l + 1}`] = gaussianMatrix(rng, 1, fanOut, 1e-3);
    stats.push({ kind: "dense", weight: `w${l + 1}`, bias: `b${l + 1}`, a, g, batchSize: BATCH, positions: 1 });
  }
  return { grads, ctx: { stats } };
}

interface Timing {
  /** ms per update over whole refresh periods: the medians of the two kinds of step, weighted by frequency. */
  amortised: number;
  /** Median ms of the steps that refresh the curvature (NaN when the optimizer has none). */
  refresh: number;
  /** Median ms of the other steps. */
  plain: number;
}

/**
 * Times `steps` updates after `warmup` untimed ones (the first step builds the factors and, for SOAP, the first
 * eigenbasis). `isRefresh(t)` marks the 1-based steps that refresh.
 */
function timeUpdates(
  make: () => optim.GradientTransformation<unknown>,
  batches: { grads: Params; ctx: UpdateContext }[],
  params: Params,
  warmup: number,
  steps: number,
  isRefresh: (t: number) => boolean,
): Timing {
  const t = make();
  let state = t.init(params);
  const refresh: number[] = [];
  const plain: number[] = [];
  for (let s = 1; s <= warmup + steps; s++) {
    const b = batches[(s - 1) % batches.length];
    const t0 = performance.now();
    state = t.update(b.grads, state, params, b.ctx).state;
    const ms = performance.now() - t0;
    if (s > warmup) (isRefresh(s) ? refresh : plain).push(ms);
  }
  // Medians resist the spikes of a shared machine; the amortised cost weights them by how often each kind occurs.
  const median = (x: number[]): number => {
    if (x.length === 0) return NaN;
    const y = [...x].sort((a, b) => a - b);
    return y[Math.floor(y.length / 2)];
  };
  const [r, p] = [median(refresh), median(plain)];
  const share = refresh.length / (refresh.length + plain.length);
  return { amortised: refresh.length ? share * r + (1 - share) * p : p, refresh: r, plain: p };
}

/**
 * ms of the products a forward/backward pass of the MLP does at batch 128 (per layer: the forward X·Wᵀ, the
 * weight gradient gᵀX and the input gradient g·W), as a stand-in for the pass itself so the table can estimate
 * whole training steps; activations and the loss are not included.
 */
function passGemmMs(rng: Rng, params: Params): number {
  const inputs = WIDTHS.slice(0, -1).map((w) => gaussianMatrix(rng, BATCH, w));
  const outGrads = WIDTHS.slice(1).map((w) => gaussianMatrix(rng, BATCH, w));
  const pass = (): void => {
    for (let l = 0; l + 1 < WIDTHS.length; l++) {
      const W = params[`w${l + 1}`];
      matmul(inputs[l], W, { transB: true });
      matmul(outGrads[l], inputs[l], { transA: true });
      if (l > 0) matmul(outGrads[l], W);
    }
  };
  pass();
  const times: number[] = [];
  for (let i = 0; i < 11; i++) {
    const t0 = performance.now();
    pass();
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[5];
}

export default function main(): void {
  const rng = new Rng(0);
  const params = mlpParams(rng);
  const batches = [0, 1, 2, 3].map(() => syntheticBatch(rng));
  const never = (): boolean => false;
  const cases: {
    name: string;
    make: () => optim.GradientTransformation<unknown>;
    warmup: number;
    steps: number;
    isRefresh: (t: number) => boolean;
    refreshWhat: string;
    /** What the other steps spend their time on (from the operation counts). */
    everyStep: string;
  }[] = [
    {
      name: "sgd (momentum 0.9)",
      make: () => optim.sgd({ learningRate: 0.1, momentum: 0.9 }),
      warmup: 5,
      steps: 50,
      isRefresh: never,
      refreshWhat: "",
      everyStep: "element-wise passes over 270k entries (memory bound)",
    },
    {
      name: "adam",
      make: () => optim.adam({ learningRate: 1e-3 }),
      warmup: 5,
      steps: 50,
      isRefresh: never,
      refreshWhat: "",
      everyStep: "element-wise passes (two moments)",
    },
    {
      name: `kfac (inverse every ${REFRESH_EVERY})`,
      make: () => optim.kfac({ learningRate: 0.1, inverseEvery: REFRESH_EVERY }),
      warmup: REFRESH_EVERY,
      steps: 3 * REFRESH_EVERY,
      isRefresh: (t) => (t - 1) % REFRESH_EVERY === 0,
      refreshWhat: "Cholesky inverses of A (785², 257², 257²) and G",
      everyStep: "applying G⁻¹[∇W|∇b]A⁻¹ (256×785·785² product) and the factor grams aᵀa",
    },
    {
      name: `ekfac (basis every ${REFRESH_EVERY})`,
      make: () => optim.ekfac({ learningRate: 0.1, inverseEvery: REFRESH_EVERY }),
      warmup: REFRESH_EVERY,
      steps: 3 * REFRESH_EVERY,
      isRefresh: (t) => (t - 1) % REFRESH_EVERY === 0,
      refreshWhat: "eigh of A and G",
      everyStep: "4 basis rotations per layer + per-example projections a·Q_A",
    },
    {
      name: `shampoo (roots every ${REFRESH_EVERY})`,
      make: () => optim.shampoo({ learningRate: 1e-3, preconditionEvery: REFRESH_EVERY }),
      warmup: REFRESH_EVERY,
      steps: 3 * REFRESH_EVERY,
      isRefresh: (t) => (t - 1) % REFRESH_EVERY === 0,
      refreshWhat: "eigh-based inverse 4th roots of L, R (784², 256²)",
      everyStep: "grams GGᵀ, GᵀG and the two-sided apply (256×784·784² product)",
    },
    {
      name: `soap (basis every ${REFRESH_EVERY})`,
      make: () => optim.soap({ learningRate: 3e-3, preconditionEvery: REFRESH_EVERY }),
      warmup: REFRESH_EVERY,
      steps: 3 * REFRESH_EVERY,
      isRefresh: (t) => t % REFRESH_EVERY === 0,
      refreshWhat: "power iteration + QR of L, R",
      everyStep: "4 basis rotations per layer (gradient in, step out) + grams",
    },
    {
      name: "muon",
      make: () => optim.muon({ learningRate: 0.02 }),
      warmup: 3,
      steps: 20,
      isRefresh: never,
      refreshWhat: "",
      everyStep: "5 Newton–Schulz iterations (3 products each) on 256×784 and 256×256",
    },
  ];
  const results = cases.map((c) => ({
    c,
    timing: timeUpdates(c.make, batches, params, c.warmup, c.steps, c.isRefresh),
  }));
  const sgdMs = results[0].timing.amortised;
  const passMs = passGemmMs(rng, params);
  const rows = results.map(({ c, timing }) => {
    const refreshShare = Number.isNaN(timing.refresh)
      ? NaN
      : (timing.refresh - timing.plain) / REFRESH_EVERY / timing.amortised;
    return {
      optimizer: c.name,
      "ms/update": timing.amortised,
      "× sgd": timing.amortised / sgdMs,
      "est. step × sgd step": (passMs + timing.amortised) / (passMs + sgdMs),
      "refresh step ms": Number.isNaN(timing.refresh) ? "–" : timing.refresh.toFixed(1),
      "other step ms": Number.isNaN(timing.refresh) ? "–" : timing.plain.toFixed(1),
      "refresh share": Number.isNaN(refreshShare) ? "–" : `${(100 * refreshShare).toFixed(0)}% (${c.refreshWhat})`,
      "every step": c.everyStep,
    };
  });
  printTable(
    `optimizer update() cost, 784-256-256-10 MLP parameters, batch-128 statistics, float64 (forward/backward not included)`,
    rows,
  );
  console.log(
    `\nforward/backward GEMMs of the MLP at batch 128: ${passMs.toFixed(1)} ms; "est. step × sgd step" = ` +
      `(GEMMs + update) / (GEMMs + sgd update), an estimate of the whole training step's ratio.`,
  );
}
