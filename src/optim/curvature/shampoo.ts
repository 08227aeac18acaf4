/**
 * Shampoo (Gupta et al. 2018, Algorithm 1; Anil et al. 2020, "Scalable second order optimization for deep
 * learning"), built from the Kronecker curvature block with statistics from the gradient itself and the
 * `inverseRoots` refresh rule, and from the diagonal block for vectors.
 */
import { Matrix } from "../../linalg/matrix.js";
import { pow } from "../../linalg/elementary.js";
import type { Params } from "../../nn/types.js";
import type { GradientTransformation } from "../transform.js";
import { adamPass } from "../transforms/first-order.js";
import { graftScale } from "../transforms/graft.js";
import {
  checkChoice,
  checkInteger,
  checkKnownFields,
  checkLearningRate,
  checkNumber,
  checkWarningHandler,
  DEFAULT_MAX_FAILURES,
} from "../transforms/options.js";
import { checkSameShapes, zerosLike } from "../transforms/params.js";
import { learningRateAt, type LearningRate } from "../transforms/schedule.js";
import { Scratch } from "../scratch.js";
import { precisionOption, type Precision } from "./precision.js";
import { parameterCoverage, readTile, writeTile } from "./blocking.js";
import { applyDiagonal, emptyDiagonalBlock, updateDiagonal, type DiagonalBlock } from "./diagonal-block.js";
import { failureLog, type WarningHandler } from "./failures.js";
import { applyTwoSided, emptyKroneckerBlock, updateStatistics, type KroneckerBlock } from "./kronecker-block.js";
import {
  refreshScheduler,
  withPendingRefreshes,
  type DelayedRefreshOptions,
  type PendingRefresh,
} from "./background-refresh.js";

export type GraftKind = "none" | "sgd" | "adam";

export interface ShampooOptions extends DelayedRefreshOptions {
  /** Step size η > 0, or a schedule. */
  learningRate: LearningRate;
  /** Momentum of the gradient β₁ ∈ [0, 1), default 0.9 (M ← β₁M + (1−β₁)∇, bias-corrected). */
  beta1?: number;
  /** Decay of the statistics β₂ ∈ (0, 1], default 1 (L ← β₂L + GGᵀ: sums, as Gupta et al. 2018). */
  beta2?: number;
  /** ε > 0 added to the statistics before the root, default 1e-12. */
  eps?: number;
  /** Where the step size comes from: "none", "sgd" or "adam" (default) grafting, per parameter. */
  graft?: GraftKind;
  /** β₂ of the Adam graft, default 0.999. */
  graftBeta2?: number;
  /** ε of the Adam graft, default 1e-8. */
  graftEps?: number;
  /**
   * Steps between refreshes of the inverse roots, default 100 (distributed_shampoo's precondition_frequency in its
   * examples; Anil et al. 2020 refresh every few hundred steps): a root of a 784² factor costs as much as dozens
   * of training steps, and the factors are sums that change slowly. 1: every step.
   */
  preconditionEvery?: number;
  /**
   * Steps between folds of a gradient into the statistics, default 1 (every step, as Gupta et al. 2018 and
   * distributed_shampoo). k > 1 folds the gradients of steps 1, k + 1, 2k + 1, … only (scalable_shampoo's
   * statistics_compute_steps): the Gram matrices ∇∇ᵀ, ∇ᵀ∇ of an m×n tile cost 2mn(m + n) flops, which at batch 1024
   * is 17% of the 784-256-256-10 MLP's SGD step; the sums then estimate the same second moments from fewer
   * gradients. Vectors' diagonal statistics follow the same schedule.
   */
  statisticsUpdateEvery?: number;
  /**
   * First step (1-based) that uses the Shampoo direction; before it the graft's step is used (the statistics
   * accumulate from step 1), default `preconditionEvery` (distributed_shampoo's start_preconditioning_step = -1):
   * the first roots then come from that many gradients rather than one.
   */
  startPreconditioningStep?: number;
  /** Precision of the statistics' Gram matrices and of the two-sided apply, default "float32" (precision.ts). */
  precision?: Precision;
  /** Largest factor dimension; larger dimensions are blocked, default 1024. */
  maxPreconditionerDim?: number;
  /** Consecutive failed refreshes of one block before an error is raised, default 3. */
  maxFailures?: number;
  /** Receives the first failure of each block (kept at its last good state), default `console.warn`. */
  onWarning?: WarningHandler;
}

export interface ShampooState {
  count: number;
  /** The gradient's moving average M (zeros at init). */
  momentum: Params;
  /** The Adam graft's second moments (null for the other grafts). */
  graftMoments: Params | null;
  /** Kronecker blocks per matrix parameter, one per tile (row-major). */
  blocks: Record<string, KroneckerBlock[]>;
  /** Diagonal blocks of the vector-shaped parameters (accumulated ∇²). */
  diagonals: Record<string, DiagonalBlock>;
  /** Refreshes in flight (`refreshDelay` > 0), per matrix parameter one entry per tile (null: none). */
  pending: Record<string, (PendingRefresh | null)[]>;
}

