/**
 * The divide-and-conquer path of `eigh` (tridiagonal-dc.ts) and `eigvalsh`: residual ‖AV − VΛ‖_F ≤ 1e-13·n·‖A‖_F,
 * ‖VᵀV − I‖_F ≤ 1e-13·n, ascending values, and eigenvalues equal to the QL path's (run explicitly on the same
 * matrix) within 1e-13·‖A‖₂, on sizes 1…1500 and on matrices built to stress the deflation: repeated eigenvalues,
 * clusters within 1e-14, diagonal matrices, rank one plus identity, Wilkinson matrices (and glued copies), graded
 * spectra down to 1e-15. Products are formed here by plain loops, independent of the library's GEMM.
 */
import { describe, expect, it } from "vitest";
import { Matrix } from "../../src/linalg/matrix.js";
import { NotSymmetricError, eigh, eigvalsh, spdPower } from "../../src/linalg/index.js";
import { DIVIDE_AND_CONQUER_MIN_ORDER, eighWith } from "../../src/linalg/eigh.js";
import { Rng, gaussianMatrix, haarOrthogonal } from "../../src/random/index.js";

const TOL = 1e-13;

/** C = A·B for row-major n×n arrays (i-k-j loop order: plain, but fast enough for n = 1500). */
function product(n: number, a: Float64Array, b: Float64Array, transA = false): Float64Array {
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const ci = i * n;
    for (let k = 0; k < n; k++) {
      const aik = transA ? a[k * n + i] : a[i * n + k];
      if (aik === 0) continue;
      const bk = k * n;
      for (let j = 0; j < n; j++) c[ci + j] += aik * b[bk + j];
    }
  }
  return c;
}

function frobenius(x: Float64Array): number {
  let big = 0;
  for (const v of x) big = Math.max(big, Math.abs(v));
  if (big === 0) return 0;
  let s = 0;
  for (const v of x) s += (v / big) ** 2;
  return big * Math.sqrt(s);
}

/**
 * Checks the divide-and-conquer decomposition of A: values ascending; on the eigenvector columns j ≡ 0 (mod
 * `stride`) (all of them by default), ‖A V_J − V_J Λ_J‖_F ≤ 1e-13·n·‖A‖_F and ‖Vᵀ V_J − I_J‖_F ≤ 1e-13·n; the
 * eigenvalues equal the QL path's within `qlTol`·‖A‖₂. Returns the values.
 */
function checkDC(A: Matrix, { qlTol = TOL, stride = 1 } = {}): Float64Array {
  const n = A.rows;
  const { values, vectors } = eighWith(A, "divide-and-conquer");
  // Beyond 500 the QL path's eigenvectors cost seconds; eigvalsh runs the same QL iteration without them.
  const ql = n > 500 ? eigvalsh(A) : eighWith(A, "ql").values;
  expect(values.length).toBe(n);
  for (let i = 1; i < n; i++) expect(values[i]).toBeGreaterThanOrEqual(values[i - 1]);
  const V = vectors.data;
  const cols = Array.from({ length: Math.ceil(n / stride) }, (_, q) => q * stride);
  const c = cols.length;
  const Vj = new Float64Array(n * c); // the checked columns, n × c
  for (let k = 0; k < n; k++) for (let q = 0; q < c; q++) Vj[k * c + q] = V[k * n + cols[q]];
  const R = new Float64Array(n * c); // A V_J − V_J Λ_J
  const G = new Float64Array(n * c); // Vᵀ V_J − I_J
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const aik = A.data[i * n + k];
      const vki = V[k * n + i];
      for (let q = 0; q < c; q++) {
        R[i * c + q] += aik * Vj[k * c + q];
        G[i * c + q] += vki * Vj[k * c + q];
      }
    }
    for (let q = 0; q < c; q++) R[i * c + q] -= Vj[i * c + q] * values[cols[q]];
  }
  for (let q = 0; q < c; q++) G[cols[q] * c + q] -= 1;
  expect(frobenius(R)).toBeLessThanOrEqual(TOL * n * Math.max(frobenius(A.data), Number.MIN_VALUE));
  expect(frobenius(G)).toBeLessThanOrEqual(TOL * n);
  const norm2 = n === 0 ? 0 : Math.max(Math.abs(ql[0]), Math.abs(ql[n - 1]));
  for (let i = 0; i < n; i++) expect(Math.abs(values[i] - ql[i])).toBeLessThanOrEqual(qlTol * norm2);
  return values;
}

/** (G + Gᵀ)/2 for a Gaussian G. */
function randomSymmetric(seed: number, n: number): Matrix {
  const G = gaussianMatrix(new Rng(seed), n, n);
  const A = new Matrix(n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) A.set(i, j, 0.5 * (G.get(i, j) + G.get(j, i)));
  return A;
}

