/**
 * `npm run bench -- decomp`: our decompositions against numpy/LAPACK (OpenBLAS, one thread) on the same matrices
 * (written to a temp folder as float64 files, read by bench/peer/decomp.py), timed in the same run. Each row also
 * compares a scalar of both results (sum of eigenvalues, …) to confirm both sides solved the same problem. A second
 * table splits our eigh at the sizes the optimizers' factors reach into its stages (tridiagonalisation, the
 * divide-and-conquer tridiagonal solver, back-transformation).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Matrix } from "../src/linalg/matrix.js";
import { cholesky, eigh, inv, qr, svd } from "../src/linalg/decompositions.js";
import { eighWith, type EighTimings } from "../src/linalg/eigh.js";
import { Rng, deriveSeed, gaussianMatrix } from "../src/random/index.js";
import { printTable, runNumpy } from "./numpy.js";

type Op = "cholesky" | "eigh" | "inv" | "svd" | "qr";

interface Case {
  name: string;
  op: Op;
  input: Matrix;
  repeats: number;
}

/** Ours, with the same scalar summary as the peer's. */
const OURS: Record<Op, (A: Matrix) => number> = {
  cholesky: (A) => trace(cholesky(A)),
  eigh: (A) => eigh(A).values.reduce((s, v) => s + v, 0),
  inv: (A) => trace(inv(A)),
  svd: (A) => svd(A).S.reduce((s, v) => s + v, 0),
  qr: (A) => {
    const { R } = qr(A);
    let s = 0;
    for (let i = 0; i < R.rows; i++) s += Math.abs(R.get(i, i));
    return s;
  },
};

/**
 * Median wall and CPU milliseconds per call of `fn` over `repeats` calls, after as many warm-up calls (steady-state
 * JIT). CPU time leaves out the time spent waiting for a core, which dominates wall time on a loaded machine.
 */
function timeWallAndCpu(fn: () => void, repeats: number): { wall: number; cpu: number } {
  for (let r = 0; r < repeats; r++) fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    fn();
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
    wall.push(performance.now() - t0);
  }
  const median = (v: number[]): number => v.sort((a, b) => a - b)[Math.floor(v.length / 2)];
  return { wall: median(wall), cpu: median(cpu) };
}

function trace(A: Matrix): number {
  let s = 0;
  for (let i = 0; i < A.rows; i++) s += A.get(i, i);
  return s;
}

/** G Gᵀ / n + I: symmetric positive definite, moderately conditioned. */
function spd(rng: Rng, n: number): Matrix {
  const G = gaussianMatrix(rng, n, n);
  const A = new Matrix(n, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += G.data[i * n + k] * G.data[j * n + k];
      A.set(i, j, s / n + (i === j ? 1 : 0));
      A.set(j, i, A.get(i, j));
    }
  }
  return A;
}

/** Sizes of the eigh rows beyond 400 (EKFAC/Shampoo/SOAP factors of wide layers reach 785–1024). */
const EIGH_STAGE_SIZES = [800, 1200];

/** Median time of each stage of our eigh on `input` over `repeats` calls (after as many warm-up calls). */
function eighStages(input: Matrix, repeats: number): EighTimings {
  const runs: EighTimings[] = [];
  for (let r = 0; r < 2 * repeats; r++) {
    const t: EighTimings = { tridiagonalise: 0, solve: 0, backTransform: 0 };
    eighWith(input, "divide-and-conquer", t);
    if (r >= repeats) runs.push(t);
  }
  const median = (key: keyof EighTimings): number => {
    const v = runs.map((t) => t[key]).sort((a, b) => a - b);
    return v[Math.floor(v.length / 2)];
  };
  return { tridiagonalise: median("tridiagonalise"), solve: median("solve"), backTransform: median("backTransform") };
}

function cases(): Case[] {
  const out: Case[] = [];
  let index = 0;
  const rng = (): Rng => new Rng(deriveSeed(7, index++));
  for (const n of [100, 400]) {
    const repeats = n >= 400 ? 11 : 101; // medians of many calls: the machine is shared
    out.push({ name: `cholesky ${n}×${n}`, op: "cholesky", input: spd(rng(), n), repeats });
    out.push({ name: `eigh ${n}×${n}`, op: "eigh", input: spd(rng(), n), repeats });
    out.push({ name: `inv ${n}×${n}`, op: "inv", input: gaussianMatrix(rng(), n, n), repeats });
  }
  for (const n of EIGH_STAGE_SIZES) out.push({ name: `eigh ${n}×${n}`, op: "eigh", input: spd(rng(), n), repeats: 5 });
  out.push({ name: "svd 400×200", op: "svd", input: gaussianMatrix(rng(), 400, 200), repeats: 11 });
  out.push({ name: "qr 1000×100", op: "qr", input: gaussianMatrix(rng(), 1000, 100), repeats: 21 });
  return out;
}

export default function main(): void {
  const all = cases();
  const dir = mkdtempSync(join(tmpdir(), "layerwise-decomp-"));
  try {
    const manifest = all.map((c, i) => {
      const file = `m${i}.f64`;
      writeFileSync(join(dir, file), new Uint8Array(c.input.data.buffer));
      return { name: c.name, op: c.op, file, rows: c.input.rows, cols: c.input.cols, repeats: c.repeats };
    });
    writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest));
    const peer = runNumpy<{ cases: Record<string, { ms: number; cpuMs: number; check: number }> }>("decomp.py", [dir]);
    const rows = all.map((c) => {
      const f = OURS[c.op];
      const check = f(c.input);
      const ours = timeWallAndCpu(() => f(c.input), c.repeats);
      const theirs = peer.cases[c.name];
      return {
        case: c.name,
        "ours ms": ours.wall,
        "numpy ms": theirs.ms,
        "ours/numpy": ours.wall / theirs.ms,
        "ours/numpy (CPU time)": ours.cpu / theirs.cpuMs,
        "check rel. diff": Math.abs(check - theirs.check) / Math.abs(theirs.check),
      };
    });
    printTable("Benchmarks: decompositions (float64, single-threaded; numpy = OpenBLAS + LAPACK, 1 thread)", rows);
    const stages = all
      .filter((c) => c.op === "eigh" && c.input.rows >= 400)
      .map((c) => {
        const t = eighStages(c.input, c.repeats);
        const total = t.tridiagonalise + t.solve + t.backTransform;
        const share = (x: number): string => `${Math.round((100 * x) / total)}%`;
        return {
          case: c.name,
          "tridiagonalise ms": t.tridiagonalise,
          "D&C solve ms": t.solve,
          "back-transform ms": t.backTransform,
          shares: `${share(t.tridiagonalise)} / ${share(t.solve)} / ${share(t.backTransform)}`,
        };
      });
    printTable("eigh stages (ours, divide and conquer; medians)", stages);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
