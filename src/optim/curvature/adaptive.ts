/**
 * The step of Martens & Grosse 2015 (§6–7) as kfac-jax implements it (`use_adaptive_learning_rate`,
 * `use_adaptive_momentum`, `use_adaptive_damping`): the learning rate and momentum are chosen each step by
 * minimising a quadratic model of the batch loss built from exact curvature–vector products, and the damping λ of
 * the preconditioner follows the Levenberg–Marquardt rule from the reduction ratio ρ. Any preconditioner whose
 * damping is a Tikhonov term λI added to an approximation of the curvature can be wrapped (KFAC, EKFAC).
 */
import { Matrix } from "../../linalg/matrix.js";
import type { BatchCurvature, Params } from "../../nn/types.js";
import { statsRequest, type GradientTransformation, type UpdateContext } from "../transform.js";
import { checkBoolean, checkInteger, checkKnownFields, checkNumber, OptionError } from "../transforms/options.js";
import { treeDot } from "../transforms/params.js";
import { CurvatureFailureError } from "./failures.js";

/** The options of the quadratic-model step (defaults: kfac-jax's `Optimizer`). */
export interface AdaptiveOptions {
  /** Turns the quadratic-model step on. */
  adaptive: true;
  /** The initial damping λ₀ > 0, default 1e-3 (kfac-jax's `initial_damping`, which it requires). */
  damping?: number;
  /** Steps between damping updates T, default 5 (`damping_adaptation_interval`). */
  dampingAdaptationInterval?: number;
  /** d ∈ (0, 1): λ moves by the factor ω = d^T, default 0.9 (`damping_adaptation_decay`). */
  dampingAdaptationDecay?: number;
  /** Lower bound of λ, default 1e-8 (`min_damping`). */
  minDamping?: number;
  /** Upper bound of λ, default ∞ (`max_damping`). */
  maxDamping?: number;
  /** λ rises when ρ is below this, default 0.25 (`damping_lower_threshold`). */
  dampingLowerThreshold?: number;
  /** λ falls when ρ is above this, default 0.75 (`damping_upper_threshold`). */
  dampingUpperThreshold?: number;
  /** Choose the momentum too (default true); false keeps it at 0 (`use_adaptive_momentum`). */
  adaptiveMomentum?: boolean;
  /** Count λ‖δ‖² in the predicted change of ρ (default false, `include_damping_in_quad_change`). */
  includeDampingInQuadChange?: boolean;
}

/** The adaptation rule, resolved. */
export interface AdaptiveRule {
  initialDamping: number;
  interval: number;
  /** ω = decay^interval. */
  factor: number;
  minDamping: number;
  maxDamping: number;
  lower: number;
  upper: number;
  adaptiveMomentum: boolean;
  includeDamping: boolean;
}

/** What the last step chose, for monitoring (kfac-jax's step statistics). */
export interface AdaptiveStepInfo {
  /** α: the coefficient of the preconditioned step −Δ. */
  learningRate: number;
  /** μ: the coefficient of the previous update. */
  momentum: number;
  /** The damping the step used. */
  damping: number;
  /** The predicted change of the loss, M(δ) − M(0). */
  quadChange: number;
  /** The batch loss after the step, and ρ; null at steps that do not adapt the damping. */
  newLoss: number | null;
  rho: number | null;
}

export interface AdaptiveState<S> {
  count: number;
  /** The current damping λ (of the preconditioner and of the quadratic model). */
  damping: number;
  /** The previous update δ (null before the first step). */
  velocity: Params | null;
  /** The preconditioner's own state. */
  inner: S;
  last: AdaptiveStepInfo | null;
}

/** Options the quadratic-model step replaces, and why. */
const REPLACED: Record<string, string> = {
  learningRate: "the learning rate is chosen every step by minimising the quadratic model; remove learningRate",
  momentum: "the momentum is chosen every step by minimising the quadratic model; remove momentum",
  klClip:
    "the quadratic model already sets the step length (kfac-jax allows no norm constraint with it); remove klClip",
  weightDecay: "the quadratic model has no L2 term; add the penalty to the loss instead of weightDecay",
};