/** Q diag(λ) Qᵀ for a Haar-random orthogonal Q, exactly symmetric. */
function withSpectrum(seed: number, lambda: number[]): Matrix {
  const n = lambda.length;
  const Q = haarOrthogonal(new Rng(seed), n).data;
  const A = new Matrix(n, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += Q[i * n + k] * lambda[k] * Q[j * n + k];
      A.set(i, j, s);
      A.set(j, i, s);
    }
  }
  return A;
}

/** Symmetric tridiagonal matrix with diagonal d and off-diagonal e. */
function tridiagonal(d: number[], e: number[]): Matrix {
  const n = d.length;
  const T = new Matrix(n, n);
  for (let i = 0; i < n; i++) {
    T.set(i, i, d[i]);
    if (i + 1 < n) {
      T.set(i, i + 1, e[i]);
      T.set(i + 1, i, e[i]);
    }
  }
  return T;
}

/** Wilkinson's W⁺ of odd order n: diagonal |i − (n−1)/2|, off-diagonal 1 (pairs of eigenvalues agreeing to many digits). */
function wilkinson(n: number): Matrix {
  const m = (n - 1) / 2;
  return tridiagonal(
    Array.from({ length: n }, (_, i) => Math.abs(i - m)),
    Array.from({ length: n - 1 }, () => 1),
  );
}

describe("eigh by divide and conquer", () => {
  it.each([1, 2, 3, 31, 32, 33, 65, 129, 300])("random symmetric n = %i", (n) => {
    checkDC(randomSymmetric(1000 + n, n));
  });

  it("random symmetric n = 1500", () => {
    // Here the QL path's own error reaches 1.3e-13·‖A‖ (its largest column residual ‖Av − λv‖ is 7.3e-12 with
    // ‖A‖₂ = 55; divide and conquer's is 1.3e-13), as its O(nε‖A‖) bound allows: compare at 3e-13·‖A‖. The
    // residual and orthogonality are checked on every 20th eigenvector (all of them would cost 7 GFlop here).
    checkDC(randomSymmetric(1500, 1500), { qlTol: 3 * TOL, stride: 20 });
  });

  it("is what eigh uses from DIVIDE_AND_CONQUER_MIN_ORDER on, and QL below", () => {
    const n = DIVIDE_AND_CONQUER_MIN_ORDER;
    for (const [order, solver] of [
      [n, "divide-and-conquer"],
      [n - 1, "ql"],
    ] as const) {
      const A = randomSymmetric(7, order);
      expect(Array.from(eigh(A).values)).toEqual(Array.from(eighWith(A, solver).values));
    }
  });

  it("many equal eigenvalues (every merge deflates almost everything)", () => {
    const lambda = Array.from({ length: 200 }, (_, i) => [1, 2, -3, 2][i % 4]);
    const values = checkDC(withSpectrum(1, lambda));
    const sorted = [...lambda].sort((a, b) => a - b);
    for (let i = 0; i < 200; i++) expect(Math.abs(values[i] - sorted[i])).toBeLessThanOrEqual(TOL * 3);
  });

  it("clusters of eigenvalues within 1e-14", () => {
    const lambda = Array.from({ length: 240 }, (_, i) => Math.floor(i / 40) + 1e-14 * (i % 40));
    const values = checkDC(withSpectrum(2, lambda));
    for (let i = 0; i < 240; i++) expect(Math.abs(values[i] - lambda[i])).toBeLessThanOrEqual(TOL * 6);
  });

  it("diagonal matrices: unsorted with repeats, and the identity", () => {
    const rng = new Rng(3);
    const d = Array.from({ length: 180 }, () => rng.int(7) - 3);
    const values = checkDC(Matrix.diag(d));
    expect(Array.from(values)).toEqual([...d].sort((a, b) => a - b));
    expect(Array.from(checkDC(Matrix.identity(150)))).toEqual(Array(150).fill(1));
    expect(Array.from(checkDC(new Matrix(140, 140)))).toEqual(Array(140).fill(0));
  });

  it("rank one plus identity: I + u uᵀ has eigenvalues 1 (n−1 times) and 1 + ‖u‖²", () => {
    const n = 200;
    const rng = new Rng(4);
    const u = Array.from({ length: n }, () => rng.normal());
    const A = new Matrix(n, n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) A.set(i, j, u[i] * u[j] + (i === j ? 1 : 0));
    const values = checkDC(A);
    const top = 1 + u.reduce((s, x) => s + x * x, 0);
    for (let i = 0; i < n - 1; i++) expect(Math.abs(values[i] - 1)).toBeLessThanOrEqual(TOL * n * top);
    expect(Math.abs(values[n - 1] - top)).toBeLessThanOrEqual(TOL * n * top);
  });

  it("Wilkinson matrices W21, W101 and W201, and copies of W21 glued by 1e-8", () => {
    const w21 = checkDC(wilkinson(21));
    // Published largest eigenvalues of W21⁺ (Wilkinson, The Algebraic Eigenvalue Problem, 1965, p. 309).
    expect(w21[20]).toBeCloseTo(10.746194182903393, 12);
    expect(w21[19]).toBeCloseTo(10.746194182903322, 12);
    checkDC(wilkinson(101));
    checkDC(wilkinson(201));
    const copies = 12;
    const d: number[] = [];
    const e: number[] = [];
    for (let c = 0; c < copies; c++) {
      for (let i = 0; i < 21; i++) d.push(Math.abs(i - 10));
      for (let i = 0; i < 20; i++) e.push(1);
      if (c < copies - 1) e.push(1e-8);
    }
    checkDC(tridiagonal(d, e));
  });

  it("graded spectra from 1 down to 1e-15, diagonal and rotated", () => {
    const n = 200;
    const lambda = Array.from({ length: n }, (_, i) => 10 ** ((-15 * i) / (n - 1)));
    const diagValues = checkDC(Matrix.diag(lambda));
    expect(Array.from(diagValues)).toEqual([...lambda].reverse());
    const values = checkDC(withSpectrum(5, lambda));
    const sorted = [...lambda].reverse();
    for (let i = 0; i < n; i++) expect(Math.abs(values[i] - sorted[i])).toBeLessThanOrEqual(TOL);
    // Graded tridiagonal: entries shrinking geometrically along the diagonal.
    checkDC(
      tridiagonal(
        Array.from({ length: n }, (_, i) => 10 ** (-i / 14)),
        Array.from({ length: n - 1 }, (_, i) => 10 ** (-(i + 0.5) / 14)),
      ),
    );
  });

  it("tridiag(−1, 2, −1) of order 300: eigenvalues 2 − 2cos(kπ/301)", () => {
    const n = 300;
    const values = checkDC(tridiagonal(Array(n).fill(2), Array(n - 1).fill(-1)));
    for (let k = 1; k <= n; k++) {
      expect(Math.abs(values[k - 1] - (2 - 2 * Math.cos((k * Math.PI) / (n + 1))))).toBeLessThanOrEqual(TOL * 4);
    }
  });

  it("entries near 1e±300 (rescaled by a power of two)", () => {
    for (const scale of [1e300, 1e-300]) {
      const A = randomSymmetric(9, 150);
      for (let i = 0; i < A.data.length; i++) A.data[i] *= scale;
      checkDC(A);
    }
  });

  it("spdPower at a divide-and-conquer size: (A^{1/2})² = A and A^{-1}·A = I", () => {
    const n = 200;
    const lambda = Array.from({ length: n }, (_, i) => 0.5 + i / 10);
    const A = withSpectrum(6, lambda);
    const R = spdPower(A, 0.5).data;
    const RR = product(n, R, R);
    for (let i = 0; i < n * n; i++) RR[i] -= A.data[i];
    expect(frobenius(RR)).toBeLessThanOrEqual(TOL * n * frobenius(A.data));
    const P = product(n, spdPower(A, -1).data, A.data);
    for (let i = 0; i < n; i++) P[i * n + i] -= 1;
    expect(frobenius(P)).toBeLessThanOrEqual(TOL * n * (lambda[n - 1] / lambda[0]));
  });
});

