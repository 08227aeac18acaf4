/**
 * The Kronecker-factored curvature block (after kfac-jax's blocks): one per weight matrix, holding a left factor
 * (output side, rows×rows) and a right factor (input side, cols×cols) of statistics, and a cache computed from them.
 * Its three verbs are
 * - `updateStatistics`: fold a batch's factors in (S ← decay·S + weight·S_batch);
 * - `refresh`: recompute the cache from the factors with a refresh rule (`dampedInverses` for KFAC,
 *   `inverseRoots` for Shampoo, `eigenbases` for EKFAC, `powerIterationBases` for SOAP);
 * - `apply`: `applyTwoSided` (cache_L · M · cache_R: inverses, roots) or `rotate`/`rotateBack` (eigenbases).
 * So KFAC, EKFAC, Shampoo and SOAP differ in where the factors come from and which rule refreshes them, not in code
 * paths. On failure the block keeps its previous factors/cache (see failures.ts). All state is plain data.
 */
import { Matrix } from "../../linalg/matrix.js";
import { gram, matmulInto } from "../../linalg/blas.js";
import { solveSPD } from "../../linalg/cholesky.js";
import { eigh } from "../../linalg/eigh.js";
import { pow } from "../../linalg/elementary.js";
import { qr } from "../../linalg/qr.js";
import { LinalgError, NonFiniteError } from "../../linalg/errors.js";
import { allFinite } from "../transforms/params.js";
import type { Scratch } from "../scratch.js";
import type { ProductInto } from "../../nn/dtype.js";
import { attempt } from "./failures.js";
import { blockDiagonalLeft, blockDiagonalRight, diagonalBlocks, packDiagonalBlocks } from "./blocking.js";

/**
 * The diagonal-block sizes of a block's left and right factors when they are block-diagonal (KFAC and EKFAC
 * blocking, blocking.ts); without it each factor is one dense block.
 */
export interface BlockSizes {
  left: readonly number[];
  right: readonly number[];
}

/** The sizes of a side of `block` under `sizes` (one dense block when there are none). */
function sideSizes(F: Matrix, sizes: readonly number[] | undefined): readonly number[] {
  return sizes ?? [F.rows];
}

/** f applied to each diagonal block of a (packed) factor, the results packed again. */
function blockwise(F: Matrix, sizes: readonly number[] | undefined, f: (block: Matrix) => Matrix): Matrix {
  return packDiagonalBlocks(diagonalBlocks(F, sideSizes(F, sizes)).map(f));
}

export interface KroneckerBlock {
  /** Left (output-side) statistics, null before the first batch. */
  left: Matrix | null;
  /** Right (input-side) statistics, null before the first batch. */
  right: Matrix | null;
  /** Cached left operator (inverse, root or eigenbasis); null until the first successful refresh (identity). */
  leftCache: Matrix | null;
  /** Cached right operator; null means the identity. */
  rightCache: Matrix | null;
  /** Consecutive failed steps. */
  failures: number;
}

/** A block with no statistics yet. */
export function emptyKroneckerBlock(): KroneckerBlock {
  return { left: null, right: null, leftCache: null, rightCache: null, failures: 0 };
}

/** decay·S + weight·B (S = null is zero). */
export function ema(S: Matrix | null, B: Matrix, decay: number, weight: number): Matrix {
  const out = new Matrix(B.rows, B.cols);
  for (let i = 0; i < out.data.length; i++) out.data[i] = (S ? decay * S.data[i] : 0) + weight * B.data[i];
  return out;
}

/**
 * B ← decay·S + weight·B in place (S = null is zero), in one pass that also checks B: returns false, with B
 * partly overwritten, when B has a NaN/Inf entry.
 */
function foldInPlace(S: Matrix | null, B: Matrix, decay: number, weight: number): boolean {
  const b = B.data;
  // x·0 is ±0 for a finite x and NaN for NaN and ±Inf, so the sum stays 0 exactly when every entry is finite:
  // the check costs one multiply-add per entry and no branch.
  let poison = 0;
  if (S) {
    const s = S.data;
    for (let i = 0; i < b.length; i++) {
      const x = b[i];
      poison += x * 0;
      b[i] = decay * s[i] + weight * x;
    }
  } else {
    for (let i = 0; i < b.length; i++) {
      const x = b[i];
      poison += x * 0;
      b[i] = weight * x;
    }
  }
  return poison === 0;
}

/** A batch factor to fold in: the statistic is `scale`·`batch` (e.g. a Gram matrix and 1/n). */
export interface FactorBatch {
  batch: Matrix;
  scale: number;
}

