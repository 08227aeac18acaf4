/** Every bad input to the decompositions throws the documented error class with a message naming the problem. */
import { describe, expect, it } from "vitest";
import { Matrix } from "../../src/linalg/matrix.js";
import {
  ConvergenceError,
  LinalgError,
  NonFiniteError,
  NotPositiveDefiniteError,
  NotSquareError,
  NotSymmetricError,
  ShapeError,
  SingularMatrixError,
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

/** Runs f and returns what it threw (fails the test if it did not throw). */
function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a throw");
}

function expectError(f: () => unknown, cls: new (m: string) => Error, ...fragments: (string | RegExp)[]): void {
  const e = thrown(f);
  expect(e).toBeInstanceOf(cls);
  expect(e).toBeInstanceOf(LinalgError);
  expect(e.name).toBe(cls.name);
  for (const f of fragments) expect(e.message).toMatch(f);
}

const spd2 = Matrix.fromRows([
  [2, 1],
  [1, 2],
]);
const rect = new Matrix(2, 3);
const withNaN = (): Matrix => {
  const m = spd2.clone();
  m.set(1, 0, NaN);
  return m;
};
const withInf = (): Matrix => {
  const m = spd2.clone();
  m.set(0, 1, -Infinity);
  return m;
};

describe("non-square input", () => {
  it.each([
    ["cholesky", () => cholesky(rect)],
    ["solveSPD", () => solveSPD(rect, new Matrix(2, 1))],
    ["solve", () => solve(rect, new Matrix(2, 1))],
    ["inv", () => inv(rect)],
    ["eigh", () => eigh(rect)],
    ["spdPower", () => spdPower(rect, 0.5)],
    ["solveTriangular", () => solveTriangular(rect, new Matrix(2, 1), { lower: true })],
  ])("%s throws NotSquareError naming the shape", (op, f) => {
    expectError(f, NotSquareError, op, "must be square", "2×3");
  });
});

describe("shape mismatch", () => {
  it.each([
    ["solve", () => solve(spd2, new Matrix(3, 1))],
    ["solveSPD", () => solveSPD(spd2, new Matrix(3, 2))],
    ["solveTriangular", () => solveTriangular(spd2, new Matrix(1, 1), { lower: false })],
  ])("%s throws ShapeError naming both shapes", (op, f) => {
    expectError(f, ShapeError, op, "2×2", /[0-9]×[0-9]/, "B");
    expect(thrown(f).message).toMatch(/A is 2×2 but B is (3×1|3×2|1×1)/);
  });
});

describe("non-finite input", () => {
  const cases: [string, (A: Matrix) => unknown][] = [
    ["cholesky", (A) => cholesky(A)],
    ["solveSPD", (A) => solveSPD(A, new Matrix(2, 1))],
    ["solve", (A) => solve(A, new Matrix(2, 1))],
    ["inv", (A) => inv(A)],
    ["eigh", (A) => eigh(A)],
    ["svd", (A) => svd(A)],
    ["qr", (A) => qr(A)],
    ["spdPower", (A) => spdPower(A, -0.5)],
    ["spectralNorm", (A) => spectralNorm(A)],
    ["solveTriangular", (A) => solveTriangular(A, new Matrix(2, 1), { lower: true })],
  ];
  it.each(cases)("%s throws NonFiniteError for NaN and ±Infinity, naming the entry", (op, f) => {
    expectError(() => f(withNaN()), NonFiniteError, op, "NaN", "(1, 0)");
    expectError(() => f(withInf()), NonFiniteError, op, "-Infinity", "(0, 1)");
  });

  it("checks the right-hand side too", () => {
    const B = Matrix.column([1, NaN]);
    expectError(() => solve(spd2, B), NonFiniteError, "solve", "B", "(1, 0)");
    expectError(() => solveSPD(spd2, B), NonFiniteError, "solveSPD", "B");
  });
});

