/**
 * Reading the per-layer statistics of `UpdateContext` (src/nn/types.ts) for KFAC and EKFAC: shape checks, the
 * choice between the empirical and the sampled Fisher, the batch Kronecker factors, and the joined [W | b] view
 * of a layer's gradient that one Kronecker block covers.
 */
import { Matrix } from "../../linalg/matrix.js";
import { gram } from "../../linalg/blas.js";
import { ShapeError } from "../../linalg/errors.js";
import type { BlockSizes, FactorBatch } from "./kronecker-block.js";
import { blockDiagonalRight, packDiagonalBlocks, readTile } from "./blocking.js";
import type { Scratch } from "../scratch.js";
import type { ProductInto } from "../../nn/dtype.js";
import type { DiagonalStats, KroneckerStats, LayerStats, Params, UpdateContext } from "../../nn/types.js";

export type FisherKind = "empirical" | "sampled";

/** The keys of a layer's parameters, which one Kronecker block covers as [W | b]. */
export type LayerKeys = Pick<KroneckerStats, "weight" | "bias">;

/**
 * The layer statistics of `ctx`, checked against the gradients (keys, shapes, row counts). `required`: a step that
 * reads them (its message says why); otherwise a missing `ctx.stats` reads as none.
 */
export function readStats(
  optimizer: string,
  grads: Params,
  ctx: UpdateContext | undefined,
  required: string | null,
): readonly LayerStats[] {
  const stats = ctx?.stats;
  if (!stats) {
    if (required === null) return [];
    throw new TypeError(
      `${optimizer}: update needs ctx.stats (the per-layer inputs a and output gradients g of the forward/backward ` +
        `pass) at ${required}; pass lossAndGrad's stats option as optim.statsRequest(optimizer, state) says`,
    );
  }
  const seen = new Set<string>();
  const claim = (key: string): void => {
    if (!(key in grads))
      throw new ShapeError(`${optimizer}: layer statistics name "${key}", which is not in the gradients`);
    if (seen.has(key)) throw new ShapeError(`${optimizer}: two layer statistics claim the parameter "${key}"`);
    seen.add(key);
  };
  for (const s of stats) {
    claim(s.weight);
    if (s.bias !== undefined) claim(s.bias);
    if (s.kind === "batchNorm") continue;
    const W = grads[s.weight];
    const inCols = W.cols + (s.bias !== undefined ? 1 : 0);
    if (s.a.cols !== inCols) {
      throw new ShapeError(
        `${optimizer}: layer "${s.weight}": a is ${s.a.shape()}, need ${inCols} columns for W ${W.shape()}${s.bias !== undefined ? " plus the bias column" : ""}`,
      );
    }
    if (s.g.cols !== W.rows || s.g.rows !== s.a.rows) {
      throw new ShapeError(
        `${optimizer}: layer "${s.weight}": g is ${s.g.shape()}, need ${s.a.rows}×${W.rows} (a is ${s.a.shape()}, W ${W.shape()})`,
      );
    }
    if (s.a.rows !== s.batchSize * s.positions) {
      throw new ShapeError(
        `${optimizer}: layer "${s.weight}": a has ${s.a.rows} rows, need batchSize·positions = ${s.batchSize}·${s.positions}`,
      );
    }
    if (s.bias !== undefined) {
      const b = grads[s.bias];
      if (b.rows !== 1 || b.cols !== W.rows)
        throw new ShapeError(`${optimizer}: layer "${s.weight}": bias gradient is ${b.shape()}, need 1×${W.rows}`);
    }
  }
  return stats;
}

/** The output gradients the chosen Fisher uses: g (empirical) or gSampled (Monte-Carlo), with a clear error. */
export function outputGradients(optimizer: string, s: KroneckerStats, fisher: FisherKind): Matrix {
  if (fisher === "empirical") return s.g;
  if (!s.gSampled) {
    throw new TypeError(
      `${optimizer}: fisher is "sampled" but layer "${s.weight}" has no gSampled; ask the forward/backward pass for ` +
        `sampled-target gradients, or use fisher: "empirical"`,
    );
  }
  if (s.gSampled.rows !== s.g.rows || s.gSampled.cols !== s.g.cols) {
    throw new ShapeError(`${optimizer}: layer "${s.weight}": gSampled is ${s.gSampled.shape()}, g is ${s.g.shape()}`);
  }
  return s.gSampled;
}

/** Per-example gradients of a batch-norm layer for the chosen Fisher. */
export function perExampleGradients(optimizer: string, s: DiagonalStats, fisher: FisherKind): Record<string, Matrix> {
  if (fisher === "empirical") return s.perExample;
  if (!s.perExampleSampled) {
    throw new TypeError(
      `${optimizer}: fisher is "sampled" but batch-norm layer "${s.weight}" has no perExampleSampled; ask the ` +
        `forward/backward pass for sampled-target gradients, or use fisher: "empirical"`,
    );
  }
  return s.perExampleSampled;
}