/**
 * Folds a batch's factors into the block: left ← decay·left + weight·scale·batch (same for right; a null side is
 * left alone). The batch matrices are consumed: their buffers become the new statistics, which saves a copy of
 * each factor per step. Non-finite batch factors are refused: the block is returned unchanged with an error for
 * the failure count.
 */
export function updateStatistics(
  block: KroneckerBlock,
  left: FactorBatch | null,
  right: FactorBatch | null,
  decay: number,
  weight: number,
): { block: KroneckerBlock; error: string | null } {
  for (const [side, f, S] of [
    ["left", left, block.left],
    ["right", right, block.right],
  ] as const) {
    if (f && !foldInPlace(S, f.batch, decay, weight * f.scale)) {
      return { block, error: `the batch's ${side} factor has NaN/Inf entries` };
    }
  }
  return {
    block: { ...block, left: left ? left.batch : block.left, right: right ? right.batch : block.right },
    error: null,
  };
}

/** What a refresh rule computes from the factors (and the previous cache, for iterative rules). */
export interface RefreshResult {
  leftCache: Matrix | null;
  rightCache: Matrix | null;
  /** Rule-specific extras (eigenvalues, column orders), kept by the optimizer that asked for them. */
  leftValues?: Float64Array;
  rightValues?: Float64Array;
  leftOrder?: number[];
  rightOrder?: number[];
}

export type RefreshRule = (block: KroneckerBlock) => RefreshResult;

/**
 * Recomputes the cache with `rule`. When the factors are not finite, the rule throws, or what it computes is not
 * finite, the block keeps its previous cache and the error is returned for the failure count.
 */
export function refresh(
  block: KroneckerBlock,
  rule: RefreshRule,
): { block: KroneckerBlock; result: RefreshResult | null; error: string | null } {
  const r = attempt(() => {
    for (const [side, S] of [
      ["left", block.left],
      ["right", block.right],
    ] as const) {
      if (S && !allFinite(S.data)) throw new NonFiniteError(`the ${side} factor has NaN/Inf entries`);
    }
    const result = rule(block);
    for (const [side, C] of [
      ["left", result.leftCache],
      ["right", result.rightCache],
    ] as const) {
      if (C && !allFinite(C.data)) throw new NonFiniteError(`the refreshed ${side} operator has NaN/Inf entries`);
    }
    return result;
  });
  if (r.error !== null) return { block, result: null, error: r.error };
  return {
    block: { ...block, leftCache: r.value.leftCache, rightCache: r.value.rightCache },
    result: r.value,
    error: null,
  };
}

/** M with each off-diagonal pair replaced by its mean, in place (so cached operators are exactly symmetric). */
function symmetrized(M: Matrix): Matrix {
  const n = M.rows;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < i; j++) {
      const s = 0.5 * (M.data[i * n + j] + M.data[j * n + i]);
      M.data[i * n + j] = s;
      M.data[j * n + i] = s;
    }
  return M;
}

/** A + λI as a new matrix (λ ≥ 0: Tikhonov damping). */
export function addRidge(A: Matrix, lambda: number): Matrix {
  if (!(lambda >= 0) || !Number.isFinite(lambda))
    throw new RangeError(`damping must be a finite number ≥ 0, got ${lambda}`);
  const out = A.clone();
  if (lambda > 0) for (let i = 0; i < A.rows; i++) out.data[i * A.cols + i] += lambda;
  return out;
}

/** An inverse of a symmetric positive definite matrix (see precision.ts's `spdInverse`). */
export type SpdInverse = (X: Matrix) => Matrix;

/** X⁻¹ by a Cholesky solve against the identity, all in float64. */
const solveInverse: SpdInverse = (X) => solveSPD(X, Matrix.identity(X.rows));

/** (X + rI)⁻¹ with `inverse`, symmetrised. */
function dampedInverse(X: Matrix, r: number, inverse: SpdInverse): Matrix {
  return symmetrized(inverse(addRidge(X, r)));
}

/**
 * The π-split of Tikhonov damping (Martens & Grosse 2015, §6.3): π = √((tr A/dim A)/(tr G/dim G)), so that
 * (A + π√λ I) ⊗ (G + (√λ/π) I) ≈ A ⊗ G + λI with the damping shared in proportion to the factors' scales.
 * Returns 1 when either trace is not positive.
 */
export function piSplit(A: Matrix, G: Matrix, sizes?: BlockSizes): number {
  // The mean diagonal entry: a block-diagonal factor has the dense factor's diagonal.
  const meanDiag = (X: Matrix, blockSizes: readonly number[] | undefined): number => {
    let [s, n] = [0, 0];
    for (const B of diagonalBlocks(X, sideSizes(X, blockSizes))) {
      for (let i = 0; i < B.rows; i++) s += B.data[i * B.cols + i];
      n += B.rows;
    }
    return s / n;
  };
  const ratio = meanDiag(A, sizes?.right) / meanDiag(G, sizes?.left);
  return ratio > 0 && Number.isFinite(ratio) ? Math.sqrt(ratio) : 1;
}

