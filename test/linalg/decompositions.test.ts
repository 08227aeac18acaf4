import { naiveMatmul as mul } from "../helpers/naive.js";
/**
 * Accuracy of the decompositions against identities and naive references kept here (not the library's matmul):
 * residuals ‖A − LLᵀ‖, ‖A − QR‖, ‖AV − VΛ‖, ‖A − USVᵀ‖ relative to ‖A‖ and orthogonality defects, all ≤ 1e-13·n,
 * over random, non-square, rank-deficient, repeated-eigenvalue, zero and ill-conditioned (κ up to 1e12) inputs.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Matrix } from "../../src/linalg/matrix.js";
import {
  cholesky,
  eigh,
  inv,
  qr,
  solve,
  solveSPD,
  solveTriangular,
  spdPower,
  spectralNorm,
  svd,
} from "../../src/linalg/index.js";
import { Rng, gaussianMatrix, haarOrthogonal } from "../../src/random/index.js";

// ---- independent references -------------------------------------------------------------------------------

/** ‖x‖₂, scaled so entries near 1e±300 neither overflow nor underflow. */
function norm(x: ArrayLike<number>): number {
  let big = 0;
  for (let i = 0; i < x.length; i++) big = Math.max(big, Math.abs(x[i]));
  if (big === 0) return 0;
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i] / big) ** 2;
  return big * Math.sqrt(s);
}

function fro(A: Matrix): number {
  return norm(A.data);
}

/** ‖A − B‖_F. */
function dist(A: Matrix, B: Matrix): number {
  expect([A.rows, A.cols]).toEqual([B.rows, B.cols]);
  return norm(A.data.map((v, i) => v - B.data[i]));
}

/** ‖A − B‖_F / ‖B‖_F (or the absolute distance when B = 0). */
function rel(A: Matrix, B: Matrix): number {
  const nb = fro(B);
  return nb === 0 ? dist(A, B) : dist(A, B) / nb;
}

/** ‖QᵀQ − I‖_F for a matrix with (supposedly) orthonormal columns. */
function orthDefect(Q: Matrix): number {
  return dist(mul(Q, Q, true, false), Matrix.identity(Q.cols));
}

/** Q diag(d) (scales column j by d[j]). */
function scaleCols(Q: Matrix, d: ArrayLike<number>): Matrix {
  const R = Q.clone();
  for (let i = 0; i < R.rows; i++) for (let j = 0; j < R.cols; j++) R.data[i * R.cols + j] *= d[j];
  return R;
}

/** U diag(σ) Vᵀ with Haar U (m×r), V (n×r): a matrix with known singular values σ. */
function withSingularValues(rng: Rng, m: number, n: number, sigma: number[]): Matrix {
  const r = sigma.length;
  return mul(scaleCols(haarOrthogonal(rng, m, r), sigma), haarOrthogonal(rng, n, r), false, true);
}

/** Q diag(λ) Qᵀ with Haar Q: a symmetric matrix with known eigenvalues λ (exactly symmetrised). */
function withEigenvalues(rng: Rng, lambda: number[]): Matrix {
  const Q = haarOrthogonal(rng, lambda.length);
  const A = mul(scaleCols(Q, lambda), Q, false, true);
  return symmetrize(A);
}

function symmetrize(A: Matrix): Matrix {
  const n = A.rows;
  const S = A.clone();
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) S.set(i, j, S.get(j, i));
  return S;
}

function logspaced(n: number, hi: number, lo: number): number[] {
  return Array.from({ length: n }, (_, i) => (n === 1 ? hi : hi * (lo / hi) ** (i / (n - 1))));
}

/** SPD with condition number κ. */
function spd(rng: Rng, n: number, kappa: number): Matrix {
  return withEigenvalues(rng, logspaced(n, kappa, 1));
}

const tol = (n: number): number => 1e-13 * Math.max(n, 1);

// ---- per-decomposition checks -------------------------------------------------------------------------------