const ADAPTIVE_FIELDS = [
  "adaptive",
  "damping",
  "dampingAdaptationInterval",
  "dampingAdaptationDecay",
  "minDamping",
  "maxDamping",
  "dampingLowerThreshold",
  "dampingUpperThreshold",
  "adaptiveMomentum",
  "includeDampingInQuadChange",
] as const;

/** Whether options ask for the quadratic-model step. */
export function isAdaptive(options: unknown): boolean {
  return typeof options === "object" && options !== null && (options as { adaptive?: unknown }).adaptive === true;
}

/**
 * Splits `options` into the adaptation rule and the preconditioner's own options (`preconditionerFields`),
 * refusing the options the step replaces and any unknown field.
 */
export function resolveAdaptive(
  name: string,
  options: AdaptiveOptions & Record<string, unknown>,
  preconditionerFields: readonly string[],
): { rule: AdaptiveRule; preconditioner: Record<string, unknown> } {
  for (const [field, why] of Object.entries(REPLACED)) {
    if (field in options) throw new OptionError(name, field, options[field], `absent with adaptive: true (${why})`);
  }
  checkKnownFields(name, options, [...ADAPTIVE_FIELDS, ...preconditionerFields]);
  const interval = checkInteger(name, "dampingAdaptationInterval", options.dampingAdaptationInterval ?? 5, 1);
  const decay = checkNumber(name, "dampingAdaptationDecay", options.dampingAdaptationDecay ?? 0.9, 0, 1, {
    openLow: true,
    openHigh: true,
  });
  const minDamping = checkNumber(name, "minDamping", options.minDamping ?? 1e-8, 0, Infinity, { openLow: true });
  const maxDamping = options.maxDamping ?? Infinity;
  if (!(typeof maxDamping === "number" && maxDamping >= minDamping)) {
    throw new OptionError(name, "maxDamping", maxDamping, `a number ≥ minDamping (${minDamping}), or Infinity`);
  }
  // As kfac-jax, λ₀ itself is not clipped: [minDamping, maxDamping] bounds the adapted values.
  const initialDamping = checkNumber(name, "damping", options.damping ?? 1e-3, 0, Infinity, { openLow: true });
  const lower = checkNumber(name, "dampingLowerThreshold", options.dampingLowerThreshold ?? 0.25, 0, 1);
  const upper = checkNumber(name, "dampingUpperThreshold", options.dampingUpperThreshold ?? 0.75, lower, Infinity);
  const preconditioner: Record<string, unknown> = {};
  for (const field of preconditionerFields) if (field in options) preconditioner[field] = options[field];
  return {
    rule: {
      initialDamping,
      interval,
      factor: decay ** interval,
      minDamping,
      maxDamping,
      lower,
      upper,
      adaptiveMomentum: checkBoolean(name, "adaptiveMomentum", options.adaptiveMomentum ?? true),
      includeDamping: checkBoolean(name, "includeDampingInQuadChange", options.includeDampingInQuadChange ?? false),
    },
    preconditioner,
  };
}

/**
 * The minimiser of the quadratic model over the span of the vectors vⱼ (kfac-jax `_solve_quad_model`):
 * M(w) = ½ wᵀ(A + λD)w + wᵀb with A = [vᵢᵀ C vⱼ] (C the exact curvature), D = [vᵢᵀvⱼ], b = [∇Lᵀvⱼ], so
 * w = −(A + λD)⁻¹ b, solved on the leading block when the last vector is zero (the first step has no previous
 * update) or parallel to the first (then A + λD is singular and the second coefficient is 0). The predicted change is ½ wᵀ A w + wᵀ b, with λD added only when `includeDamping`.
 */
