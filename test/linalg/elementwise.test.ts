import { describe, expect, it } from "vitest";
import { Matrix } from "../../src/linalg/matrix.js";
import { ShapeError } from "../../src/linalg/errors.js";
import {
  activationBackward,
  activationDerivative,
  applyElementwise,
  biasActivation,
  colSums,
  exp,
  log,
  logSumExpRows,
  relu,
  rowSums,
  sigmoid,
  softmaxRows,
  tanh,
  type ElementwiseKind,
} from "../../src/linalg/elementwise.js";
import { Rng } from "../../src/random/index.js";

const bits = new BigInt64Array(1);
const asFloat = new Float64Array(bits.buffer);

/** Position of x on the number line of doubles (monotone, −0 and +0 both at 0). */
function ordinal(x: number): bigint {
  asFloat[0] = x;
  const b = bits[0];
  return b < 0n ? -(b & 0x7fffffffffffffffn) : b;
}

/** Distance in units in the last place between two doubles (0 for two NaNs, Infinity for NaN vs a number). */
function ulps(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity;
  const d = ordinal(a) - ordinal(b);
  return Number(d < 0n ? -d : d);
}

/** Largest ulp distance between f applied by the kernel and `reference`, over `count` draws of `draw`. */
function maxUlps(f: (x: Float64Array) => Float64Array, reference: (x: number) => number, x: Float64Array): number {
  const y = f(x);
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, ulps(y[i], reference(x[i])));
  return worst;
}

function draws(seed: number, count: number, draw: (u: number, rng: Rng) => number): Float64Array {
  const rng = new Rng(seed);
  const x = new Float64Array(count);
  for (let i = 0; i < count; i++) x[i] = draw(rng.uniform(), rng);
  return x;
}

