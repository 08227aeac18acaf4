/**
 * KFAC (Martens & Grosse 2015; Grosse & Martens 2016 for convolutions) and EKFAC (George et al. 2018), built from
 * the Kronecker curvature block: per dense/conv2d layer one block over [W | b] with factors A (inputs) and G
 * (output gradients) from `ctx.stats`, batch-norm scale/shift through a diagonal block, and any parameter no
 * statistics cover left unpreconditioned. The two differ only in the refresh rule and in how the refreshed cache
 * is applied.
 */
import { Matrix } from "../../linalg/matrix.js";
import type { KroneckerStats, Params } from "../../nn/types.js";
import type { GradientTransformation } from "../transform.js";
import { requireParams } from "../transforms/first-order.js";
import {
  checkBoolean,
  checkChoice,
  checkInteger,
  checkKnownFields,
  checkLearningRate,
  checkNumber,
  checkWarningHandler,
  DEFAULT_MAX_FAILURES,
} from "../transforms/options.js";
import { allFinite, treeDot } from "../transforms/params.js";
import { learningRateAt, type LearningRate } from "../transforms/schedule.js";
import { Scratch } from "../scratch.js";
import { precisionOption, type Precision, type PrecisionKernels } from "./precision.js";
import { failureLog, type WarningHandler } from "./failures.js";
import { blockDiagonalRight, chunkSizes, coveredDiagonally } from "./blocking.js";
import { adaptiveStep, isAdaptive, resolveAdaptive, type AdaptiveOptions, type AdaptiveState } from "./adaptive.js";
import { applyDiagonal, emptyDiagonalBlock, updateDiagonal, type DiagonalBlock } from "./diagonal-block.js";
import {
  applyTwoSided,
  ema,
  emptyKroneckerBlock,
  rotate,
  rotateBack,
  updateStatistics,
  type BlockSizes,
  type KroneckerBlock,
  type RefreshResult,
} from "./kronecker-block.js";
import {
  refreshScheduler,
  withPendingRefreshes,
  type DelayedRefreshOptions,
  type PendingRefresh,
} from "./background-refresh.js";
import type { RefreshSpec } from "./refresh-spec.js";
import {
  batchFactors,
  factoredIsCheaper,
  factoredTwoSided,
  gradientIsFactored,
  joinedGradient,
  outputGradients,
  perExampleGradients,
  projectedSecondMoments,
  readStats,
  splitJoined,
  type FisherKind,
  type LayerKeys,
} from "./layer-stats.js";

