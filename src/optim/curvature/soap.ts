/**
 * SOAP (Vyas et al. 2024, "SOAP: improving and stabilizing Shampoo using Adam"): Adam run in the eigenbasis of
 * Shampoo's factors, built from the Kronecker curvature block with the `powerIterationBases` refresh rule.
 */
import { Matrix } from "../../linalg/matrix.js";
import type { Params } from "../../nn/types.js";
import type { GradientTransformation } from "../transform.js";
import { adamHyper, adamPass, requireParams } from "../transforms/first-order.js";
import {
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
import { failureLog, type WarningHandler } from "./failures.js";
import { parameterCoverage, readTile, writeTile, type Tile } from "./blocking.js";
import { emptyKroneckerBlock, rotate, rotateBack, updateStatistics, type KroneckerBlock } from "./kronecker-block.js";
import {
  refreshScheduler,
  withPendingRefreshes,
  type DelayedRefreshOptions,
  type PendingRefresh,
  type RefreshDone,
} from "./background-refresh.js";

export interface SoapOptions extends DelayedRefreshOptions {
  /** Step size η > 0, or a schedule. */
  learningRate: LearningRate;
  /** Adam's β₁, default 0.95. */
  b1?: number;
  /** Adam's β₂, default 0.95. */
  b2?: number;
  /** Adam's ε, default 1e-8. */
  eps?: number;
  /** Decoupled weight decay, default 0.01. */
  weightDecay?: number;
  /** Decay of Shampoo's factors L, R (moving averages), default: b2. */
  shampooBeta?: number;
  /** Steps between refreshes of the eigenbasis, default 10. */
  preconditionEvery?: number;
  /**
   * Steps between folds of a gradient into the factors L, R, default 1 (every step, as soap.py). k > 1 folds the
   * gradients of calls 1, k + 1, 2k + 1, … only (as `shampoo`'s option, after scalable_shampoo's
   * statistics_compute_steps); each fold keeps the weight 1 − `shampooBeta`, so the moving averages span k times
   * as many steps. The Gram matrices of an m×n tile cost 2mn(m + n) flops per fold; Adam in the basis still runs
   * every step.
   */
  statisticsUpdateEvery?: number;
  /**
   * Largest side of a block, default 1024: a matrix with a longer side is cut into tiles of at most this size,
   * each with its own factors and bases (distributed_shampoo's max_preconditioner_dim, as `shampoo`). Before, a
   * side longer than 10000 kept the identity basis and a shorter one was never blocked: the 2c2d network's
   * 1024×3136 dense weight then rotated through a 3136² basis every step (53 GFLOP, 5× its SGD step).
   */
  maxPreconditionerDim?: number;
  /** Precision of the Gram matrices and of the rotations in and out of the basis, default "float32" (precision.ts). */
  precision?: Precision;
  /** Consecutive failed refreshes of one block before an error is raised, default 3. */
  maxFailures?: number;
  /** Receives the first failure of each block (kept at its last good state), default `console.warn`. */
  onWarning?: WarningHandler;
}

export interface SoapState {
  count: number;
  /** Adam's first moment, in each parameter's eigenbasis coordinates. */
  m: Params;
  /** Adam's second moment, in each parameter's eigenbasis coordinates. */
  v: Params;
  /** The Kronecker blocks (factors L, R and their eigenbases) of each matrix parameter, one per tile (row-major). */
  blocks: Record<string, KroneckerBlock[]>;
  /** Basis refreshes in flight (`refreshDelay` > 0), per matrix parameter one entry per tile (null: none). */
  pending: Record<string, (PendingRefresh | null)[]>;
}

/**
 * A SOAP state saved before tiles, with one Kronecker block per matrix (`blocks[name]` a block, not a list), as
 * the single tile `[block]` it is now; any other value unchanged.
 */
function withTiledBlocks(old: unknown): unknown {
  const isRecord = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);
  if (!isRecord(old) || !isRecord(old.blocks)) return old;
  const blocks = Object.entries(old.blocks).map(([key, block]) => [key, Array.isArray(block) ? block : [block]]);
  return { ...old, blocks: Object.fromEntries(blocks) };
}