function checkQR(A: Matrix): void {
  const { Q, R } = qr(A);
  const r = Math.min(A.rows, A.cols);
  const n = Math.max(A.rows, A.cols);
  expect([Q.rows, Q.cols, R.rows, R.cols]).toEqual([A.rows, r, r, A.cols]);
  for (let i = 0; i < r; i++) for (let j = 0; j < i; j++) expect(R.get(i, j)).toBe(0);
  expect(rel(mul(Q, R), A)).toBeLessThanOrEqual(tol(n));
  expect(orthDefect(Q)).toBeLessThanOrEqual(tol(n));
}

function checkSVD(A: Matrix): Float64Array {
  const { U, S, V } = svd(A);
  const r = Math.min(A.rows, A.cols);
  const n = Math.max(A.rows, A.cols);
  expect([U.rows, U.cols, S.length, V.rows, V.cols]).toEqual([A.rows, r, r, A.cols, r]);
  for (let i = 0; i < r; i++) {
    expect(S[i]).toBeGreaterThanOrEqual(0);
    if (i > 0) expect(S[i]).toBeLessThanOrEqual(S[i - 1]);
  }
  expect(rel(mul(scaleCols(U, S), V, false, true), A)).toBeLessThanOrEqual(tol(n));
  expect(orthDefect(U)).toBeLessThanOrEqual(tol(n));
  expect(orthDefect(V)).toBeLessThanOrEqual(tol(n));
  return S;
}

function checkEigh(A: Matrix): Float64Array {
  const { values, vectors } = eigh(A);
  const n = A.rows;
  expect(values.length).toBe(n);
  for (let i = 1; i < n; i++) expect(values[i]).toBeGreaterThanOrEqual(values[i - 1]);
  const scaleA = Math.max(fro(A), Number.MIN_VALUE);
  expect(dist(mul(A, vectors), scaleCols(vectors, values)) / scaleA).toBeLessThanOrEqual(tol(n));
  expect(orthDefect(vectors)).toBeLessThanOrEqual(tol(n));
  return values;
}

function checkCholesky(A: Matrix): void {
  const L = cholesky(A);
  for (let i = 0; i < L.rows; i++) {
    expect(L.get(i, i)).toBeGreaterThan(0);
    for (let j = i + 1; j < L.cols; j++) expect(L.get(i, j)).toBe(0);
  }
  expect(rel(mul(L, L, false, true), A)).toBeLessThanOrEqual(tol(A.rows));
}

// ---- tests --------------------------------------------------------------------------------------------------

const SHAPES: [number, number][] = [
  [1, 1],
  [1, 7],
  [7, 1],
  [2, 2],
  [9, 4],
  [4, 9],
  [33, 33],
  [120, 45],
  [45, 120],
  [300, 80],
];

describe("qr", () => {
  it.each(SHAPES)("A = QR with orthonormal Q for a Gaussian %i×%i", (m, n) => {
    checkQR(gaussianMatrix(new Rng(m * 1000 + n), m, n));
  });

  it("handles rank-deficient, zero and κ = 1e12 inputs", () => {
    const rng = new Rng(11);
    checkQR(mul(gaussianMatrix(rng, 40, 5), gaussianMatrix(rng, 5, 30))); // rank 5
    checkQR(new Matrix(6, 4));
    checkQR(new Matrix(4, 6));
    checkQR(withSingularValues(rng, 60, 40, logspaced(40, 1, 1e-12)));
  });

  it("holds for random shapes and entries (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 30 }), fc.integer(), (m, n, seed) => {
        checkQR(gaussianMatrix(new Rng(seed), m, n));
      }),
      { numRuns: 40 },
    );
  });
});