/**
 * Shampoo. Per step t, for each parameter with gradient ∇: M ← β₁M + (1−β₁)∇ and M̂ = M/(1−β₁ᵗ). A matrix is cut
 * into tiles of at most maxPreconditionerDim per side; per tile L ← β₂L + ∇∇ᵀ, R ← β₂R + ∇ᵀ∇ (at the steps t with
 * t − 1 divisible by `statisticsUpdateEvery`), and from step
 * `startPreconditioningStep` on, every `preconditionEvery` steps, the roots (L + εI)^{-1/4}, (R + εI)^{-1/4} are
 * refreshed; the direction is S = (L + εI)^{-1/4} M̂ (R + εI)^{-1/4}. A refresh at step t is used from step
 * t + `refreshDelay` (background-refresh.ts; the roots before it until then), except the first roots of a tile,
 * which are used at once. Vectors and 1×n/n×1 parameters use the diagonal form d ← β₂d + ∇², S = M̂/√(d + ε). Grafting: "none" steps by −η·S; "sgd"/"adam" by −η·‖D‖·S/‖S‖ with
 * D = M̂ (sgd) or Adam's direction for M and the graft's second moment (adam), per parameter. Before the start
 * step the update is −η·D (−η·M̂ with graft "none").
 */
export function shampoo(options: ShampooOptions): GradientTransformation<ShampooState> {
  const name = "shampoo";
  checkKnownFields(name, options, [
    "learningRate",
    "beta1",
    "beta2",
    "eps",
    "graft",
    "graftBeta2",
    "graftEps",
    "preconditionEvery",
    "statisticsUpdateEvery",
    "startPreconditioningStep",
    "maxPreconditionerDim",
    "precision",
    "maxFailures",
    "onWarning",
    "refreshDelay",
    "backgroundRefresh",
  ]);
  const lr = checkLearningRate(name, "learningRate", options.learningRate);
  const beta1 = checkNumber(name, "beta1", options.beta1 ?? 0.9, 0, 1, { openHigh: true });
  const beta2 = checkNumber(name, "beta2", options.beta2 ?? 1, 0, 1, { openLow: true });
  const eps = checkNumber(name, "eps", options.eps ?? 1e-12, 0, Infinity, { openLow: true });
  const graftKind = checkChoice(name, "graft", options.graft ?? "adam", ["none", "sgd", "adam"] as const);
  const graftHyper = {
    b1: beta1,
    b2: checkNumber(name, "graftBeta2", options.graftBeta2 ?? 0.999, 0, 1, { openHigh: true }),
    eps: checkNumber(name, "graftEps", options.graftEps ?? 1e-8, 0, Infinity, { openLow: true }),
  };
  const every = checkInteger(name, "preconditionEvery", options.preconditionEvery ?? 100, 1);
  const start = checkInteger(name, "startPreconditioningStep", options.startPreconditioningStep ?? every, 1);
  const statsEvery = checkInteger(name, "statisticsUpdateEvery", options.statisticsUpdateEvery ?? 1, 1);
  const { gram, product } = precisionOption(name, options.precision);
  const maxDim = checkInteger(name, "maxPreconditionerDim", options.maxPreconditionerDim ?? 1024, 1);
  const maxFailures = checkInteger(name, "maxFailures", options.maxFailures ?? DEFAULT_MAX_FAILURES, 1);
  const coverage = { maxDim, vectors: "diagonal" } as const;
  const scratch = new Scratch();
  const warn = checkWarningHandler(name, options.onWarning);
  const failures = failureLog(name, maxFailures, warn);
  const refreshes = refreshScheduler(name, { rule: "inverseRoots", power: -0.25, eps }, options, every, warn);

  return {
    // States saved before delayed refreshes have no `pending`.
    upgradeState: (old) => withPendingRefreshes(old) as ShampooState,
    // Reads no layer statistics: the pass need not compute them.
    needsStats: () => false,
    init(params) {
      const blocks: Record<string, KroneckerBlock[]> = {};
      const diagonals: Record<string, DiagonalBlock> = {};
      for (const [key, p] of Object.entries(params)) {
        const cover = parameterCoverage(p, coverage);
        if (cover.kind === "kronecker") blocks[key] = cover.tiles.map(() => emptyKroneckerBlock());
        else diagonals[key] = emptyDiagonalBlock();
      }
      return {
        count: 0,
        momentum: zerosLike(params),
        graftMoments: graftKind === "adam" ? zerosLike(params) : null,
        blocks,
        diagonals,
        pending: {},
      };
    },
    update(grads, state) {
      checkSameShapes(name, grads, "grads", state.momentum, "state");
      const t = state.count + 1;
      const eta = learningRateAt(name, lr, state.count);
      const precondition = t >= start;
      const refreshNow = precondition && (t - start) % every === 0;
      const foldNow = (t - 1) % statsEvery === 0;
      const momentum: Params = {};
      const graftMoments: Params | null = graftKind === "adam" ? {} : null;
      const blocks = { ...state.blocks };
      const diagonals = { ...state.diagonals };
      const pending = { ...state.pending };
      const updates: Params = {};
      for (const [key, g] of Object.entries(grads)) {
        // M and the Adam graft's v share Adam's moment arithmetic (the graft then equals adam exactly).
        const n = g.data.length;
        const mk = new Matrix(g.rows, g.cols);
        const Mhat = scratch.matrix(`${key}:Mhat`, g.rows, g.cols);
        const bc1 = 1 - pow(beta1, t);
        let D = Mhat;
        if (graftMoments) {
          const vk = new Matrix(g.rows, g.cols);
          D = scratch.matrix(`${key}:D`, g.rows, g.cols);
          const v0 = state.graftMoments?.[key]?.data ?? new Float64Array(n);
          adamPass(g.data, state.momentum[key].data, v0, t, graftHyper, mk.data, vk.data, D.data);
          graftMoments[key] = vk;
          for (let i = 0; i < n; i++) Mhat.data[i] = mk.data[i] / bc1;
        } else {
          const m0 = state.momentum[key].data;
          const c1 = 1 - beta1;
          for (let i = 0; i < n; i++) {
            const mi = beta1 * m0[i] + c1 * g.data[i];
            mk.data[i] = mi;
            Mhat.data[i] = mi / bc1;
          }
        }
        momentum[key] = mk;

        let S: Matrix;
        const cover = parameterCoverage(g, coverage);
        if (cover.kind === "kronecker" && key in blocks) {
          const grid = cover.tiles;
          // One tile covering g: its product is S itself; otherwise the tiles' products are assembled in S.
          S = grid.length === 1 ? Mhat : scratch.matrix(`${key}:S`, g.rows, g.cols);
          const next: KroneckerBlock[] = [];
          const inFlight = grid.map((_, i) => state.pending[key]?.[i] ?? null);
          grid.forEach((tile, i) => {
            const Gt = readTile(g, tile);
            const folded = foldNow
              ? updateStatistics(
                  blocks[key][i],
                  { batch: gram(Gt, { trans: true }), scale: 1 },
                  { batch: gram(Gt), scale: 1 },
                  beta2,
                  1,
                )
              : { block: blocks[key][i], error: null };
            let block = folded.block;
            let refreshError: string | null = null;
            const launched = inFlight[i];
            if (launched !== null && t >= launched.due) {
              const r = refreshes.complete(block, launched);
              block = r.block;
              refreshError = r.error;
              inFlight[i] = null;
            }
            if (precondition && folded.error === null && (refreshNow || block.leftCache === null)) {
              // A tile's first roots are used at once: until then it has none to keep using.
              if (refreshes.delay === 0 || block.leftCache === null) {
                const r = refreshes.refreshNow(block);
                block = r.block;
                refreshError ??= r.error;
              } else inFlight[i] = refreshes.launch(block, t + refreshes.delay);
            }
            const error = folded.error ?? refreshError;
            next.push({
              ...block,
              failures: failures.next(`${key}[tile ${i}]`, block.failures, error),
            });
            const St = applyTwoSided(block, readTile(Mhat, tile), scratch, `${key}[${i}]`, product);
            if (grid.length === 1) S = St;
            else writeTile(S, tile, St);
          });
          blocks[key] = next;
          if (inFlight.some((p) => p !== null)) pending[key] = inFlight;
          else delete pending[key];
        } else {
          const prev = diagonals[key] ?? emptyDiagonalBlock();
          const squares = (): Matrix =>
            new Matrix(
              g.rows,
              g.cols,
              g.data.map((x) => x * x),
            );
          const folded = foldNow ? updateDiagonal(prev, squares(), beta2, 1) : { block: prev, error: null };
          diagonals[key] = {
            ...folded.block,
            failures: failures.next(key, prev.failures, folded.error),
          };
          S = applyDiagonal(folded.block, Mhat, -0.5, eps);
        }
        const u = new Matrix(g.rows, g.cols);
        if (precondition && graftKind !== "none") {
          // −η·(c·S) with c = ‖D‖/‖S‖: the graft and the step in one pass.
          const c = graftScale(D, S);
          for (let i = 0; i < n; i++) u.data[i] = -eta * (c * S.data[i]);
        } else {
          const dir = precondition ? S.data : D.data;
          for (let i = 0; i < n; i++) u.data[i] = -eta * dir[i];
        }
        updates[key] = u;
      }
      return { updates, state: { count: t, momentum, graftMoments, blocks, diagonals, pending } };
    },
  };
}