/**
 * The batch's Kronecker factors with the convention of Grosse & Martens 2016 (KFC) for T positions per example:
 * A = (1/n) Σ_{i,t} a aᵀ (summed over positions), G = (1/(nT)) Σ_{i,t} g gᵀ (averaged over positions), returned as
 * the Gram matrices with their scales (so the scaling rides on the moving-average pass). For a dense layer (T = 1)
 * these are E[aaᵀ] and E[ggᵀ] of Martens & Grosse 2015. (kfac-pytorch splits T differently between the two
 * factors; with the π-split damping the preconditioned step is the same.) `gramOf` computes the Gram matrices
 * (`gram`, or its float32 twin). With `sizes`, only the diagonal blocks of each factor (blocking.ts), packed.
 */
export function batchFactors(
  s: KroneckerStats,
  g: Matrix,
  gramOf: (X: Matrix) => Matrix = gram,
  sizes?: BlockSizes,
): { A: FactorBatch; G: FactorBatch } {
  return {
    A: { batch: blockGram(s.a, sizes?.right, gramOf), scale: 1 / s.batchSize },
    G: { batch: blockGram(g, sizes?.left, gramOf), scale: 1 / (s.batchSize * s.positions) },
  };
}

/** The diagonal blocks XₖᵀXₖ of XᵀX over column chunks of `sizes` (packed; one chunk: XᵀX itself). */
function blockGram(X: Matrix, sizes: readonly number[] | undefined, gramOf: (X: Matrix) => Matrix): Matrix {
  if (!sizes || sizes.length === 1) return gramOf(X);
  let col0 = 0;
  return packDiagonalBlocks(
    sizes.map((cols) => {
      const block = gramOf(readTile(X, { row0: 0, rows: X.rows, col0, cols }));
      col0 += cols;
      return block;
    }),
  );
}

/**
 * The layer's gradient as one out×(in [+1]) matrix [∇W | ∇bᵀ]: ∇W itself without a bias; with one, a copy in
 * `scratch` (reused across steps) when given, else a new matrix.
 */
export function joinedGradient(grads: Params, s: LayerKeys, scratch?: Scratch): Matrix {
  const W = grads[s.weight];
  if (s.bias === undefined) return W;
  const b = grads[s.bias];
  const cols = W.cols + 1;
  const out = scratch ? scratch.matrix(`joined:${s.weight}`, W.rows, cols) : new Matrix(W.rows, cols);
  for (let i = 0; i < W.rows; i++) {
    out.data.set(W.data.subarray(i * W.cols, (i + 1) * W.cols), i * cols);
    out.data[i * cols + W.cols] = b.data[i];
  }
  return out;
}

/**
 * Splits an out×(in [+1]) matrix into new weight and bias matrices in `into` (copies, so M may be a scratch
 * matrix that the next step overwrites).
 */
export function splitJoined(M: Matrix, s: LayerKeys, into: Params): void {
  if (s.bias === undefined) {
    into[s.weight] = M.clone();
    return;
  }
  const inCols = M.cols - 1;
  const W = new Matrix(M.rows, inCols);
  const b = new Matrix(1, M.rows);
  for (let i = 0; i < M.rows; i++) {
    W.data.set(M.data.subarray(i * M.cols, i * M.cols + inCols), i * inCols);
    b.data[i] = M.data[i * M.cols + inCols];
  }
  into[s.weight] = W;
  into[s.bias] = b;
}

/**
 * EKFAC's batch second moments in the eigenbasis (George et al. 2018, eq. 11): (1/n) Σᵢ (Q_Gᵀ ∇ᵢ Q_A)², squared
 * entry-wise, where ∇ᵢ = Σ_t g_{i,t} a_{i,t}ᵀ is example i's gradient, from the projections gp = g·Q_G and
 * ap = a·Q_A (which it overwrites). For T = 1 this is (1/n) (gp)²ᵀ (ap)², one product; for T > 1 one per example.
 */
