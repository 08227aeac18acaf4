/**
 * The data of an `anisotropy` trial: the fashion experiments' standardised subsets, re-conditioned by the invertible
 * map `anisotropic(κ)` fitted on the training subset, and the fixed training examples on which the training loss
 * is evaluated. Memoised per worker, so the PCA runs once per κ, not once per trial.
 */
import { randomSubset } from "../../data/batches.js";
import type { Dataset, DatasetSplits } from "../../data/dataset.js";
import { anisotropic } from "../../data/anisotropic.js";
import { preprocess } from "../../data/standardize.js";
import { loadTrialData } from "../fashion/data.js";
import type { AnisotropyPoint } from "./schema.js";

/** The re-conditioned splits and the training-loss subset of one κ. */
export interface AnisotropyData {
  splits: DatasetSplits;
  /** `trainEvalSize` examples of the re-conditioned training split (the same ones at every κ). */
  trainEval: Dataset;
}

/** Offset of the training-loss subset's seed from `dataSeed` (the fashion data uses dataSeed and dataSeed + 1). */
const TRAIN_EVAL_STREAM = 5;

const prepared = new Map<string, Promise<AnisotropyData>>();

/** The fields of a point that decide its data. */
type DataFields = Pick<
  AnisotropyPoint,
  | "dataset"
  | "dataDir"
  | "trainSize"
  | "testSize"
  | "dataSeed"
  | "kappa"
  | "pcaDims"
  | "rotate"
  | "rotationSeed"
  | "normalize"
  | "trainEvalSize"
>;

/**
 * The data of `point` at condition number `kappa` (default: the point's): the standardised subsets mapped by
 * z = ((x − μ)/σ)·V_k·diag(√(s_i/λ_i))·R (`data/anisotropic.ts`), whose training covariance has the log-spaced
 * spectrum s from κ down to 1, so only the conditioning changes with κ, never what an affine first layer can
 * represent.
 */
export function anisotropyData(point: DataFields, kappa = point.kappa): Promise<AnisotropyData> {
  const fields: DataFields = { ...pick(point), kappa };
  const key = JSON.stringify(fields);
  let data = prepared.get(key);
  if (!data) {
    data = build(fields);
    prepared.set(key, data);
    data.catch(() => prepared.delete(key));
  }
  return data;
}

function pick(p: DataFields): DataFields {
  return {
    dataset: p.dataset,
    dataDir: p.dataDir,
    trainSize: p.trainSize,
    testSize: p.testSize,
    dataSeed: p.dataSeed,
    kappa: p.kappa,
    pcaDims: p.pcaDims,
    rotate: p.rotate,
    rotationSeed: p.rotationSeed,
    normalize: p.normalize,
    trainEvalSize: p.trainEvalSize,
  };
}

/**
 * The splits scaled by one factor c = 1/√(tr Σ̂/k) (Σ̂ the k×k training covariance), so that the mean input
 * variance is 1 at every κ: the spectrum then runs from κ/m down to 1/m (m its mean) and only its shape, not the
 * inputs' overall size (which changes a fixed initialisation's pre-activations), varies with κ.
 */
function traceNormalized(splits: DatasetSplits): DatasetSplits {
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

async function build(p: DataFields): Promise<AnisotropyData> {
  const standardised = await loadTrialData(p);
  const mapped = preprocess(
    standardised,
    anisotropic(p.kappa, { pcaDims: p.pcaDims, rotate: p.rotate, seed: p.rotationSeed }),
  );
  const splits = p.normalize === "trace" ? traceNormalized(mapped) : mapped;
  const trainEval =
    p.trainEvalSize >= splits.train.y.length
      ? splits.train
      : randomSubset(splits.train, p.trainEvalSize, p.dataSeed + TRAIN_EVAL_STREAM);
  return { splits, trainEval };
}