describe("svd", () => {
  it.each(SHAPES)("A = U S Vᵀ, orthonormal U and V, for a Gaussian %i×%i", (m, n) => {
    checkSVD(gaussianMatrix(new Rng(m * 7 + n), m, n));
  });

  it.each([
    [60, 60],
    [90, 50],
    [50, 90],
  ])("recovers singular values spanning 1…1e-12 to 1e-12·σ_max absolute (%i×%i)", (m, n) => {
    const r = Math.min(m, n);
    const sigma = logspaced(r, 1, 1e-12);
    const A = withSingularValues(new Rng(m + n), m, n, sigma);
    const S = checkSVD(A);
    for (let i = 0; i < r; i++) expect(Math.abs(S[i] - sigma[i])).toBeLessThanOrEqual(1e-12 * sigma[0]);
  });

  it("the eigenvalues-of-AᵀA route cannot do this (the test above is discriminating)", () => {
    const sigma = logspaced(40, 1, 1e-12);
    const A = withSingularValues(new Rng(5), 50, 40, sigma);
    const viaGram = Array.from(eigh(symmetrize(mul(A, A, true))).values, (l) => Math.sqrt(Math.max(l, 0))).reverse();
    const worst = Math.max(...viaGram.map((s, i) => Math.abs(s - sigma[i])));
    expect(worst).toBeGreaterThan(1e-12);
  });

  it("handles rank deficiency, repeated singular values and the zero matrix", () => {
    const rng = new Rng(3);
    const S = checkSVD(mul(gaussianMatrix(rng, 30, 4), gaussianMatrix(rng, 4, 20)));
    for (let i = 4; i < 20; i++) expect(S[i]).toBeLessThanOrEqual(1e-13 * S[0]);
    const rep = [3, 3, 3, 1, 1, 0.5];
    const S2 = checkSVD(withSingularValues(rng, 12, 6, rep));
    for (let i = 0; i < 6; i++) expect(Math.abs(S2[i] - rep[i])).toBeLessThanOrEqual(1e-14 * 6);
    for (const tiny of [
      [3e-300, 1e-300, 5e-301],
      [3e300, 1e300, 5e299],
    ]) {
      const S3 = checkSVD(withSingularValues(rng, 7, 5, tiny));
      for (let i = 0; i < 3; i++) expect(Math.abs(S3[i] - tiny[i])).toBeLessThanOrEqual(1e-14 * tiny[0]);
    }
    expect(Array.from(checkSVD(new Matrix(5, 3)))).toEqual([0, 0, 0]);
    expect(Array.from(checkSVD(new Matrix(3, 5)))).toEqual([0, 0, 0]);
  });

  it("stays orthogonal on exactly rank-deficient inputs whose rounding noise decays to subnormals", () => {
    // All-ones: every column rounds identically, so each Householder step shrinks the residual by ~ε until it
    // underflows; reflectors built from subnormals would lose orthogonality.
    const ones = (m: number, n: number): Matrix => new Matrix(m, n, new Float64Array(m * n).fill(1));
    const S = checkSVD(ones(200, 100));
    expect(S[0]).toBeCloseTo(Math.sqrt(200 * 100), 11);
    for (let i = 1; i < 100; i++) expect(S[i]).toBeLessThanOrEqual(1e-13 * S[0]);
    checkSVD(ones(40, 90));
    checkQR(ones(200, 100));
    const values = checkEigh(ones(120, 120));
    expect(values[119]).toBeCloseTo(120, 11);
  });

  it("handles tiny and huge scales on the QR-first path (tall, and wide via the transpose)", () => {
    const rng = new Rng(12);
    for (const scale of [1e-300, 1e300]) {
      const A = gaussianMatrix(rng, 20, 60);
      const base = svd(A).S;
      const S = checkSVD(
        new Matrix(
          20,
          60,
          A.data.map((v) => v * scale),
        ),
      );
      for (let i = 0; i < 20; i++) expect(Math.abs(S[i] / scale - base[i])).toBeLessThanOrEqual(1e-13 * base[0]);
    }
  });

  it("holds for random shapes and entries (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 30 }), fc.integer(), (m, n, seed) => {
        checkSVD(gaussianMatrix(new Rng(seed), m, n));
      }),
      { numRuns: 40 },
    );
  });

  it("spectralNorm is the largest singular value", () => {
    const rng = new Rng(8);
    expect(spectralNorm(withSingularValues(rng, 20, 10, [7, 2, 1e-3]))).toBeCloseTo(7, 13);
    expect(spectralNorm(withSingularValues(rng, 10, 20, [0.5, 0.5]))).toBeCloseTo(0.5, 14);
    expect(spectralNorm(Matrix.fromRows([[3, 4]]))).toBeCloseTo(5, 14);
    expect(spectralNorm(new Matrix(3, 3))).toBe(0);
    expect(spectralNorm(new Matrix(0, 3))).toBe(0);
  });
});

