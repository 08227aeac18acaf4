/**
 * Transfer loss of a frozen representation G (docs/models.md): fit the transfer task's head by least squares on n_T
 * transfer samples, W = argmin ‖Y − Z W‖_F² with Z = X Gᵀ (`ridge` with λ = 0), and evaluate it on n_test fresh
 * transfer samples.
 *
 * Conventions (the same as the training loss L̂ = (1/(2n))‖Y − Ŷ‖_F², i.e. ½ E‖y − ŷ‖² per sample, summed over the
 * d_Y outputs):
 *   mse    = (1/(2 n_test)) ‖Y_test − Z_test W‖_F²              (the test loss, noisy targets)
 *   floor  = ½ d_Y σ_T²                                          (the Bayes loss: the noise alone)
 *   excess = (1/(2 n_test)) ‖X_test (F_T G★)ᵀ − Z_test W‖_F²   (the test loss against noise-free targets)
 * `excess` estimates E[mse] − floor without the test noise's own fluctuation, so it is never negative (mse − floor
 * can be, by chance); it is what curves and summaries report.
 */
import { Matrix } from "../../linalg/matrix.js";
import { ShapeError } from "../../linalg/errors.js";
import { matmul } from "../../linalg/blas.js";
import { Rng } from "../../random/rng.js";
import type { LinrepTask } from "./problem.js";
import { ridge } from "../metrics/regression.js";

export interface TransferResult {
  mse: number;
  floor: number;
  excess: number;
}

/** Evaluates G (d_h×d_X) on the transfer task as described above, drawing both sample sets from `rng`. */
export function transferLoss(G: Matrix, task: LinrepTask, rng: Rng, nT: number, nTest: number): TransferResult {
  if (G.cols !== task.Gstar.cols) throw new ShapeError(`transferLoss: G is ${G.shape()}, G★ is ${task.Gstar.shape()}`);
  if (!Number.isInteger(nT) || nT < G.rows) {
    throw new RangeError(`transferLoss: nT must be an integer ≥ d_h (${G.rows}) for a least-squares head, got ${nT}`);
  }
  if (!Number.isInteger(nTest) || nTest < 1)
    throw new RangeError(`transferLoss: nTest must be a positive integer, got ${nTest}`);
  const train = task.sample(rng, nT);
  const W = ridge(matmul(train.X, G, { transB: true }), train.Y, 0); // d_h×d_Y
  const test = task.sample(rng, nTest);
  const pred = matmul(matmul(test.X, G, { transB: true }), W);
  const clean = matmul(matmul(test.X, task.Gstar, { transB: true }), task.Fstar, { transB: true });
  let sq = 0;
  let sqClean = 0;
  for (let t = 0; t < pred.data.length; t++) {
    sq += (test.Y.data[t] - pred.data[t]) ** 2;
    sqClean += (clean.data[t] - pred.data[t]) ** 2;
  }
  const dY = test.Y.cols;
  return { mse: sq / (2 * nTest), floor: 0.5 * dY * task.noise * task.noise, excess: sqClean / (2 * nTest) };
}

/** The excess transfer loss alone (see `transferLoss`). */
export function transferExcess(G: Matrix, task: LinrepTask, rng: Rng, nT: number, nTest: number): number {
  return transferLoss(G, task, rng, nT, nTest).excess;
}
