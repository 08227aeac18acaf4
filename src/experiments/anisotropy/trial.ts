/**
 * One `anisotropy` trial: an MLP trained on the re-conditioned inputs of one κ with one optimizer, its step size
 * found by a search at κ = 1 (held fixed for every κ) or at its own κ, recording the training loss (evaluated on a
 * fixed training subset every `evalEvery` steps), the steps until it first falls below `targetLoss`, and the
 * final training loss and test accuracy.
 */
import { CurvatureFailureError } from "../../optim/curvature/failures.js";
import { NonFiniteStepError } from "../../optim/faults.js";
import { deriveSeed } from "../../random/rng.js";
import type { TrialContext } from "../types.js";
import { MLP_DEFAULTS } from "../fashion/mlp.js";
import { mlp } from "../fashion/networks.js";
import { makeOptimizer, needsLayerStats, SECOND_HYPERPARAMETER, type Hyperparameters } from "../fashion/optimizers.js";
import { evaluate, trainClassifier } from "../fashion/train.js";
import { anisotropyData, type AnisotropyData } from "./data.js";
import type { AnisotropyPoint } from "./schema.js";

/** The training loss over steps of one run and what it reached. */
export interface LossTrack {
  /** Steps t at which the loss was evaluated (after t updates): 0, evalEvery, 2·evalEvery, …, the last step. */
  steps: number[];
  /** Mean cross-entropy on the training-loss subset after `steps[i]` updates (NaN once diverged). */
  trainLoss: number[];
  /** The first evaluated step whose loss is below the target; null when none is. */
  stepsToTarget: number | null;
  finalTrainLoss: number;
  testAccuracy: number;
  /**
   * The loss became non-finite or ended above its value at initialisation, or the optimizer gave up (a curvature
   * factor could not be inverted).
   */
  diverged: boolean;
}

/** Seed stream of the step-size search (one seed for every trial, so the search's answer is shared). */
const SEARCH_STREAM = 11;

/**
 * Trains the point's MLP on `data` with `hp` for `epochs` epochs from initialisation `seed`, evaluating the
 * training loss L(θ_t) = (1/m) Σ ℓ(f_θt(x_i), y_i) over the fixed training-loss subset after every `evalEvery`-th
 * update and after the last one.
 */
export async function trackTraining(
  point: AnisotropyPoint,
  data: AnisotropyData,
  hp: Hyperparameters,
  epochs: number,
  seed: number,
  onProgress: (fraction: number) => void = () => {},
): Promise<LossTrack> {
  const { splits, trainEval } = data;
  const network = mlp(splits.train.x.cols, point.hidden, splits.train.classes, point.dtype);
  const steps: number[] = [];
  const trainLoss: number[] = [];
  const record = (t: number, loss: number) => {
    steps.push(t);
    trainLoss.push(Number.isFinite(loss) ? loss : NaN);
  };
  let diverged = false;
  let final: { params: Parameters<typeof evaluate>[1]; state: Parameters<typeof evaluate>[2] } | null = null;
  try {
    const result = await trainClassifier({
      network,
      optimizer: makeOptimizer(point.optimizer, hp),
      layerStats: needsLayerStats(point.optimizer),
      train: splits.train,
      evaluation: splits.test,
      epochs,
      batchSize: point.batchSize,
      seed,
      onStep(step, _loss, params, state) {
        // onStep sees the parameters before update `step`, i.e. after step − 1 updates.
        if ((step - 1) % point.evalEvery === 0) record(step - 1, evaluate(network, params, state, trainEval).loss);
      },
      onEpoch(report) {
        onProgress(report.epoch / epochs);
      },
    });
    diverged = result.diverged;
    final = { params: result.params, state: result.state };
  } catch (e) {
    if (!(e instanceof CurvatureFailureError || e instanceof NonFiniteStepError)) throw e;
    diverged = true;
  }
  let testAccuracy = NaN;
  if (final && !diverged) {
    const lastStep = budgetSteps({ epochs, batchSize: point.batchSize }, data);
    if (steps.at(-1) !== lastStep) record(lastStep, evaluate(network, final.params, final.state, trainEval).loss);
    testAccuracy = evaluate(network, final.params, final.state, splits.test).accuracy;
  }
  const reached = trainLoss.findIndex((l) => l < point.targetLoss);
  const finalTrainLoss = diverged ? NaN : trainLoss.at(-1)!;
  // Diverged also when training ended above where it started (a blow-up that stayed finite).
  diverged ||= !Number.isFinite(finalTrainLoss) || finalTrainLoss > trainLoss[0];
  return {
    steps,
    trainLoss,
    stepsToTarget: reached < 0 ? null : steps[reached],
    finalTrainLoss: diverged ? NaN : finalTrainLoss,
    testAccuracy: diverged ? NaN : testAccuracy,
    diverged,
  };
}