describe("eigh", () => {
  it.each([1, 2, 3, 10, 64, 150, 300])("A V = V Λ with orthogonal V for a random symmetric n = %i", (n) => {
    const G = gaussianMatrix(new Rng(n), n, n);
    checkEigh(symmetrize(G));
  });

  it("returns known spectra, repeated eigenvalues included, to 1e-13·n·‖A‖", () => {
    const rng = new Rng(21);
    for (const lambda of [
      [5, 5, 5, 5, 1, 1, -2, -2, -2, 0],
      logspaced(30, 1e12, 1),
      [1e-300, 2e-300, 3e-300],
      [1e300, -2e300, 3e300],
      Array.from({ length: 40 }, (_, i) => (i % 3) - 1),
    ]) {
      const values = checkEigh(withEigenvalues(rng, lambda));
      const sorted = [...lambda].sort((a, b) => a - b);
      const scale = Math.max(...lambda.map(Math.abs));
      for (let i = 0; i < lambda.length; i++) {
        expect(Math.abs(values[i] - sorted[i])).toBeLessThanOrEqual(tol(lambda.length) * scale);
      }
    }
  });

  it("diagonalises the zero matrix, a diagonal matrix and a tridiagonal with a closed-form spectrum", () => {
    const z = eigh(new Matrix(4, 4));
    expect(Array.from(z.values)).toEqual([0, 0, 0, 0]);
    expect(orthDefect(z.vectors)).toBeLessThanOrEqual(1e-15);
    expect(Array.from(checkEigh(Matrix.diag([3, -1, 2])))).toEqual([-1, 2, 3]);
    // tridiag(−1, 2, −1) of order n: eigenvalues 2 − 2 cos(kπ/(n+1)).
    const n = 50;
    const T = new Matrix(n, n);
    for (let i = 0; i < n; i++) {
      T.set(i, i, 2);
      if (i > 0) T.set(i, i - 1, -1);
      if (i + 1 < n) T.set(i, i + 1, -1);
    }
    const values = checkEigh(T);
    for (let k = 1; k <= n; k++) expect(values[k - 1]).toBeCloseTo(2 - 2 * Math.cos((k * Math.PI) / (n + 1)), 13);
  });

  it("holds for random symmetric matrices (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer(), (n, seed) => {
        const G = gaussianMatrix(new Rng(seed), n, n);
        checkEigh(symmetrize(G));
      }),
      { numRuns: 40 },
    );
  });
});

describe("cholesky, solveSPD", () => {
  it.each([1, 2, 5, 40, 150, 300])("A = L Lᵀ for an SPD n = %i", (n) => {
    const G = gaussianMatrix(new Rng(n + 1), n, n);
    const A = symmetrize(mul(G, G, true));
    for (let i = 0; i < n; i++) A.set(i, i, A.get(i, i) + n);
    checkCholesky(A);
  });

  it("factors κ = 1e12 matrices and agrees with the closed form for a 2×2", () => {
    checkCholesky(spd(new Rng(4), 60, 1e12));
    const L = cholesky(
      Matrix.fromRows([
        [4, 2],
        [2, 5],
      ]),
    );
    expect(L.toRows()).toEqual([
      [2, 0],
      [1, 2],
    ]);
  });

  it("solveSPD has a small backward error", () => {
    const rng = new Rng(9);
    for (const [n, kappa] of [
      [1, 1],
      [30, 1e3],
      [100, 1e8],
    ]) {
      const A = spd(rng, n, kappa);
      const B = gaussianMatrix(rng, n, 3);
      const X = solveSPD(A, B);
      expect(dist(mul(A, X), B) / (fro(A) * fro(X))).toBeLessThanOrEqual(tol(n));
    }
  });

  it("holds for random SPD matrices (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer(), (n, seed) => {
        const G = gaussianMatrix(new Rng(seed), n + 2, n);
        checkCholesky(symmetrize(mul(G, G, true)));
      }),
      { numRuns: 40 },
    );
  });
});

