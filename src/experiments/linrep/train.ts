/**
 * The training loop of the linear representation learning experiments (docs/models.md, docs/algorithms.md): one
 * algorithm, one problem instance, online or offline data, with the metrics logged along the way.
 *
 * Initialisation: G₀ (d_h×d_X) has orthonormal rows drawn Haar, independent of G★; F₀ (d_Y×d_h) has i.i.d.
 * N(0, 0.01/d_h) entries (a small head, so the initial prediction is small compared with the signal). Both come
 * from `rng`'s first child stream; the data, the evaluation set and the transfer samples each have their own.
 *
 * Algorithms (src/optim): sgd, adam — one joint step on (G, F) from the same gradient, η_G for G and η_F for F;
 * sgd-bn — SGD on (G, γ, β) with η_G and F with η_F, batch-norm on the hidden layer; amd — least-squares head, then
 * a gradient step on G with η_G (QR re-orthonormalised if `orthonormalize`); one-sided and kfac — equation 5 with
 * Q_G = Σ̂ₓ + λ_G I, P_G = I or FᵀF, then the head step F₊ = F − η_F ∇_F L̂ Σ̂_z⁻¹ (η_F = 1: least squares);
 * ngd — damped full Gauss–Newton over (F, G) with step η_G and damping λ.
 *
 * Data: online, each step draws a fresh batch of `batch` samples (two independent ones with sample splitting: the
 * G step uses the first, the head step the second). Offline, one training set of `nTrain` samples is drawn once;
 * steps take minibatches of `batch` from reshuffled epochs (the whole set when batch ≥ nTrain); with sample
 * splitting the set is cut into two fixed halves, G steps drawing from the first and head steps from the second.
 * Sample splitting only concerns the alternating algorithms (amd, one-sided, kfac); the joint ones (sgd, adam,
 * sgd-bn, ngd) take one gradient of both layers at the same point on one batch.
 *
 * Logged loss: L̂ = (1/(2n))‖Y − Ŷ‖_F² on a fixed evaluation set of `nTest` samples drawn once (online: an estimate
 * of the population loss that the online training loss tracks) or on the whole training set (offline). For sgd-bn
 * the hidden layer is normalised with the evaluation set's own batch statistics (training mode, n = nTest or nTrain
 * samples: closer to the population statistics than running averages, which lag behind a moving G).
 *
 * Divergence: training stops with `diverged` when a parameter becomes non-finite or larger than 1e6 in Frobenius
 * norm, when a solve fails (a preconditioner became singular or non-finite), or when the logged loss is
 * non-finite or above 1e6 × the initial loss. The point where that happens is not logged, and no final transfer
 * measurement is taken (the parameters are no longer meaningful).
 */
import { Matrix } from "../../linalg/matrix.js";
import { LinalgError } from "../../linalg/errors.js";
import { Rng } from "../../random/rng.js";
import { gaussianMatrix, haarOrthogonal } from "../../random/matrices.js";
import type { LinrepProblem } from "../../paper/linrep/problem.js";
import { linearNetGradients, linearNetLoss, type LinearNetParams } from "../../paper/linrep/linear-net.js";
import { initBatchNorm } from "../../nn/batch-norm.js";
import { adam, sgd } from "../../optim/transforms/first-order.js";
import { applyUpdatesInPlace } from "../../optim/transforms/combine.js";
import type { GradientTransformation } from "../../optim/transform.js";
import type { Params } from "../../nn/types.js";
import { alternatingStep, amdStep, type Batch } from "../../paper/linrep/alternating.js";
import { gaussNewtonStep } from "../../paper/linrep/gauss-newton.js";
import { subspaceDistance } from "../../paper/metrics/subspace.js";
import { transferExcess } from "../../paper/linrep/transfer.js";