export interface KfacOptions extends DelayedRefreshOptions {
  /** Step size η > 0, or a schedule. */
  learningRate: LearningRate;
  /** Tikhonov damping λ > 0, default 1e-3 (KFAC: split between the factors by π; EKFAC: added to the scalings). */
  damping?: number;
  /** Decay of the factors' moving averages, in [0, 1), default 0.95 (0: the current batch only). */
  emaDecay?: number;
  /** Steps between refreshes of the inverses (KFAC) or eigenbases (EKFAC), default 10; 1 refreshes every step. */
  inverseEvery?: number;
  /**
   * Steps between folds of a batch's factors A, G into their moving averages, default 10 (kfac-pytorch's
   * factor_update_steps in its examples): the Gram matrices of the statistics cost more than the step itself at
   * batch 1024, and a moving average over every 10th batch estimates the same expectation. 1: every step.
   */
  factorUpdateEvery?: number;
  /**
   * EKFAC only: steps between re-estimates of the scalings (the second moments in the eigenbasis) from the
   * per-example projections, default 1 (every step, George et al. 2018's Algorithm 1). The projections cost
   * 2n(out² + in²) flops, more than the rest of the step at batch 1024; 10 (kfac-jax's curvature_update_period
   * treats them like the factors) makes that step 1.8× cheaper but cost 0.006 test accuracy on fashion-mlp, so it
   * is an option, not the default.
   */
  scalingUpdateEvery?: number;
  /**
   * Precision of the Gram matrices of the statistics, the applies and EKFAC's rotations and projections, default
   * "float32" (twice the float64 rate); the factors are accumulated, factored (Cholesky) and eigendecomposed in
   * float64, and KFAC's inverse L⁻ᵀL⁻¹ is formed as a float32 Gram matrix (precision.ts's `spdInverse`).
   * "float64" reproduces the reference implementations to round-off. See precision.ts.
   */
  precision?: Precision;
  /**
   * Largest diagonal block of a factor, default 1024: a side wider than this (the 2c2d network's 3137-wide dense
   * input) gets a block-diagonal factor of ⌈n/max⌉ near-equal blocks, the dense factor's diagonal blocks, refreshed
   * and applied block by block (distributed_shampoo's max_preconditioner_dim, 1024–8192 in its examples; Anil et
   * al. 2020 §4). A 3137² inverse costs 31 GFLOP, four 785² blocks 1.9; the apply's products shrink likewise.
   * The 784-256-256-10 MLP's factors (785 at most) stay whole. A value at least the widest side: no blocking.
   */
  maxPreconditionerDim?: number;
  /**
   * Apply the step through the layer's statistics, (gL)ᵀ(aR)/n, instead of through the gradient, when that costs
   * fewer flops (a batch smaller than the layer) and the gradient is checked to be gᵀa/n; default true. The same
   * step up to round-off. false: always through the gradient.
   */
  lowRankApply?: boolean;
  /** "empirical" (default): G from the gradients for the true targets; "sampled": from stats.gSampled. */
  fisher?: FisherKind;
  /** KL-clipping bound c > 0: the step is scaled by min(1, √(c/(η² Σ⟨Δ, ∇⟩))); default: no clipping. */
  klClip?: number;
  /** Momentum μ ∈ [0, 1) on the preconditioned step (PyTorch SGD form), default 0. */
  momentum?: number;
  /** L2 weight decay added to the preconditioned step (as kfac-pytorch), default 0. */
  weightDecay?: number;
  /** Consecutive failed steps of one block before an error is raised, default 3. */
  maxFailures?: number;
  /** Receives the first failure of each block (kept at its last good state), default `console.warn`. */
  onWarning?: WarningHandler;
  /**
   * Steps k between a refresh's factors and the first step that uses its inverses (KFAC) or eigenbasis (EKFAC),
   * from 0 to `inverseEvery`. With k > 0 the refresh launched at step t from the factors of step t replaces the
   * preconditioner at step t + k exactly, and is computed meanwhile (in a background thread by default), so the
   * training loop does not wait for it (docs/background-refresh.md); a layer's first one is used at once. 0:
   * refreshed and used at the same step. Default `inverseEvery` when that is above 1 (as Shampoo's and SOAP's
   * `preconditionEvery`), else 0, so a refresh every step stays current. `refreshDelay: 0` gives the earlier default.
   */
  refreshDelay?: number;
  /**
   * Compute delayed refreshes of large blocks in a background thread (Node), default true; false: on the training
   * thread at the due step. The same numbers either way.
   */
  backgroundRefresh?: boolean;
}

export interface KfacState {
  count: number;
  /** One Kronecker block per dense/conv2d layer, by weight key (left: G, right: A). */
  layers: Record<string, KroneckerBlock>;
  /** EKFAC's second moments in each layer's eigenbasis (out×(in [+1])); empty for KFAC. */
  scalings: Record<string, Matrix>;
  /** One diagonal block per batch-norm parameter (moving average of per-example squared gradients), by key. */
  diagonals: Record<string, DiagonalBlock>;
  /** Momentum buffers (null before the first step or with momentum 0). */
  momentum: Params | null;
  /** Refreshes in flight (`refreshDelay` > 0), by weight key. */
  pending: Record<string, PendingRefresh>;
}

interface Resolved {
  lr: LearningRate;
  damping: number;
  decay: number;
  every: number;
  factorEvery: number;
  scalingEvery: number;
  kernels: PrecisionKernels;
  maxDim: number;
  lowRank: boolean;
  fisher: FisherKind;
  klClip: number | null;
  mu: number;
  wd: number;
  maxFailures: number;
  onWarning: WarningHandler;
}

