import { describe, expect, it } from "vitest";
import { Matrix } from "../../src/linalg/matrix.js";
import { ShapeError } from "../../src/linalg/errors.js";
import { gram, matmul, matvec } from "../../src/linalg/blas.js";
import { Rng } from "../../src/random/index.js";
import { gaussianMatrix } from "../../src/random/index.js";

/** Reference: the textbook triple loop on explicit transposes. */
function naive(A: Matrix, B: Matrix, transA = false, transB = false): Matrix {
  const a = transA ? A.transpose() : A;
  const b = transB ? B.transpose() : B;
  const C = new Matrix(a.rows, b.cols);
  for (let i = 0; i < a.rows; i++)
    for (let j = 0; j < b.cols; j++) {
      let s = 0;
      for (let p = 0; p < a.cols; p++) s += a.get(i, p) * b.get(p, j);
      C.set(i, j, s);
    }
  return C;
}

function maxAbsDiff(X: Matrix, Y: Matrix): number {
  expect([X.rows, X.cols]).toEqual([Y.rows, Y.cols]);
  let d = 0;
  for (let i = 0; i < X.data.length; i++) d = Math.max(d, Math.abs(X.data[i] - Y.data[i]));
  return d;
}

describe("matmul", () => {
  it("matches the triple loop for all transpose combinations", () => {
    const rng = new Rng(1);
    for (const [m, n, k] of [
      [1, 1, 1],
      [3, 5, 7],
      [8, 8, 8],
      [17, 2, 33],
    ]) {
      for (const tA of [false, true])
        for (const tB of [false, true]) {
          const A = tA ? gaussianMatrix(rng, k, m) : gaussianMatrix(rng, m, k);
          const B = tB ? gaussianMatrix(rng, n, k) : gaussianMatrix(rng, k, n);
          const C = matmul(A, B, { transA: tA, transB: tB });
          expect(maxAbsDiff(C, naive(A, B, tA, tB))).toBeLessThan(1e-13 * k);
        }
    }
  });

  it("gram and matvec agree with matmul", () => {
    const rng = new Rng(2);
    const X = gaussianMatrix(rng, 9, 4);
    expect(maxAbsDiff(gram(X), naive(X, X, true, false))).toBeLessThan(1e-13);
    expect(maxAbsDiff(gram(X, { trans: true }), naive(X, X, false, true))).toBeLessThan(1e-13);
    const x = Float64Array.from([1, -2, 0.5, 3]);
    const y = matvec(X, x);
    expect(maxAbsDiff(new Matrix(9, 1, y), naive(X, Matrix.column(x)))).toBeLessThan(1e-13);
    const z = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const w = matvec(X, z, { trans: true });
    expect(maxAbsDiff(new Matrix(4, 1, w), naive(X, Matrix.column(z), true))).toBeLessThan(1e-13);
  });

  it("refuses mismatched inner dimensions, naming both shapes", () => {
    const A = new Matrix(2, 3);
    const B = new Matrix(4, 5);
    expect(() => matmul(A, B)).toThrow(ShapeError);
    expect(() => matmul(A, B)).toThrow(/A 2×3.*B 4×5/);
    expect(() => matvec(A, [1, 2])).toThrow(/A 2×3.*length 2/);
  });
});