/** v with its rows and/or columns reordered like the basis columns (row k ← row order[k]). */
function permute(v: Matrix, rowOrder?: number[], colOrder?: number[]): Matrix {
  if (!rowOrder && !colOrder) return v;
  const out = new Matrix(v.rows, v.cols);
  for (let i = 0; i < v.rows; i++) {
    const si = rowOrder ? rowOrder[i] : i;
    for (let j = 0; j < v.cols; j++) out.data[i * v.cols + j] = v.data[si * v.cols + (colOrder ? colOrder[j] : j)];
  }
  return out;
}

/**
 * SOAP. For a matrix parameter with gradient ∇ and eigenbases Q_L, Q_R of L ← βL + (1−β)∇∇ᵀ and
 * R ← βR + (1−β)∇ᵀ∇: ∇' = Q_Lᵀ∇Q_R, m ← β₁m + (1−β₁)∇', v ← β₂v + (1−β₂)∇'² (both in basis coordinates; m is
 * rotated exactly when the basis changes, which equals the reference's m kept in the original coordinates), step
 * −η·Q_L [Adam(m, v)] Q_Rᵀ − η·λθ, with Adam's bias-corrected direction as in `adam`.
 * The first call only folds the first gradient's factors and takes their eigenbases, and returns zero updates (as
 * soap.py, whose first step is skipped: that gradient rotated into its own basis is diagonal up to round-off, and
 * Adam would divide the round-off by ε); Adam's step count τ starts at the second call. The factors are updated
 * after each step (after every `statisticsUpdateEvery`-th call) and the basis refreshed every `preconditionEvery` Adam steps by one power iteration and QR
 * (`powerIterationBases`, v permuted with the basis); a refresh launched after Adam step τ replaces the basis
 * after step τ + `refreshDelay` (background-refresh.ts), the previous basis being used until then.
 * A matrix with a side longer than maxPreconditionerDim is cut into tiles, each its own block (m and v of a tile
 * live in that tile's basis); non-matrix parameters keep the identity basis (plain AdamW).
 */