describe("eigvalsh", () => {
  it.each([1, 2, 50, 250])("equals the QL and divide-and-conquer paths' eigenvalues within 1e-13·‖A‖, n = %i", (n) => {
    const A = randomSymmetric(2000 + n, n);
    const values = eigvalsh(A);
    expect(values.length).toBe(n);
    for (const reference of [eighWith(A, "ql").values, eighWith(A, "divide-and-conquer").values]) {
      const norm2 = Math.max(Math.abs(reference[0]), Math.abs(reference[n - 1]));
      for (let i = 0; i < n; i++) {
        if (i > 0) expect(values[i]).toBeGreaterThanOrEqual(values[i - 1]);
        expect(Math.abs(values[i] - reference[i])).toBeLessThanOrEqual(TOL * norm2);
      }
    }
  });

  it("returns a known spectrum, an empty result for 0×0, and validates like eigh", () => {
    const lambda = [3, -1, 3, 1e-15, 7];
    const values = eigvalsh(withSpectrum(8, lambda));
    const sorted = [...lambda].sort((a, b) => a - b);
    for (let i = 0; i < lambda.length; i++) expect(Math.abs(values[i] - sorted[i])).toBeLessThanOrEqual(TOL * 7);
    expect(eigvalsh(new Matrix(0, 0)).length).toBe(0);
    expect(() =>
      eigvalsh(
        Matrix.fromRows([
          [1, 2],
          [0, 1],
        ]),
      ),
    ).toThrow(NotSymmetricError);
    expect(() =>
      eigvalsh(
        Matrix.fromRows([
          [1, 2],
          [0, 1],
        ]),
      ),
    ).toThrow(/eigvalsh/);
    expect(() => eigvalsh(new Matrix(2, 3))).toThrow(/eigvalsh/);
  });
});