describe("solve, inv, solveTriangular", () => {
  it.each([1, 2, 8, 50, 200])("solve has a small backward error and matches A X = B (n = %i)", (n) => {
    const rng = new Rng(30 + n);
    const A = gaussianMatrix(rng, n, n);
    const B = gaussianMatrix(rng, n, 4);
    const X = solve(A, B);
    expect(dist(mul(A, X), B) / (fro(A) * fro(X))).toBeLessThanOrEqual(tol(n));
  });

  it("has a small backward error for random systems (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 5 }), fc.integer(), (n, k, seed) => {
        const rng = new Rng(seed);
        const A = gaussianMatrix(rng, n, n);
        const B = gaussianMatrix(rng, n, k);
        const X = solve(A, B);
        expect(dist(mul(A, X), B) / (fro(A) * fro(X))).toBeLessThanOrEqual(tol(n));
      }),
      { numRuns: 40 },
    );
  });

  it("solves badly scaled but nonsingular systems (the singularity test is per column)", () => {
    const D = Matrix.diag([1, 1e-20, 1e20]);
    const X = solve(D, Matrix.column([2, 3e-20, 4e20]));
    [2, 3, 4].forEach((x, i) => expect(Math.abs(X.data[i] - x)).toBeLessThanOrEqual(1e-15 * x));
    const Di = inv(D);
    [1, 1e20, 1e-20].forEach((x, i) => expect(Math.abs(Di.get(i, i) - x)).toBeLessThanOrEqual(1e-15 * x));
  });

  it("pivots (a zero leading entry) and solves an exact small system", () => {
    const A = Matrix.fromRows([
      [0, 2, 1],
      [1, 1, 0],
      [3, 0, 1],
    ]);
    const x = [1, -2, 3];
    const b = mul(A, Matrix.column(x));
    const X = solve(A, b);
    for (let i = 0; i < 3; i++) expect(X.get(i, 0)).toBeCloseTo(x[i], 14);
  });

  it("solves κ = 1e12 systems with a small backward error", () => {
    const rng = new Rng(2);
    const A = withSingularValues(rng, 80, 80, logspaced(80, 1, 1e-12));
    const B = gaussianMatrix(rng, 80, 2);
    const X = solve(A, B);
    expect(dist(mul(A, X), B) / (fro(A) * fro(X))).toBeLessThanOrEqual(tol(80));
  });

  it.each([1, 3, 60, 150])("inv(A)·A = I for a well-conditioned n = %i", (n) => {
    const rng = new Rng(n);
    const A = withSingularValues(rng, n, n, logspaced(n, 10, 1));
    const Ai = inv(A);
    expect(dist(mul(Ai, A), Matrix.identity(n))).toBeLessThanOrEqual(10 * tol(n));
    expect(dist(mul(A, Ai), Matrix.identity(n))).toBeLessThanOrEqual(10 * tol(n));
  });

  it.each([
    [true, false, false],
    [true, true, false],
    [false, false, false],
    [false, true, false],
    [true, false, true],
    [false, true, true],
  ])(
    "solveTriangular lower=%s trans=%s unitDiagonal=%s: op(T) X = B (n = 25 and, blocked, 150)",
    (lower, trans, unitDiagonal) => {
      for (const n of [25, 150]) checkTriangular(n, lower, trans, unitDiagonal);
    },
  );

  function checkTriangular(n: number, lower: boolean, trans: boolean, unitDiagonal: boolean): void {
    const rng = new Rng(77);
    const T = gaussianMatrix(rng, n, n);
    // The ignored triangle holds garbage: it must not be read.
    for (let i = 0; i < n; i++) T.set(i, i, unitDiagonal ? 1e300 : 3 + Math.abs(T.get(i, i)));
    const effective = new Matrix(n, n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (i === j) effective.set(i, j, unitDiagonal ? 1 : T.get(i, i));
        else if (lower ? i > j : i < j) effective.set(i, j, T.get(i, j));
      }
    }
    const B = gaussianMatrix(rng, n, 3);
    const X = solveTriangular(T, B, { lower, trans, unitDiagonal });
    expect(dist(mul(effective, X, trans), B) / (fro(effective) * fro(X))).toBeLessThanOrEqual(tol(n));
  }
});