export type LinrepAlgorithm = "sgd" | "adam" | "sgd-bn" | "amd" | "one-sided" | "kfac" | "ngd";
export const LINREP_ALGORITHMS: readonly LinrepAlgorithm[] = [
  "sgd",
  "adam",
  "sgd-bn",
  "amd",
  "one-sided",
  "kfac",
  "ngd",
];

export interface TrainOptions {
  algorithm: LinrepAlgorithm;
  /** Number of updates. */
  steps: number;
  /** n: samples per step (online: fresh each step). */
  batch: number;
  mode: "online" | "offline";
  /** Offline: size of the one fixed training set. */
  nTrain?: number;
  /** η_G (the single step size of sgd/adam/sgd-bn/ngd) and η_F (the head's; unused by amd and ngd). */
  lrG: number;
  lrF: number;
  /** λ_G added to Q_G = Σ̂ₓ (one-sided, kfac), λ added to the Gauss–Newton matrix (ngd, must be > 0). */
  damping: number;
  /** Head and G steps on independent batches (alternating algorithms). */
  sampleSplitting: boolean;
  /** amd: QR re-orthonormalisation of G's rows after each step. */
  orthonormalize: boolean;
  /** d_h, default k. */
  hidden?: number;
  /** Record metrics every `logEvery` steps, at step 0 and at the last step. */
  logEvery: number;
  /** Transfer excess every `transferEvery` steps (and at the end); default: only at the end. */
  transferEvery?: number;
  /** Transfer head samples n_T and test samples (also the evaluation set's size in online mode). */
  nTransfer: number;
  nTest: number;
  /** Stop once the spectral subspace distance is ≤ target (checked every step, logged before stopping). */
  target?: number;
  /** Called at every logged point with the parameters there (for example to read the head reached). */
  onRecord?: (step: number, params: LinearNetParams, distance: number) => void;
}

export interface TrainLog {
  steps: number[];
  loss: number[];
  subspace: number[];
  subspaceFrobenius: number[];
  /** Steps at which the transfer excess was measured, and its values (test MSE minus the noise floor). */
  transferSteps: number[];
  transferExcess: number[];
  /** First step with subspace ≤ target (null when not reached or no target). */
  stepsToTarget: number | null;
  diverged: boolean;
}

/** Alternating algorithms: a G half-step and a head half-step, each of which may see its own batch. */
const ALTERNATING: ReadonlySet<LinrepAlgorithm> = new Set(["amd", "one-sided", "kfac"]);

const EXPLODED_NORM = 1e6;
const EXPLODED_LOSS_FACTOR = 1e6;

function integerAtLeast(field: string, v: number | undefined, min: number): void {
  if (v === undefined || !Number.isInteger(v) || v < min) {
    throw new RangeError(`trainLinrep: ${field} must be an integer ≥ ${min}, got ${v}`);
  }
}

function positive(field: string, v: number): void {
  if (!(v > 0) || !Number.isFinite(v))
    throw new RangeError(`trainLinrep: ${field} must be a finite number > 0, got ${v}`);
}

