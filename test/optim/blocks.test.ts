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
import {
  chunkSizes,
  coveredDiagonally,
  diagonalBlocks,
  parameterCoverage,
  readTile,
} from "../../src/optim/curvature/blocking.js";
import { gradientSequence, randomParams } from "./fixtures.js";
import { batchFactors } from "../../src/optim/curvature/layer-stats.js";
import { gram } from "../../src/linalg/blas.js";
import { solveSPD } from "../../src/linalg/cholesky.js";
import * as optim from "../../src/optim/index.js";
import type { KroneckerStats, Params } from "../../src/nn/types.js";
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
  const shampoo = { maxDim: 1024, vectors: "diagonal" } as const;
  const soap = { maxDim: 1024, vectors: "none" } as const;

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

  it("SOAP tiles a matrix like Shampoo and gives vectors no block (they go to AdamW)", () => {
    expect(parameterCoverage(new Matrix(1024, 3136), soap)).toEqual({
      kind: "kronecker",
      tiles: [0, 1024, 2048, 3072].map((col0) => ({ row0: 0, rows: 1024, col0, cols: col0 === 3072 ? 64 : 1024 })),
    });
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

describe("kfac / ekfac blocking of wide factors (maxPreconditionerDim)", () => {
  // A dense layer with 6 inputs + bias (7 = 3 + 2 + 2 with blocks of at most 3) and 5 outputs (3 + 2).
  const rng = new Rng(21);
  const [out, inp, n] = [5, 6, 4];
  const a = new Matrix(n, inp + 1);
  const X = gaussianMatrix(rng, n, inp);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < inp; j++) a.set(i, j, X.get(i, j));
    a.set(i, inp, 1);
  }
  const g = gaussianMatrix(rng, n, out);
  const joined = naiveMatmul(g, a, true, false).data.map((x) => x / n);
  const gw = new Matrix(out, inp);
  const gb = new Matrix(1, out);
  for (let r = 0; r < out; r++) {
    for (let c = 0; c < inp; c++) gw.set(r, c, joined[r * (inp + 1) + c]);
    gb.data[r] = joined[r * (inp + 1) + inp];
  }
  const stats: KroneckerStats = { kind: "dense", weight: "w", bias: "b", a, g, batchSize: n, positions: 1 };
  const [rowSizes, colSizes] = [chunkSizes(out, 3), chunkSizes(inp + 1, 3)];

  it("chunkSizes splits n into ⌈n/max⌉ near-equal blocks", () => {
    expect(chunkSizes(3137, 1024)).toEqual([785, 784, 784, 784]);
    expect(chunkSizes(785, 1024)).toEqual([785]);
    expect(rowSizes).toEqual([3, 2]);
    expect(colSizes).toEqual([3, 2, 2]);
  });

  it("the block-diagonal batch factor holds exactly the dense factor's diagonal blocks", () => {
    const { A, G } = batchFactors(stats, g, gram, { left: rowSizes, right: colSizes });
    for (const [F, X2, sizes] of [
      [A.batch, a, colSizes],
      [G.batch, g, rowSizes],
    ] as const) {
      const dense = naiveMatmul(X2, X2, true, false);
      const blocks = diagonalBlocks(F, sizes);
      let start = 0;
      blocks.forEach((B, k) => {
        for (let i = 0; i < sizes[k]; i++)
          for (let j = 0; j < sizes[k]; j++) expect(B.get(i, j)).toBeCloseTo(dense.get(start + i, start + j), 12);
        start += sizes[k];
      });
      expect(() => diagonalBlocks(dense, sizes)).toThrow(/does not hold diagonal blocks of sizes/);
    }
  });

  for (const lowRankApply of [true, false]) {
    it(`kfac's step equals a naive block-wise solve G_i⁻¹ ∇_ij A_j⁻¹ (lowRankApply ${lowRankApply})`, () => {
      const lambda = 0.05;
      const t = optim.kfac({
        learningRate: 1,
        damping: lambda,
        precision: "float64",
        maxPreconditionerDim: 3,
        lowRankApply,
      });
      const u = t.update({ w: gw, b: gb }, t.init({ w: gw, b: gb }), undefined, { stats: [stats] }).updates;
      // Naive: dense factors, π from their traces, each diagonal block damped and solved on its tile.
      const A = naiveMatmul(a, a, true, false).data.map((x) => x / n);
      const G = naiveMatmul(g, g, true, false).data.map((x) => x / n);
      let [trA, trG] = [0, 0];
      for (let i = 0; i <= inp; i++) trA += A[i * (inp + 1) + i] / (inp + 1);
      for (let i = 0; i < out; i++) trG += G[i * out + i] / out;
      const pi = Math.sqrt(trA / trG);
      const block = (F: Float64Array, width: number, start: number, size: number, ridge: number): Matrix => {
        const B = new Matrix(size, size);
        for (let i = 0; i < size; i++)
          for (let j = 0; j < size; j++) B.set(i, j, F[(start + i) * width + start + j] + (i === j ? ridge : 0));
        return B;
      };
      let r0 = 0;
      for (const rs of rowSizes) {
        let c0 = 0;
        const Gi = block(G, out, r0, rs, Math.sqrt(lambda) / pi);
        for (const cs of colSizes) {
          const Aj = block(A, inp + 1, c0, cs, pi * Math.sqrt(lambda));
          const tile = new Matrix(rs, cs);
          for (let i = 0; i < rs; i++)
            for (let j = 0; j < cs; j++) tile.set(i, j, joined[(r0 + i) * (inp + 1) + c0 + j]);
          // X = G_i⁻¹ tile A_j⁻¹: solve G_i Y = tile, then A_j Xᵀ = Yᵀ.
          const Y = solveSPD(Gi, tile);
          const step = solveSPD(Aj, Y.transpose()).transpose();
          for (let i = 0; i < rs; i++)
            for (let j = 0; j < cs; j++) {
              const got = c0 + j < inp ? u.w.get(r0 + i, c0 + j) : u.b.data[r0 + i];
              expect(got).toBeCloseTo(-step.get(i, j), 10);
            }
          c0 += cs;
        }
        r0 += rs;
      }
    });
  }

  it("ekfac: the blocked step through the statistics equals the blocked step through the gradient", () => {
    const steps = [true, false].map((lowRankApply) => {
      const t = optim.ekfac({ learningRate: 1, precision: "float64", maxPreconditionerDim: 3, lowRankApply });
      return t.update({ w: gw, b: gb }, t.init({ w: gw, b: gb }), undefined, { stats: [stats] }).updates;
    });
    for (const key of ["w", "b"])
      steps[0][key].data.forEach((x, i) => expect(x).toBeCloseTo(steps[1][key].data[i], 10));
    // And blocking changes the step (the cross-terms between blocks are gone).
    const t = optim.ekfac({ learningRate: 1, precision: "float64" });
    const whole = t.update({ w: gw, b: gb }, t.init({ w: gw, b: gb }), undefined, { stats: [stats] }).updates;
    expect(Math.abs(whole.w.data[0] - steps[0].w.data[0])).toBeGreaterThan(1e-6);
  });
});

