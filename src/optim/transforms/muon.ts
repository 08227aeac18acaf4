/**
 * Muon (Jordan et al. 2024, "Muon: an optimizer for hidden layers in neural networks"): momentum on each weight
 * matrix, orthogonalised by a quintic Newton–Schulz iteration, so every matrix moves by (approximately) U Vᵀ of its
 * momentum's SVD. Parameters that are not matrices (1×n biases, batch-norm scale/shift) go to an auxiliary AdamW.
 */
import { Matrix } from "../../linalg/matrix.js";
import { gram, matmul } from "../../linalg/blas.js";
import type { Params } from "../../nn/types.js";
import type { GradientTransformation } from "../transform.js";
import { adamw, requireParams, type AdamState } from "./first-order.js";
import {
  checkBoolean,
  checkInteger,
  checkKnownFields,
  checkLearningRate,
  checkNumber,
  OptionError,
} from "./options.js";
import { frobenius, isMatrixShaped } from "./params.js";
import { learningRateAt, type LearningRate } from "./schedule.js";

export interface NewtonSchulzOptions {
  /** Iterations, default 5. */
  steps?: number;
  /** (a, b, c) of X ← aX + (bA + cA²)X, default [3.4445, −4.7750, 2.0315]. */
  coefficients?: readonly [number, number, number];
}

/** Muon's default Newton–Schulz coefficients (chosen by Jordan et al. to push singular values towards 1 fast). */
export const NEWTON_SCHULZ_COEFFICIENTS = [3.4445, -4.775, 2.0315] as const;

function checkCoefficients(name: string, value: unknown): readonly [number, number, number] {
  if (!Array.isArray(value) || value.length !== 3 || !value.every((x) => typeof x === "number" && Number.isFinite(x))) {
    throw new OptionError(name, "coefficients", value, "three finite numbers [a, b, c]");
  }
  return value as unknown as readonly [number, number, number];
}

/**
 * An approximate orthogonalisation of G (its polar factor U Vᵀ): X ← G/(‖G‖_F + 1e-7), transposed when
 * rows > cols so XXᵀ is the small Gram matrix; then `steps` times A = XXᵀ, X ← aX + (bA + cA²)X; transposed back.
 * With the default coefficients the singular values land in roughly [0.7, 1.2] rather than exactly 1.
 */
export function newtonSchulz(G: Matrix, options: NewtonSchulzOptions = {}): Matrix {
  checkKnownFields("newtonSchulz", options, ["steps", "coefficients"]);
  const steps = checkInteger("newtonSchulz", "steps", options.steps ?? 5, 0);
  const [a, b, c] = checkCoefficients("newtonSchulz", options.coefficients ?? NEWTON_SCHULZ_COEFFICIENTS);
  const norm = frobenius(G) + 1e-7;
  const tall = G.rows > G.cols;
  let X = tall ? G.transpose() : G.clone();
  for (let i = 0; i < X.data.length; i++) X.data[i] /= norm;
  for (let s = 0; s < steps; s++) {
    const A = gram(X, { trans: true });
    const A2 = gram(A, { trans: true }); // A is symmetric, so A² = AAᵀ: half the work of a general product
    const B = new Matrix(A.rows, A.cols);
    for (let i = 0; i < B.data.length; i++) B.data[i] = b * A.data[i] + c * A2.data[i];
    const BX = matmul(B, X);
    const next = new Matrix(X.rows, X.cols);
    for (let i = 0; i < next.data.length; i++) next.data[i] = a * X.data[i] + BX.data[i];
    X = next;
  }
  return tall ? X.transpose() : X;
}

export interface MuonOptions {
  /** Step size η > 0 of the matrix parameters, or a schedule. */
  learningRate: LearningRate;
  /** Momentum μ ∈ [0, 1), default 0.95. */
  momentum?: number;
  /** Nesterov momentum, default true. */
  nesterov?: boolean;
  /** Decoupled weight decay of the matrix parameters, default 0. */
  weightDecay?: number;
  /** Newton–Schulz iterations, default 5. */
  nsSteps?: number;
  /** Newton–Schulz coefficients, default [3.4445, −4.7750, 2.0315]. */
  coefficients?: readonly [number, number, number];
  /** Learning rate of the auxiliary AdamW (non-matrix parameters), default: `learningRate`. */
  auxLearningRate?: LearningRate;
  /** Auxiliary AdamW's β₁, default 0.9. */
  auxB1?: number;
  /** Auxiliary AdamW's β₂, default 0.999. */
  auxB2?: number;
  /** Auxiliary AdamW's ε, default 1e-8. */
  auxEps?: number;
  /** Auxiliary AdamW's decoupled weight decay, default 0. */
  auxWeightDecay?: number;
}