/** Checks the options against the problem; every message names the field, its value and what is allowed. */
export function validateTrainOptions(problem: LinrepProblem, o: TrainOptions): void {
  const { dX, k } = problem.config;
  if (!LINREP_ALGORITHMS.includes(o.algorithm)) {
    throw new RangeError(
      `trainLinrep: algorithm must be one of ${LINREP_ALGORITHMS.join(", ")}, got ${String(o.algorithm)}`,
    );
  }
  if (o.mode !== "online" && o.mode !== "offline") {
    throw new RangeError(`trainLinrep: mode must be "online" or "offline", got ${String(o.mode)}`);
  }
  integerAtLeast("steps", o.steps, 1);
  integerAtLeast("logEvery", o.logEvery, 1);
  if (o.transferEvery !== undefined) integerAtLeast("transferEvery", o.transferEvery, 1);
  const hidden = o.hidden ?? k;
  integerAtLeast("hidden", hidden, 1);
  if (hidden > dX) throw new RangeError(`trainLinrep: hidden must be ≤ dX (${dX}), got ${hidden}`);
  positive("lrG", o.lrG);
  positive("lrF", o.lrF);
  if (!(o.damping >= 0) || !Number.isFinite(o.damping)) {
    throw new RangeError(`trainLinrep: damping must be a finite number ≥ 0, got ${o.damping}`);
  }
  if (o.algorithm === "ngd" && !(o.damping > 0)) {
    throw new RangeError(
      `trainLinrep: damping must be > 0 for ngd (the Gauss–Newton matrix is singular), got ${o.damping}`,
    );
  }
  integerAtLeast("nTransfer", o.nTransfer, hidden);
  integerAtLeast("nTest", o.nTest, 1);
  if (o.target !== undefined && !(o.target > 0 && o.target <= 1)) {
    throw new RangeError(`trainLinrep: target must be in (0, 1], got ${o.target}`);
  }
  // The smallest batch a half-step sees: least-squares heads and Σ̂_z need ≥ d_h samples, an undamped Σ̂ₓ ≥ d_X.
  integerAtLeast("batch", o.batch, 1);
  let perStep = o.batch;
  if (o.mode === "offline") {
    integerAtLeast("nTrain", o.nTrain, 1);
    const pool = o.sampleSplitting && ALTERNATING.has(o.algorithm) ? Math.floor(o.nTrain! / 2) : o.nTrain!;
    perStep = Math.min(o.batch, pool);
  }
  const needs =
    (o.algorithm === "one-sided" || o.algorithm === "kfac") && o.damping === 0
      ? { n: dX, why: "an undamped Σ̂ₓ (damping = 0) needs at least d_X samples" }
      : ALTERNATING.has(o.algorithm)
        ? { n: hidden, why: "the head step needs at least d_h samples" }
        : { n: 1, why: "" };
  if (perStep < needs.n) {
    throw new RangeError(
      `trainLinrep: ${o.mode === "offline" ? "min(batch, training samples per half-step)" : "batch"} must be ≥ ${needs.n} ` +
        `for ${o.algorithm}: ${needs.why}; got ${perStep}`,
    );
  }
}

/** Copies rows `idx[from … from+count)` of X and Y into a new batch. */
function gatherRows(X: Matrix, Y: Matrix, idx: Int32Array, from: number, count: number): Batch {
  const bx = new Matrix(count, X.cols);
  const by = new Matrix(count, Y.cols);
  for (let r = 0; r < count; r++) {
    const i = idx[from + r];
    bx.data.set(X.data.subarray(i * X.cols, (i + 1) * X.cols), r * X.cols);
    by.data.set(Y.data.subarray(i * Y.cols, (i + 1) * Y.cols), r * Y.cols);
  }
  return { X: bx, Y: by };
}

/** Minibatches without replacement from a fixed pool of rows, reshuffled every epoch (Fisher–Yates). */
class MinibatchStream {
  private readonly order: Int32Array;
  private cursor: number;
  /** The whole pool as one batch, built once, when a minibatch would cover it (full-batch steps). */
  private readonly full: Batch | undefined;
  constructor(
    private readonly X: Matrix,
    private readonly Y: Matrix,
    rows: Int32Array,
    private readonly size: number,
    private readonly rng: Rng,
  ) {
    this.order = rows.slice();
    this.cursor = this.order.length;
    this.full = size >= rows.length ? gatherRows(X, Y, this.order, 0, rows.length) : undefined;
  }
  next(): Batch {
    if (this.full) return this.full;
    const pool = this.order.length;
    if (this.cursor + this.size > pool) {
      for (let i = pool - 1; i > 0; i--) {
        const j = this.rng.int(i + 1);
        const t = this.order[i];
        this.order[i] = this.order[j];
        this.order[j] = t;
      }
      this.cursor = 0;
    }
    const b = gatherRows(this.X, this.Y, this.order, this.cursor, this.size);
    this.cursor += this.size;
    return b;
  }
}

