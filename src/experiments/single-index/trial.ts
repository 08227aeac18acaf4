/**
 * One single-index trial, shared by `single-index-alignment` and `single-index-risk`: build the problem, take
 * the first-layer step(s) with one algorithm, measure the spike, and (for the risk) fit and test the readout.
 *
 * Seeds: the task (Σ, β★) comes from deriveSeed(problemSeed, round(1000 κ)), shared by every algorithm, n/d and
 * repeat at that κ. Everything else uses fixed paths under the trial seed s, so each part is reproducible and
 * independent of the others: step samples deriveSeed(s, 1); network initialisation (s, 2); readout training
 * samples (s, 3); test samples (s, 4). Step-size tuning runs the same procedure on the same problem with the
 * seed deriveSeed(s, 9) in place of s, so it never sees the trial's own samples.
 */
import { Matrix } from "../../linalg/matrix.js";
import { matmul } from "../../linalg/blas.js";
import { sub } from "../../linalg/ops.js";
import { Rng, deriveSeed } from "../../random/rng.js";
import { makeSingleIndexProblem, type SingleIndexProblem } from "../../paper/single-index/problem.js";
import { activation } from "../../nn/activations.js";
import { featureMap, initTwoLayer } from "../../paper/single-index/two-layer.js";
import { spikeAlignment } from "../../paper/metrics/alignment.js";
import {
  gdAlignment,
  gdAlignmentLimit,
  kfacAlignment,
  kfacAlignmentLimit,
  linkMoments,
  spectralCoordinates,
} from "../../paper/single-index/theory.js";
import { etaUnit, train, type UpdateAlgorithm, type UpdateOptions } from "../../paper/single-index/updates.js";
import { ridgeReadout } from "./readout.js";
import { samplesFor, type BaseFields } from "./schema.js";

/** A point of either experiment: the base fields plus one algorithm, κ and n/d. */
export type SingleIndexPoint = BaseFields & { algorithm: string; kappa: number; nOverD: number };

/** The seed path of step-size tuning (see the module comment). */
export const TUNING_SEED_PATH = 9;

/** Recently built tasks: a worker runs many trials (algorithms, n/d) on the same task, and building one costs O(d³). */
const taskCache = new Map<string, SingleIndexProblem>();
const TASK_CACHE_SIZE = 8;

/** The task of a point (depends only on its problem fields, κ and `problemSeed`); memoised per worker. */
export function buildProblem(point: SingleIndexPoint): SingleIndexProblem {
  const config = {
    d: point.d,
    kappa: point.kappa,
    spectrum: point.spectrum,
    spikes: point.spikes,
    exponent: point.exponent,
    rotate: point.rotate,
    normalize: point.normalize,
    teacher: point.teacher,
    link: point.link === "hermite" ? { hermite: point.linkHermite } : point.link,
    noise: point.noise,
  };
  const key = JSON.stringify([point.problemSeed, config]);
  let problem = taskCache.get(key);
  if (!problem) {
    problem = makeSingleIndexProblem(new Rng(deriveSeed(point.problemSeed, Math.round(1000 * point.kappa))), config);
    if (taskCache.size >= TASK_CACHE_SIZE) taskCache.delete(taskCache.keys().next().value!);
    taskCache.set(key, problem);
  }
  return problem;
}

function updateOptions(point: SingleIndexPoint, eta: number): UpdateOptions {
  return {
    eta,
    steps: point.steps,
    damping: point.relativeDamping,
    leftFactor: point.leftFactor,
    leftDamping: point.leftRelativeDamping,
    adam: { beta1: point.adamBeta1, beta2: point.adamBeta2, eps: point.adamEps },
  };
}

/** What one trained network gives. */
export interface StepOutcome {
  alignment: number;
  alignmentSigmaBeta: number;
  /** Alignment of the top right singular vector of W₁ itself. */
  alignmentW1: number;
  spikeStrength: number;
  /** Training loss before the first and after the last step. */
  lossBefore: number;
  lossAfter: number;
  /** Readout test and validation MSE (when asked for). */
  testMSE?: number;
  validationMSE?: number;
  readoutLambda?: number;
}

/**
 * Trains a fresh network with `algorithm` and step size `eta` on n = nOverD·d samples drawn under `seed`, measures
 * its spike and, depending on `readout`, fits the ridge readout on σ(W₁x): "test" refits it on all its training
 * rows and reports the test MSE; "validation" stops after choosing λ (all step-size tuning needs); "none" skips it.
 */
export function runStep(
  point: SingleIndexPoint,
  problem: SingleIndexProblem,
  seed: number,
  algorithm: UpdateAlgorithm,
  eta: number,
  readout: "none" | "validation" | "test",
): StepOutcome {
  const { d, N } = point;
  const { X, y } = problem.sample(new Rng(deriveSeed(seed, 1)), samplesFor(point.nOverD, d));
  const net = initTwoLayer(new Rng(deriveSeed(seed, 2)), N, d, {
    act: activation(point.activation),
    init: point.init,
    batchNorm: algorithm === "gd-bn",
  });
  const W0 = net.W.clone();
  const losses = train(net, X, y, algorithm, updateOptions(point, eta));
  const sigmaBeta = matmul(problem.cov.sigma, Matrix.column(problem.beta)).data;
  const spike = spikeAlignment(sub(net.W, W0), problem.beta, sigmaBeta);
  const outcome: StepOutcome = {
    ...spike,
    alignmentW1: spikeAlignment(net.W, problem.beta, sigmaBeta).alignment,
    lossBefore: losses[0],
    lossAfter: losses[losses.length - 1],
  };
  if (readout !== "none") {
    const r = readoutData(point, problem, seed, readout === "test");
    const features = featureMap(net, r.Xtrain);
    const test = r.test ? { X: features(r.test.X), y: r.test.y } : null;
    const res = ridgeReadout(features(r.Xtrain), r.ytrain, test, readoutOptions(point));
    outcome.testMSE = res.testMSE ?? undefined;
    outcome.validationMSE = res.validationMSE;
    outcome.readoutLambda = res.lambda;
  }
  return outcome;
}