/** The logistic function with Math.exp, in the form that neither overflows nor loses the tiny tail values. */
function sigmoidRef(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

const COUNT = 1 << 18; // more than one streaming block, and an even split into blocks is not assumed below

describe("elementwise kernels: accuracy on random arguments (ulps against Math.*)", () => {
  it("exp agrees with Math.exp bit for bit over its whole range, subnormal results included", () => {
    expect(
      maxUlps(
        exp,
        Math.exp,
        draws(1, COUNT, (u) => (u - 0.5) * 1420),
      ),
    ).toBe(0);
    expect(
      maxUlps(
        exp,
        Math.exp,
        draws(2, COUNT, (u) => (u - 0.5) * 2),
      ),
    ).toBe(0);
    expect(
      maxUlps(
        exp,
        Math.exp,
        draws(3, COUNT, (u) => -708 - 37 * u),
      ),
    ).toBe(0);
  });

  it("log is within 1 ulp of Math.log, near 1, over the whole range and on subnormals", () => {
    expect(
      maxUlps(
        log,
        Math.log,
        draws(4, COUNT, (u) => 0.5 + u),
      ),
    ).toBeLessThanOrEqual(1);
    expect(
      maxUlps(
        log,
        Math.log,
        draws(5, COUNT, (u) => Math.exp((u - 0.5) * 1400)),
      ),
    ).toBeLessThanOrEqual(1);
    expect(
      maxUlps(
        log,
        Math.log,
        draws(6, COUNT, (u) => u * 2.2250738585072014e-308),
      ),
    ).toBeLessThanOrEqual(1);
  });

  it("tanh is within 4 ulps of Math.tanh, 2 for |x| ≥ 2", () => {
    expect(
      maxUlps(
        tanh,
        Math.tanh,
        draws(7, COUNT, (u) => (u - 0.5) * 1.4),
      ),
    ).toBeLessThanOrEqual(4);
    expect(
      maxUlps(
        tanh,
        Math.tanh,
        draws(8, COUNT, (u) => Math.exp((u - 0.5) * 80)),
      ),
    ).toBeLessThanOrEqual(4);
    expect(
      maxUlps(
        tanh,
        Math.tanh,
        draws(9, COUNT, (u) => 0.7 + 1.3 * u),
      ),
    ).toBeLessThanOrEqual(4);
    expect(
      maxUlps(
        tanh,
        Math.tanh,
        draws(10, COUNT, (u) => -(2 + 20 * u)),
      ),
    ).toBeLessThanOrEqual(2);
  });

  it("sigmoid is within 1 ulp of the formula evaluated with Math.exp", () => {
    expect(
      maxUlps(
        sigmoid,
        sigmoidRef,
        draws(11, COUNT, (u) => (u - 0.5) * 80),
      ),
    ).toBeLessThanOrEqual(1);
    expect(
      maxUlps(
        sigmoid,
        sigmoidRef,
        draws(12, COUNT, (u) => -700 - 45 * u),
      ),
    ).toBeLessThanOrEqual(1);
  });
});

describe("elementwise kernels: special values", () => {
  const specials = [
    0,
    -0,
    Infinity,
    -Infinity,
    NaN,
    5e-324,
    -5e-324,
    2.2250738585072014e-308,
    -2.2250738585072014e-308,
    1e-300,
    1e-20,
    7.45e-9,
    0.17328679513998632,
    0.6931471805599453,
    1,
    -1,
    22,
    709.78,
    709.79,
    -745.13,
    -745.14,
    1e308,
    -1e308,
  ];
  const x = Float64Array.from(specials);

  for (const [name, f, ref] of [
    ["exp", exp, Math.exp],
    ["log", log, Math.log],
    ["tanh", tanh, Math.tanh],
    ["sigmoid", sigmoid, sigmoidRef],
  ] as const) {
    it(`${name} matches Math on ±0, ±Inf, NaN, subnormals and range limits (signed zeros exactly)`, () => {
      const y = (f as (x: Float64Array) => Float64Array)(x);
      specials.forEach((v, i) => {
        const want = ref(v);
        if (want === 0 || !Number.isFinite(want)) expect(Object.is(y[i], want), `${name}(${v})`).toBe(true);
        else expect(ulps(y[i], want), `${name}(${v}) = ${y[i]}, Math gives ${want}`).toBeLessThanOrEqual(4);
      });
    });
  }

  it("relu is max(x, 0) with relu(−0) = +0 and NaN kept", () => {
    const y = relu(x);
    specials.forEach((v, i) => {
      const want = Number.isNaN(v) ? NaN : v > 0 ? v : 0;
      expect(Object.is(y[i], want), `relu(${v})`).toBe(true);
    });
  });

  it("tanh of subnormals and of arguments below 2⁻²⁷ returns the argument itself", () => {
    const tiny = Float64Array.from([5e-324, -1e-310, 1e-200, -7.4e-9]);
    expect(Array.from(tanh(tiny))).toEqual(Array.from(tiny));
  });
});

describe("elementwise kernels: derivatives, backward pass and the fused bias", () => {
  const rng = new Rng(21);
  const x = draws(22, 1001, (u) => (u - 0.5) * 8); // odd length: the last value takes the one-lane path
  const positive = draws(23, 1001, (u) => 0.01 + 10 * u);

  const closedForms: Record<ElementwiseKind, (t: number) => number> = {
    identity: () => 1,
    relu: (t) => (t > 0 ? 1 : 0),
    tanh: (t) => 1 - Math.tanh(t) ** 2,
    sigmoid: (t) => sigmoidRef(t) * (1 - sigmoidRef(t)),
    exp: Math.exp,
    log: (t) => 1 / t,
  };

  for (const kind of Object.keys(closedForms) as ElementwiseKind[]) {
    it(`the derivative of ${kind} matches its closed form`, () => {
      const args = kind === "log" ? positive : x;
      const d = activationDerivative(kind, args);
      for (let i = 0; i < args.length; i++) {
        const want = closedForms[kind](args[i]);
        expect(Math.abs(d[i] - want)).toBeLessThanOrEqual(4e-16 * Math.max(1, Math.abs(want)));
      }
    });
  }

  it("the backward pass is g ∘ σ′(x) computed from the output y = σ(x)", () => {
    const g = draws(24, x.length, (u) => u - 0.5);
    for (const kind of ["identity", "relu", "tanh", "sigmoid", "exp"] as const) {
      const y = applyElementwise(kind, x);
      const dx = activationBackward(kind, y, g);
      for (let i = 0; i < x.length; i++) {
        const want = g[i] * closedForms[kind](x[i]);
        expect(Math.abs(dx[i] - want), `${kind} at ${x[i]}`).toBeLessThanOrEqual(1e-15 * Math.max(1, Math.abs(want)));
      }
    }
  });

  it("biasActivation adds the bias to every row before the activation", () => {
    const X = new Matrix(
      37,
      5,
      draws(25, 185, (u) => (u - 0.5) * 6),
    );
    const b = Float64Array.from({ length: 5 }, () => rng.normal());
    const Y = biasActivation("tanh", X, b);
    for (let i = 0; i < 37; i++)
      for (let j = 0; j < 5; j++) {
        expect(ulps(Y.get(i, j), Math.tanh(X.get(i, j) + b[j]))).toBeLessThanOrEqual(4);
      }
    expect(() => biasActivation("tanh", X, new Float64Array(4))).toThrow(ShapeError);
  });

  it("works in place and across streaming blocks, leaving the input untouched otherwise", () => {
    const big = draws(26, 3 * 32768 + 3, (u) => (u - 0.5) * 10);
    const copy = big.slice();
    const y = tanh(big);
    expect(Array.from(big)).toEqual(Array.from(copy));
    const same = tanh(big, big);
    expect(same).toBe(big);
    expect(Array.from(big)).toEqual(Array.from(y));
    expect(ulps(y[y.length - 1], Math.tanh(copy[copy.length - 1]))).toBeLessThanOrEqual(4);
  });

  it("rejects a wrong output shape, mismatched gradients and unknown kinds", () => {
    const A = new Matrix(2, 3);
    expect(() => tanh(A, new Matrix(3, 2))).toThrow(/2×3 Matrix/);
    expect(() => tanh(new Float64Array(3), new Float64Array(4))).toThrow(ShapeError);
    expect(() => activationBackward("tanh", A, new Matrix(2, 2))).toThrow(/g is a 2×2 Matrix/);
    expect(() => applyElementwise("softplus" as ElementwiseKind, A)).toThrow(/kind must be one of/);
    expect(() => activationBackward("log" as "exp", A, A)).toThrow(/kind must be one of/);
  });
});

describe("row-wise softmax, log-sum-exp and sums", () => {
  /** Naive references in plain arithmetic, row by row. */
  function naiveRows(X: Matrix, f: (row: number[]) => number[]): number[][] {
    return X.toRows().map(f);
  }
  const lse = (row: number[]): number => {
    const m = Math.max(...row);
    return m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
  };

  it("softmax rows sum to 1 and match the shifted naive formula, even for entries near 1000", () => {
    const X = new Matrix(
      9,
      7,
      draws(31, 63, (u) => (u - 0.5) * 40),
    );
    X.set(3, 2, 1000);
    X.set(3, 5, 999);
    const S = softmaxRows(X);
    const want = naiveRows(X, (row) => {
      const m = Math.max(...row);
      const e = row.map((v) => Math.exp(v - m));
      const s = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / s);
    });
    for (let i = 0; i < 9; i++) {
      let sum = 0;
      for (let j = 0; j < 7; j++) {
        sum += S.get(i, j);
        expect(Math.abs(S.get(i, j) - want[i][j])).toBeLessThanOrEqual(1e-15);
      }
      expect(Math.abs(sum - 1)).toBeLessThanOrEqual(4e-16);
    }
  });

  it("log-sum-exp matches the naive shifted formula and handles −Inf, +Inf and NaN rows", () => {
    const X = new Matrix(
      6,
      11,
      draws(32, 66, (u) => (u - 0.5) * 1400),
    );
    const got = logSumExpRows(X);
    naiveRows(X, (row) => [lse(row)]).forEach(([w], i) =>
      expect(Math.abs(got[i] - w)).toBeLessThan(1e-13 * Math.abs(w)),
    );
    const special = Matrix.fromRows([
      [-Infinity, -Infinity, -Infinity],
      [1, Infinity, 2],
      [1, NaN, 2],
      [0, 0, 0],
    ]);
    const s = logSumExpRows(special);
    expect(s[0]).toBe(-Infinity);
    expect(s[1]).toBe(Infinity);
    expect(s[2]).toBeNaN();
    expect(Math.abs(s[3] - Math.log(3))).toBeLessThanOrEqual(4.5e-16);
  });

  it("row and column sums match naive loops (odd widths, more rows than one block holds)", () => {
    const rows = 40000;
    const X = new Matrix(
      rows,
      3,
      draws(33, rows * 3, (u) => u - 0.5),
    );
    const r = rowSums(X);
    const c = colSums(X);
    const cNaive = [0, 0, 0];
    for (let i = 0; i < rows; i++) {
      const want = X.get(i, 0) + X.get(i, 1) + X.get(i, 2);
      expect(Math.abs(r[i] - want)).toBeLessThanOrEqual(2.3e-16 * 3);
      for (let j = 0; j < 3; j++) cNaive[j] += X.get(i, j);
    }
    // Column sums add the rows in index order, exactly as the naive loop does.
    expect(Array.from(c)).toEqual(cNaive);
    expect(rowSums(new Matrix(0, 4)).length).toBe(0);
    expect(Array.from(colSums(new Matrix(0, 2)))).toEqual([0, 0]);
  });
});