function frobenius(A: Matrix): number {
  let s = 0;
  for (const v of A.data) s += v * v;
  return Math.sqrt(s);
}

/** Runs `options.algorithm` on `problem` and returns its log (see the module comment for every convention). */
export function trainLinrep(
  problem: LinrepProblem,
  options: TrainOptions,
  rng: Rng,
  onProgress?: (fraction: number) => void,
): TrainLog {
  validateTrainOptions(problem, options);
  const o = options;
  const { dX, dY, k } = problem.config;
  const hidden = o.hidden ?? k;
  const initRng = rng.split(0);
  const dataRng = rng.split(1);
  const evalRng = rng.split(2);
  const transferRng = rng.split(3);

  let params: LinearNetParams = {
    G: haarOrthogonal(initRng, dX, hidden).transpose(),
    F: gaussianMatrix(initRng, dY, hidden, 0.1 / Math.sqrt(hidden)),
  };
  const splitting = o.sampleSplitting && ALTERNATING.has(o.algorithm);

  // Data streams: a function giving the next (G batch, head batch) pair, and the set the loss is logged on.
  let nextBatches: () => [Batch, Batch];
  let evalSet: Batch;
  if (o.mode === "online") {
    nextBatches = () => {
      const a = problem.sample(dataRng, o.batch);
      return [a, splitting ? problem.sample(dataRng, o.batch) : a];
    };
    evalSet = problem.sample(evalRng, o.nTest);
  } else {
    const nTrain = o.nTrain!;
    const train = problem.sample(dataRng, nTrain);
    evalSet = train;
    const all = Int32Array.from({ length: nTrain }, (_, i) => i);
    if (splitting) {
      const half = Math.floor(nTrain / 2);
      const streamG = new MinibatchStream(train.X, train.Y, all.subarray(0, half), o.batch, dataRng);
      const streamF = new MinibatchStream(train.X, train.Y, all.subarray(half, 2 * half), o.batch, dataRng);
      nextBatches = () => [streamG.next(), streamF.next()];
    } else {
      const stream = new MinibatchStream(train.X, train.Y, all, o.batch, dataRng);
      nextBatches = () => {
        const b = stream.next();
        return [b, b];
      };
    }
  }

  const step = makeStepper(o);
  if (o.algorithm === "sgd-bn") params = { ...params, bn: initBatchNorm(hidden) };

  const log: TrainLog = {
    steps: [],
    loss: [],
    subspace: [],
    subspaceFrobenius: [],
    transferSteps: [],
    transferExcess: [],
    stepsToTarget: null,
    diverged: false,
  };
  let initialLoss = NaN;
  const record = (t: number, distance: number): boolean => {
    const loss = linearNetLoss(params, evalSet.X, evalSet.Y);
    if (t === 0) initialLoss = loss;
    if (!Number.isFinite(loss) || loss > EXPLODED_LOSS_FACTOR * Math.max(initialLoss, 1e-300)) return false;
    log.steps.push(t);
    log.loss.push(loss);
    log.subspace.push(distance);
    log.subspaceFrobenius.push(subspaceDistance(params.G, problem.Gstar, { norm: "frobenius" }));
    o.onRecord?.(t, params, distance);
    return true;
  };
  const recordTransfer = (t: number): void => {
    log.transferSteps.push(t);
    log.transferExcess.push(transferExcess(params.G, problem.transferTask, transferRng, o.nTransfer, o.nTest));
  };

  const d0 = subspaceDistance(params.G, problem.Gstar);
  record(0, d0);
  if (o.transferEvery !== undefined) recordTransfer(0);
  if (o.target !== undefined && d0 <= o.target) log.stepsToTarget = 0;

  let t = 0;
  while (log.stepsToTarget === null && t < o.steps) {
    t++;
    const [batchG, batchF] = nextBatches();
    try {
      params = step(batchG, batchF, params);
    } catch (e) {
      if (e instanceof LinalgError) {
        log.diverged = true;
        break;
      }
      throw e;
    }
    const normG = frobenius(params.G);
    const normF = frobenius(params.F);
    if (!(normG < EXPLODED_NORM) || !(normF < EXPLODED_NORM)) {
      log.diverged = true;
      break;
    }
    const isLast = t === o.steps;
    const logNow = isLast || t % o.logEvery === 0;
    const transferNow = o.transferEvery !== undefined && t % o.transferEvery === 0;
    if (o.target === undefined && !logNow && !transferNow) continue;
    const distance = subspaceDistance(params.G, problem.Gstar);
    const reached = o.target !== undefined && distance <= o.target;
    if (reached) log.stepsToTarget = t;
    if (logNow || reached) {
      if (!record(t, distance)) {
        log.diverged = true;
        break;
      }
      onProgress?.(t / o.steps);
    }
    if (transferNow) recordTransfer(t);
  }
  // The final transfer measurement, at the last logged step (unless it was just taken there).
  const lastStep = log.steps[log.steps.length - 1];
  if (!log.diverged && log.transferSteps[log.transferSteps.length - 1] !== lastStep) recordTransfer(lastStep);
  onProgress?.(1);
  return log;
}

