/**
 * The tuning study of `time-to-target`: each optimizer's search space (learning rate × its second knob × weight
 * decay × batch size), the seeded random draw of trial k, and the optimizer a trial trains with (linear warm-up
 * then cosine decay to 0 for every learning rate). kfac-auto chooses its own step and damping, so its study is
 * one fixed trial.
 */
import { deriveSeed, Rng } from "../../random/rng.js";
import type { GradientTransformation } from "../../optim/transform.js";
import { adam, adamw, ekfac, kfac, muon, sgd, shampoo, soap } from "../../optim/guarded.js";
import { cosine, linearWarmup, type Schedule } from "../../optim/transforms/schedule.js";

export const TTT_OPTIMIZERS = [
  "sgd",
  "adam",
  "adamw",
  "kfac",
  "ekfac",
  "shampoo",
  "soap",
  "muon",
  "kfac-auto",
] as const;
export type TttOptimizer = (typeof TTT_OPTIMIZERS)[number];

/** The first-order baselines: the target of a workload is the best validation metric one of them reaches. */
export const FIRST_ORDER: ReadonlySet<TttOptimizer> = new Set(["sgd", "adam", "adamw"]);

/** The default batch sizes of every study: second-order methods amortise their per-step work over larger batches. */
export const BATCH_SIZES = [128, 1024];

/** A range sampled log-uniformly: exp(U(log lo, log hi)). */
type LogRange = readonly [lo: number, hi: number];

/** One optimizer's search space. */
export interface SearchSpace {
  learningRate: LogRange;
  /** The second knob: its name, and its range (for momentum: the range of 1 − μ, log-uniform). */
  second: { name: "momentum" | "eps" | "damping"; range: LogRange };
  /** Weight decay range, or null where the optimizer has none (Adam: that is AdamW; Shampoo). */
  weightDecay: LogRange | null;
  /** What the weight decay is: an L2 term in the gradient, or decoupled (θ ← θ − η·wd·θ). */
  decay: "l2" | "decoupled" | "none";
}

/**
 * The search spaces (two decades of learning rate around each method's usual values; ε over five to eight
 * decades; 1 − μ ∈ [0.01, 0.2], μ ∈ [0.8, 0.99]; L2 weight decay 1e-6…1e-3, decoupled 1e-3…0.3).
 */
export const SEARCH_SPACES: Record<Exclude<TttOptimizer, "kfac-auto">, SearchSpace> = {
  sgd: {
    learningRate: [3e-3, 0.3],
    second: { name: "momentum", range: [0.01, 0.2] },
    weightDecay: [1e-6, 1e-3],
    decay: "l2",
  },
  adam: {
    learningRate: [1e-4, 1e-2],
    second: { name: "eps", range: [1e-10, 1e-5] },
    weightDecay: null,
    decay: "none",
  },
  adamw: {
    learningRate: [1e-4, 1e-2],
    second: { name: "eps", range: [1e-10, 1e-5] },
    weightDecay: [1e-3, 0.3],
    decay: "decoupled",
  },
  kfac: {
    learningRate: [1e-2, 1],
    second: { name: "damping", range: [1e-4, 1] },
    weightDecay: [1e-6, 1e-3],
    decay: "l2",
  },
  ekfac: {
    learningRate: [1e-2, 1],
    second: { name: "damping", range: [1e-4, 1] },
    weightDecay: [1e-6, 1e-3],
    decay: "l2",
  },
  shampoo: {
    learningRate: [1e-4, 1e-2],
    second: { name: "eps", range: [1e-12, 1e-4] },
    weightDecay: null,
    decay: "none",
  },
  soap: {
    learningRate: [1e-4, 1e-2],
    second: { name: "eps", range: [1e-10, 1e-5] },
    weightDecay: [1e-3, 0.3],
    decay: "decoupled",
  },
  muon: {
    learningRate: [2e-3, 0.2],
    second: { name: "momentum", range: [0.01, 0.2] },
    weightDecay: [1e-3, 0.3],
    decay: "decoupled",
  },
};

/**
 * The single setting of kfac-auto: initial damping 1 and the largest batch size of the study (1024 by default;
 * its quadratic model is of the batch loss, so a larger batch makes the model's steps generalise better); no
 * weight decay (its model has no L2 term).
 */
export const KFAC_AUTO_DAMPING = 1;

/** The hyperparameters of one trial. */
export interface TrialSetting {
  optimizer: TttOptimizer;
  /** Peak learning rate (null for kfac-auto, which chooses its own). */
  learningRate: number | null;
  /** Name and value of the second knob (kfac-auto: its initial damping). */
  secondName: string;
  second: number;
  weightDecay: number;
  batchSize: number;
}

