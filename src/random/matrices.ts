import { Matrix } from "../linalg/matrix.js";
import { Rng } from "./rng.js";

/** A rows×cols matrix with i.i.d. N(0, std²) entries. */
export function gaussianMatrix(rng: Rng, rows: number, cols: number, std = 1): Matrix {
  const m = new Matrix(rows, cols);
  rng.fillNormal(m.data);
  if (std !== 1) for (let i = 0; i < m.data.length; i++) m.data[i] *= std;
  return m;
}

/** A rows×cols matrix with i.i.d. ±1 entries. */
export function rademacherMatrix(rng: Rng, rows: number, cols: number): Matrix {
  const m = new Matrix(rows, cols);
  rng.fillRademacher(m.data);
  return m;
}

/** A rows×cols matrix with i.i.d. Uniform[lo, hi) entries. */
export function uniformMatrix(rng: Rng, rows: number, cols: number, lo = 0, hi = 1): Matrix {
  const m = new Matrix(rows, cols);
  for (let i = 0; i < m.data.length; i++) m.data[i] = lo + (hi - lo) * rng.uniform();
  return m;
}

/**
 * A Haar-distributed (uniform) random n×n orthogonal matrix, or an n×k matrix with orthonormal columns
 * (the first k columns of one).
 *
 * Method (Mezzadri 2007): Q from the QR factorisation of an n×k Gaussian matrix Z, with the sign fix
 * Q ← Q·diag(sign(R_ii)) that makes R's diagonal positive; without it Q is not Haar. We compute Q by modified
 * Gram–Schmidt applied twice ("twice is enough", Giraud et al. 2005), which yields exactly that positive-diagonal
 * factor, orthonormal to machine precision, and keeps `random` free of the decompositions in `linalg`.
 */
export function haarOrthogonal(rng: Rng, n: number, k = n): Matrix {
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(k) || k < 1 || k > n) {
    throw new RangeError(`haarOrthogonal: need integers 1 ≤ k ≤ n, got n = ${n}, k = ${k}`);
  }
  // Work column-major in a k×n buffer: column j of Q is row j here, contiguous.
  const q = gaussianMatrix(rng, k, n).data;
  for (let j = 0; j < k; j++) {
    const qj = j * n;
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < j; i++) {
        const qi = i * n;
        let dot = 0;
        for (let t = 0; t < n; t++) dot += q[qi + t] * q[qj + t];
        for (let t = 0; t < n; t++) q[qj + t] -= dot * q[qi + t];
      }
    }
    let norm = 0;
    for (let t = 0; t < n; t++) norm += q[qj + t] * q[qj + t];
    norm = Math.sqrt(norm);
    for (let t = 0; t < n; t++) q[qj + t] /= norm;
  }
  return new Matrix(k, n, q).transpose();
}