/**
 * The update rule of `o.algorithm`. Joint first-order methods keep their optimizer state in the closure and
 * update the parameter arrays in place; the alternating and Gauss–Newton steps return new matrices.
 */
function makeStepper(o: TrainOptions): (bG: Batch, bF: Batch, p: LinearNetParams) => LinearNetParams {
  switch (o.algorithm) {
    case "sgd":
    case "adam":
    case "sgd-bn": {
      // Two transforms so G (and the batch-norm parameters) and F can have their own step sizes.
      const make = (learningRate: number): GradientTransformation<unknown> =>
        (o.algorithm === "adam" ? adam({ learningRate }) : sgd({ learningRate })) as GradientTransformation<unknown>;
      const optG = make(o.lrG);
      const optF = make(o.lrF);
      let stateG: unknown;
      let stateF: unknown;
      return (bG, _bF, p) => {
        const g = linearNetGradients(p, bG.X, bG.Y);
        const groupG: Params = p.bn ? { G: p.G, gamma: row(p.bn.gamma), beta: row(p.bn.beta) } : { G: p.G };
        const gradsG: Params = p.bn ? { G: g.dG, gamma: row(g.dGamma!), beta: row(g.dBeta!) } : { G: g.dG };
        const groupF: Params = { F: p.F };
        stateG ??= optG.init(groupG);
        stateF ??= optF.init(groupF);
        const stepG = optG.update(gradsG, stateG, groupG);
        const stepF = optF.update({ F: g.dF }, stateF, groupF);
        stateG = stepG.state;
        stateF = stepF.state;
        // In place: the matrices (and the batch-norm vectors they view) are the network's own.
        applyUpdatesInPlace(groupG, stepG.updates);
        applyUpdatesInPlace(groupF, stepF.updates);
        return p;
      };
    }
    case "amd":
      return (bG, bF, p) => amdStep(p, bF, bG, { eta: o.lrG, orthonormalize: o.orthonormalize });
    case "one-sided":
    case "kfac":
      return (bG, bF, p) =>
        alternatingStep(p, bG, bF, {
          eta: o.lrG,
          left: o.algorithm === "kfac" ? "backward" : "identity",
          right: "input",
          damping: o.damping,
          etaF: o.lrF,
          headRight: "hidden",
        });
    case "ngd":
      return (bG, _bF, p) => gaussNewtonStep(p, bG, { eta: o.lrG, damping: o.damping });
  }
}

/** A vector as a 1×n matrix over the same memory, so updates applied to the matrix land in the vector. */
function row(v: Float64Array): Matrix {
  return new Matrix(1, v.length, v);
}
