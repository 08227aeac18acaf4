import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Matrix } from "../../src/linalg/matrix.js";
import { ShapeError } from "../../src/linalg/errors.js";
import { WASM_MIN_FLOPS, gram, matmul, matmulInto, matvec } from "../../src/linalg/blas.js";
import { applyElementwise } from "../../src/linalg/elementwise.js";
import { alloc, copyIn, copyOut, kernels, mark, release } from "../../src/linalg/wasm.js";
import { Rng, gaussianMatrix } from "../../src/random/index.js";

/** Reference: the textbook triple loop on explicitly transposed copies. */
function naive(A: Matrix, B: Matrix, transA = false, transB = false): Matrix {
  const a = transA ? A.transpose() : A;
  const b = transB ? B.transpose() : B;
  const C = new Matrix(a.rows, b.cols);
  for (let i = 0; i < a.rows; i++)
    for (let j = 0; j < b.cols; j++) {
      let s = 0;
      for (let p = 0; p < a.cols; p++) s += a.data[i * a.cols + p] * b.data[p * b.cols + j];
      C.data[i * b.cols + j] = s;
    }
  return C;
}

function fro(X: Matrix): number {
  let s = 0;
  for (const v of X.data) s += v * v;
  return Math.sqrt(s);
}

/** ‖X − Y‖_F, after checking the shapes agree. */
function diffNorm(X: Matrix, Y: Matrix): number {
  expect(X.shape()).toBe(Y.shape());
  let s = 0;
  for (let i = 0; i < X.data.length; i++) s += (X.data[i] - Y.data[i]) ** 2;
  return Math.sqrt(s);
}

/** The operands of op(A)·op(B) with op(A) m×k and op(B) k×n, stored transposed where asked. */
function operands(rng: Rng, m: number, n: number, k: number, tA: boolean, tB: boolean): [Matrix, Matrix] {
  return [
    tA ? gaussianMatrix(rng, k, m) : gaussianMatrix(rng, m, k),
    tB ? gaussianMatrix(rng, n, k) : gaussianMatrix(rng, k, n),
  ];
}

/** Asserts the relative error bound ‖C − naive‖/(‖A‖‖B‖) ≤ 1e-13·k of a product. */
function expectAccurateProduct(A: Matrix, B: Matrix, tA: boolean, tB: boolean): void {
  const C = matmul(A, B, { transA: tA, transB: tB });
  const ref = naive(A, B, tA, tB);
  const k = tA ? A.rows : A.cols;
  expect(diffNorm(C, ref)).toBeLessThanOrEqual(1e-13 * Math.max(k, 1) * fro(A) * fro(B));
}

const TRANSPOSES: [boolean, boolean][] = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
];

