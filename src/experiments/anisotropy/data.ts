/**
 * The data of an `anisotropy` trial: the fashion experiments' standardised subsets, re-conditioned by the invertible
 * map `anisotropic(κ)` fitted on the training subset (or Gaussian inputs with the same covariance and linear-teacher
 * labels), shaped for the point's network, scaled to a fixed trace; and the fixed training examples on which the
 * training loss is evaluated. Memoised per worker, so the PCA runs once per κ, not once per trial.
 */
import { randomSubset } from "../../data/batches.js";
import type { Dataset, DatasetSplits } from "../../data/dataset.js";
import { anisotropic, type AnisotropicMap } from "../../data/anisotropic.js";
import { matmul } from "../../linalg/blas.js";
import { Matrix } from "../../linalg/matrix.js";
import { deriveSeed, Rng } from "../../random/rng.js";
import { loadTrialData } from "../fashion/data.js";
import { memoizeAsync } from "../memo.js";
import { runSettings, type AnisotropyPoint } from "./schema.js";

/** The re-conditioned splits and the training-loss subset of one κ. */
export interface AnisotropyData {
  splits: DatasetSplits;
  /** `trainEvalSize` examples of the re-conditioned training split (the same ones at every κ). */
  trainEval: Dataset;
}

/** Offset of the training-loss subset's seed from `dataSeed` (the fashion data uses dataSeed and dataSeed + 1). */
const TRAIN_EVAL_STREAM = 5;
/** Seed streams of the Gaussian inputs: the teacher, the training and the test latents. */
const TEACHER_STREAM = 21;
const GAUSSIAN_TRAIN_STREAM = 22;
const GAUSSIAN_TEST_STREAM = 23;

/** The fields that decide a trial's data (the point's, with its architecture's trainSize and trainEvalSize). */
export type DataFields = Pick<
  AnisotropyPoint,
  | "architecture"
  | "inputs"
  | "dataset"
  | "dataDir"
  | "testSize"
  | "dataSeed"
  | "kappa"
  | "pcaDims"
  | "rotate"
  | "rotationSeed"
  | "normalize"
> & { trainSize: number; trainEvalSize: number };

/** The data fields of `point` at condition number `kappa` (default: the point's). */
export function dataFields(point: AnisotropyPoint, kappa = point.kappa): DataFields {
  const { trainSize, trainEvalSize } = runSettings(point);
  return {
    architecture: point.architecture,
    inputs: point.inputs,
    dataset: point.dataset,
    dataDir: point.dataDir,
    trainSize,
    testSize: point.testSize,
    dataSeed: point.dataSeed,
    kappa,
    pcaDims: point.pcaDims,
    rotate: point.rotate,
    rotationSeed: point.rotationSeed,
    normalize: point.normalize,
    trainEvalSize,
  };
}

/**
 * The data of these fields (`dataFields`). Real inputs: the standardised subsets mapped by
 * z = ((x − μ)/σ)·V_k·diag(√(s_i/λ_i))·R (`data/anisotropic.ts`), whose training covariance has the log-spaced
 * spectrum s from κ down to 1. Gaussian inputs: z = g·diag(√s)·R with g ~ N(0, I_k), labelled
 * y = argmax_c (g·W*)_c by a fixed teacher W* (k×classes, N(0, 1) entries): the same covariance, a task that is
 * the same at every κ in the whitened coordinates g. For the 2c2d CNN, z is embedded back into pixel space as
 * z·V_kᵀ (an image; its covariance has the same non-zero spectrum). With normalize = "trace", every κ is scaled to
 * tr Σ̂ = d (d the network's input dimension): κ changes the shape of the covariance, never its scale.
 */
export const anisotropyData: (fields: DataFields) => Promise<AnisotropyData> = memoizeAsync(
  (fields: DataFields) => JSON.stringify(fields, Object.keys(fields).sort()),
  build,
);

/**
 * The splits scaled by one factor c = √(d / (tr Σ̂)) (Σ̂ the training covariance of the d inputs, whose mean is
 * zero), so that tr Σ̂ = d, the mean input variance 1, at every κ: only the spectrum's shape, not the inputs'
 * overall size (which changes a fixed initialisation's pre-activations), varies with κ.
 */