describe("soap blocking (maxPreconditionerDim)", () => {
  it("a tiled matrix takes on each tile the steps of SOAP run on that tile alone", () => {
    // Tiles 4×4, 4×3, 2×4, 2×3: every tile a matrix (a 1×n tile alone would go to AdamW).
    const params = randomParams(31, { w: [6, 7] });
    const grads = gradientSequence(32, params, 14);
    const options = { learningRate: 0.1, precision: "float64", preconditionEvery: 3 } as const;
    const tiled = optim.soap({ ...options, maxPreconditionerDim: 4 });
    const tileRuns = parameterCoverage(params.w, { maxDim: 4, vectors: "none" });
    if (tileRuns.kind !== "kronecker") throw new Error("expected tiles");
    expect(tileRuns.tiles).toHaveLength(4);
    let state = tiled.init(params);
    let p = params;
    const alone = tileRuns.tiles.map((tile) => {
      const t = optim.soap(options);
      const q: Params = { w: readTile(params.w, tile) };
      return { tile, t, state: t.init(q), q };
    });
    for (const g of grads) {
      const r = tiled.update(g, state, p);
      state = r.state;
      p = optim.applyUpdates(p, r.updates);
      for (const run of alone) {
        const s = run.t.update({ w: readTile(g.w, run.tile) }, run.state, run.q);
        run.state = s.state;
        run.q = optim.applyUpdates(run.q, s.updates);
        const ours = readTile(r.updates.w, run.tile);
        s.updates.w.data.forEach((x, i) => expect(ours.data[i]).toBeCloseTo(x, 12));
      }
    }
  });
});