describe("matmul", () => {
  it("matches the triple loop for all transpose combinations on random shapes 1…300", () => {
    const shape = fc.integer({ min: 1, max: 300 });
    fc.assert(
      fc.property(shape, shape, shape, fc.boolean(), fc.boolean(), fc.integer(), (m, n, k, tA, tB, seed) => {
        const [A, B] = operands(new Rng(seed), m, n, k, tA, tB);
        expectAccurateProduct(A, B, tA, tB);
      }),
      { numRuns: 40, seed: 7 },
    );
  });

  it("handles vectors, tiny sizes on both sides of the WebAssembly threshold, and non-square shapes", () => {
    const rng = new Rng(1);
    const shapes: [number, number, number][] = [
      [1, 1, 1],
      [1, 300, 7],
      [300, 1, 7],
      [1, 1, 300],
      [300, 300, 1],
      [2, 3, 5],
      [8, 8, 8],
      [11, 12, 13],
      [16, 16, 16],
      [3, 257, 2],
    ];
    for (const [m, n, k] of shapes)
      for (const [tA, tB] of TRANSPOSES) expectAccurateProduct(...operands(rng, m, n, k, tA, tB), tA, tB);
    // The threshold really splits these: the first stays in TypeScript, the second goes to WebAssembly.
    expect(8 * 8 * 8).toBeLessThan(WASM_MIN_FLOPS);
    expect(16 * 16 * 16).toBeGreaterThanOrEqual(WASM_MIN_FLOPS);
  });

  it("is exact on shapes that straddle the kernel's block sizes (MR = NR = 4, KC = 256, MC = 128, NC = 512)", () => {
    // Small integers make every product exact, so any packing or edge-tile mistake shows as a nonzero error.
    const rng = new Rng(2);
    const ints = (r: number, c: number): Matrix => {
      const M = new Matrix(r, c);
      for (let i = 0; i < M.data.length; i++) M.data[i] = rng.int(7) - 3;
      return M;
    };
    const shapes: [number, number, number][] = [
      [129, 5, 257],
      [127, 513, 3],
      [5, 515, 255],
      [131, 9, 512],
      [4, 4, 4],
      [3, 3, 3],
    ];
    for (const [m, n, k] of shapes)
      for (const [tA, tB] of TRANSPOSES) {
        const A = tA ? ints(k, m) : ints(m, k);
        const B = tB ? ints(n, k) : ints(k, n);
        expect(diffNorm(matmul(A, B, { transA: tA, transB: tB }), naive(A, B, tA, tB))).toBe(0);
      }
  });

  it("supports zero-size dimensions (an empty sum is 0)", () => {
    expect(matmul(new Matrix(0, 4), new Matrix(4, 3)).shape()).toBe("0×3");
    expect(matmul(new Matrix(3, 4), new Matrix(4, 0)).shape()).toBe("3×0");
    const Z = matmul(new Matrix(30, 0), new Matrix(0, 40));
    expect(Z.shape()).toBe("30×40");
    expect(Z.data.every((v) => v === 0)).toBe(true);
  });

  it("confines non-finite inputs to the rows and columns they belong to (zero padding never meets Inf)", () => {
    for (const n of [5, 37]) {
      const A = gaussianMatrix(new Rng(n), n, n);
      const B = gaussianMatrix(new Rng(n + 1), n, n);
      A.set(n - 1, 0, Infinity);
      B.set(0, n - 1, NaN);
      const C = matmul(A, B);
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) {
          expect(Number.isFinite(C.get(i, j))).toBe(i !== n - 1 && j !== n - 1);
        }
    }
  });

  it("does not modify its operands", () => {
    const rng = new Rng(3);
    const A = gaussianMatrix(rng, 40, 30);
    const B = gaussianMatrix(rng, 30, 20);
    const a0 = A.data.slice();
    const b0 = B.data.slice();
    matmul(A, B);
    expect(A.data).toEqual(a0);
    expect(B.data).toEqual(b0);
  });

  it("refuses mismatched inner dimensions, naming both shapes", () => {
    const A = new Matrix(2, 3);
    const B = new Matrix(4, 5);
    expect(() => matmul(A, B)).toThrow(ShapeError);
    expect(() => matmul(A, B)).toThrow("op(A) is 2×3 (A 2×3) but op(B) is 4×5 (B 4×5)");
    expect(() => matmul(A, new Matrix(2, 5), { transA: true, transB: true })).toThrow(
      "op(A) is 3×2 (A 2×3, transposed) but op(B) is 5×2 (B 2×5, transposed)",
    );
  });
});

