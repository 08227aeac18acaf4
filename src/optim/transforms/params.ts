/** Helpers over `Params` (a flat record of named matrices): shape checks, element-wise maps, norms. */
import { Matrix } from "../../linalg/matrix.js";
import { ShapeError } from "../../linalg/errors.js";
import type { Params } from "../../nn/types.js";

/** Throws unless `b` has exactly the keys of `a` with the same shapes (names the first mismatch). */
export function checkSameShapes(where: string, a: Params, aName: string, b: Params, bName: string): void {
  for (const key of Object.keys(a)) {
    const x = a[key];
    const y = b[key];
    if (y === undefined) throw new ShapeError(`${where}: ${bName} has no entry "${key}" (${aName} has ${x.shape()})`);
    if (x.rows !== y.rows || x.cols !== y.cols) {
      throw new ShapeError(`${where}: "${key}" is ${x.shape()} in ${aName} but ${y.shape()} in ${bName}`);
    }
  }
  for (const key of Object.keys(b)) {
    if (!(key in a)) throw new ShapeError(`${where}: ${bName} has an entry "${key}" that ${aName} lacks`);
  }
}

/** Zeros with the shapes of `params`. */
export function zerosLike(params: Params): Params {
  const out: Params = {};
  for (const [key, p] of Object.entries(params)) out[key] = new Matrix(p.rows, p.cols);
  return out;
}

/** √(Σ x²) over every entry of every matrix. */
export function globalNorm(tree: Params): number {
  let s = 0;
  for (const m of Object.values(tree)) for (const x of m.data) s += x * x;
  return Math.sqrt(s);
}

/** ‖X‖_F. */
export function frobenius(m: Matrix): number {
  let s = 0;
  for (const x of m.data) s += x * x;
  return Math.sqrt(s);
}

/** A new matrix c·X. */
export function scaled(m: Matrix, c: number): Matrix {
  const out = new Matrix(m.rows, m.cols);
  for (let i = 0; i < m.data.length; i++) out.data[i] = c * m.data[i];
  return out;
}

/** Σ ⟨X_k, Y_k⟩ over the keys of `x`. */
export function treeDot(x: Params, y: Params): number {
  let s = 0;
  for (const key of Object.keys(x)) {
    const a = x[key].data;
    const b = y[key].data;
    for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  }
  return s;
}

/** True when every entry is finite. */
export function allFinite(data: Float64Array): boolean {
  for (const x of data) if (!Number.isFinite(x)) return false;
  return true;
}

/** A parameter that is a genuine matrix (both dimensions > 1), as opposed to a 1×n bias or a vector. */
export function isMatrixShaped(m: Matrix): boolean {
  return m.rows > 1 && m.cols > 1;
}