function logUniform(rng: Rng, [lo, hi]: LogRange): number {
  return Math.exp(Math.log(lo) + rng.uniform() * (Math.log(hi) - Math.log(lo)));
}

/**
 * Trial `trial` of `optimizer`'s random search: learning rate, second knob and weight decay log-uniform in
 * their ranges, batch size uniform in `batchSizes`, from a generator seeded by (searchSeed, optimizer, trial),
 * so a trial has the same setting in every run, replicate and workload. kfac-auto's only setting is
 * `KFAC_AUTO_DAMPING` at the largest batch size (trial 0).
 */
export function trialSetting(
  optimizer: TttOptimizer,
  trial: number,
  searchSeed: number,
  batchSizes: readonly number[] = BATCH_SIZES,
): TrialSetting {
  if (optimizer === "kfac-auto") {
    return {
      optimizer,
      learningRate: null,
      secondName: "initial damping",
      second: KFAC_AUTO_DAMPING,
      weightDecay: 0,
      batchSize: Math.max(...batchSizes),
    };
  }
  const space = SEARCH_SPACES[optimizer];
  const rng = new Rng(deriveSeed(searchSeed, TTT_OPTIMIZERS.indexOf(optimizer), trial));
  const learningRate = logUniform(rng, space.learningRate);
  const drawn = logUniform(rng, space.second.range);
  const second = space.second.name === "momentum" ? 1 - drawn : drawn;
  const weightDecay = space.weightDecay ? logUniform(rng, space.weightDecay) : 0;
  const batchSize = batchSizes[Math.floor(rng.uniform() * batchSizes.length)];
  return { optimizer, learningRate, secondName: space.second.name, second, weightDecay, batchSize };
}

/** Whether trial `trial` of `optimizer` is part of its study of `trials` trials (kfac-auto's has trial 0 only). */
export function inStudy(optimizer: TttOptimizer, trial: number, trials: number): boolean {
  return trial < (optimizer === "kfac-auto" ? 1 : trials);
}

/** Linear warm-up over `warmupSteps` to `peak`, then cosine decay to 0 at `steps` (Goyal et al. 2017; SGDR). */
export function warmupCosine(peak: number, steps: number, warmupSteps: number): Schedule {
  const decay = cosine({ initial: peak, decaySteps: Math.max(1, steps - warmupSteps) });
  return warmupSteps > 0 ? linearWarmup({ peak, warmupSteps, then: decay }) : decay;
}

/**
 * The optimizer of a trial, its learning rate on `schedule(peak)`. Fixed choices as in the fashion experiments:
 * KFAC/EKFAC with momentum 0.9, inverses refreshed every 10 steps and KL-clipping at 10⁻³; Shampoo with Adam
 * grafting, roots every 10 steps; SOAP's basis every 10 steps; Muon with Nesterov momentum and its non-matrix
 * parameters on AdamW at a tenth of the learning rate; kfac-auto (`kfac({ adaptive: true })`) with kfac-jax's
 * defaults from its initial damping.
 */
export function makeTrialOptimizer(
  setting: TrialSetting,
  schedule: (peak: number) => Schedule,
): GradientTransformation {
  const { second, weightDecay } = setting;
  const lr = schedule(setting.learningRate ?? 1);
  const kfacOptions = { learningRate: lr, damping: second, momentum: 0.9, inverseEvery: 10, klClip: 1e-3, weightDecay };
  switch (setting.optimizer) {
    case "sgd":
      return sgd({ learningRate: lr, momentum: second, weightDecay }) as GradientTransformation;
    case "adam":
      return adam({ learningRate: lr, eps: second }) as GradientTransformation;
    case "adamw":
      return adamw({ learningRate: lr, eps: second, weightDecay }) as GradientTransformation;
    case "kfac":
      return kfac(kfacOptions) as GradientTransformation;
    case "ekfac":
      return ekfac(kfacOptions) as GradientTransformation;
    case "shampoo":
      return shampoo({ learningRate: lr, eps: second, graft: "adam", preconditionEvery: 10 }) as GradientTransformation;
    case "soap":
      return soap({ learningRate: lr, eps: second, weightDecay, preconditionEvery: 10 }) as GradientTransformation;
    case "muon":
      return muon({
        learningRate: lr,
        momentum: second,
        weightDecay,
        auxLearningRate: schedule((setting.learningRate ?? 1) / 10),
      }) as GradientTransformation;
    case "kfac-auto":
      return kfac({ adaptive: true, damping: second }) as GradientTransformation;
  }
}
