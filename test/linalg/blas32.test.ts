import { describe, expect, it } from "vitest";
import { Matrix } from "../../src/linalg/matrix.js";
import { Matrix32 } from "../../src/linalg/matrix32.js";
import { gram32, matmul32, matmul32Into, matmulFloat32Into } from "../../src/linalg/blas32.js";
import { applyElementwise } from "../../src/linalg/elementwise.js";
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

describe("matmulFloat32Into: float64 operands, float32 product", () => {
  function fround(M: Matrix): Matrix {
    return new Matrix(M.rows, M.cols, M.data.map(Math.fround));
  }

  it("equals sgemm on the inputs rounded with Math.fround, widened to float64, for every transpose", () => {
    const rng = new Rng(21);
    for (const [m, n, k] of [
      [1, 1, 1],
      [7, 9, 5],
      [129, 33, 260],
    ] as const) {
      for (const [tA, tB] of [
        [false, false],
        [true, false],
        [false, true],
        [true, true],
      ] as const) {
        const A = tA ? gaussianMatrix(rng, k, m) : gaussianMatrix(rng, m, k);
        const B = tB ? gaussianMatrix(rng, n, k) : gaussianMatrix(rng, k, n);
        const C = new Matrix(m, n, new Float64Array(m * n).fill(NaN));
        matmulFloat32Into(C, A, B, { transA: tA, transB: tB, alpha: 0.25 });
        const A32 = Matrix32.fromMatrix(A);
        const B32 = Matrix32.fromMatrix(B);
        const want = matmul32Into(new Matrix32(m, n), A32, B32, { transA: tA, transB: tB, alpha: 0.25 });
        expect(Array.from(C.data)).toEqual(Array.from(want.data));
        expectWithinFloat32Bound(Matrix32.fromMatrix(C), A32, B32, tA, tB, 0.25);
      }
    }
  });

  it("is within float32's bound of the exact float64 product (input rounding included)", () => {
    const rng = new Rng(22);
    const A = gaussianMatrix(rng, 64, 300);
    const B = gaussianMatrix(rng, 300, 48);
    const C = matmulFloat32Into(new Matrix(64, 48), A, B);
    const exact = naiveMatmul(A, B);
    const magnitude = naiveMatmul(abs(A), abs(B));
    // Input rounding adds 2u per term, the float32 dot product γ_k: (k + 4)·u/(1 − (k + 4)·u) in all.
    const gamma = (304 * U32) / (1 - 304 * U32);
    let worst = 0;
    for (let i = 0; i < C.data.length; i++) {
      worst = Math.max(worst, Math.abs(C.data[i] - exact.data[i]) / (gamma * magnitude.data[i]));
    }
    expect(worst).toBeLessThanOrEqual(1);
    // …and it really is float32: every entry is a float32 value, and the whole is not the float64 product.
    expect(C.data.every((v) => Math.fround(v) === v)).toBe(true);
    expect(Array.from(C.data)).not.toEqual(Array.from(exact.data));
  });

  it("β·C uses C rounded to float32, and the bias + activation epilogue runs in float64 on the product", () => {
    const rng = new Rng(23);
    const A = gaussianMatrix(rng, 20, 30);
    const B = gaussianMatrix(rng, 30, 10);
    const C0 = gaussianMatrix(rng, 20, 10);
    const b = Float64Array.from({ length: 10 }, () => rng.normal() / 3);
    const got = matmulFloat32Into(C0.clone(), A, B, { beta: -1, bias: b, activation: "relu" });
    const P = matmul32Into(Matrix32.fromMatrix(C0), Matrix32.fromMatrix(A), Matrix32.fromMatrix(B), { beta: -1 });
    const want = P.toMatrix();
    for (let i = 0; i < 20; i++) for (let j = 0; j < 10; j++) want.data[i * 10 + j] += b[j];
    expect(Array.from(got.data)).toEqual(Array.from(applyElementwise("relu", want).data));
    expect(fround(got).data.every((v, i) => v === got.data[i])).toBe(false); // the float64 bias is not rounded
  });

  it("refuses mismatched shapes, a C that is an operand, and a bias of the wrong length", () => {
    const A = new Matrix(2, 3);
    expect(() => matmulFloat32Into(new Matrix(2, 2), A, new Matrix(2, 2))).toThrow(ShapeError);
    expect(() => matmulFloat32Into(new Matrix(2, 4), A, new Matrix(3, 3))).toThrow(/C is 2×4/);
    const S = new Matrix(3, 3);
    expect(() => matmulFloat32Into(S, S, S)).toThrow(/must not be A or B/);
    expect(() => matmulFloat32Into(new Matrix(2, 3), A, S, { bias: new Float64Array(2) })).toThrow(
      /matmulFloat32Into: options.bias must be a Float64Array of length 3/,
    );
  });
});