/**
 * KFAC's rule: left = G (output side), right = A (input side); caches (G + (√λ/π)I)⁻¹ and (A + π√λ I)⁻¹ with π
 * from `piSplit`, so `applyTwoSided` gives (A_λ ⊗ G_λ)⁻¹ vec(∇) = vec(G_λ⁻¹ ∇ A_λ⁻¹). `inverse`: float64 Cholesky
 * solves by default, or a precision's `inverse` (precision.ts). With `sizes`, block-diagonal factors are inverted
 * block by block (the inverse of a block-diagonal matrix is block-diagonal).
 */
export function dampedInverses(damping: number, inverse: SpdInverse = solveInverse, sizes?: BlockSizes): RefreshRule {
  return (block) => {
    const { left: G, right: A } = requireFactors(block);
    const pi = piSplit(A, G, sizes);
    const root = Math.sqrt(damping);
    return sideDampedInverses(root / pi, pi * root, inverse, sizes)(block);
  };
}

/**
 * Each side's own Tikhonov damping: caches (L + λ_L I)⁻¹ and (R + λ_R I)⁻¹; a side without statistics stays the
 * identity. This is the paper's equation 5, whose damping λ_G sits on the input factor Q_G = Σ̂ₓ alone.
 */
export function sideDampedInverses(
  leftDamping: number,
  rightDamping: number,
  inverse: SpdInverse = solveInverse,
  sizes?: BlockSizes,
): RefreshRule {
  return (block) => ({
    leftCache: block.left ? blockwise(block.left, sizes?.left, (B) => dampedInverse(B, leftDamping, inverse)) : null,
    rightCache: block.right
      ? blockwise(block.right, sizes?.right, (B) => dampedInverse(B, rightDamping, inverse))
      : null,
  });
}

/** eigh with the eigenvalues clipped at 0 (round-off) and then raised: V diag((max(λ,0) + eps)^p) Vᵀ. */
export function symmetricPower(X: Matrix, p: number, eps: number): Matrix {
  const { values, vectors } = eigh(X);
  const n = X.rows;
  // V diag(f) Vᵀ = YᵀY with Y = diag(√f) Vᵀ (f ≥ 0), a symmetric Gram product.
  const Y = new Matrix(n, n);
  for (let k = 0; k < n; k++) {
    const f = pow(Math.max(values[k], 0) + eps, p);
    if (!Number.isFinite(f)) throw new LinalgError(`eigenvalue ${values[k]} + eps ${eps} has no finite power ${p}`);
    const r = Math.sqrt(f);
    for (let j = 0; j < n; j++) Y.data[k * n + j] = r * vectors.data[j * n + k];
  }
  return symmetrized(gram(Y));
}

/**
 * Shampoo's rule (Gupta et al. 2018): caches (L + εI)^p and (R + εI)^p (p = −1/4 for a matrix), through the
 * eigendecomposition with negative round-off clipped before ε is added. A side without statistics stays identity.
 */
export function inverseRoots(power: number, eps: number): RefreshRule {
  return (block) => ({
    leftCache: block.left ? symmetricPower(block.left, power, eps) : null,
    rightCache: block.right ? symmetricPower(block.right, power, eps) : null,
  });
}

/** Eigenvectors (columns) sorted by descending eigenvalue, and those eigenvalues. */
export function descendingEigenbasis(X: Matrix): { Q: Matrix; values: Float64Array } {
  const { values, vectors } = eigh(X);
  const n = X.rows;
  const Q = new Matrix(n, n);
  const desc = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    desc[k] = values[n - 1 - k];
    for (let i = 0; i < n; i++) Q.data[i * n + k] = vectors.data[i * n + (n - 1 - k)];
  }
  return { Q, values: desc };
}

/**
 * EKFAC's rule (George et al. 2018): the factors' eigenbases (descending), with their eigenvalues. With `sizes`,
 * each diagonal block's (the eigenbasis of a block-diagonal matrix is block-diagonal), the eigenvalues in block
 * order.
 */
export function eigenbases(sizes?: BlockSizes): RefreshRule {
  const side = (F: Matrix | null, blockSizes: readonly number[] | undefined) => {
    if (!F) return { Q: null, values: undefined };
    const parts = diagonalBlocks(F, sideSizes(F, blockSizes)).map(descendingEigenbasis);
    const values = new Float64Array(parts.reduce((n, p) => n + p.values.length, 0));
    let offset = 0;
    for (const p of parts) {
      values.set(p.values, offset);
      offset += p.values.length;
    }
    return { Q: packDiagonalBlocks(parts.map((p) => p.Q)), values };
  };
  return (block) => {
    const l = side(block.left, sizes?.left);
    const r = side(block.right, sizes?.right);
    return { leftCache: l.Q, rightCache: r.Q, leftValues: l.values, rightValues: r.values };
  };
}