export interface MuonState {
  count: number;
  /** Momentum buffers of the matrix parameters (null before the first step). */
  momentum: Params | null;
  /** The auxiliary AdamW's state over the non-matrix parameters. */
  aux: AdamState;
}

/**
 * Muon. For a matrix parameter W (rows×cols) with gradient ∇: b ← μb + ∇ (b = ∇ at the first step, as PyTorch's
 * SGD), direction ∇ + μb (Nesterov) or b, O = newtonSchulz(direction), update −η·(√max(1, rows/cols)·O + λW).
 * The Nesterov form differs from the reference's lerp form only by the factor (1 − μ), which the Frobenius
 * normalisation removes. Non-matrix parameters get AdamW with the aux* options.
 */
export function muon(options: MuonOptions): GradientTransformation<MuonState> {
  const name = "muon";
  checkKnownFields(name, options, [
    "learningRate",
    "momentum",
    "nesterov",
    "weightDecay",
    "nsSteps",
    "coefficients",
    "auxLearningRate",
    "auxB1",
    "auxB2",
    "auxEps",
    "auxWeightDecay",
  ]);
  const lr = checkLearningRate(name, "learningRate", options.learningRate);
  const mu = checkNumber(name, "momentum", options.momentum ?? 0.95, 0, 1, { openHigh: true });
  const nesterov = checkBoolean(name, "nesterov", options.nesterov ?? true);
  const wd = checkNumber(name, "weightDecay", options.weightDecay ?? 0, 0, Infinity);
  const ns: NewtonSchulzOptions = {
    steps: checkInteger(name, "nsSteps", options.nsSteps ?? 5, 1),
    coefficients: checkCoefficients(name, options.coefficients ?? NEWTON_SCHULZ_COEFFICIENTS),
  };
  const aux = adamw({
    learningRate: checkLearningRate(name, "auxLearningRate", options.auxLearningRate ?? lr),
    b1: checkNumber(name, "auxB1", options.auxB1 ?? 0.9, 0, 1, { openHigh: true }),
    b2: checkNumber(name, "auxB2", options.auxB2 ?? 0.999, 0, 1, { openHigh: true }),
    eps: checkNumber(name, "auxEps", options.auxEps ?? 1e-8, 0, Infinity, { openLow: true }),
    weightDecay: checkNumber(name, "auxWeightDecay", options.auxWeightDecay ?? 0, 0, Infinity),
  });
  const split = (tree: Params): { matrices: Params; others: Params } => {
    const matrices: Params = {};
    const others: Params = {};
    for (const [k, m] of Object.entries(tree)) (isMatrixShaped(m) ? matrices : others)[k] = m;
    return { matrices, others };
  };
  return {
    init: (params) => ({ count: 0, momentum: null, aux: aux.init(split(params).others) }),
    update(grads, state, params) {
      const { matrices, others } = split(grads);
      const theta = wd > 0 ? requireParams(name, grads, params) : params;
      const eta = learningRateAt(name, lr, state.count);
      const updates: Params = {};
      const momentum: Params = {};
      for (const [key, g] of Object.entries(matrices)) {
        const prev = state.momentum?.[key]?.data;
        const buf = new Matrix(g.rows, g.cols);
        for (let i = 0; i < g.data.length; i++) buf.data[i] = prev ? mu * prev[i] + g.data[i] : g.data[i];
        momentum[key] = buf;
        let dir = buf;
        if (nesterov) {
          dir = new Matrix(g.rows, g.cols);
          for (let i = 0; i < g.data.length; i++) dir.data[i] = g.data[i] + mu * buf.data[i];
        }
        const O = newtonSchulz(dir, ns);
        const s = Math.sqrt(Math.max(1, g.rows / g.cols));
        const u = new Matrix(g.rows, g.cols);
        const w = theta?.[key]?.data;
        for (let i = 0; i < u.data.length; i++)
          u.data[i] = w && wd > 0 ? -eta * (s * O.data[i] + wd * w[i]) : -eta * s * O.data[i];
        updates[key] = u;
      }
      const r = aux.update(others, state.aux, theta ? split(theta).others : undefined);
      Object.assign(updates, r.updates);
      const ordered: Params = {};
      for (const key of Object.keys(grads)) ordered[key] = updates[key];
      return { updates: ordered, state: { count: state.count + 1, momentum, aux: r.state } };
    },
  };
}