export function traceNormalized(splits: DatasetSplits): DatasetSplits {
  const x = splits.train.x;
  let squares = 0;
  for (const v of x.data) squares += v * v;
  const c = 1 / Math.sqrt(squares / x.data.length);
  const scale = (d: Dataset): Dataset => {
    const out = d.x.clone();
    for (let i = 0; i < out.data.length; i++) out.data[i] *= c;
    return { ...d, x: out };
  };
  return { ...splits, train: scale(splits.train), test: scale(splits.test) };
}

/** n latents g ~ N(0, I_k) (rows) and their teacher labels argmax_c (g·W*)_c. */
function teacherSample(n: number, teacher: Matrix, seed: number): { latent: Matrix; labels: Int32Array } {
  const rng = new Rng(seed);
  const latent = new Matrix(n, teacher.rows);
  for (let i = 0; i < latent.data.length; i++) latent.data[i] = rng.normal();
  const scores = matmul(latent, teacher);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const row = scores.row(i);
    labels[i] = row.indexOf(Math.max(...row));
  }
  return { latent, labels };
}

/** Latent rows g mapped to z = g·diag(√s)·R: covariance Rᵀ·diag(s)·R, the re-conditioned real inputs'. */
function colour(latent: Matrix, map: AnisotropicMap): Matrix {
  const k = latent.cols;
  const out = latent.clone();
  for (let i = 0; i < out.rows; i++) for (let j = 0; j < k; j++) out.data[i * k + j] *= Math.sqrt(map.spectrum[j]);
  return matmul(out, map.rotation);
}

/** The Gaussian splits: as many examples as the real ones, with the real map's covariance and a linear teacher. */
function gaussianSplits(real: DatasetSplits, map: AnisotropicMap, dataSeed: number): DatasetSplits {
  const k = map.outputDim;
  const classes = real.train.classes;
  const teacherRng = new Rng(deriveSeed(dataSeed, TEACHER_STREAM));
  const teacher = new Matrix(k, classes);
  for (let i = 0; i < teacher.data.length; i++) teacher.data[i] = teacherRng.normal();
  const split = (n: number, stream: number): Dataset => {
    const { latent, labels } = teacherSample(n, teacher, deriveSeed(dataSeed, stream));
    return { x: colour(latent, map), y: labels, classes };
  };
  return {
    ...real,
    name: `gaussian (linear teacher, ${k} dims)`,
    train: split(real.train.y.length, GAUSSIAN_TRAIN_STREAM),
    test: split(real.test.y.length, GAUSSIAN_TEST_STREAM),
  };
}

/** k-dimensional inputs z embedded in pixel space as z·V_kᵀ, so the CNN sees images. */
function asImages(splits: DatasetSplits, map: AnisotropicMap, imageShape: [number, number, number]): DatasetSplits {
  const embed = (d: Dataset): Dataset => ({ ...d, x: matmul(d.x, map.basis, { transB: true }) });
  return { ...splits, train: embed(splits.train), test: embed(splits.test), imageShape };
}

async function build(p: DataFields): Promise<AnisotropyData> {
  const standardised = await loadTrialData(p);
  const map = anisotropic(p.kappa, { pcaDims: p.pcaDims, rotate: p.rotate, seed: p.rotationSeed }).fit(
    standardised.train.x,
  ) as AnisotropicMap;
  const apply = (d: Dataset): Dataset => ({ ...d, x: map.apply(d.x) });
  const flat: DatasetSplits =
    p.inputs === "gaussian"
      ? gaussianSplits(standardised, map, p.dataSeed)
      : { ...standardised, train: apply(standardised.train), test: apply(standardised.test) };
  const shaped =
    p.architecture === "2c2d"
      ? asImages(flat, map, standardised.imageShape)
      : { ...flat, imageShape: [1, 1, map.outputDim] as [number, number, number] };
  const splits = p.normalize === "trace" ? traceNormalized(shaped) : shaped;
  const trainEval =
    p.trainEvalSize >= splits.train.y.length
      ? splits.train
      : randomSubset(splits.train, p.trainEvalSize, p.dataSeed + TRAIN_EVAL_STREAM);
  return { splits, trainEval };
}
