/**
 * Muon (Jordan et al. 2024, "Muon: an optimizer for hidden layers in neural networks"): momentum on each weight
 * matrix, orthogonalised by a quintic Newton–Schulz iteration, so every matrix moves by (approximately) U Vᵀ of its
 * momentum's SVD. Parameters that are not matrices (1×n biases, batch-norm scale/shift) go to an auxiliary AdamW.
 */
import { Matrix } from "../../linalg/matrix.js";
import { gemm, syrk } from "../../linalg/parallel.js";
import { heap32 } from "../../linalg/blas32.js";
import { alloc, heap, kernels, mark, release } from "../../linalg/wasm.js";
import { DTYPES, type Dtype as Precision } from "../../nn/dtype.js";
import type { Params } from "../../nn/types.js";
import type { GradientTransformation } from "../transform.js";
import { adamw, requireParams, type AdamState } from "./first-order.js";
import {
  checkBoolean,
  checkChoice,
  checkInteger,
  checkKnownFields,
  checkLearningRate,
  checkNumber,
  OptionError,
} from "./options.js";
import { frobenius, isMatrixShaped, norm2 } from "./params.js";
import { learningRateAt, type LearningRate } from "./schedule.js";

export interface NewtonSchulzOptions {
  /** Iterations, default 5. */
  steps?: number;
  /** Precision of the iteration, default "float64" (muon's default is "float32"). */
  precision?: Precision;
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
  checkKnownFields("newtonSchulz", options, ["steps", "coefficients", "precision"]);
  const precision = checkChoice("newtonSchulz", "precision", options.precision ?? "float64", DTYPES);
  const steps = checkInteger("newtonSchulz", "steps", options.steps ?? 5, 0);
  const coefficients = checkCoefficients("newtonSchulz", options.coefficients ?? NEWTON_SCHULZ_COEFFICIENTS);
  const out = new Matrix(G.rows, G.cols);
  const top = mark();
  try {
    const X = iterate(G.rows, G.cols, precision);
    X.load(G.data, frobenius(G));
    X.run(steps, coefficients);
    X.store(out.data);
  } finally {
    release(top);
  }
  return out;
}

/**
 * The Newton–Schulz iterate of a rows×cols matrix, held in WebAssembly linear memory (allocated from the caller's
 * mark) as the wide r×c orientation (r ≤ c), in float64 or float32: the iteration's products (syrk, syrk, GEMM)
 * and its two element-wise updates then run there with no operand copied in or out between iterations. The
 * caller loads G, runs, and stores the result; the transposition of a tall G is folded into those two copies.
 */
function iterate(rows: number, cols: number, precision: Precision) {
  const tall = rows > cols;
  const r = tall ? cols : rows;
  const c = tall ? rows : cols;
  const f32 = precision === "float32";
  // alloc counts float64 slots; a float32 array needs half as many.
  const room = (n: number): number => alloc(f32 ? Math.ceil(n / 2) : n);
  const pX = room(r * c);
  const pA = room(r * r);
  const pB = room(r * r);
  const pBX = room(r * c);
  const kind = f32 ? "f32" : "f64";
  const view = (): Float64Array | Float32Array => (f32 ? heap32() : heap());
  const shift = f32 ? 2 : 3;
  /** z ← α·x + β·y over n entries (float64: the SIMD kernel; float32: rounded to float32 per entry). */
  const axpby = (n: number, alpha: number, px: number, beta: number, py: number, pz: number): void => {
    if (!f32) return kernels.axpby(n, alpha, px, beta, py, pz);
    const h = heap32();
    const [x, y, z] = [px >>> 2, py >>> 2, pz >>> 2];
    for (let k = 0; k < n; k++) h[z + k] = alpha * h[x + k] + beta * h[y + k];
  };
  return {
    /** X ← G/(norm + 1e-7) for the rows×cols G (row-major data), where norm = ‖G‖_F. */
    load(data: Float64Array, norm: number): void {
      const h = view();
      const base = pX >>> shift;
      const scale = norm + 1e-7;
      if (!tall) for (let k = 0; k < r * c; k++) h[base + k] = data[k] / scale;
      else
        for (let i = 0; i < rows; i++)
          for (let j = 0; j < cols; j++) h[base + j * rows + i] = data[i * cols + j] / scale;
    },
    /** `steps` iterations A = XXᵀ, B = bA + cA², X ← aX + BX. */
    run(steps: number, [a, b, cc]: readonly [number, number, number]): void {
      for (let s = 0; s < steps; s++) {
        syrk(kind, 0, r, c, 1, pX, c, 0, pA, r); // A = XXᵀ
        syrk(kind, 0, r, r, 1, pA, r, 0, pB, r); // A² = AAᵀ (A is symmetric): half the work of a general product
        axpby(r * r, b, pA, cc, pB, pB); // B = bA + cA²
        gemm(kind, 0, 0, r, c, r, 1, pB, r, pX, c, 0, pBX, c); // BX
        axpby(r * c, a, pX, 1, pBX, pX); // X ← aX + BX
      }
    },
    /** Writes the rows×cols result into `out` (row-major). */
    store(out: Float64Array): void {
      const h = view();
      const base = pX >>> shift;
      if (!tall) for (let k = 0; k < r * c; k++) out[k] = h[base + k];
      else for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[i * cols + j] = h[base + j * rows + i];
    },
  };
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
  /**
   * Precision of the Newton–Schulz iteration, default "float32" (the reference runs it in bfloat16: the iteration
   * only has to land the singular values in about [0.7, 1.2], far coarser than float32 rounding); "float64" is
   * the behaviour before, matching the reference's float64 iteration to round-off.
   */
  precision?: Precision;
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
    "precision",
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
  const ns = {
    steps: checkInteger(name, "nsSteps", options.nsSteps ?? 5, 1),
    coefficients: checkCoefficients(name, options.coefficients ?? NEWTON_SCHULZ_COEFFICIENTS),
    precision: checkChoice(name, "precision", options.precision ?? "float32", DTYPES),
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
    // Reads no layer statistics: the pass need not compute them.
    needsStats: () => false,
    update(grads, state, params) {
      const { matrices, others } = split(grads);
      const theta = wd > 0 ? requireParams(name, grads, params) : params;
      const eta = learningRateAt(name, lr, state.count);
      const updates: Params = {};
      const momentum: Params = {};
      for (const [key, g] of Object.entries(matrices)) {
        const prev = state.momentum?.[key]?.data;
        const buf = new Matrix(g.rows, g.cols);
        const u = new Matrix(g.rows, g.cols);
        const n = g.data.length;
        if (prev) for (let i = 0; i < n; i++) buf.data[i] = mu * prev[i] + g.data[i];
        else buf.data.set(g.data);
        momentum[key] = buf;
        // The Nesterov direction goes into u's buffer, which holds it until the iteration's result replaces it.
        const dir = nesterov ? u.data : buf.data;
        if (nesterov) for (let i = 0; i < n; i++) dir[i] = g.data[i] + mu * buf.data[i];
        const top = mark();
        try {
          const X = iterate(g.rows, g.cols, ns.precision);
          X.load(dir, norm2(dir));
          X.run(ns.steps, ns.coefficients);
          X.store(u.data);
        } finally {
          release(top);
        }
        const s = Math.sqrt(Math.max(1, g.rows / g.cols));
        const w = wd > 0 ? theta?.[key]?.data : undefined;
        if (w) for (let i = 0; i < n; i++) u.data[i] = -eta * (s * u.data[i] + wd * w[i]);
        else for (let i = 0; i < n; i++) u.data[i] = -eta * s * u.data[i];
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