function resolve(name: string, o: KfacOptions): Resolved {
  checkKnownFields(name, o, [
    "learningRate",
    "damping",
    "emaDecay",
    "inverseEvery",
    "factorUpdateEvery",
    ...(name === "ekfac" ? ["scalingUpdateEvery"] : []),
    "precision",
    "maxPreconditionerDim",
    "lowRankApply",
    "fisher",
    "klClip",
    "momentum",
    "weightDecay",
    "maxFailures",
    "onWarning",
    "refreshDelay",
    "backgroundRefresh",
  ]);
  const factorEvery = checkInteger(name, "factorUpdateEvery", o.factorUpdateEvery ?? 10, 1);
  return {
    lr: checkLearningRate(name, "learningRate", o.learningRate),
    damping: checkNumber(name, "damping", o.damping ?? 1e-3, 0, Infinity, { openLow: true }),
    decay: checkNumber(name, "emaDecay", o.emaDecay ?? 0.95, 0, 1, { openHigh: true }),
    every: checkInteger(name, "inverseEvery", o.inverseEvery ?? 10, 1),
    factorEvery,
    scalingEvery: checkInteger(name, "scalingUpdateEvery", o.scalingUpdateEvery ?? 1, 1),
    kernels: precisionOption(name, o.precision),
    maxDim: checkInteger(name, "maxPreconditionerDim", o.maxPreconditionerDim ?? 1024, 1),
    lowRank: checkBoolean(name, "lowRankApply", o.lowRankApply ?? true),
    fisher: checkChoice(name, "fisher", o.fisher ?? "empirical", ["empirical", "sampled"] as const),
    klClip: o.klClip === undefined ? null : checkNumber(name, "klClip", o.klClip, 0, Infinity, { openLow: true }),
    mu: checkNumber(name, "momentum", o.momentum ?? 0, 0, 1, { openHigh: true }),
    wd: checkNumber(name, "weightDecay", o.weightDecay ?? 0, 0, Infinity),
    maxFailures: checkInteger(name, "maxFailures", o.maxFailures ?? DEFAULT_MAX_FAILURES, 1),
    onWarning: checkWarningHandler(name, o.onWarning),
  };
}

/** What each variant's step gives for a layer once its statistics are folded in and its cache refreshed. */
interface LayerStep {
  scaling: Matrix | null;
  direction: Matrix;
  error: string | null;
}

/**
 * One layer's step (`weight`: its weight's key) with the block's current cache. `s` and `g` (its statistics and
 * the output gradients of the chosen Fisher) are null at a step that neither folds nor re-estimates and was given
 * no statistics for the layer (`needsStats`); g is also null at a step that does not read it. `refreshed`: what
 * the refresh installed in the cache at this step, if one did; `scale`: whether EKFAC re-estimates its scalings.
 */
type LayerApply = (
  weight: string,
  s: KroneckerStats | null,
  g: Matrix | null,
  sizes: BlockSizes,
  block: KroneckerBlock,
  scaling: Matrix | null,
  grad: Matrix,
  refreshed: RefreshResult | null,
  scale: boolean,
  o: Resolved,
  scratch: Scratch,
) => LayerStep;

/** A member of the family: the refresh rule of its cache, and its step with that cache. */
interface Variant {
  refresh: (o: Resolved) => RefreshSpec;
  step: LayerApply;
}

/**
 * Whether this layer's two-sided product with caches L (out×out) and R (in×in) should go through the statistics:
 * allowed, a dense layer, cheaper, and the gradient is the factored one. Dense only: a conv2d layer's statistics
 * have n·outH·outW rows, which outnumber its width in any but toy settings, and they are asked of the pass only at
 * the steps that fold them (`needsStats`), so the step is the same whether or not a pass gives them.
 */
function useFactored(s: KroneckerStats | null, grad: Matrix, sizes: BlockSizes, o: Resolved): s is KroneckerStats {
  return (
    s !== null &&
    s.kind === "dense" &&
    o.lowRank &&
    factoredIsCheaper(grad.rows, grad.cols, s.a.rows, sizes) &&
    gradientIsFactored(grad, s)
  );
}

/** KFAC: the damped inverses; the step G_λ⁻¹ ∇ A_λ⁻¹ (through the statistics when cheaper). */
const KFAC: Variant = {
  refresh: (o) => ({ rule: "dampedInverses", damping: o.damping, precision: o.kernels.precision }),
  step(weight, s, _g, sizes, block, _scaling, grad, _refreshed, _scale, o, scratch) {
    const { product } = o.kernels;
    const direction = useFactored(s, grad, sizes, o)
      ? factoredTwoSided(s, block.leftCache, block.rightCache, product, scratch, `${weight}:lr`, sizes)
      : applyTwoSided(block, grad, scratch, weight, product, sizes);
    return { scaling: null, direction, error: null };
  },
};

