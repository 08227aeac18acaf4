/**
 * Alignment metrics for one-step feature learning (docs/single-index.md): how well the spike of a first-layer update
 * points along the teacher direction β★ (or along Σβ★, where plain gradient descent points).
 */
import { Matrix } from "../../linalg/matrix.js";
import { gram, matvec } from "../../linalg/blas.js";
import { eigh } from "../../linalg/decompositions.js";
import { ShapeError } from "../../linalg/errors.js";

/** |⟨u, v⟩| / (‖u‖ ‖v‖): the cosine of the angle between two directions, sign ignored (0 for a zero vector). */
export function alignment(u: ArrayLike<number>, v: ArrayLike<number>): number {
  if (u.length !== v.length) throw new ShapeError(`alignment: vectors of lengths ${u.length} and ${v.length}`);
  let uv = 0;
  let uu = 0;
  let vv = 0;
  for (let i = 0; i < u.length; i++) {
    uv += u[i] * v[i];
    uu += u[i] * u[i];
    vv += v[i] * v[i];
  }
  return uu === 0 || vv === 0 ? 0 : Math.abs(uv) / Math.sqrt(uu * vv);
}

/** The top singular values (descending) of M and the matching unit right singular vectors. */
export interface TopSingular {
  values: Float64Array;
  vectors: Float64Array[];
}

/**
 * The k largest singular values of M (m×n) and their right singular vectors, from the eigendecomposition of the
 * smaller Gram matrix: MᵀM = V S² Vᵀ when m ≥ n; otherwise MMᵀ = U S² Uᵀ and v = Mᵀu/s.
 */
export function topSingular(M: Matrix, k: number): TopSingular {
  const r = Math.min(M.rows, M.cols);
  if (!Number.isInteger(k) || k < 1 || k > r) {
    throw new RangeError(`topSingular: k must be an integer in 1…${r} for a ${M.shape()} matrix, got ${k}`);
  }
  const wide = M.rows < M.cols;
  const { values, vectors } = eigh(gram(M, { trans: wide }));
  const p = values.length;
  const out: TopSingular = { values: new Float64Array(k), vectors: [] };
  for (let i = 0; i < k; i++) {
    const s = Math.sqrt(Math.max(values[p - 1 - i], 0));
    out.values[i] = s;
    const e = vectors.col(p - 1 - i);
    if (!wide) {
      out.vectors.push(Float64Array.from(e));
    } else {
      const v = matvec(M, e, { trans: true });
      for (let j = 0; j < v.length; j++) v[j] = s > 0 ? v[j] / s : 0;
      out.vectors.push(v);
    }
  }
  return out;
}

/** What `spikeAlignment` measures about an update ΔW (and optionally the new weights W₁). */
export interface SpikeAlignment {
  /** |⟨v₁, β★⟩|/‖β★‖ for v₁ the top right singular vector of ΔW. */
  alignment: number;
  /** |⟨v₁, Σβ★⟩|/‖Σβ★‖. */
  alignmentSigmaBeta: number;
  /** σ₁/σ₂ of ΔW: how far the spike stands out of the bulk. */
  spikeStrength: number;
}

/**
 * Alignment of the spike of `update` (N×d) with `beta` and with `sigmaBeta`, and its strength σ₁/σ₂
 * (Infinity when σ₂ = 0, e.g. a rank-one update).
 */
export function spikeAlignment(update: Matrix, beta: ArrayLike<number>, sigmaBeta: ArrayLike<number>): SpikeAlignment {
  const k = Math.min(2, update.rows, update.cols);
  const { values, vectors } = topSingular(update, k);
  const v1 = vectors[0];
  return {
    alignment: alignment(v1, beta),
    alignmentSigmaBeta: alignment(v1, sigmaBeta),
    spikeStrength: k < 2 || values[1] === 0 ? Infinity : values[0] / values[1],
  };
}