/**
 * SOAP's rule (Vyas et al. 2024, Algorithm 4): with the previous basis Q, order its columns by the estimated
 * eigenvalues diag(QᵀSQ) (descending), take one power-iteration step S·Q and re-orthonormalise by QR. Without a
 * previous basis, the eigenbasis by eigh. Returns the column order so the optimizer can permute what it keeps
 * in the basis (Adam's second moment). `product` computes S·Q (matmulInto, or its float32 twin: the QR that
 * follows re-orthonormalises in float64, so the power step's rounding only perturbs the subspace it tracks).
 */
export function powerIterationBases(product: ProductInto = matmulInto): RefreshRule {
  const one = (S: Matrix | null, Q: Matrix | null): { Q: Matrix | null; order?: number[] } => {
    if (!S) return { Q: null };
    if (!Q) return { Q: descendingEigenbasis(S).Q };
    const n = S.rows;
    const SQ = product(new Matrix(n, n), S, Q);
    // Row by row (i outer) so both matrices are read contiguously; each est[k] still sums over i in order.
    const est = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) est[k] += Q.data[i * n + k] * SQ.data[i * n + k];
    const order = Array.from({ length: n }, (_, k) => k).sort((x, y) => est[y] - est[x] || x - y);
    const sorted = new Matrix(n, n);
    for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) sorted.data[i * n + k] = SQ.data[i * n + order[k]];
    return { Q: qr(sorted).Q, order };
  };
  return (block) => {
    const l = one(block.left, block.leftCache);
    const r = one(block.right, block.rightCache);
    return { leftCache: l.Q, rightCache: r.Q, leftOrder: l.order, rightOrder: r.order };
  };
}

function requireFactors(block: KroneckerBlock): { left: Matrix; right: Matrix } {
  if (!block.left || !block.right) throw new LinalgError("the block has no statistics yet");
  return { left: block.left, right: block.right };
}

/**
 * op(L)·M·op(R) for square L, R (null: the identity; block-diagonal, packed, with `sizes`) with `product`
 * (matmulInto or its float32 twin), as a new matrix, or, given `scratch`, in matrices reused from it under `name` (the result then belongs to the scratch:
 * copy it before it leaves the optimizer).
 */
function twoSided(
  L: Matrix | null,
  transL: boolean,
  M: Matrix,
  R: Matrix | null,
  transR: boolean,
  scratch: Scratch | undefined,
  name: string,
  product: ProductInto,
  sizes: BlockSizes | undefined,
): Matrix {
  const fresh = (part: string): Matrix =>
    scratch ? scratch.matrix(`${name}:${part}`, M.rows, M.cols) : new Matrix(M.rows, M.cols);
  const [left, right] = [sizes?.left ?? [M.rows], sizes?.right ?? [M.cols]];
  const out = fresh("out");
  if (L && R) {
    const mid = blockDiagonalLeft(fresh("mid"), L, left, M, transL, product);
    blockDiagonalRight(out, mid, R, right, transR, product);
  } else if (L) blockDiagonalLeft(out, L, left, M, transL, product);
  else if (R) blockDiagonalRight(out, M, R, right, transR, product);
  else out.data.set(M.data);
  return out;
}

/** leftCache · M · rightCache (a null cache is the identity); `scratch`/`name`/`product`: see `twoSided`. */
export function applyTwoSided(
  block: KroneckerBlock,
  M: Matrix,
  scratch?: Scratch,
  name = "",
  product: ProductInto = matmulInto,
  sizes?: BlockSizes,
): Matrix {
  return twoSided(block.leftCache, false, M, block.rightCache, false, scratch, name, product, sizes);
}

/** M in the block's eigenbasis: Q_Lᵀ M Q_R (a null basis is the identity); see `twoSided`. */
export function rotate(
  block: KroneckerBlock,
  M: Matrix,
  scratch?: Scratch,
  name = "",
  product: ProductInto = matmulInto,
  sizes?: BlockSizes,
): Matrix {
  return twoSided(block.leftCache, true, M, block.rightCache, false, scratch, name, product, sizes);
}

/** Back from the eigenbasis: Q_L M Q_Rᵀ; see `twoSided`. */
export function rotateBack(
  block: KroneckerBlock,
  M: Matrix,
  scratch?: Scratch,
  name = "",
  product: ProductInto = matmulInto,
  sizes?: BlockSizes,
): Matrix {
  return twoSided(block.leftCache, false, M, block.rightCache, true, scratch, name, product, sizes);
}
