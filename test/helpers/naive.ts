/** Independent references shared by the tests: deliberately naive, so they cannot share a bug with src/linalg. */
import { Matrix } from "../../src/linalg/matrix.js";

/** op(A)·op(B) by the textbook triple loop (op = transpose when the flag is set). */
export function naiveMatmul(A: Matrix, B: Matrix, tA = false, tB = false): Matrix {
  const r = tA ? A.cols : A.rows;
  const inner = tA ? A.rows : A.cols;
  const c = tB ? B.rows : B.cols;
  const C = new Matrix(r, c);
  for (let i = 0; i < r; i++)
    for (let j = 0; j < c; j++) {
      let s = 0;
      for (let p = 0; p < inner; p++) s += (tA ? A.get(p, i) : A.get(i, p)) * (tB ? B.get(j, p) : B.get(p, j));
      C.set(i, j, s);
    }
  return C;
}
