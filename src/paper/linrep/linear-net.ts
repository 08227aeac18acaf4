/**
 * The two-layer linear network f(x) = F G x of docs/models.md (σ = identity), optionally with batch-norm on the
 * hidden layer: f(x) = F BN(G x). Data are rows: X n×d_X, Y n×d_Y; hidden Z = X Gᵀ (n×d_h), prediction
 * Ŷ = H Fᵀ with H = Z (plain) or H = BN(Z) (batch-norm, training-mode statistics). Loss
 * L̂ = (1/(2n)) ‖Y − Ŷ‖_F², the batch estimate of ½ E‖y − f(x)‖².
 */
import { Matrix } from "../../linalg/matrix.js";
import { ShapeError } from "../../linalg/errors.js";
import { matmul } from "../../linalg/blas.js";
import { batchNormBackward, batchNormForward, type BatchNormParams } from "../../nn/batch-norm.js";

/** Weights: G (d_h×d_X, the representation), F (d_Y×d_h, the head), and batch-norm parameters when present. */
export interface LinearNetParams {
  G: Matrix;
  F: Matrix;
  bn?: BatchNormParams;
}

/** The loss, its gradients and the intermediate quantities the preconditioners reuse. */
export interface LinearNetGrad {
  loss: number;
  /** ∇_G L̂ (d_h×d_X). */
  dG: Matrix;
  /** ∇_F L̂ (d_Y×d_h). */
  dF: Matrix;
  /** ∇_γ L̂, ∇_β L̂ (batch-norm only). */
  dGamma?: Float64Array;
  dBeta?: Float64Array;
  /** Hidden pre-activations Z = X Gᵀ and the head's input H (= Z, or BN(Z)). */
  Z: Matrix;
  H: Matrix;
  /** Batch mean and variance of Z (batch-norm only), for running statistics. */
  bnMean?: Float64Array;
  bnVariance?: Float64Array;
}

function checkShapes(where: string, p: LinearNetParams, X: Matrix, Y?: Matrix): void {
  const { G, F } = p;
  if (X.cols !== G.cols)
    throw new ShapeError(`${where}: X is ${X.shape()} but G is ${G.shape()} (need X.cols = G.cols)`);
  if (F.cols !== G.rows)
    throw new ShapeError(`${where}: F is ${F.shape()} but G is ${G.shape()} (need F.cols = G.rows)`);
  if (Y && (Y.rows !== X.rows || Y.cols !== F.rows)) {
    throw new ShapeError(
      `${where}: Y is ${Y.shape()}, expected ${X.rows}×${F.rows} for X ${X.shape()} and F ${F.shape()}`,
    );
  }
}

/** Ŷ = H Fᵀ with H = X Gᵀ, or BN(X Gᵀ) in training mode (this batch's statistics) when `p.bn` is set. */
export function linearNetPredict(p: LinearNetParams, X: Matrix): Matrix {
  checkShapes("linearNetPredict", p, X);
  const Z = matmul(X, p.G, { transB: true });
  const H = p.bn ? batchNormForward(Z, p.bn).out : Z;
  return matmul(H, p.F, { transB: true });
}

/** L̂ = (1/(2n)) ‖Y − Ŷ‖_F². */
export function linearNetLoss(p: LinearNetParams, X: Matrix, Y: Matrix): number {
  checkShapes("linearNetLoss", p, X, Y);
  return halfMeanSquaredError(linearNetPredict(p, X), Y);
}

/** (1/(2n)) ‖Y − Ŷ‖_F² for n rows. */
export function halfMeanSquaredError(Yhat: Matrix, Y: Matrix): number {
  let s = 0;
  for (let t = 0; t < Y.data.length; t++) {
    const r = Yhat.data[t] - Y.data[t];
    s += r * r;
  }
  return s / (2 * Y.rows);
}

/**
 * Loss and gradients by backpropagation. With R = Ŷ − Y: ∇_F L̂ = Rᵀ H / n and, for the plain network,
 * ∇_G L̂ = Fᵀ Rᵀ X / n = FᵀF G Σ̂ₓ − Fᵀ Σ̂_{yx} (docs/models.md); with batch-norm, ∂L̂/∂H = R F / n is passed through
 * `batchNormBackward` to get ∂L̂/∂Z and ∇_G L̂ = (∂L̂/∂Z)ᵀ X.
 */
export function linearNetGradients(p: LinearNetParams, X: Matrix, Y: Matrix): LinearNetGrad {
  checkShapes("linearNetGradients", p, X, Y);
  const n = X.rows;
  const Z = matmul(X, p.G, { transB: true });
  const bn = p.bn ? batchNormForward(Z, p.bn) : undefined;
  const H = bn ? bn.out : Z;
  const R = matmul(H, p.F, { transB: true });
  let ss = 0;
  for (let t = 0; t < R.data.length; t++) {
    const r = R.data[t] - Y.data[t];
    ss += r * r;
    R.data[t] = r / n; // R now holds ∂L̂/∂Ŷ = (Ŷ − Y)/n
  }
  const dF = matmul(R, H, { transA: true });
  let dZ = matmul(R, p.F);
  let dGamma: Float64Array | undefined;
  let dBeta: Float64Array | undefined;
  if (bn) {
    const back = batchNormBackward(dZ, bn.cache);
    dZ = back.dH;
    dGamma = back.dGamma;
    dBeta = back.dBeta;
  }
  const dG = matmul(dZ, X, { transA: true });
  return { loss: ss / (2 * n), dG, dF, dGamma, dBeta, Z, H, bnMean: bn?.mean, bnVariance: bn?.variance };
}
