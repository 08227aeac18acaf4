/**
 * The exact curvature of one batch's loss, as the quadratic model of Martens & Grosse 2015 (§6–7) needs it:
 * output Jacobian–vector products J v, the generalised Gauss–Newton (GGN) bilinear form and product
 * G v = (1/n) Σᵢ Jᵢᵀ Hᵢ Jᵢ v (Schraudolph 2002), and the loss at other parameters on the same batch.
 */
import { Matrix } from "../linalg/matrix.js";
import type { Loss } from "./losses.js";
import type { BatchCurvature, Params } from "./types.js";

/**
 * The relative size of the central-difference step: θ ± h v with h‖v‖ = STEP·max(1, ‖θ‖). The error of a central
 * difference is O((h‖v‖)²) from the third derivative plus O(u/(h‖v‖)) from rounding (u = 2⁻⁵³ in the float64
 * products used); 1e-5 keeps both far below 1e-6 relative, and makes a ReLU kink inside the step rare.
 */
const STEP = 1e-5;

/** What a network's training pass hands to `batchCurvature`. */
export interface CurvatureSource<T> {
  /** θ, the parameters of the pass. */
  params: Params;
  /** f(θ), the outputs on the batch (n×k). */
  output: Matrix;
  /** L(θ). */
  loss: number;
  lossFunction: Loss<T>;
  targets: T;
  /** Outputs at other parameters, in the network's own precision (what `lossAt` evaluates). */
  forward(params: Params): Matrix;
  /** Outputs at other parameters with float64 products (for the differences of `outputJvp`). */
  exactForward(params: Params): Matrix;
  /** (1/n) Σᵢ Jᵢᵀ dᵢ for per-example output gradients d (n×k): the backward pass of θ's forward pass. */
  backward(dOutput: Matrix): Params;
}

/**
 * The curvature of a batch from a network's passes. J v is the central difference
 * [f(θ + h v) − f(θ − h v)] / (2h) of the float64 forward pass (second-order accurate; exact for a network that is
 * linear in θ); G v back-propagates H (J v) through θ's pass, so Jᵀ is exact; H comes from the loss's
 * `outputHessianProduct` (softmax cross-entropy: diag(p) − p pᵀ; mse: I).
 */
export function batchCurvature<T>(source: CurvatureSource<T>): BatchCurvature {
  const { params, output, lossFunction, targets } = source;
  const hessianProduct = lossFunction.outputHessianProduct;
  if (typeof hessianProduct !== "function") {
    throw new TypeError(
      "lossAndGrad: curvature needs a loss with outputHessianProduct (nn.softmaxCrossEntropy, nn.mse); this loss has none",
    );
  }
  const n = output.rows;
  const thetaNorm = Math.sqrt(sumSquares(Object.values(params)));
  const outputJvp = (v: Params): Matrix => {
    const vNorm = Math.sqrt(sumSquares(Object.keys(params).flatMap((key) => (v[key] ? [v[key]] : []))));
    if (vNorm === 0) return new Matrix(output.rows, output.cols);
    if (!Number.isFinite(vNorm)) throw new RangeError("outputJvp: the direction has NaN/Inf entries");
    const h = (STEP * Math.max(1, thetaNorm)) / vNorm;
    const plus = source.exactForward(shifted(params, v, h));
    const minus = source.exactForward(shifted(params, v, -h));
    const out = new Matrix(output.rows, output.cols);
    for (let i = 0; i < out.data.length; i++) out.data[i] = (plus.data[i] - minus.data[i]) / (2 * h);
    return out;
  };
  return {
    batchSize: n,
    loss: source.loss,
    outputJvp,
    outputInner(u, w) {
      const Hw = hessianProduct(output, w);
      let s = 0;
      for (let i = 0; i < Hw.data.length; i++) s += u.data[i] * Hw.data[i];
      return s / n;
    },
    ggnProduct(v) {
      return source.backward(hessianProduct(output, outputJvp(v)));
    },
    lossAt(other) {
      return lossFunction(source.forward(other), targets);
    },
  };
}

/** θ + c·v over θ's keys (a key v lacks keeps θ's matrix). */
function shifted(theta: Params, v: Params, c: number): Params {
  const out: Params = {};
  for (const [key, p] of Object.entries(theta)) {
    const d = v[key];
    if (!d) {
      out[key] = p;
      continue;
    }
    if (d.rows !== p.rows || d.cols !== p.cols) {
      throw new RangeError(`outputJvp: the direction's "${key}" is ${d.shape()}, the parameter ${p.shape()}`);
    }
    const m = new Matrix(p.rows, p.cols);
    for (let i = 0; i < m.data.length; i++) m.data[i] = p.data[i] + c * d.data[i];
    out[key] = m;
  }
  return out;
}

function sumSquares(ms: readonly Matrix[]): number {
  let s = 0;
  for (const m of ms) for (let i = 0; i < m.data.length; i++) s += m.data[i] * m.data[i];
  return s;
}