describe("spdPower", () => {
  const rng = new Rng(123);
  const A = spd(rng, 40, 1e4);

  it("A^{1/2} A^{1/2} = A and A^{-1} A = I and (A^{-1/4})⁴ A = I", () => {
    const h = spdPower(A, 0.5);
    expect(rel(mul(h, h), A)).toBeLessThanOrEqual(tol(40));
    const Ai = spdPower(A, -1);
    expect(dist(mul(Ai, A), Matrix.identity(40))).toBeLessThanOrEqual(1e4 * tol(40));
    const q = spdPower(A, -0.25);
    const q4 = mul(mul(q, q), mul(q, q));
    expect(dist(mul(q4, A), Matrix.identity(40))).toBeLessThanOrEqual(1e4 * tol(40));
    expect(rel(spdPower(A, 1), A)).toBeLessThanOrEqual(tol(40));
    expect(dist(spdPower(A, 0), Matrix.identity(40))).toBeLessThanOrEqual(tol(40));
  });

  it("A^p A^q = A^(p+q) for random SPD matrices and exponents (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.integer(),
        fc.constantFrom(-1, -0.5, -0.25, 0.5, 1.5),
        fc.constantFrom(-0.5, 0.25, 1),
        (n, seed, p, q) => {
          const B = spd(new Rng(seed), n, 100);
          const lhs = mul(spdPower(B, p), spdPower(B, q));
          const rhs = spdPower(B, p + q);
          expect(rel(lhs, rhs)).toBeLessThanOrEqual(100 * tol(n));
        },
      ),
      { numRuns: 30 },
    );
  });

  it("returns an exactly symmetric result", () => {
    const h = spdPower(A, 0.5);
    for (let i = 0; i < 40; i++) for (let j = 0; j < i; j++) expect(h.get(i, j)).toBe(h.get(j, i));
  });

  it("clips negative round-off to 0 and floors at eps (closed form on a rotated PSD matrix)", () => {
    const Q = haarOrthogonal(new Rng(1), 3);
    const lambda = [4, 1e-3, 0];
    const P = symmetrize(mul(scaleCols(Q, lambda), Q, false, true));
    const expectAt = (p: number, eps: number): Matrix =>
      mul(
        scaleCols(
          Q,
          lambda.map((l) => Math.max(l, eps) ** p),
        ),
        Q,
        false,
        true,
      );
    expect(dist(spdPower(P, 0.5), expectAt(0.5, 0))).toBeLessThanOrEqual(1e-7); // sqrt of O(ε) round-off
    expect(rel(spdPower(P, -0.5, { eps: 1e-2 }), expectAt(-0.5, 1e-2))).toBeLessThanOrEqual(1e-13);
    expect(rel(spdPower(P, -1, { eps: 1e-6 }), expectAt(-1, 1e-6))).toBeLessThanOrEqual(1e-9);
  });
});