function readoutOptions(point: SingleIndexPoint) {
  return { lambdaGrid: point.lambdaGrid, validationFraction: point.validationFraction };
}

function readoutData(point: SingleIndexPoint, problem: SingleIndexProblem, seed: number, withTest = true) {
  const nr = samplesFor(point.readoutOverD ?? point.nOverD, point.d);
  const train = problem.sample(new Rng(deriveSeed(seed, 3)), nr);
  const test = withTest ? problem.sample(new Rng(deriveSeed(seed, 4)), point.testSamples) : null;
  return { Xtrain: train.X, ytrain: train.y, test };
}

/** Readout on the untrained features σ(W₀x) (random features): the same network, no step. */
export function randomFeaturesMSE(point: SingleIndexPoint, problem: SingleIndexProblem, seed: number): number {
  const net = initTwoLayer(new Rng(deriveSeed(seed, 2)), point.N, point.d, {
    act: activation(point.activation),
    init: point.init,
    batchNorm: false,
  });
  const r = readoutData(point, problem, seed);
  const features = featureMap(net, r.Xtrain);
  const test = { X: features(r.test!.X), y: r.test!.y };
  return ridgeReadout(features(r.Xtrain), r.ytrain, test, readoutOptions(point)).testMSE!;
}

/**
 * Linear ridge regression of y on x, trained on every sample the trained networks saw (the step's n and the
 * readout's samples), λ chosen on the same kind of validation split.
 */
export function linearRidgeMSE(point: SingleIndexPoint, problem: SingleIndexProblem, seed: number): number {
  const step = problem.sample(new Rng(deriveSeed(seed, 1)), samplesFor(point.nOverD, point.d));
  const r = readoutData(point, problem, seed);
  const X = new Matrix(step.X.rows + r.Xtrain.rows, point.d);
  X.data.set(step.X.data, 0);
  X.data.set(r.Xtrain.data, step.X.data.length);
  const y = new Float64Array(X.rows);
  y.set(step.y, 0);
  y.set(r.ytrain, step.y.length);
  // Every row is an i.i.d. draw, so the validation split (the last rows, from the readout sample) needs no shuffle.
  return ridgeReadout(X, y, r.test, readoutOptions(point)).testMSE!;
}

/** The η tried by tuning: the grid multipliers times the rule's natural unit. */
export function etaCandidates(point: SingleIndexPoint, algorithm: UpdateAlgorithm): number[] {
  const unit = etaUnit(algorithm, point.N, point.d);
  return point.etaGrid.map((m) => m * unit);
}

/**
 * Step-size tuning: for each candidate η, run the whole trial (step and readout) under the tuning seed
 * deriveSeed(seed, 9) and keep the η with the smallest readout validation MSE. Returns the choice and the scores.
 */
export function tuneEta(
  point: SingleIndexPoint,
  problem: SingleIndexProblem,
  seed: number,
  algorithm: UpdateAlgorithm,
): { eta: number; scores: { eta: number; validationMSE: number }[] } {
  const tuningSeed = deriveSeed(seed, TUNING_SEED_PATH);
  const scores = etaCandidates(point, algorithm).map((eta) => {
    const out = runStep(point, problem, tuningSeed, algorithm, eta, "validation");
    const v = out.validationMSE ?? Infinity;
    return { eta, validationMSE: Number.isFinite(v) ? v : Infinity };
  });
  let best = scores[0];
  for (const s of scores) if (s.validationMSE < best.validationMSE) best = s;
  return { eta: best.eta, scores };
}

/** Theory for a point: finite-(n, d) prediction and population limit of the alignment (null where none). */
export function alignmentTheory(
  point: SingleIndexPoint,
  problem: SingleIndexProblem,
): { theory: number | null; theoryLimit: number | null } {
  if (point.steps !== 1 || (point.algorithm !== "gd" && point.algorithm !== "kfac")) {
    return { theory: null, theoryLimit: null };
  }
  const sp = { eigenvalues: problem.cov.eigenvalues, betaCoords: spectralCoordinates(problem.cov.basis, problem.beta) };
  const moments = linkMoments(problem.link, point.noise);
  const n = samplesFor(point.nOverD, point.d);
  if (point.algorithm === "gd") return { theory: gdAlignment(sp, moments, n), theoryLimit: gdAlignmentLimit(sp) };
  let trace = 0;
  for (const s of problem.cov.eigenvalues) trace += s;
  const lambda = (point.relativeDamping * trace) / point.d;
  return { theory: kfacAlignment(sp, moments, n, lambda), theoryLimit: kfacAlignmentLimit() };
}