export function projectedSecondMoments(s: KroneckerStats, gp: Matrix, ap: Matrix, product: ProductInto): Matrix {
  const n = s.batchSize;
  const T = s.positions;
  if (T === 1) {
    for (let i = 0; i < gp.data.length; i++) gp.data[i] *= gp.data[i];
    for (let i = 0; i < ap.data.length; i++) ap.data[i] *= ap.data[i];
    return product(new Matrix(gp.cols, ap.cols), gp, ap, { transA: true, alpha: 1 / n });
  }
  const S = new Matrix(gp.cols, ap.cols);
  const P = new Matrix(gp.cols, ap.cols);
  for (let i = 0; i < n; i++) {
    const gi = new Matrix(T, gp.cols, gp.data.subarray(i * T * gp.cols, (i + 1) * T * gp.cols));
    const ai = new Matrix(T, ap.cols, ap.data.subarray(i * T * ap.cols, (i + 1) * T * ap.cols));
    product(P, gi, ai, { transA: true });
    for (let k = 0; k < S.data.length; k++) S.data[k] += (P.data[k] * P.data[k]) / n;
  }
  return S;
}

/** Relative mismatch below which `gradientIsFactored` accepts: far above float32 round-off, far below any change
 * a transform would make on purpose (weight decay, clipping). */
const FACTORED_TOLERANCE = 1e-3;

/**
 * Whether the layer's joined gradient ∇ (out×in [+1]) equals (1/n) gᵀa of its statistics, as it does for the mean
 * loss through this layer unless something changed the gradient on the way (a transform chained before, a
 * regulariser). Checked on a fixed ±1 probe vector v (Freivalds' test): ‖∇v − gᵀ(av)/n‖ ≤ 10⁻³·‖∇v‖, in O(size)
 * work, so the factored forms below are used only where they compute the same step.
 */
export function gradientIsFactored(grad: Matrix, s: KroneckerStats): boolean {
  const [rows, cols, out] = [s.a.rows, grad.cols, grad.rows];
  // A fixed sign pattern (a multiplicative hash of the index): deterministic and far from any structure.
  const v = new Float64Array(cols);
  for (let j = 0; j < cols; j++) v[j] = Math.imul(j + 1, 0x9e3779b1) >>> 31 === 0 ? 1 : -1;
  const av = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let x = 0;
    for (let j = 0; j < cols; j++) x += s.a.data[r * cols + j] * v[j];
    av[r] = x / s.batchSize;
  }
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < out; i++) {
    let direct = 0;
    for (let j = 0; j < cols; j++) direct += grad.data[i * cols + j] * v[j];
    let factored = 0;
    for (let r = 0; r < rows; r++) factored += s.g.data[r * out + i] * av[r];
    diff += (direct - factored) ** 2;
    norm += direct * direct;
  }
  return diff <= FACTORED_TOLERANCE ** 2 * norm;
}

/**
 * Whether Lᵀ∇R through the factors, (gL)ᵀ(aR)/n, costs fewer flops than through the out×in gradient ∇ itself: the
 * low-rank form when the batch (rows of a) is smaller than the layer (Martens & Grosse 2015 §8 note the same
 * saving for the factored gradient). `sizes`: block-diagonal factors (blocking.ts).
 */
export function factoredIsCheaper(out: number, cols: number, rows: number, sizes?: BlockSizes): boolean {
  // Σb² over a side's diagonal blocks: the flops of a product with that side's factor, per row or column.
  const squares = (blockSizes: readonly number[] | undefined, n: number): number =>
    (blockSizes ?? [n]).reduce((sum, b) => sum + b * b, 0);
  const [left, right] = [squares(sizes?.left, out), squares(sizes?.right, cols)];
  return rows * (left + right + out * cols) < cols * left + out * right;
}

/**
 * (g·L)ᵀ(a·R)/n (a null L or R is the identity): Lᵀ∇R for the factored gradient ∇ = gᵀa/n without forming ∇, in
 * matrices reused from `scratch` under `name` (the out×in result belongs to the scratch). With L = G⁻¹, R = A⁻¹
 * (symmetric) this is KFAC's step G⁻¹∇A⁻¹; with the eigenbases it is EKFAC's rotation Q_Gᵀ∇Q_A. `sizes`:
 * block-diagonal (packed) L and R (blocking.ts).
 */
export function factoredTwoSided(
  s: KroneckerStats,
  L: Matrix | null,
  R: Matrix | null,
  product: ProductInto,
  scratch: Scratch,
  name: string,
  sizes?: BlockSizes,
): Matrix {
  const { a, g } = s;
  const gl = L
    ? blockDiagonalRight(scratch.matrix(`${name}:gL`, g.rows, g.cols), g, L, sizes?.left ?? [g.cols], false, product)
    : g;
  const ar = R
    ? blockDiagonalRight(scratch.matrix(`${name}:aR`, a.rows, a.cols), a, R, sizes?.right ?? [a.cols], false, product)
    : a;
  return product(scratch.matrix(`${name}:out`, gl.cols, ar.cols), gl, ar, { transA: true, alpha: 1 / s.batchSize });
}
