import { describe, expect, it } from "vitest";
import { Matrix } from "../../src/linalg/matrix.js";
import { Rng, gaussianMatrix } from "../../src/random/index.js";
import {
  applyTwoSided,
  dampedInverses,
  emptyKroneckerBlock,
  refresh,
  updateStatistics,
  type KroneckerBlock,
} from "../../src/optim/curvature/kronecker-block.js";
import { failureLog, CurvatureFailureError } from "../../src/optim/curvature/failures.js";
import { coveredDiagonally, parameterCoverage } from "../../src/optim/curvature/blocking.js";
import { naiveMatmul } from "../helpers/naive.js";

function spd(rng: Rng, n: number, scale = 1): Matrix {
  const X = gaussianMatrix(rng, n + 2, n);
  const S = naiveMatmul(X, X, true, false);
  return new Matrix(
    n,
    n,
    S.data.map((x) => x * scale),
  );
}

describe("Kronecker block verbs", () => {
  const rng = new Rng(1);
  const G = spd(rng, 3);
  const A = spd(rng, 4);
  const fold = (left: Matrix, right: Matrix): KroneckerBlock =>
    updateStatistics(emptyKroneckerBlock(), { batch: left.clone(), scale: 1 }, { batch: right.clone(), scale: 1 }, 0, 1)
      .block;
  const block = fold(G, A);

  it("the π-split damped step is invariant to moving a scale c between the factors", () => {
    // (cA + π'√λ) ⊗ (G/c + √λ/π') with π' = cπ equals (A + π√λ) ⊗ (G + √λ/π): the step must not change.
    const M = gaussianMatrix(rng, 3, 4);
    const base = applyTwoSided(refresh(block, dampedInverses(0.2)).block, M);
    const c = 37;
    const moved = fold(
      new Matrix(
        3,
        3,
        G.data.map((x) => x / c),
      ),
      new Matrix(
        4,
        4,
        A.data.map((x) => x * c),
      ),
    );
    const other = applyTwoSided(refresh(moved, dampedInverses(0.2)).block, M);
    other.data.forEach((x, i) => expect(x).toBeCloseTo(base.data[i], 12));
  });

  it("a rule that throws or returns NaN keeps the previous cache and reports the error", () => {
    const good = refresh(block, dampedInverses(0.1)).block;
    const thrown = refresh(good, () => {
      throw new Error("boom");
    });
    expect(thrown.error).toBe("boom");
    expect(thrown.block.leftCache).toBe(good.leftCache);
    const nan = refresh(good, () => ({ leftCache: new Matrix(3, 3, new Float64Array(9).fill(NaN)), rightCache: null }));
    expect(nan.error).toMatch(/refreshed left operator has NaN\/Inf/);
    expect(nan.block.leftCache).toBe(good.leftCache);
    expect(nan.block.rightCache).toBe(good.rightCache);
  });

  it("failure counts reset on success, warn once per block and raise at maxFailures", () => {
    const warnings: string[] = [];
    const log = failureLog("x", 3, (m) => warnings.push(m));
    expect(log.next("w", 2, null)).toBe(0);
    expect(log.next("w", 0, "bad")).toBe(1);
    expect(log.next("w", 1, "bad")).toBe(2);
    expect(log.next("v", 0, "worse")).toBe(1);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/x: the curvature block of "w" failed \(bad\); it keeps its last good/);
    expect(warnings[1]).toMatch(/"v" failed \(worse\)/);
    expect(() => log.next("w", 2, "bad")).toThrow(CurvatureFailureError);
    expect(() => log.next("w", 2, "bad")).toThrow(
      /x: the curvature block of "w" failed 3 steps in a row .*last failure: bad/,
    );
  });
});

describe("which blocks cover which parameters (one map for every curvature method)", () => {
  const shampoo = { maxDim: 1024, oversized: "tile", vectors: "diagonal" } as const;
  const soap = { maxDim: 1024, oversized: "one-sided", vectors: "none" } as const;

  it("Shampoo tiles a matrix to at most maxDim per side, row-major over the grid, and gives vectors a diagonal", () => {
    const cover = parameterCoverage(new Matrix(3000, 784), shampoo);
    expect(cover).toEqual({
      kind: "kronecker",
      tiles: [
        { row0: 0, rows: 1024, col0: 0, cols: 784 },
        { row0: 1024, rows: 1024, col0: 0, cols: 784 },
        { row0: 2048, rows: 952, col0: 0, cols: 784 },
      ],
    });
    expect(parameterCoverage(new Matrix(1, 256), shampoo)).toEqual({ kind: "diagonal" });
  });

  it("SOAP keeps one block while one side fits, none beyond, and none for vectors (they go to AdamW)", () => {
    expect(parameterCoverage(new Matrix(3000, 784), soap)).toEqual({
      kind: "kronecker",
      tiles: [{ row0: 0, rows: 3000, col0: 0, cols: 784 }],
    });
    expect(parameterCoverage(new Matrix(3000, 2000), soap)).toEqual({ kind: "none" });
    expect(parameterCoverage(new Matrix(256, 1), soap)).toEqual({ kind: "none" });
  });

  it("KFAC gives batch-norm statistics diagonal blocks and dense/conv statistics one Kronecker block", () => {
    const bn = { kind: "batchNorm", weight: "g", bias: "b", perExample: {}, batchSize: 1 } as const;
    const dense = {
      kind: "dense",
      weight: "w",
      bias: "c",
      a: new Matrix(1, 2),
      g: new Matrix(1, 2),
      batchSize: 1,
      positions: 1,
    } as const;
    expect(coveredDiagonally(bn)).toBe(true);
    expect(coveredDiagonally(dense)).toBe(false);
  });
});
