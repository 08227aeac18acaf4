/**
 * First-layer updates of the single-index experiments (docs/algorithms.md), with the second layer a kept fixed:
 *
 * - `gd`:    W ← W − η √N ∇_W L̂;
 * - `kfac`:  W ← W − η √N P⁻¹ ∇_W L̂ (Σ̂ₓ + λI)⁻¹, Σ̂ₓ = XᵀX/n, λ = damping · tr(Σ̂ₓ)/d. The right (input) factor is
 *            what turns the spike from Σβ★ to β★; the optional left factor P is the backward (output-gradient)
 *            factor P = (1/n) Σ_i g_i g_iᵀ of the per-sample pre-activation gradients g_i, rescaled to unit mean
 *            eigenvalue (so η keeps its meaning) and damped: P = P₀/(tr P₀/N) + leftDamping · I (Martens &
 *            Grosse 2015);
 * - `adam`:  Adam (Kingma & Ba 2015) with bias correction; its first step is W ← W − η g/(|g| + ε), essentially
 *            η · sign(∇), an entry-wise rescaling that cannot undo a rotated Σ;
 * - `gd-bn`: `gd` on the network with batch-norm on its hidden layer (the network decides; the rule is gd's).
 *
 * `steps` > 1 repeats the update on the same batch (full-batch training), recomputing the gradient each time.
 */
import { Matrix } from "../../linalg/matrix.js";
import { gram } from "../../linalg/blas.js";
import { kroneckerPrecondition } from "../../optim/kronecker.js";
import { loss as lossOf, lossAndGradient, type TwoLayerNet } from "./two-layer.js";
import type { Params } from "../../nn/types.js";
import { adam } from "../../optim/transforms/first-order.js";
import { applyUpdatesInPlace } from "../../optim/transforms/combine.js";
import { ResidentBatch, residentBatchApplies } from "./resident-batch.js";

/** The trained algorithms. */
export const UPDATE_ALGORITHMS = ["gd", "kfac", "adam", "gd-bn"] as const;
export type UpdateAlgorithm = (typeof UPDATE_ALGORITHMS)[number];

export interface UpdateOptions {
  /** Step size η. */
  eta: number;
  /** Number of full-batch steps T ≥ 1. */
  steps: number;
  /** KFAC's relative damping of the input factor: λ = damping · tr(Σ̂ₓ)/d. */
  damping: number;
  /** Use KFAC's left (output-gradient) factor too. */
  leftFactor: boolean;
  /** Damping added to the rescaled left factor. */
  leftDamping: number;
  /** Adam's β₁, β₂ and ε. */
  adam: { beta1: number; beta2: number; eps: number };
}

/**
 * The natural scale of η for each rule, so one grid of multipliers serves all of them. A neuron's update is
 * ΔW_j = η a_j g_j with a_j = ±1/√N for the gradient rules, so η ∝ √N moves each neuron's pre-activation by O(1)
 * (the regime of Ba et al. 2022); Adam moves each entry by ±η, so η ∝ 1/√d moves ⟨w_j, x⟩ by O(1).
 */
export function etaUnit(algorithm: UpdateAlgorithm, N: number, d: number): number {
  return algorithm === "adam" ? 1 / Math.sqrt(d) : Math.sqrt(N);
}

/** Trains `net.W` in place on (X, y) with `algorithm`; returns the training loss before each step and after. */
export function train(
  net: TwoLayerNet,
  X: Matrix,
  y: ArrayLike<number>,
  algorithm: UpdateAlgorithm,
  options: UpdateOptions,
): number[] {
  const { eta, steps } = options;
  if (!(eta > 0) || !Number.isFinite(eta)) throw new RangeError(`update: eta must be a finite number > 0, got ${eta}`);
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`update: steps must be an integer ≥ 1, got ${steps}`);
  if ((algorithm === "gd-bn") !== (net.batchNorm !== null)) {
    throw new RangeError(
      `update: ${algorithm} needs a network ${algorithm === "gd-bn" ? "with" : "without"} batch-norm`,
    );
  }
  const N = net.a.length;
  const W = net.W.data;
  const losses: number[] = [];
  // KFAC's input factor depends only on the batch: form it once.
  const inputFactor = algorithm === "kfac" ? dampedCovariance(X, options.damping) : null;
  const weights: Params = { W: net.W };
  const adamStep =
    algorithm === "adam"
      ? adam({ learningRate: eta, b1: options.adam.beta1, b2: options.adam.beta2, eps: options.adam.eps })
      : null;
  let adamState = adamStep?.init(weights);
  const wantDH = algorithm === "kfac" && options.leftFactor;
  // Keep X and the activations in WebAssembly memory across the steps when the network allows it (same values).
  const resident = residentBatchApplies(net, X) ? new ResidentBatch(net, X, y) : null;
  try {
    for (let t = 1; t <= steps; t++) {
      const { loss, gradW, dH } = resident ? resident.lossAndGradient(wantDH) : lossAndGradient(net, X, y);
      losses.push(loss);
      if (adamStep) {
        const { updates, state } = adamStep.update({ W: gradW }, adamState!, weights);
        adamState = state;
        applyUpdatesInPlace(weights, updates);
        continue;
      }
      let direction = gradW;
      if (inputFactor) {
        // P⁻¹ ∇ (Σ̂ + λI)⁻¹ through the library's Kronecker curvature block (both factors arrive damped).
        direction = kroneckerPrecondition(gradW, {
          right: inputFactor,
          left: wantDH ? outputFactor(dH!, options.leftDamping) : undefined,
        });
      }
      const s = eta * Math.sqrt(N);
      const p = direction.data;
      for (let k = 0; k < W.length; k++) W[k] -= s * p[k];
    }
    losses.push(resident ? resident.loss() : lossOf(net, X, y));
  } finally {
    resident?.release();
  }
  return losses;
}

/** Σ̂ₓ + λI with Σ̂ₓ = XᵀX/n and λ = damping · tr(Σ̂ₓ)/d. */
export function dampedCovariance(X: Matrix, damping: number): Matrix {
  const { rows: n, cols: d } = X;
  const S = gram(X);
  const s = S.data;
  let tr = 0;
  for (let i = 0; i < s.length; i++) s[i] /= n;
  for (let i = 0; i < d; i++) tr += s[i * d + i];
  const lambda = (damping * tr) / d;
  for (let i = 0; i < d; i++) s[i * d + i] += lambda;
  return S;
}

/**
 * The damped left factor P = P₀/(tr P₀/N) + δI, P₀ = (1/n) Σ_i g_i g_iᵀ with g_i = n · (row i of ∂L̂/∂H), the
 * gradient of sample i's own loss with respect to its pre-activations.
 */
function outputFactor(dH: Matrix, damping: number): Matrix {
  const P = gram(dH); // Σ_i dH_i dH_iᵀ = P₀/n; the overall scale drops out in the rescaling below
  const N = P.rows;
  const p = P.data;
  let tr = 0;
  for (let i = 0; i < N; i++) tr += p[i * N + i];
  const scale = tr > 0 ? N / tr : 1;
  for (let i = 0; i < p.length; i++) p[i] *= scale;
  for (let i = 0; i < N; i++) p[i * N + i] += damping;
  return P;
}