export function soap(options: SoapOptions): GradientTransformation<SoapState> {
  const name = "soap";
  checkKnownFields(name, options, [
    "learningRate",
    "b1",
    "b2",
    "eps",
    "weightDecay",
    "shampooBeta",
    "preconditionEvery",
    "statisticsUpdateEvery",
    "maxPreconditionerDim",
    "precision",
    "maxFailures",
    "onWarning",
    "refreshDelay",
    "backgroundRefresh",
  ]);
  const lr = checkLearningRate(name, "learningRate", options.learningRate);
  const h = adamHyper(name, options, { b1: 0.95, b2: 0.95, eps: 1e-8 });
  const wd = checkNumber(name, "weightDecay", options.weightDecay ?? 0.01, 0, Infinity);
  const beta = checkNumber(name, "shampooBeta", options.shampooBeta ?? h.b2, 0, 1, { openHigh: true });
  const every = checkInteger(name, "preconditionEvery", options.preconditionEvery ?? 10, 1);
  const statsEvery = checkInteger(name, "statisticsUpdateEvery", options.statisticsUpdateEvery ?? 1, 1);
  const maxDim = checkInteger(name, "maxPreconditionerDim", options.maxPreconditionerDim ?? 1024, 1);
  const maxFailures = checkInteger(name, "maxFailures", options.maxFailures ?? DEFAULT_MAX_FAILURES, 1);
  const { precision, gram, product } = precisionOption(name, options.precision);
  const coverage = { maxDim, vectors: "none" } as const;
  const scratch = new Scratch();
  const warn = checkWarningHandler(name, options.onWarning);
  const failures = failureLog(name, maxFailures, warn);
  const refreshes = refreshScheduler(name, { rule: "powerIterationBases", precision }, options, every, warn);

  /** Folds ∇'s factors into the block. */
  const fold = (block: KroneckerBlock, g: Matrix): { block: KroneckerBlock; error: string | null } =>
    updateStatistics(
      block,
      { batch: gram(g, { trans: true }), scale: 1 },
      { batch: gram(g), scale: 1 },
      beta,
      1 - beta,
    );

  /** The tiles of a parameter with blocks. */
  const tilesOf = (g: Matrix): Tile[] => {
    const cover = parameterCoverage(g, coverage);
    return cover.kind === "kronecker" ? cover.tiles : [];
  };

  /**
   * One tile's SOAP step at Adam step τ: its gradient g, its m and v (in its basis coordinates) and its refresh in
   * flight. Returns the new block, m, v, the direction (in the parameter's coordinates), the refresh now in flight
   * and the failure, if any.
   */
  const tileStep = (
    label: string,
    block: KroneckerBlock,
    g: Matrix,
    mPrev: Matrix,
    vPrev: Matrix,
    tau: number,
    inFlight: PendingRefresh | null,
  ): {
    block: KroneckerBlock;
    m: Matrix;
    v: Matrix;
    dir: Matrix;
    pending: PendingRefresh | null;
    error: string | null;
  } => {
    let error: string | null = null;
    // A block whose first basis failed (non-finite statistics) builds it at the next clean step.
    const firstBasis = block.leftCache === null && block.rightCache === null;
    if (firstBasis) {
      const folded = fold(block, g);
      const r = refreshes.refreshNow(folded.block);
      // m was kept in the identity basis until now.
      if (r.error === null) mPrev = rotate(r.block, mPrev, scratch, `${label}:m0`, product);
      block = r.block;
      error = folded.error ?? r.error;
    }
    // m and v both live in the basis coordinates: m ← β₁m + (1−β₁)∇' is the projection of the reference's
    // m (kept in the parameter's coordinates and projected every step), two products cheaper.
    const gp = rotate(block, g, scratch, `${label}:g`, product);
    let m = new Matrix(g.rows, g.cols);
    let v = new Matrix(g.rows, g.cols);
    const step = scratch.matrix(`${label}:step`, g.rows, g.cols);
    adamPass(gp.data, mPrev.data, vPrev.data, tau, h, m.data, v.data, step.data);
    const dir = rotateBack(block, step, scratch, `${label}:dir`, product);
    let pending = inFlight;
    if (!firstBasis) {
      // Adam step τ is call τ + 1: the first call folded, then every `statisticsUpdateEvery` calls.
      const folded = tau % statsEvery === 0 ? fold(block, g) : { block, error: null };
      block = folded.block;
      let refreshError: string | null = null;
      /** Makes r's basis the block's: m moves to it exactly; v is carried over with its columns' new order. */
      const install = (r: RefreshDone): void => {
        refreshError = r.error;
        if (r.result) {
          m = rotate(r.block, rotateBack(block, m, scratch, `${label}:m`, product), undefined, "", product);
          v = permute(v, r.result.leftOrder, r.result.rightOrder);
        }
        block = r.block;
      };
      if (pending && tau >= pending.due) {
        install(refreshes.complete(block, pending));
        pending = null;
      }
      if (tau % every === 0 && folded.error === null) {
        if (refreshes.delay === 0) install(refreshes.refreshNow(block));
        else pending = refreshes.launch(block, tau + refreshes.delay);
      }
      error = folded.error ?? refreshError;
    }
    return { block, m, v, dir, pending, error };
  };

  return {
    upgradeState: (old) => withTiledBlocks(withPendingRefreshes(old)) as SoapState,
    // Reads no layer statistics: the pass need not compute them.
    needsStats: () => false,
    init(params) {
      const blocks: Record<string, KroneckerBlock[]> = {};
      for (const [key, p] of Object.entries(params)) {
        const tiles = tilesOf(p);
        if (tiles.length > 0) blocks[key] = tiles.map(() => emptyKroneckerBlock());
      }
      return { count: 0, m: zerosLike(params), v: zerosLike(params), blocks, pending: {} };
    },
    update(grads, state, params) {
      checkSameShapes(name, grads, "grads", state.m, "state");
      const theta = wd > 0 ? requireParams(name, grads, params) : undefined;
      const t = state.count + 1;
      const blocks = { ...state.blocks };
      const updates: Params = {};
      if (t === 1) {
        // As soap.py: the first step only builds the statistics and the first bases (eigh), and moves nothing.
        // Its gradient rotated into its own basis is diagonal up to round-off, which Adam would divide by ε.
        for (const [key, tileBlocks] of Object.entries(blocks)) {
          const g = grads[key];
          blocks[key] = tilesOf(g).map((tile, i) => {
            const block = tileBlocks[i];
            const folded = fold(block, readTile(g, tile));
            const r = refreshes.refreshNow(folded.block);
            const error = folded.error ?? r.error;
            const label = tileBlocks.length === 1 ? key : `${key}[tile ${i}]`;
            return { ...r.block, failures: failures.next(label, block.failures, error) };
          });
        }
        for (const [key, g] of Object.entries(grads)) updates[key] = new Matrix(g.rows, g.cols);
        return { updates, state: { count: t, m: state.m, v: state.v, blocks, pending: state.pending } };
      }
      // Adam's step count (soap.py's state["step"]): the first call took none.
      const tau = t - 1;
      const eta = learningRateAt(name, lr, state.count);
      const m: Params = {};
      const v: Params = {};
      const pending = { ...state.pending };
      for (const [key, g] of Object.entries(grads)) {
        let dir: Matrix;
        if (blocks[key]) {
          const tiles = tilesOf(g);
          const results = tiles.map((tile, i) =>
            tileStep(
              `${key}[${i}]`,
              blocks[key][i],
              readTile(g, tile),
              readTile(state.m[key], tile),
              readTile(state.v[key], tile),
              tau,
              state.pending[key]?.[i] ?? null,
            ),
          );
          if (results.some((r) => r.pending !== null)) pending[key] = results.map((r) => r.pending);
          else delete pending[key];
          blocks[key] = results.map((r, i) => ({
            ...r.block,
            failures: failures.next(tiles.length === 1 ? key : `${key}[tile ${i}]`, blocks[key][i].failures, r.error),
          }));
          if (tiles.length === 1) [m[key], v[key], dir] = [results[0].m, results[0].v, results[0].dir];
          else {
            [m[key], v[key]] = [new Matrix(g.rows, g.cols), new Matrix(g.rows, g.cols)];
            dir = scratch.matrix(`${key}:dir`, g.rows, g.cols);
            tiles.forEach((tile, i) => {
              writeTile(m[key], tile, results[i].m);
              writeTile(v[key], tile, results[i].v);
              writeTile(dir, tile, results[i].dir);
            });
          }
        } else {
          // Plain AdamW.
          m[key] = new Matrix(g.rows, g.cols);
          v[key] = new Matrix(g.rows, g.cols);
          dir = scratch.matrix(`${key}:step`, g.rows, g.cols);
          adamPass(g.data, state.m[key].data, state.v[key].data, tau, h, m[key].data, v[key].data, dir.data);
        }
        const u = new Matrix(g.rows, g.cols);
        const w = theta?.[key].data;
        if (w) for (let i = 0; i < u.data.length; i++) u.data[i] = -eta * dir.data[i] - eta * wd * w[i];
        else for (let i = 0; i < u.data.length; i++) u.data[i] = -eta * dir.data[i];
        updates[key] = u;
      }
      return { updates, state: { count: t, m, v, blocks, pending } };
    },
  };
}
