/**
 * Fair step sizes for the linrep experiments: unless the config fixes them, each algorithm's step size (and
 * damping, where it has one) is chosen per setting by a grid search on a separate problem instance and data
 * stream (seeded by `deriveSeed(trialSeed, TUNING_STREAM)`, so the trial's own data never sees the search).
 *
 * Grid: multiples (`tuning.lrFactors`) of each algorithm's natural step scale — the inverse of the largest
 * curvature its update sees (`stepScale`) — times, for one-sided and kfac, damping λ_G ∈ `dampingFactors` ×
 * mean eigenvalue of Σₓ and, for ngd, λ ∈ `ngdDampingFactors` × its largest curvature. Centring each grid on
 * the algorithm's own scale gives every algorithm the same number of candidates around its sensible range
 * whatever κₓ and κ_F are (a fixed absolute grid would need to span five decades at κₓ = 1000, κ_F = 10).
 * Objective: steps to reach the target subspace distance (not reached = ∞), ties broken by the final distance;
 * a diverged run loses to every finite one.
 */
import { deriveSeed, Rng } from "../../random/index.js";
import { makeLinrepProblem, type LinrepProblem } from "../../paper/linrep/problem.js";
import { svd } from "../../linalg/index.js";
import { trainLinrep, type LinrepAlgorithm, type TrainLog, type TrainOptions } from "./train.js";
import { problemConfig, type LinrepSharedPoint } from "./schema.js";

/** Seed paths: the trial's problem, its training stream, and the separate grid-search stream. */
export const PROBLEM_STREAM = 1;
export const TRAIN_STREAM = 2;
export const TUNING_STREAM = 3;

/** Algorithms whose single step size drives both layers (lrF = lrG). */
const JOINT: ReadonlySet<LinrepAlgorithm> = new Set(["sgd", "adam", "sgd-bn", "ngd"]);

/** Whether an algorithm has a damping parameter, and which grid it uses. */
export function dampingKind(algorithm: LinrepAlgorithm): "none" | "covariance" | "gauss-newton" {
  if (algorithm === "one-sided" || algorithm === "kfac") return "covariance";
  return algorithm === "ngd" ? "gauss-newton" : "none";
}

/** λ_max(Σₓ) and σ_max(F★)²: the scales of the curvature. */
function curvatureScales(problem: LinrepProblem): { lambdaMax: number; lambdaMean: number; fMax2: number } {
  const ev = problem.cov.eigenvalues;
  const lambdaMax = Math.max(...Array.from(ev));
  const lambdaMean = ev.reduce((a, b) => a + b, 0) / ev.length;
  const fMax = svd(problem.Fstar).S[0];
  return { lambdaMax, lambdaMean, fMax2: fMax * fMax };
}

/**
 * The natural step scale of `algorithm` on `problem`: 1/(σ_max(F★)² λ_max(Σₓ)) for the plain gradient steps
 * (sgd, sgd-bn, amd: the largest curvature of the G block), 1/σ_max(F★)² for one-sided (Σₓ is preconditioned
 * away), 1 for kfac and ngd (their steps are Newton-like), 0.01 for adam (scale-free, per-entry steps).
 */
export function stepScale(algorithm: LinrepAlgorithm, problem: LinrepProblem): number {
  const { lambdaMax, fMax2 } = curvatureScales(problem);
  switch (algorithm) {
    case "sgd":
    case "sgd-bn":
    case "amd":
      return 1 / (fMax2 * lambdaMax);
    case "one-sided":
      return 1 / fMax2;
    case "adam":
      return 0.01;
    case "kfac":
    case "ngd":
      return 1;
  }
}

/** The damping scale: mean eigenvalue of Σₓ (one-sided, kfac), σ_max(F★)²λ_max(Σₓ) (ngd), 0 otherwise. */
export function dampingScale(algorithm: LinrepAlgorithm, problem: LinrepProblem): number {
  const { lambdaMax, lambdaMean, fMax2 } = curvatureScales(problem);
  const kind = dampingKind(algorithm);
  return kind === "covariance" ? lambdaMean : kind === "gauss-newton" ? fMax2 * lambdaMax : 0;
}

