/**
 * One `anisotropy` trial: an MLP or the 2c2d CNN trained on the re-conditioned (or Gaussian) inputs of one κ with
 * one optimizer, its step size found by a search at κ = 1 (held fixed for every κ) or at its own κ, recording the
 * training loss (evaluated on a fixed training subset every `evalEvery` steps), the steps until it first falls
 * below `targetLoss`, and the final training loss and test accuracy.
 */
import { CurvatureFailureError } from "../../optim/curvature/failures.js";
import { NonFiniteStepError } from "../../optim/faults.js";
import { deriveSeed } from "../../random/rng.js";
import type { TrialContext } from "../types.js";
import { memoizeAsync } from "../memo.js";
import { MLP_DEFAULTS } from "../fashion/mlp.js";
import { mlp } from "../fashion/networks.js";
import { needsLayerStats, SECOND_HYPERPARAMETER, type Hyperparameters } from "../fashion/optimizers.js";
import { evaluate, trainClassifier } from "../fashion/train.js";
import { twoConvTwoDense } from "../../nn/networks.js";
import type { Network } from "../../nn/sequential.js";
import type { DatasetSplits } from "../../data/dataset.js";
import { armSecond, baseOptimizer, makeArm } from "./arms.js";
import { anisotropyData, dataFields, type AnisotropyData } from "./data.js";
import { runSettings, type AnisotropyPoint } from "./schema.js";

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

/** The point's network on these splits: the MLP, or DeepOBS's 2c2d on the images. */
function network(point: AnisotropyPoint, splits: DatasetSplits): Network {
  if (point.architecture === "mlp") {
    return mlp(splits.train.x.cols, point.hidden, splits.train.classes, point.dtype);
  }
  return twoConvTwoDense({
    inputShape: splits.imageShape,
    channels: point.cnn.channels as [number, number],
    denseWidth: point.cnn.denseWidth,
    classes: splits.train.classes,
    dtype: point.dtype,
  });
}

/**
 * Trains the point's network on `data` with `hp` for `epochs` epochs from initialisation `seed`, evaluating the
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
  const settings = runSettings(point);
  const net = network(point, splits);
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
      network: net,
      optimizer: makeArm(point.optimizer, hp),
      layerStats: needsLayerStats(baseOptimizer(point.optimizer)),
      train: splits.train,
      evaluation: splits.test,
      epochs,
      batchSize: settings.batchSize,
      seed,
      onStep(step, _loss, params, state) {
        // onStep sees the parameters before update `step`, i.e. after step − 1 updates.
        if ((step - 1) % settings.evalEvery === 0) record(step - 1, evaluate(net, params, state, trainEval).loss);
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
    const lastStep = budgetSteps({ epochs, batchSize: settings.batchSize }, data);
    if (steps.at(-1) !== lastStep) record(lastStep, evaluate(net, final.params, final.state, trainEval).loss);
    testAccuracy = evaluate(net, final.params, final.state, splits.test).accuracy;
  }
  const reached = trainLoss.findIndex((l) => l < settings.targetLoss);
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

/** A step-size search's answer: the best learning rate and every candidate's result. */
interface SearchResult {
  best: number;
  candidates: SearchCandidate[];
}

/**
 * The step size of `point`'s optimizer: the best of learningRateFactors × the fashion-mlp default by
 * `compareCandidates`, each candidate trained `tuneEpochs` epochs at κ = 1 (tuneAt "kappa1") or at the point's κ
 * (tuneAt "each") from one fixed seed. With tuneAt "kappa1" the diagnosis arm takes KFAC's step size (it searches
 * as "kfac", so it differs from KFAC only in its damping); the replicate does not enter. Memoised per worker: every trial with the same search shares its answer.
 */
export function searchStepSize(point: AnisotropyPoint, second: number): Promise<SearchResult> {
  const searched: AnisotropyPoint = {
    ...point,
    kappa: point.tuneAt === "kappa1" ? 1 : point.kappa,
    replicate: 0,
    optimizer: point.tuneAt === "kappa1" ? baseOptimizer(point.optimizer) : point.optimizer,
  };
  return searchAt({ searched, second });
}

/** The search of `searchStepSize` at the point it searches at (κ, replicate and arm already resolved). */
const searchAt = memoizeAsync(
  ({ searched, second }: { searched: AnisotropyPoint; second: number }) => JSON.stringify({ ...searched, second }),
  async ({ searched, second }): Promise<SearchResult> => {
    const data = await anisotropyData(dataFields(searched));
    const base = MLP_DEFAULTS[baseOptimizer(searched.optimizer)].learningRate;
    const candidates: SearchCandidate[] = [];
    for (const factor of runSettings(searched).learningRateFactors) {
      const learningRate = base * factor;
      const run = await trackTraining(
        searched,
        data,
        { learningRate, second },
        searched.tuneEpochs,
        deriveSeed(searched.dataSeed, SEARCH_STREAM),
      );
      candidates.push({
        learningRate,
        stepsToTarget: run.stepsToTarget,
        finalTrainLoss: run.diverged ? null : run.finalTrainLoss,
      });
    }
    const best = [...candidates].sort(compareCandidates)[0];
    return { best: best.learningRate, candidates };
  },
);

/**
 * Runs one trial (one optimizer at one κ, one replicate) with seed `ctx.seed` (each replicate is its own sweep
 * point, so its own seed). A single step-size candidate is used as it is, without a search.
 */
export async function runAnisotropyTrial(point: AnisotropyPoint, ctx: TrialContext): Promise<void> {
  const name = baseOptimizer(point.optimizer);
  const settings = runSettings(point);
  const second = point.second[name] ?? MLP_DEFAULTS[name].second;
  let learningRate = point.learningRate[name];
  if (learningRate === undefined && settings.learningRateFactors.length === 1) {
    learningRate = MLP_DEFAULTS[name].learningRate * settings.learningRateFactors[0];
  } else if (learningRate === undefined) {
    const search = await searchStepSize(point, second);
    learningRate = search.best;
    ctx.info("search", { tunedAtKappa: point.tuneAt === "kappa1" ? 1 : point.kappa, candidates: search.candidates });
  }
  ctx.info("hyperparameters", { learningRate, [SECOND_HYPERPARAMETER[name]]: armSecond(point.optimizer, second) });
  const data = await anisotropyData(dataFields(point));
  ctx.info("dataset", data.splits.name);
  ctx.info("spectrum", { largest: point.kappa, smallest: 1, dims: point.pcaDims, inputs: data.splits.train.x.cols });
  const run = await trackTraining(point, data, { learningRate, second }, settings.epochs, ctx.seed, (f) =>
    ctx.progress(f),
  );
  ctx.series("trainLoss", run.steps, run.trainLoss);
  ctx.scalar("stepsToTarget", run.stepsToTarget);
  ctx.scalar("finalTrainLoss", run.diverged ? null : run.finalTrainLoss);
  ctx.scalar("testAccuracy", Number.isFinite(run.testAccuracy) ? run.testAccuracy : null);
  ctx.scalar("diverged", run.diverged ? 1 : 0);
  ctx.scalar("budget", budgetSteps({ epochs: settings.epochs, batchSize: settings.batchSize }, data));
  ctx.scalar("lr", learningRate);
}

/** The training budget in steps: epochs × ⌈n / batchSize⌉. */
export function budgetSteps(point: Pick<AnisotropyPoint, "epochs" | "batchSize">, data: AnisotropyData): number {
  return point.epochs * Math.ceil(data.splits.train.y.length / point.batchSize);
}