export function solveQuadraticModel(
  A: readonly (readonly number[])[],
  D: readonly (readonly number[])[],
  b: readonly number[],
  damping: number,
  includeDamping: boolean,
): { w: number[]; change: number } {
  const k = b.length;
  const Ad = A.map((row, i) => row.map((a, j) => a + damping * D[i][j]));
  const lastZero = k === 2 && Ad[1][0] === 0 && Ad[0][1] === 0 && Ad[1][1] === 0;
  const det = k === 2 ? Ad[0][0] * Ad[1][1] - Ad[0][1] * Ad[1][0] : 0;
  // Collinear vectors make A + λD singular (kfac-jax's solve would return NaN/Inf): step along the first alone.
  const singular = k === 2 && !(det > 1e-12 * Ad[0][0] * Ad[1][1]);
  let w: number[];
  if (k === 1 || lastZero || singular) {
    // A zero direction with a zero gradient component gives a zero step rather than 0/0.
    const w0 = Ad[0][0] === 0 && b[0] === 0 ? 0 : -b[0] / Ad[0][0];
    w = k === 1 ? [w0] : [w0, 0];
  } else {
    w = [-(Ad[1][1] * b[0] - Ad[0][1] * b[1]) / det, -(Ad[0][0] * b[1] - Ad[1][0] * b[0]) / det];
  }
  const M = includeDamping ? Ad : A;
  let change = 0;
  for (let i = 0; i < k; i++) {
    change += w[i] * b[i];
    for (let j = 0; j < k; j++) change += 0.5 * w[i] * M[i][j] * w[j];
  }
  return { w, change };
}

/**
 * The Levenberg–Marquardt update of kfac-jax (`_compute_new_damping_and_rho`): ρ = (L(θ+δ) − L(θ)) / (M(δ) − M(0))
 * (NaN counts as −100); λ/ω when ρ < lower, λ·ω when ρ > upper, clipped to [minDamping, maxDamping].
 */
export function nextDamping(
  damping: number,
  oldLoss: number,
  newLoss: number,
  quadChange: number,
  rule: AdaptiveRule,
): { damping: number; rho: number } {
  const rho = (newLoss - oldLoss) / quadChange;
  const r = Number.isNaN(rho) ? -100 : rho;
  const next = r < rule.lower ? damping / rule.factor : r > rule.upper ? damping * rule.factor : damping;
  return { damping: Math.min(rule.maxDamping, Math.max(rule.minDamping, next)), rho };
}

function requireCurvature(name: string, ctx: UpdateContext | undefined): BatchCurvature {
  const curvature = ctx?.curvature;
  if (!curvature) {
    throw new TypeError(
      `${name}: adaptive: true needs the batch's curvature in the update context: call ` +
        "net.lossAndGrad(params, x, y, loss, { curvature: true }) and pass " +
        "optimizer.update(grads, state, params, { stats, loss, curvature })",
    );
  }
  return curvature;
}

/**
 * The quadratic-model step around a preconditioner (Martens & Grosse 2015 §6.4–7.2; kfac-jax `Optimizer` with
 * adaptive learning rate, momentum and damping). `precondition(λ)` must give updates −Δ with Δ the damped
 * preconditioned gradient (learning rate 1, no momentum). Each step, with δ₀ the previous update and C the
 * exact generalised Gauss–Newton matrix of the batch (`ctx.curvature`):
 * (α, μ) = argmin M(−αΔ + μδ₀), M(δ) = ½ δᵀ(C + λI)δ + ∇Lᵀδ, and δ = −αΔ + μδ₀. Every `interval` steps,
 * ρ = (L(θ+δ) − L(θ)) / (½ δᵀCδ + ∇Lᵀδ) on the same batch moves λ by the Levenberg–Marquardt rule (`nextDamping`);
 * λ is also the preconditioner's damping from the next step on.
 */
