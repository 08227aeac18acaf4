import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Matrix } from "../../src/linalg/matrix.js";
import { NotSquareError, ShapeError } from "../../src/linalg/errors.js";
import {
  add,
  axpy,
  diag,
  dot,
  frobeniusNorm,
  hadamard,
  norm2,
  outer,
  scale,
  sub,
  trace,
} from "../../src/linalg/ops.js";

const A = Matrix.fromRows([
  [1, -2, 3],
  [4, 5, -6],
]);
const B = Matrix.fromRows([
  [0.5, 1, -1],
  [2, -3, 7],
]);

describe("elementwise ops", () => {
  it("add, sub, scale, axpy, hadamard match hand-computed values", () => {
    expect(add(A, B).toRows()).toEqual([
      [1.5, -1, 2],
      [6, 2, 1],
    ]);
    expect(sub(A, B).toRows()).toEqual([
      [0.5, -3, 4],
      [2, 8, -13],
    ]);
    expect(scale(A, -2).toRows()).toEqual([
      [-2, 4, -6],
      [-8, -10, 12],
    ]);
    expect(axpy(2, A, B).toRows()).toEqual([
      [2.5, -3, 5],
      [10, 7, -5],
    ]);
    expect(hadamard(A, B).toRows()).toEqual([
      [0.5, -2, -3],
      [8, -15, -42],
    ]);
  });

  it("leave their arguments untouched", () => {
    const a0 = A.data.slice();
    const b0 = B.data.slice();
    add(A, B);
    axpy(3, A, B);
    scale(A, 2);
    expect(A.data).toEqual(a0);
    expect(B.data).toEqual(b0);
  });

  it("refuse mismatched shapes, naming both", () => {
    const C = new Matrix(3, 2);
    for (const f of [add, sub, hadamard, (x: Matrix, y: Matrix) => axpy(1, x, y)]) {
      expect(() => f(A, C)).toThrow(ShapeError);
      expect(() => f(A, C)).toThrow(/2×3 and 3×2/);
    }
    expect(() => dot([1, 2], [1, 2, 3])).toThrow(/lengths differ: 2 and 3/);
  });
});

describe("reductions", () => {
  it("trace, diag, outer, dot", () => {
    const S = Matrix.fromRows([
      [2, 1],
      [7, -5],
    ]);
    expect(trace(S)).toBe(-3);
    expect(() => trace(A)).toThrow(NotSquareError);
    expect(() => trace(A)).toThrow(/2×3/);
    expect(Array.from(diag(A))).toEqual([1, 5]);
    expect(outer([1, 2], [3, 4, 5]).toRows()).toEqual([
      [3, 4, 5],
      [6, 8, 10],
    ]);
    expect(dot([1, 2, 3], [4, -5, 6])).toBe(12);
  });

  it("norms match the naive formula on ordinary inputs", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: 1, maxLength: 40 }), (v) => {
        const naive = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
        expect(Math.abs(norm2(v) - naive)).toBeLessThanOrEqual(1e-14 * naive + 1e-150);
      }),
    );
    expect(frobeniusNorm(A)).toBeCloseTo(Math.sqrt(1 + 4 + 9 + 16 + 25 + 36), 14);
  });

  it("norms neither overflow nor underflow at extreme scales", () => {
    expect(norm2([3e200, 4e200])).toBeCloseTo(5e200, -186);
    expect(norm2([3e200, 4e200]) / 5e200).toBeCloseTo(1, 14);
    expect(norm2([3e-200, 4e-200]) / 5e-200).toBeCloseTo(1, 14);
    expect(norm2([5e-324, 5e-324])).toBeGreaterThan(0);
    expect(norm2([])).toBe(0);
    expect(norm2([1, NaN])).toBeNaN();
    expect(norm2([1, Infinity])).toBe(Infinity);
  });
});
