/**
 * Elementwise and reduction helpers on `Matrix` and vectors (BLAS level 1 and friends). Every function returns
 * a new object and leaves its arguments untouched.
 */
import { NotSquareError, ShapeError } from "./errors.js";
import { Matrix } from "./matrix.js";

function sameShape(op: string, A: Matrix, B: Matrix): void {
  if (A.rows !== B.rows || A.cols !== B.cols) {
    throw new ShapeError(`${op}: shapes differ: ${A.shape()} and ${B.shape()}`);
  }
}

function sameLength(op: string, x: ArrayLike<number>, y: ArrayLike<number>): void {
  if (x.length !== y.length) {
    throw new ShapeError(`${op}: vector lengths differ: ${x.length} and ${y.length}`);
  }
}

/** A + B (elementwise). */
export function add(A: Matrix, B: Matrix): Matrix {
  sameShape("add", A, B);
  const out = new Matrix(A.rows, A.cols);
  const a = A.data;
  const b = B.data;
  const c = out.data;
  for (let i = 0; i < c.length; i++) c[i] = a[i] + b[i];
  return out;
}

/** A − B (elementwise). */
export function sub(A: Matrix, B: Matrix): Matrix {
  sameShape("sub", A, B);
  const out = new Matrix(A.rows, A.cols);
  const a = A.data;
  const b = B.data;
  const c = out.data;
  for (let i = 0; i < c.length; i++) c[i] = a[i] - b[i];
  return out;
}

/** s · A. */
export function scale(A: Matrix, s: number): Matrix {
  const out = new Matrix(A.rows, A.cols);
  const a = A.data;
  const c = out.data;
  for (let i = 0; i < c.length; i++) c[i] = s * a[i];
  return out;
}

/** Y + α·X as a new matrix (BLAS daxpy, without overwriting Y). */
export function axpy(alpha: number, X: Matrix, Y: Matrix): Matrix {
  sameShape("axpy", X, Y);
  const out = new Matrix(Y.rows, Y.cols);
  const x = X.data;
  const y = Y.data;
  const c = out.data;
  for (let i = 0; i < c.length; i++) c[i] = y[i] + alpha * x[i];
  return out;
}

/** A ∘ B, the elementwise (Hadamard) product. */
export function hadamard(A: Matrix, B: Matrix): Matrix {
  sameShape("hadamard", A, B);
  const out = new Matrix(A.rows, A.cols);
  const a = A.data;
  const b = B.data;
  const c = out.data;
  for (let i = 0; i < c.length; i++) c[i] = a[i] * b[i];
  return out;
}

/** tr(A) = Σᵢ Aᵢᵢ for square A. */
export function trace(A: Matrix): number {
  if (A.rows !== A.cols) throw new NotSquareError(`trace: a square matrix is required, got ${A.shape()}`);
  let s = 0;
  for (let i = 0; i < A.rows; i++) s += A.data[i * A.cols + i];
  return s;
}

/** The main diagonal (Aᵢᵢ for i < min(rows, cols)) as a new array. */
export function diag(A: Matrix): Float64Array {
  const r = Math.min(A.rows, A.cols);
  const out = new Float64Array(r);
  for (let i = 0; i < r; i++) out[i] = A.data[i * A.cols + i];
  return out;
}

/** The outer product x yᵀ (length(x) × length(y)). */
export function outer(x: ArrayLike<number>, y: ArrayLike<number>): Matrix {
  const out = new Matrix(x.length, y.length);
  const c = out.data;
  const n = y.length;
  for (let i = 0; i < x.length; i++) {
    const xi = x[i];
    for (let j = 0; j < n; j++) c[i * n + j] = xi * y[j];
  }
  return out;
}

/** The inner product Σᵢ xᵢ yᵢ. */
export function dot(x: ArrayLike<number>, y: ArrayLike<number>): number {
  sameLength("dot", x, y);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * y[i];
  return s;
}

/**
 * √(Σᵢ vᵢ²) computed as max|v| · √(Σ (vᵢ / max|v|)²), so entries near 1e±200 neither overflow nor underflow
 * (the scaling of LAPACK dnrm2 / dlassq, in two passes). NaN propagates.
 */
function scaledNorm(v: ArrayLike<number>): number {
  let big = 0;
  for (let i = 0; i < v.length; i++) {
    const a = Math.abs(v[i]);
    if (a > big || Number.isNaN(a)) big = a;
  }
  if (big === 0 || !Number.isFinite(big)) return big;
  let s = 0;
  for (let i = 0; i < v.length; i++) {
    // Divide (not multiply by 1/big): 1/big overflows when big is subnormal.
    const t = v[i] / big;
    s += t * t;
  }
  return big * Math.sqrt(s);
}

/** The Euclidean norm ‖x‖₂, without overflow or underflow for extreme entries. */
export function norm2(x: ArrayLike<number>): number {
  return scaledNorm(x);
}

/** The Frobenius norm ‖A‖_F = √(Σᵢⱼ Aᵢⱼ²), without overflow or underflow for extreme entries. */
export function frobeniusNorm(A: Matrix): number {
  return scaledNorm(A.data);
}