/** A candidate step size of the search and how it did. */
export interface SearchCandidate {
  learningRate: number;
  stepsToTarget: number | null;
  finalTrainLoss: number | null;
}

/**
 * Orders search candidates: fewest steps to the target first (not reached = ∞), then lowest final training loss,
 * diverged runs (loss null) last. Returns a negative number when `a` is better.
 */
export function compareCandidates(a: SearchCandidate, b: SearchCandidate): number {
  const steps = (c: SearchCandidate) => c.stepsToTarget ?? Infinity;
  const loss = (c: SearchCandidate) => c.finalTrainLoss ?? Infinity;
  if (steps(a) !== steps(b)) return steps(a) - steps(b);
  if (loss(a) !== loss(b)) return loss(a) - loss(b);
  return 0;
}

const searches = new Map<string, Promise<{ best: number; candidates: SearchCandidate[] }>>();

/**
 * The step size of `point`'s optimizer: the config's `learningRate`, or the best of learningRateFactors × the fashion-mlp default by
 * `compareCandidates`, each candidate trained `tuneEpochs` epochs at κ = 1 (tuneAt "kappa1") or at the point's κ
 * (tuneAt "each") from one fixed seed. Memoised per worker: every trial with the same search shares its answer.
 */
export function searchStepSize(
  point: AnisotropyPoint,
  second: number,
): Promise<{ best: number; candidates: SearchCandidate[] }> {
  const kappa = point.tuneAt === "kappa1" ? 1 : point.kappa;
  const key = JSON.stringify({ ...point, kappa, second });
  let search = searches.get(key);
  if (!search) {
    search = (async () => {
      const data = await anisotropyData(point, kappa);
      const base = MLP_DEFAULTS[point.optimizer].learningRate;
      const candidates: SearchCandidate[] = [];
      for (const factor of point.learningRateFactors) {
        const learningRate = base * factor;
        const run = await trackTraining(
          point,
          data,
          { learningRate, second },
          point.tuneEpochs,
          deriveSeed(point.dataSeed, SEARCH_STREAM),
        );
        candidates.push({
          learningRate,
          stepsToTarget: run.stepsToTarget,
          finalTrainLoss: run.diverged ? null : run.finalTrainLoss,
        });
      }
      const best = [...candidates].sort(compareCandidates)[0];
      return { best: best.learningRate, candidates };
    })();
    searches.set(key, search);
    search.catch(() => searches.delete(key));
  }
  return search;
}

/** Runs one trial (one optimizer at one κ) with seed `ctx.seed`. */
export async function runAnisotropyTrial(point: AnisotropyPoint, ctx: TrialContext): Promise<void> {
  const name = point.optimizer;
  const second = point.second[name] ?? MLP_DEFAULTS[name].second;
  let learningRate = point.learningRate[name];
  if (learningRate === undefined) {
    const search = await searchStepSize(point, second);
    learningRate = search.best;
    ctx.info("search", { tunedAtKappa: point.tuneAt === "kappa1" ? 1 : point.kappa, candidates: search.candidates });
  }
  ctx.info("hyperparameters", { learningRate, [SECOND_HYPERPARAMETER[name]]: second });
  const data = await anisotropyData(point);
  ctx.info("dataset", data.splits.name);
  ctx.info("spectrum", { largest: point.kappa, smallest: 1, dims: data.splits.train.x.cols });
  const run = await trackTraining(point, data, { learningRate, second }, point.epochs, ctx.seed, (f) =>
    ctx.progress(f),
  );
  ctx.series("trainLoss", run.steps, run.trainLoss);
  ctx.scalar("stepsToTarget", run.stepsToTarget);
  ctx.scalar("finalTrainLoss", run.diverged ? null : run.finalTrainLoss);
  ctx.scalar("testAccuracy", Number.isFinite(run.testAccuracy) ? run.testAccuracy : null);
  ctx.scalar("diverged", run.diverged ? 1 : 0);
  ctx.scalar("budget", budgetSteps(point, data));
  ctx.scalar("lr", learningRate);
}

/** The training budget in steps: epochs × ⌈n / batchSize⌉. */
export function budgetSteps(point: Pick<AnisotropyPoint, "epochs" | "batchSize">, data: AnisotropyData): number {
  return point.epochs * Math.ceil(data.splits.train.y.length / point.batchSize);
}