/**
 * EKFAC: the eigenbases Q_G, Q_A of the factors; when a refresh installs them the scalings are reset to the KFAC
 * values λ_G λ_Aᵀ of the factors they came from (with a delay, those of the launch step: the scalings always
 * belong to the basis in use); every `scalingUpdateEvery` steps S ← decay·S + (1−decay)·(batch second moments in
 * the basis in use); the step is Q_G [(Q_Gᵀ ∇ Q_A) / (S + λ)] Q_Aᵀ. The rotation in reuses the projections gQ_G,
 * aQ_A of the second moments ((gQ_G)ᵀ(aQ_A)/n) when the gradient is the factored one; between re-estimates it goes
 * through the statistics or the gradient, whichever is cheaper (as KFAC's apply).
 */
const ekfacStep: LayerApply = (weight, s, g, sizes, block, scaling, grad, refreshed, scale, o, scratch) => {
  let error: string | null = null;
  if (refreshed?.leftValues && refreshed.rightValues) {
    const lg = refreshed.leftValues;
    const la = refreshed.rightValues;
    scaling = new Matrix(lg.length, la.length);
    for (let i = 0; i < lg.length; i++)
      for (let j = 0; j < la.length; j++) scaling.data[i * la.length + j] = lg[i] * la[j];
  }
  if (!block.leftCache || !block.rightCache || !scaling) return { scaling, direction: grad, error };
  const { product } = o.kernels;
  const [QG, QA] = [block.leftCache, block.rightCache];
  let P: Matrix;
  // A re-estimate happens at steps that ask for every layer's statistics (`statsDue`), so s and g are there.
  if (scale && s && g) {
    const gp = blockDiagonalRight(scratch.matrix(`${weight}:gp`, g.rows, g.cols), g, QG, sizes.left, false, product);
    const ap = blockDiagonalRight(
      scratch.matrix(`${weight}:ap`, s.a.rows, s.a.cols),
      s.a,
      QA,
      sizes.right,
      false,
      product,
    );
    if (g === s.g && o.lowRank && gradientIsFactored(grad, s)) {
      P = product(scratch.matrix(`${weight}:in`, g.cols, s.a.cols), gp, ap, { transA: true, alpha: 1 / s.batchSize });
    } else P = rotate(block, grad, scratch, `${weight}:in`, product, sizes);
    const batch = projectedSecondMoments(s, gp, ap, product);
    if (allFinite(batch.data)) scaling = ema(scaling, batch, o.decay, 1 - o.decay);
    else error ??= "the batch's second moments in the eigenbasis have NaN/Inf entries";
  } else if (useFactored(s, grad, sizes, o)) {
    P = factoredTwoSided(s, QG, QA, product, scratch, `${weight}:in`, sizes);
  } else P = rotate(block, grad, scratch, `${weight}:in`, product, sizes);
  for (let i = 0; i < P.data.length; i++) P.data[i] /= scaling.data[i] + o.damping;
  return { scaling, direction: rotateBack(block, P, scratch, `${weight}:back`, product, sizes), error };
};
const EKFAC: Variant = { refresh: () => ({ rule: "eigenbases" }), step: ekfacStep };

/**
 * The default `refreshDelay` for a refresh period of `every` steps: the whole period (each refresh lands when the
 * next is launched, the off-critical-path schedule of Anil et al. 2020, "Scalable second order optimization", §5),
 * except at a period of 1, where a delay would make every step's preconditioner a step old.
 */
function defaultRefreshDelay(every: number): number {
  return every > 1 ? every : 0;
}

