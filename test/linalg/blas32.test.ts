import { describe, expect, it } from "vitest";
import { Matrix } from "../../src/linalg/matrix.js";
import { Matrix32 } from "../../src/linalg/matrix32.js";
import { gram32, matmul32, matmul32Into } from "../../src/linalg/blas32.js";
import { ShapeError } from "../../src/linalg/errors.js";
import { Rng, gaussianMatrix } from "../../src/random/index.js";
import { naiveMatmul } from "../helpers/naive.js";

const U32 = 2 ** -24;

function abs(M: Matrix): Matrix {
  return new Matrix(M.rows, M.cols, M.data.map(Math.abs));
}

/**
 * Asserts |C32 − C64| ≤ γ_k·(|op(A)||op(B)|) + tiny entrywise, with C64 the float64 product of the same
 * (float32-rounded) inputs: the standard bound for a float32 dot product of length k, γ_k = k·u/(1 − k·u).
 */
function expectWithinFloat32Bound(C32: Matrix32, A: Matrix32, B: Matrix32, tA: boolean, tB: boolean, alpha = 1): void {
  const A64 = A.toMatrix();
  const B64 = B.toMatrix();
  const exact = naiveMatmul(A64, B64, tA, tB);
  const magnitude = naiveMatmul(abs(A64), abs(B64), tA, tB);
  const k = tA ? A.rows : A.cols;
  // k + 2: k roundings in the dot product, one for α, one for storing.
  const gamma = ((k + 2) * U32) / (1 - (k + 2) * U32);
  expect(C32.shape()).toBe(exact.shape());
  const violations: string[] = [];
  for (let i = 0; i < exact.data.length; i++) {
    const err = Math.abs(C32.data[i] - alpha * exact.data[i]);
    const bound = gamma * Math.abs(alpha) * magnitude.data[i] + 1e-30;
    if (!(err <= bound)) violations.push(`entry ${i}: error ${err} > bound ${bound}`);
  }
  expect(violations.slice(0, 5)).toEqual([]);
}

function randomMatrix32(rng: Rng, rows: number, cols: number): Matrix32 {
  return Matrix32.fromMatrix(gaussianMatrix(rng, rows, cols));
}

describe("float32 GEMM (sgemm) against the float64 product of the same inputs", () => {
  // Shapes straddling the kernel's blocking: MR = 4, NR = 8, KC = 256, MC = 128, NC = 512.
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [3, 7, 5],
    [4, 8, 256],
    [5, 9, 257],
    [129, 17, 33],
    [33, 513, 9],
    [64, 64, 600],
  ];
  for (const [m, n, k] of shapes) {
    it(`${m}×${n}×${k}, all four transpose combinations, within float32's bound`, () => {
      const rng = new Rng(m * 1000 + n * 10 + k);
      for (const [tA, tB] of [
        [false, false],
        [true, false],
        [false, true],
        [true, true],
      ] as const) {
        const A = tA ? randomMatrix32(rng, k, m) : randomMatrix32(rng, m, k);
        const B = tB ? randomMatrix32(rng, n, k) : randomMatrix32(rng, k, n);
        expectWithinFloat32Bound(matmul32(A, B, { transA: tA, transB: tB }), A, B, tA, tB);
      }
    });
  }

  it("is not merely float64 rounded at the end: it accumulates in float32 (a sum that float64 resolves)", () => {
    // 1 + 2⁻²⁴·(k ones) : float32 accumulation loses every small term, float64 keeps them.
    const k = 64;
    const A = new Matrix32(
      1,
      k + 1,
      Float32Array.from({ length: k + 1 }, (_, i) => (i === 0 ? 1 : U32)),
    );
    const B = new Matrix32(k + 1, 1, new Float32Array(k + 1).fill(1));
    const c = matmul32(A, B).data[0];
    expect(c).not.toBe(1 + k * U32);
    expect(Math.abs(c - (1 + k * U32))).toBeLessThanOrEqual(k * U32);
  });

  it("matmul32Into computes α·op(A)·op(B) + β·C, and with β = 0 ignores NaN in C", () => {
    const rng = new Rng(5);
    const A = randomMatrix32(rng, 13, 21);
    const B = randomMatrix32(rng, 21, 11);
    const C0 = randomMatrix32(rng, 13, 11);
    const C = new Matrix32(13, 11, C0.data.slice());
    matmul32Into(C, A, B, { alpha: 0.5, beta: -2 });
    const P = naiveMatmul(A.toMatrix(), B.toMatrix());
    const M = naiveMatmul(abs(A.toMatrix()), abs(B.toMatrix()));
    for (let i = 0; i < C.data.length; i++) {
      const want = 0.5 * P.data[i] - 2 * C0.data[i];
      expect(Math.abs(C.data[i] - want)).toBeLessThanOrEqual(30 * U32 * (M.data[i] + 2 * Math.abs(C0.data[i])));
    }
    const N = new Matrix32(13, 11, new Float32Array(143).fill(NaN));
    expectWithinFloat32Bound(matmul32Into(N, A, B, { alpha: 3 }), A, B, false, false, 3);
  });

  it("gram32 is exactly symmetric and within float32's bound of XᵀX and XXᵀ", () => {
    const rng = new Rng(6);
    const X = randomMatrix32(rng, 300, 45);
    const G = gram32(X);
    expectWithinFloat32Bound(G, X, X, true, false);
    for (let i = 0; i < 45; i++) for (let j = 0; j < i; j++) expect(G.get(i, j)).toBe(G.get(j, i));
    expectWithinFloat32Bound(gram32(X, { trans: true }), X, X, false, true);
  });

  it("handles empty products and refuses mismatched shapes", () => {
    expect(Array.from(matmul32(new Matrix32(2, 0), new Matrix32(0, 3)).data)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(matmul32(new Matrix32(0, 4), new Matrix32(4, 3)).shape()).toBe("0×3");
    expect(gram32(new Matrix32(5, 0)).shape()).toBe("0×0");
    expect(() => matmul32(new Matrix32(2, 3), new Matrix32(2, 3))).toThrow(ShapeError);
    expect(() => matmul32Into(new Matrix32(3, 3), new Matrix32(2, 3), new Matrix32(3, 3))).toThrow(/C is 3×3/);
    expect(() => new Matrix32(2, 2, new Float32Array(3))).toThrow(ShapeError);
  });
});