export interface Candidate {
  lr: number;
  damping: number;
}

/** The grid of (step size, damping) pairs to try; a value fixed in the config replaces its axis. */
export function candidateGrid(point: LinrepSharedPoint, problem: LinrepProblem): Candidate[] {
  const { algorithm, tuning } = point;
  const fixedLr = point.learningRate[algorithm];
  const fixedDamping = point.damping[algorithm];
  const lrs =
    fixedLr !== undefined ? [fixedLr] : tuning.learningRateFactors.map((f) => f * stepScale(algorithm, problem));
  const kind = dampingKind(algorithm);
  const dampingFactors =
    kind === "covariance" ? tuning.dampingFactors : kind === "gauss-newton" ? tuning.ngdDampingFactors : [0];
  const dampings =
    fixedDamping !== undefined ? [fixedDamping] : dampingFactors.map((f) => f * dampingScale(algorithm, problem));
  return lrs.flatMap((lr) => dampings.map((damping) => ({ lr, damping })));
}

/** The `trainLinrep` options of `point` with the given step size and damping. */
export function trainOptions(point: LinrepSharedPoint, candidate: Candidate): TrainOptions {
  return {
    algorithm: point.algorithm,
    steps: point.steps,
    batch: point.batch,
    mode: point.mode,
    nTrain: point.mode === "offline" ? (point.nTrain ?? 4 * point.batch) : undefined,
    lrG: candidate.lr,
    lrF: JOINT.has(point.algorithm) ? candidate.lr : point.headLearningRate,
    damping: candidate.damping,
    sampleSplitting: point.sampleSplitting,
    orthonormalize: point.orthonormalize,
    logEvery: point.logEvery,
    nTransfer: point.nTransfer,
    nTest: point.nTest,
    target: point.target,
  };
}

/** What the grid search tried and chose. */
export interface TuningResult extends Candidate {
  /** False when both values were fixed in the config (no search ran). */
  tuned: boolean;
  tried: (Candidate & { stepsToTarget: number | null; finalDistance: number; diverged: boolean })[];
}

/** Lexicographic objective: (steps to target or ∞, final distance); diverged runs rank last. */
export function objective(log: TrainLog): [number, number] {
  if (log.diverged) return [Infinity, Infinity];
  const last = log.subspace[log.subspace.length - 1];
  return [log.stepsToTarget ?? Infinity, Number.isFinite(last) ? last : Infinity];
}

function better(a: [number, number], b: [number, number]): boolean {
  return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
}

/**
 * Chooses (lr, damping) for `point` by the grid search described in the module comment, on a problem instance
 * and data drawn from `deriveSeed(seed, TUNING_STREAM)`; each run has `tuning.steps` steps and stops at the
 * target. With both values fixed in the config it returns them without training.
 */
export function chooseStepSizes(point: LinrepSharedPoint, seed: number): TuningResult {
  const tuneSeed = deriveSeed(seed, TUNING_STREAM);
  const problem = makeLinrepProblem(new Rng(deriveSeed(tuneSeed, PROBLEM_STREAM)), problemConfig(point));
  const grid = candidateGrid(point, problem);
  if (
    point.learningRate[point.algorithm] !== undefined &&
    (dampingKind(point.algorithm) === "none" || point.damping[point.algorithm] !== undefined)
  ) {
    return { ...grid[0], tuned: false, tried: [] };
  }
  const tuningPoint = { ...point, steps: Math.min(point.steps, point.tuning.steps), logEvery: point.tuning.steps };
  let best: { candidate: Candidate; score: [number, number] } | null = null;
  const tried: TuningResult["tried"] = [];
  for (const candidate of grid) {
    const log = trainLinrep(problem, trainOptions(tuningPoint, candidate), new Rng(deriveSeed(tuneSeed, TRAIN_STREAM)));
    const score = objective(log);
    tried.push({ ...candidate, stepsToTarget: log.stepsToTarget, finalDistance: score[1], diverged: log.diverged });
    if (best === null || better(score, best.score)) best = { candidate, score };
  }
  return { ...best!.candidate, tuned: true, tried };
}