function kfacFamily(name: string, options: KfacOptions, variant: Variant): GradientTransformation<KfacState> {
  const o = resolve(name, options);
  const scratch = new Scratch();
  const failures = failureLog(name, o.maxFailures, o.onWarning);
  const rescales = variant === EKFAC;
  const refreshes = refreshScheduler(name, variant.refresh(o), options, o.every, o.onWarning, {
    option: "inverseEvery",
    defaultDelay: defaultRefreshDelay(o.every),
  });
  /**
   * Why the step after `count` steps reads every layer's statistics (it folds the batch factors or, EKFAC,
   * re-estimates the scalings), or null when it reads only the dense and batch-norm ones (`needsStats`).
   */
  const statsDue = (count: number): string | null => {
    if (count % o.factorEvery === 0)
      return `step ${count + 1}, which folds the batch factors (factorUpdateEvery ${o.factorEvery})`;
    if (rescales && count % o.scalingEvery === 0)
      return `step ${count + 1}, which re-estimates the scalings (scalingUpdateEvery ${o.scalingEvery})`;
    return null;
  };
  /** The parameter keys of every Kronecker layer seen in the statistics, for its steps without them. */
  const layouts = new Map<string, LayerKeys>();
  return {
    init: () => ({ count: 0, layers: {}, scalings: {}, diagonals: {}, momentum: null, pending: {} }),
    // States saved before delayed refreshes have no `pending`.
    upgradeState: (old) => withPendingRefreshes(old) as KfacState,
    /**
     * All statistics at the steps that fold them (and EKFAC's re-estimates), and while a layer's keys are unknown
     * (the first step, or a state loaded into a new optimizer); between them the dense layers' (its low-rank apply;
     * they cost the pass next to nothing) and batch-norm's (its diagonal block is updated every step). A conv2d
     * layer's patches, the expensive part of the pass, are computed only every `factorUpdateEvery` steps.
     */
    needsStats(state) {
      if (statsDue(state.count) !== null || Object.keys(state.layers).some((w) => !layouts.has(w))) return true;
      return o.lowRank ? ["dense", "batchNorm"] : ["batchNorm"];
    },
    update(grads, state, params, ctx) {
      const due = statsDue(state.count);
      const stats = readStats(name, grads, ctx, due);
      const theta = o.wd > 0 ? requireParams(name, grads, params) : undefined;
      const t = state.count + 1;
      const eta = learningRateAt(name, o.lr, state.count);
      const refreshNow = (t - 1) % o.every === 0;
      const foldNow = (t - 1) % o.factorEvery === 0;
      const scaleNow = rescales && (t - 1) % o.scalingEvery === 0;
      const layers = { ...state.layers };
      const scalings = { ...state.scalings };
      const diagonals = { ...state.diagonals };
      const pending = { ...state.pending };
      const direction: Params = {};
      // The Kronecker layers of this step: those with statistics, then those with a block but none this step.
      const kronecker: { keys: LayerKeys; s: KroneckerStats | null }[] = [];
      const covered = new Set<string>();
      for (const s of stats) {
        covered.add(s.weight);
        if (s.bias !== undefined) covered.add(s.bias);
        if (!coveredDiagonally(s)) {
          layouts.set(s.weight, { weight: s.weight, bias: s.bias });
          kronecker.push({ keys: s, s });
          continue;
        }
        const per = perExampleGradients(name, s, o.fisher);
        for (const key of [s.weight, s.bias]) {
          const gradient = grads[key];
          const rows = per[key];
          if (!rows || rows.cols !== gradient.cols || rows.rows !== s.batchSize || gradient.rows !== 1) {
            throw new TypeError(
              `${name}: batch-norm "${key}": need a 1×C gradient and ${s.batchSize}×C per-example gradients, got ` +
                `${gradient.shape()} and ${rows ? rows.shape() : "none"}`,
            );
          }
          // The diagonal of the Fisher: F_j = (1/n) Σᵢ (∂ℓᵢ/∂θ_j)².
          const batch = new Matrix(1, rows.cols);
          for (let i = 0; i < rows.rows; i++)
            for (let j = 0; j < rows.cols; j++) batch.data[j] += rows.data[i * rows.cols + j] ** 2 / s.batchSize;
          const prev = diagonals[key] ?? emptyDiagonalBlock();
          const first = prev.stat === null;
          const folded = updateDiagonal(prev, batch, first ? 0 : o.decay, first ? 1 : 1 - o.decay);
          diagonals[key] = {
            ...folded.block,
            failures: failures.next(key, prev.failures, folded.error),
          };
          direction[key] = applyDiagonal(folded.block, gradient, -1, o.damping);
        }
      }
      for (const key of Object.keys(diagonals)) {
        if (!covered.has(key)) {
          throw new TypeError(
            `${name}: batch-norm parameter "${key}" has no statistics at step ${t}; its diagonal block is updated ` +
              `every step, so the pass must return "batchNorm" statistics (as needsStats asks)`,
          );
        }
      }
      for (const weight of Object.keys(layers)) {
        if (covered.has(weight)) continue;
        const keys = layouts.get(weight);
        if (due !== null || !keys) {
          throw new TypeError(
            `${name}: layer "${weight}" has no statistics at ${due ?? `step ${t}`}` +
              (due !== null ? "" : ", the first this optimizer sees of it (a loaded state)") +
              `; pass lossAndGrad's stats option as optim.statsRequest(optimizer, state) says`,
          );
        }
        kronecker.push({ keys, s: null });
      }
      for (const { keys, s } of kronecker) {
        let block = layers[keys.weight] ?? emptyKroneckerBlock();
        const first = block.left === null;
        const g = s && (foldNow || first || scaleNow) ? outputGradients(name, s, o.fisher) : null;
        const grad = joinedGradient(grads, keys, scratch);
        let foldError: string | null = null;
        const sizes = { left: chunkSizes(grad.rows, o.maxDim), right: chunkSizes(grad.cols, o.maxDim) };
        if (s && g && (foldNow || first)) {
          const { A, G } = batchFactors(s, g, o.kernels.gram, sizes);
          const folded = updateStatistics(block, G, A, first ? 0 : o.decay, first ? 1 : 1 - o.decay);
          block = folded.block;
          foldError = folded.error;
        }
        // A refresh due now lands first; then the one of this step, if any, is computed or launched.
        let refreshed: RefreshResult | null = null;
        let refreshError: string | null = null;
        const launched = pending[keys.weight];
        if (launched !== undefined && t >= launched.due) {
          ({ block, result: refreshed, error: refreshError } = refreshes.complete(block, launched));
          delete pending[keys.weight];
        }
        // Refused statistics leave nothing new to refresh: the previous preconditioner stays. A layer's first
        // preconditioner is computed and used at once: until then it has none to keep using.
        const none = block.leftCache === null && block.left !== null;
        if ((refreshNow && foldError === null) || none) {
          if (refreshes.delay === 0 || none) {
            const r = refreshes.refreshNow(block, sizes);
            block = r.block;
            refreshed = r.result;
            refreshError ??= r.error;
          } else pending[keys.weight] = refreshes.launch(block, t + refreshes.delay, sizes);
        }
        const step = variant.step(
          keys.weight,
          s,
          g,
          sizes,
          block,
          scalings[keys.weight] ?? null,
          grad,
          refreshed,
          scaleNow || first,
          o,
          scratch,
        );
        const error = foldError ?? refreshError ?? step.error;
        layers[keys.weight] = {
          ...block,
          failures: failures.next(keys.weight, block.failures, error),
        };
        if (step.scaling) scalings[keys.weight] = step.scaling;
        splitJoined(step.direction, keys, direction);
      }
      for (const [key, g] of Object.entries(grads)) if (!(key in direction)) direction[key] = g.clone();
      // KL-clipping (kfac-pytorch): ν = min(1, √(c / (η² Σ⟨Δ, ∇⟩))).
      let nu = 1;
      if (o.klClip !== null) {
        const vg = eta * eta * treeDot(direction, grads);
        nu = vg > 0 ? Math.min(1, Math.sqrt(o.klClip / vg)) : 1;
      }
      const momentum: Params | null = o.mu > 0 ? {} : null;
      const updates: Params = {};
      for (const key of Object.keys(grads)) {
        const d = direction[key];
        const u = new Matrix(d.rows, d.cols);
        // PyTorch's SGD buffer: b ← Δ at the first step, then b ← μb + Δ; the step follows b.
        const prev = momentum ? state.momentum?.[key]?.data : undefined;
        finishStep(d.data, nu, theta?.[key].data, o.wd, prev, o.mu, eta, u.data);
        if (momentum) momentum[key] = d;
        updates[key] = u;
      }
      return { updates, state: { count: t, layers, scalings, diagonals, momentum, pending } };
    },
  };
}