export function adaptiveStep<S>(
  name: string,
  rule: AdaptiveRule,
  precondition: (damping: number) => GradientTransformation<S>,
): GradientTransformation<AdaptiveState<S>> {
  // One preconditioner per damping value in use (λ changes at most every `interval` steps).
  let cached = { damping: rule.initialDamping, transform: precondition(rule.initialDamping) };
  const preconditionerFor = (damping: number): GradientTransformation<S> => {
    if (cached.damping !== damping) cached = { damping, transform: precondition(damping) };
    return cached.transform;
  };
  return {
    // The preconditioner upgrades the state it owns (`inner`); the rest is this step's.
    upgradeState(old) {
      const upgrade = cached.transform.upgradeState;
      const isState = typeof old === "object" && old !== null && "inner" in old;
      return (
        upgrade && isState ? { ...old, inner: upgrade.call(cached.transform, old.inner) } : old
      ) as AdaptiveState<S>;
    },
    init: (params) => ({
      count: 0,
      damping: rule.initialDamping,
      velocity: null,
      inner: cached.transform.init(params),
      last: null,
    }),
    needsStats: (state) => statsRequest(preconditionerFor(state.damping), state.inner),
    update(grads, state, params, ctx) {
      const curvature = requireCurvature(name, ctx);
      if (!params) throw new TypeError(`${name}: adaptive: true needs params (the loss is evaluated after the step)`);
      const lambda = state.damping;
      // The gradients are read again below: the preconditioner may not write into them.
      const inner = preconditionerFor(lambda).update(grads, state.inner, params, { ...ctx, donate: false });
      const vectors: Params[] = [inner.updates];
      if (rule.adaptiveMomentum && state.velocity) vectors.push(state.velocity);
      const tangents = vectors.map((v) => curvature.outputJvp(v));
      const A = tangents.map((u) => tangents.map((t) => curvature.outputInner(u, t)));
      const D = vectors.map((u) => vectors.map((t) => treeDot(u, t)));
      const b = vectors.map((v) => treeDot(grads, v));
      const { w, change } = solveQuadraticModel(A, D, b, lambda, rule.includeDamping);
      if (!w.every(Number.isFinite)) {
        throw new CurvatureFailureError(
          `${name}: the quadratic model has no finite minimiser at step ${state.count + 1} ` +
            `(A = ${JSON.stringify(A)}, b = ${JSON.stringify(b)}, damping ${lambda}); check the gradients for NaN/Inf`,
        );
      }
      const updates: Params = {};
      for (const key of Object.keys(grads)) {
        const d = vectors[0][key];
        const u = new Matrix(d.rows, d.cols);
        const prev = vectors[1]?.[key]?.data;
        for (let i = 0; i < u.data.length; i++) u.data[i] = w[0] * d.data[i] + (prev ? w[1] * prev[i] : 0);
        updates[key] = u;
      }
      const count = state.count + 1;
      let damping = lambda;
      let newLoss: number | null = null;
      let rho: number | null = null;
      if (count % rule.interval === 0) {
        const moved: Params = {};
        for (const [key, p] of Object.entries(params)) {
          const u = updates[key];
          if (!u) {
            moved[key] = p;
            continue;
          }
          const m = new Matrix(p.rows, p.cols);
          for (let i = 0; i < m.data.length; i++) m.data[i] = p.data[i] + u.data[i];
          moved[key] = m;
        }
        newLoss = curvature.lossAt(moved);
        ({ damping, rho } = nextDamping(lambda, curvature.loss, newLoss, change, rule));
      }
      // A copy: the caller owns `updates` and may modify them (a later transform in a chain).
      const velocity: Params = {};
      for (const [key, u] of Object.entries(updates)) velocity[key] = u.clone();
      return {
        updates,
        state: {
          count,
          damping,
          velocity,
          inner: inner.state,
          last: { learningRate: w[0], momentum: w[1] ?? 0, damping: lambda, quadChange: change, newLoss, rho },
        },
      };
    },
  };
}