describe("not symmetric positive definite", () => {
  it("cholesky names the failing pivot and its value", () => {
    const indefinite = Matrix.fromRows([
      [4, 2, 0],
      [2, 1, 0],
      [0, 0, 1],
    ]);
    expectError(
      () => cholesky(indefinite),
      NotPositiveDefiniteError,
      "cholesky",
      "not positive definite",
      "pivot 1 is 0",
    );
    const negative = Matrix.fromRows([
      [1, 0],
      [0, -3],
    ]);
    expectError(() => cholesky(negative), NotPositiveDefiniteError, "pivot 1 is -3");
    expectError(() => solveSPD(negative, new Matrix(2, 1)), NotPositiveDefiniteError, "solveSPD", "pivot 1");
  });

  it("cholesky and solveSPD refuse a non-symmetric matrix", () => {
    const A = Matrix.fromRows([
      [2, 1],
      [0, 2],
    ]);
    expectError(() => cholesky(A), NotPositiveDefiniteError, "cholesky", "must be symmetric", "A[1,0]");
    expectError(() => solveSPD(A, new Matrix(2, 1)), NotPositiveDefiniteError, "solveSPD", "must be symmetric");
  });

  it("spdPower refuses a clearly indefinite matrix unless eps floors it", () => {
    const A = Matrix.fromRows([
      [1, 0],
      [0, -1e-3],
    ]);
    expectError(() => spdPower(A, 0.5), NotPositiveDefiniteError, "spdPower", "not positive semi-definite", "-0.001");
    expect(spdPower(A, 0.5, { eps: 1e-4 }).get(1, 1)).toBeCloseTo(1e-2, 15);
  });
});

describe("not symmetric (eigh, spdPower)", () => {
  it("throws NotSymmetricError beyond the relative tolerance, accepts round-off-level asymmetry", () => {
    const A = Matrix.fromRows([
      [1, 2],
      [2.001, 1],
    ]);
    expectError(() => eigh(A), NotSymmetricError, "eigh", "must be symmetric", "A[1,0]");
    expectError(() => spdPower(A, 0.5), NotSymmetricError, "spdPower");
    const nearly = Matrix.fromRows([
      [1e6, 2e6],
      [2e6 * (1 + 1e-15), 1e6],
    ]);
    expect(eigh(nearly).values[1]).toBeCloseTo(3e6, 6);
  });
});

describe("singular", () => {
  const singular = Matrix.fromRows([
    [1, 2, 3],
    [2, 4, 6],
    [1, 0, 1],
  ]);
  it("solve and inv throw SingularMatrixError naming the pivot", () => {
    expectError(() => solve(singular, new Matrix(3, 1)), SingularMatrixError, "solve", "singular", /pivot \d/);
    expectError(() => inv(singular), SingularMatrixError, "inv", "singular");
    expectError(() => inv(new Matrix(2, 2)), SingularMatrixError, "pivot 0");
  });

  it("solveTriangular throws on a zero diagonal entry", () => {
    const T = Matrix.fromRows([
      [1, 0],
      [5, 0],
    ]);
    expectError(
      () => solveTriangular(T, new Matrix(2, 1), { lower: true }),
      SingularMatrixError,
      "zero diagonal entry at 1",
    );
  });

  it("spdPower with p < 0 and a zero eigenvalue asks for eps", () => {
    const P = Matrix.fromRows([
      [1, 1],
      [1, 1],
    ]);
    expectError(() => spdPower(P, -0.5), SingularMatrixError, "spdPower", "positive definite", "options.eps");
    expect(spdPower(P, -1, { eps: 0.5 }).get(0, 0)).toBeCloseTo(0.25 + 1, 12); // (1/2)·(1/2) + (1/2)·(1/0.5)
  });
});

describe("bad options", () => {
  it("spdPower validates p and eps", () => {
    expectError(() => spdPower(spd2, NaN), LinalgError, "spdPower", "exponent p", "NaN");
    expectError(() => spdPower(spd2, 0.5, { eps: -1 }), LinalgError, "options.eps", "≥ 0", "-1");
    expectError(() => spdPower(spd2, 0.5, { eps: Infinity }), LinalgError, "options.eps");
  });

  it("ConvergenceError is a LinalgError (raised only when an iteration exceeds its sweep budget)", () => {
    expect(new ConvergenceError("x")).toBeInstanceOf(LinalgError);
  });
});