/**
 * The tail of a KFAC step over one parameter, in one pass: Δ ← ν·Δ (KL-clipping, skipped when ν = 1),
 * Δ ← Δ + λθ (with θ), Δ ← Δ + μ·b_prev (with a previous buffer), u ← −η·Δ. Δ is overwritten (it becomes the
 * momentum buffer); each entry sees the same operations in the same order as separate passes would apply them.
 */
function finishStep(
  d: Float64Array,
  nu: number,
  theta: Float64Array | undefined,
  wd: number,
  prev: Float64Array | undefined,
  mu: number,
  eta: number,
  u: Float64Array,
): void {
  const clip = nu < 1;
  for (let i = 0; i < d.length; i++) {
    let x = d[i];
    if (clip) x *= nu;
    if (theta) x += wd * theta[i];
    if (prev) x += mu * prev[i];
    d[i] = x;
    u[i] = -eta * x;
  }
}

/**
 * KFAC (Martens & Grosse 2015). Per layer, with the batch factors of `batchFactors` folded into moving averages
 * A ← εA + (1−ε)A_batch, G ← εG + (1−ε)G_batch every `factorUpdateEvery` steps (the first batch initialises them),
 * every `inverseEvery` steps the damped inverses (A + π√λ I)⁻¹, (G + √λ/π I)⁻¹ are refreshed (`spdInverse` of the
 * precision: float64 Cholesky, then float64 solves or a float32 Gram matrix; block by block for a side wider than
 * `maxPreconditionerDim`), and the
 * step is Δ = G_λ⁻¹ [∇W | ∇b] A_λ⁻¹, computed as (g G_λ⁻¹)ᵀ(a A_λ⁻¹)/n when that is cheaper (`lowRankApply`), with
 * the products in `precision` (docs/second-order-cost.md).
 * Batch-norm parameters: Δ = ∇ / (F + λ), F the moving average of per-example squared gradients. Then optional
 * KL-clipping, weight decay and momentum; the update is −η·Δ. With `adaptive: true` there is no learning rate or
 * momentum: both come from the quadratic model of adaptive.ts, whose adapted λ is this damping.
 */