describe("matmulInto", () => {
  it("computes C ← α·op(A)·op(B) + β·C in place, on both sides of the WebAssembly threshold", () => {
    const rng = new Rng(41);
    // Widths of every residue mod 4 (the small path's 2×4 blocks clamp their last columns) and odd heights.
    for (const [m, n, k] of [
      [3, 5, 2],
      [3, 6, 2],
      [2, 7, 3],
      [5, 2, 4],
      [1, 1, 1],
      [7, 1, 9],
      [37, 41, 29],
      [130, 9, 260],
    ] as const) {
      for (const [tA, tB] of TRANSPOSES) {
        const [A, B] = operands(rng, m, n, k, tA, tB);
        const C0 = gaussianMatrix(rng, m, n);
        const C = C0.clone();
        const out = matmulInto(C, A, B, { alpha: -0.5, beta: 2, transA: tA, transB: tB });
        expect(out).toBe(C);
        const P = naive(A, B, tA, tB);
        for (let i = 0; i < m * n; i++) {
          const want = -0.5 * P.data[i] + 2 * C0.data[i];
          expect(Math.abs(C.data[i] - want), `${m}×${n}×${k} ${tA} ${tB}`).toBeLessThanOrEqual(1e-13 * k + 1e-15);
        }
      }
    }
  });

  it("with β = 0 overwrites C without reading it (NaN in the old contents does not leak) and equals matmul", () => {
    const rng = new Rng(42);
    for (const [m, n, k] of [
      [2, 3, 4],
      [64, 70, 33],
    ] as const) {
      const A = gaussianMatrix(rng, m, k);
      const B = gaussianMatrix(rng, k, n);
      const C = new Matrix(m, n, new Float64Array(m * n).fill(NaN));
      matmulInto(C, A, B);
      expect(Array.from(C.data)).toEqual(Array.from(matmul(A, B).data));
      matmulInto(C, A, B, { alpha: 3 });
      expect(Array.from(C.data)).toEqual(Array.from(matmul(A, B).data.map((v) => 3 * v)));
    }
  });

  it("applies the fused activation to α·op(A)·op(B) + β·C exactly as a separate elementwise pass would", () => {
    const rng = new Rng(43);
    for (const [m, n, k] of [
      [3, 2, 4],
      [50, 37, 21],
    ] as const) {
      const A = gaussianMatrix(rng, k, m);
      const B = gaussianMatrix(rng, k, n);
      const C0 = gaussianMatrix(rng, m, n);
      for (const activation of ["tanh", "relu", "sigmoid"] as const) {
        const fused = matmulInto(C0.clone(), A, B, { transA: true, alpha: 2, beta: 0.5, activation });
        const plain = applyElementwise(activation, matmulInto(C0.clone(), A, B, { transA: true, alpha: 2, beta: 0.5 }));
        expect(Array.from(fused.data)).toEqual(Array.from(plain.data));
      }
    }
    expect(() =>
      matmulInto(new Matrix(2, 2), new Matrix(2, 2), new Matrix(2, 2), { activation: "gelu" as "tanh" }),
    ).toThrow(/options.activation must be one of identity, relu, tanh, sigmoid, exp, log, got "gelu"/);
  });

  it("adds the bias row before the activation: σ(α·op(A)·op(B) + β·C + 1bᵀ), on both the small and the WebAssembly path", () => {
    const rng = new Rng(44);
    for (const [m, n, k] of [
      [3, 5, 2],
      [40, 33, 17],
    ] as const) {
      const A = gaussianMatrix(rng, m, k);
      const B = gaussianMatrix(rng, n, k);
      const C0 = gaussianMatrix(rng, m, n);
      const b = Float64Array.from({ length: n }, () => rng.normal());
      for (const activation of [undefined, "relu", "tanh"] as const) {
        const fused = matmulInto(C0.clone(), A, B, { transB: true, alpha: 0.5, beta: 2, bias: b, activation });
        // Reference: the product, then the bias added row by row in TypeScript, then σ as a separate pass.
        const sum = matmulInto(C0.clone(), A, B, { transB: true, alpha: 0.5, beta: 2 });
        for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) sum.data[i * n + j] += b[j];
        const want = activation === undefined ? sum : applyElementwise(activation, sum);
        expect(Array.from(fused.data)).toEqual(Array.from(want.data));
      }
    }
    expect(() =>
      matmulInto(new Matrix(2, 4), new Matrix(2, 3), new Matrix(3, 4), { bias: new Float64Array(3) }),
    ).toThrow(/options.bias must be a Float64Array of length 4 \(the result's columns\), got length 3/);
  });

  it("refuses a C of the wrong shape, a C that is an operand, and non-finite scalars", () => {
    const A = new Matrix(2, 3);
    const B = new Matrix(3, 4);
    expect(() => matmulInto(new Matrix(4, 2), A, B)).toThrow(/C is 4×2 but op\(A\)·op\(B\) is 2×4/);
    const S = new Matrix(3, 3);
    expect(() => matmulInto(S, S, S)).toThrow(/must not be A or B/);
    expect(() => matmulInto(new Matrix(2, 4), A, B, { alpha: NaN })).toThrow(/options.alpha must be a finite number/);
    expect(() => matmulInto(new Matrix(2, 4), A, B, { beta: "1" as unknown as number })).toThrow(/options.beta/);
  });
});

describe("options", () => {
  it("refuse non-boolean flags, naming the option and the value", () => {
    const A = new Matrix(2, 2);
    const bad = (v: unknown) => v as boolean;
    expect(() => matmul(A, A, { transA: bad(1) })).toThrow("matmul: options.transA must be true or false, got 1");
    expect(() => matmul(A, A, { transB: bad("yes") })).toThrow('options.transB must be true or false, got "yes"');
    expect(() => gram(A, { trans: bad(null) })).toThrow("gram: options.trans must be true or false, got null");
    expect(() => matvec(A, [1, 2], { trans: bad(0) })).toThrow(TypeError);
  });
});

describe("gram", () => {
  it("equals XᵀX and XXᵀ from the triple loop, and is exactly symmetric", () => {
    const rng = new Rng(4);
    for (const [r, c] of [
      [1, 1],
      [9, 4],
      [4, 9],
      [300, 7],
      [37, 130],
      [260, 133],
    ]) {
      const X = gaussianMatrix(rng, r, c);
      for (const trans of [false, true]) {
        const G = gram(X, { trans });
        const ref = trans ? naive(X, X, false, true) : naive(X, X, true, false);
        const k = trans ? c : r;
        expect(diffNorm(G, ref)).toBeLessThanOrEqual(1e-13 * k * fro(X) ** 2);
        expect(G.transpose().data).toEqual(G.data);
      }
    }
  });

  it("handles zero-size inputs", () => {
    expect(gram(new Matrix(0, 3)).data.every((v) => v === 0)).toBe(true);
    expect(gram(new Matrix(0, 3)).shape()).toBe("3×3");
    expect(gram(new Matrix(0, 3), { trans: true }).shape()).toBe("0×0");
  });
});

describe("matvec", () => {
  it("equals the product with a column vector, plain and transposed", () => {
    const rng = new Rng(5);
    const A = gaussianMatrix(rng, 37, 23);
    const x = gaussianMatrix(rng, 23, 1);
    const z = gaussianMatrix(rng, 37, 1);
    expect(diffNorm(new Matrix(37, 1, matvec(A, x.data)), naive(A, x))).toBeLessThan(1e-12);
    expect(diffNorm(new Matrix(23, 1, matvec(A, z.data, { trans: true })), naive(A, z, true))).toBeLessThan(1e-12);
    expect(Array.from(matvec(A, Array.from(x.data)))).toEqual(Array.from(matvec(A, x.data)));
  });

  it("refuses a vector of the wrong length, naming the shapes", () => {
    expect(() => matvec(new Matrix(2, 3), [1, 2])).toThrow(ShapeError);
    expect(() => matvec(new Matrix(2, 3), [1, 2])).toThrow("op(A) is 2×3 (A 2×3) but x has length 2");
    expect(() => matvec(new Matrix(2, 3), [1, 2, 3], { trans: true })).toThrow("transposed) but x has length 3");
  });
});

// The raw kernels, as core-lapack's blocked factorizations call them: strided sub-matrices, α and β.
describe("asm dgemm / dsyrk contract", () => {
  interface Raw {
    dgemm(...args: number[]): void;
    dsyrk(...args: number[]): void;
  }
  const raw = kernels as unknown as Raw;

  it("computes C ← α·op(A)·op(B) + β·C on sub-blocks of larger row-major arrays", () => {
    const rng = new Rng(6);
    for (const [tA, tB] of TRANSPOSES) {
      const [m, n, k] = [37, 21, 300];
      const [lda, ldb, ldc] = [(tA ? m : k) + 3, (tB ? k : n) + 5, n + 2];
      const Abuf = gaussianMatrix(rng, tA ? k : m, lda);
      const Bbuf = gaussianMatrix(rng, tB ? n : k, ldb);
      const Cbuf = gaussianMatrix(rng, m, ldc);
      const top = mark();
      const pA = copyIn(Abuf.data);
      const pB = copyIn(Bbuf.data);
      const pC = copyIn(Cbuf.data);
      raw.dgemm(tA ? 1 : 0, tB ? 1 : 0, m, n, k, -1.5, pA, lda, pB, ldb, 0.25, pC, ldc);
      const out = copyOut(pC, Cbuf.data.length);
      release(top);
      // The reference reads the leading blocks of the padded buffers.
      const sub = (M: Matrix, r: number, c: number): Matrix => {
        const S = new Matrix(r, c);
        for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) S.data[i * c + j] = M.data[i * M.cols + j];
        return S;
      };
      const prod = naive(sub(Abuf, Abuf.rows, tA ? m : k), sub(Bbuf, Bbuf.rows, tB ? k : n), tA, tB);
      let err = 0;
      for (let i = 0; i < m; i++)
        for (let j = 0; j < ldc; j++) {
          const want = j < n ? -1.5 * prod.data[i * n + j] + 0.25 * Cbuf.data[i * ldc + j] : Cbuf.data[i * ldc + j];
          err = Math.max(err, Math.abs(out[i * ldc + j] - want));
        }
      expect(err).toBeLessThan(1e-11);
    }
  });

  it("ignores C when β = 0 and A, B when α = 0 (NaN does not leak in)", () => {
    const top = mark();
    const pA = copyIn(Float64Array.from([1, 2, 3, 4]));
    const pNaN = copyIn(Float64Array.from([NaN, NaN, NaN, NaN]));
    const pC = copyIn(Float64Array.from([NaN, NaN, NaN, NaN]));
    raw.dgemm(0, 0, 2, 2, 2, 1, pA, 2, pA, 2, 0, pC, 2);
    expect(Array.from(copyOut(pC, 4))).toEqual([7, 10, 15, 22]);
    raw.dgemm(0, 0, 2, 2, 2, 0, pNaN, 2, pNaN, 2, 2, pC, 2);
    expect(Array.from(copyOut(pC, 4))).toEqual([14, 20, 30, 44]);
    release(top);
  });

  it("dsyrk: C ← α·XXᵀ + β·C with the upper triangle of C read, both triangles written", () => {
    const rng = new Rng(8);
    for (const trans of [0, 1]) {
      const [n, k] = [133, 70];
      const A = trans ? gaussianMatrix(rng, k, n) : gaussianMatrix(rng, n, k);
      const C0 = gaussianMatrix(rng, n, n);
      const top = mark();
      const pA = copyIn(A.data);
      const pC = copyIn(C0.data);
      raw.dsyrk(trans, n, k, 2, pA, A.cols, -1, pC, n);
      const C = new Matrix(n, n, copyOut(pC, n * n));
      release(top);
      const XXt = trans ? naive(A, A, true, false) : naive(A, A, false, true);
      let err = 0;
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) {
          const upper = C0.data[Math.min(i, j) * n + Math.max(i, j)];
          err = Math.max(err, Math.abs(C.data[i * n + j] - (2 * XXt.data[i * n + j] - upper)));
        }
      expect(err).toBeLessThan(1e-11);
      expect(C.transpose().data).toEqual(C.data);
    }
  });

  it("dgemmWs packs within dgemmWorkspaceBytes(m, n, k) of the caller's workspace", () => {
    const ws = kernels as unknown as Raw & {
      dgemmWs(...args: number[]): void;
      dgemmWorkspaceBytes(m: number, n: number, k: number): number;
    };
    const rng = new Rng(9);
    for (const [m, n, k] of [
      [5, 7, 3],
      [130, 517, 300],
      [3, 9, 600],
    ]) {
      const A = gaussianMatrix(rng, m, k);
      const B = gaussianMatrix(rng, k, n);
      const top = mark();
      const pA = copyIn(A.data);
      const pB = copyIn(B.data);
      const pC = alloc(m * n);
      const bytes = ws.dgemmWorkspaceBytes(m, n, k);
      const guard = 64;
      const pWork = copyIn(new Float64Array(bytes / 8 + guard).fill(123));
      ws.dgemmWs(0, 0, m, n, k, 1, pA, k, pB, n, 0, pC, n, pWork);
      const C = new Matrix(m, n, copyOut(pC, m * n));
      const after = copyOut(pWork + bytes, guard);
      release(top);
      expect(diffNorm(C, naive(A, B))).toBeLessThanOrEqual(1e-13 * k * fro(A) * fro(B));
      expect(after.every((v) => v === 123)).toBe(true);
    }
  });

  it("leaves memory outside C untouched (edge tiles go through scratch)", () => {
    const top = mark();
    const [m, n, k] = [6, 7, 5];
    const pA = copyIn(new Float64Array(m * k).fill(1));
    const pB = copyIn(new Float64Array(k * n).fill(1));
    const guard = 8;
    const pC = alloc(m * n + guard);
    new Float64Array(kernels.memory.buffer, pC, m * n + guard).fill(-7);
    raw.dgemm(0, 0, m, n, k, 1, pA, k, pB, n, 0, pC, n);
    const out = copyOut(pC, m * n + guard);
    release(top);
    expect(Array.from(out.subarray(0, m * n)).every((v) => v === 5)).toBe(true);
    expect(Array.from(out.subarray(m * n)).every((v) => v === -7)).toBe(true);
  });
});