export function kfac(options: KfacOptions): GradientTransformation<KfacState>;
export function kfac(options: AdaptiveKfacOptions): GradientTransformation<AdaptiveState<KfacState>>;
export function kfac(
  options: KfacOptions | AdaptiveKfacOptions,
): GradientTransformation<KfacState> | GradientTransformation<AdaptiveState<KfacState>> {
  return isAdaptive(options)
    ? adaptiveFamily("kfac", options as AdaptiveKfacOptions, KFAC)
    : kfacFamily("kfac", options as KfacOptions, KFAC);
}

/**
 * EKFAC (George et al. 2018, "Fast approximate natural gradient descent in a Kronecker-factored eigenbasis"):
 * KFAC's factors and eigenbases (refreshed every `inverseEvery` steps), with the diagonal of the curvature in that
 * basis re-estimated every `scalingUpdateEvery` steps from the per-example gradients (moving average with
 * `emaDecay`); damping is added to those scalings. Otherwise as `kfac`, `adaptive: true` included.
 */
export function ekfac(options: KfacOptions): GradientTransformation<KfacState>;
export function ekfac(options: AdaptiveKfacOptions): GradientTransformation<AdaptiveState<KfacState>>;
export function ekfac(
  options: KfacOptions | AdaptiveKfacOptions,
): GradientTransformation<KfacState> | GradientTransformation<AdaptiveState<KfacState>> {
  return isAdaptive(options)
    ? adaptiveFamily("ekfac", options as AdaptiveKfacOptions, EKFAC)
    : kfacFamily("ekfac", options as KfacOptions, EKFAC);
}

/**
 * `kfac`/`ekfac` with `adaptive: true`: no learning rate or momentum; the damping option is λ₀. The quadratic-model
 * step of adaptive.ts, whose λ is also this preconditioner's damping. Needs `ctx.curvature`.
 */
export type AdaptiveKfacOptions = AdaptiveOptions &
  Pick<KfacOptions, "emaDecay" | "inverseEvery" | "fisher" | "maxFailures">;

function adaptiveFamily(name: string, options: AdaptiveKfacOptions, variant: Variant) {
  const fields = ["emaDecay", "inverseEvery", "fisher", "maxFailures"];
  const { rule, preconditioner } = resolveAdaptive(
    name,
    options as AdaptiveKfacOptions & Record<string, unknown>,
    fields,
  );
  return adaptiveStep(name, rule, (damping) =>
    // No delay: λ changes between steps, and a refresh launched under one λ must not land under another.
    kfacFamily(
      name,
      { ...(preconditioner as Partial<KfacOptions>), learningRate: 1, damping, refreshDelay: 0 },
      variant,
    ),
  );
}
