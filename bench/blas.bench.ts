/**
 * `npm run bench -- blas`: our float64 matmul (GEMM) and XᵀX (SYRK) against numpy/OpenBLAS, single-threaded, on
 * the same matrices (written to a temp folder as float64 files, read by bench/peer/blas.py), timed in the same
 * run. At 8×8 and 16×16 it also times a plain TypeScript triple loop, which `matmul` must not be slower than.
 * The float32 rows time `matmul32` (Matrix32) against numpy on float32 arrays of the same (rounded) values.
 * A second table times the GEMM kernels alone (dgemm, sgemm at 256 and 512) in both builds of the kernels, plain SIMD and
 * relaxed SIMD (fused multiply-add), each on its own instance, against the same numpy rows.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gram, matmul } from "../src/linalg/blas.js";
import { Matrix } from "../src/linalg/matrix.js";
import { Matrix32 } from "../src/linalg/matrix32.js";
import { matmul32 } from "../src/linalg/blas32.js";
import { frobeniusNorm } from "../src/linalg/ops.js";
import { Rng, deriveSeed, gaussianMatrix } from "../src/random/index.js";
import { instantiateBuild, resolveNodeSimdBuild, simdBuild } from "../src/linalg/wasm-node.js";
import { SIMD_BUILDS } from "../src/linalg/simd-build.js";
import { printTable, runNumpy } from "./numpy.js";

interface Case {
  name: string;
  op: "matmul" | "gram";
  /** float32 cases hold float32-representable values; both sides compute in float32. */
  dtype: "float64" | "float32";
  inputs: Matrix[];
  /** Floating-point operations of one call (for GFLOP/s). */
  flops: number;
  /** Calls per timed sample, so tiny cases are not lost in timer resolution. */
  inner: number;
  repeats: number;
}

interface PeerResult {
  corename: string;
  threads: number;
  cases: Record<string, { ms: number; norm: number }>;
}

/** The product everyone writes first: three nested loops over row-major arrays. */
function tripleLoop(A: Matrix, B: Matrix): Matrix {
  const [m, k, n] = [A.rows, A.cols, B.cols];
  const a = A.data;
  const b = B.data;
  const C = new Matrix(m, n);
  const c = C.data;
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
      c[i * n + j] = s;
    }
  return C;
}

/** Median milliseconds per call of `fn`, timing `inner` calls per sample (same protocol as the peer). */
function medianMs(fn: () => unknown, inner: number, repeats: number): number {
  fn();
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    for (let i = 0; i < inner; i++) fn();
    times.push((performance.now() - t0) / inner);
  }
  times.sort((x, y) => x - y);
  return times[Math.floor(times.length / 2)];
}

function cases(): Case[] {
  const out: Case[] = [];
  let index = 0;
  for (const n of [8, 16, 64, 256, 512, 1024]) {
    const rng = new Rng(deriveSeed(2024, index++));
    out.push({
      name: `matmul ${n}×${n}`,
      op: "matmul",
      dtype: "float64",
      inputs: [gaussianMatrix(rng, n, n), gaussianMatrix(rng, n, n)],
      flops: 2 * n ** 3,
      inner: Math.ceil(4e6 / n ** 3),
      repeats: n <= 64 ? 15 : n >= 1024 ? 5 : 7,
    });
  }
  const [rows, cols] = [4096, 256];
  out.push({
    name: `XᵀX, X ${rows}×${cols}`,
    op: "gram",
    dtype: "float64",
    inputs: [gaussianMatrix(new Rng(deriveSeed(2024, index)), rows, cols)],
    flops: cols * (cols + 1) * rows, // one triangle: n(n+1)/2 dot products of length k, 2 flops per term
    inner: 1,
    repeats: 7,
  });
  for (const n of [256, 512, 1024]) {
    const rng = new Rng(deriveSeed(2025, n));
    const rounded = () => Matrix32.fromMatrix(gaussianMatrix(rng, n, n)).toMatrix();
    out.push({
      name: `matmul ${n}×${n} float32`,
      op: "matmul",
      dtype: "float32",
      inputs: [rounded(), rounded()],
      flops: 2 * n ** 3,
      inner: Math.ceil(4e6 / n ** 3),
      repeats: n >= 1024 ? 5 : 7,
    });
  }
  return out;
}

/** The timed call of a case. */
function operation(c: Case): () => Matrix {
  if (c.dtype === "float32") {
    const [A, B] = c.inputs.map(Matrix32.fromMatrix);
    return () => matmul32(A, B).toMatrix();
  }
  return c.op === "matmul" ? () => matmul(c.inputs[0], c.inputs[1]) : () => gram(c.inputs[0]);
}

export default function blasBench(): void {
  const all = cases();
  const dir = mkdtempSync(join(tmpdir(), "layerwise-blas-"));
  let peer: PeerResult;
  let preset: PeerResult | undefined;
  try {
    const manifest = all.map((c) => ({
      name: c.name,
      op: c.op,
      dtype: c.dtype,
      inputs: c.inputs.map((M, i) => {
        const file = `${c.name.replace(/[^a-z0-9]+/gi, "_")}_${i}.f64`;
        writeFileSync(join(dir, file), new Uint8Array(M.data.buffer, M.data.byteOffset, M.data.byteLength));
        return [file, M.rows, M.cols];
      }),
      inner: c.inner,
      repeats: c.repeats,
    }));
    writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest));
    peer = runNumpy<PeerResult>("blas.py", [dir]);
    // Where the environment pins an OpenBLAS kernel (OPENBLAS_CORETYPE), also time numpy as a user of this
    // machine gets it by default.
    if (process.env.OPENBLAS_CORETYPE !== undefined || process.env.OPENBLAS_L2_SIZE !== undefined) {
      preset = runNumpy<PeerResult>("blas.py", [dir, "preset"]);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const rows = all.map((c) => {
    const run = operation(c);
    const ours = medianMs(run, c.inner, c.repeats);
    const theirs = peer.cases[c.name];
    // Same matrices, same product: the results must agree (guards against timing the wrong thing).
    const norm = frobeniusNorm(run());
    if (Math.abs(norm - theirs.norm) > (c.dtype === "float32" ? 1e-5 : 1e-10) * theirs.norm) {
      throw new Error(`blas bench: ${c.name}: ‖ours‖ = ${norm} but ‖numpy‖ = ${theirs.norm}`);
    }
    const small = c.op === "matmul" && c.inputs[0].rows <= 16;
    const row: Record<string, string | number> = {
      case: c.name,
      "ours ms": ours,
      "numpy ms": theirs.ms,
      "ours/numpy": ours / theirs.ms,
      "ours GFLOP/s": c.flops / ours / 1e6,
      "numpy GFLOP/s": c.flops / theirs.ms / 1e6,
    };
    if (preset !== undefined) {
      row[`numpy[${preset.corename}] ms`] = preset.cases[c.name].ms;
      row[`ours/numpy[${preset.corename}]`] = ours / preset.cases[c.name].ms;
    }
    row["TS triple loop ms"] = small ? medianMs(() => tripleLoop(c.inputs[0], c.inputs[1]), c.inner, c.repeats) : "-";
    return row;
  });
  printTable(
    `matmul and XᵀX, float64 and float32, one thread, ${simdBuild} kernels (numpy: OpenBLAS ${peer.corename} kernel, ${peer.threads} thread)`,
    rows,
  );
  printTable(
    `GEMM kernel alone, plain vs relaxed SIMD build (numpy: the matmul rows above)`,
    kernelBuildRows(all, peer),
  );
}

/**
 * dgemm and sgemm on the 256×256 and 512×512 matmul cases, timed as bare kernel calls (operands already in linear memory) on a
 * separate instance of each build, against numpy's time for the same product. The builds are timed alternately
 * (one call each per round; median and fastest call) so a change of load hits both alike. Each build's result must
 * agree with numpy's Frobenius norm as the main table's do.
 */
function kernelBuildRows(all: Case[], peer: PeerResult): Record<string, string | number>[] {
  resolveNodeSimdBuild("relaxed"); // the relaxed build needs relaxed SIMD (Node 20: a V8 flag, set here)
  const rows: Record<string, string | number>[] = [];
  for (const c of all.filter((x) => x.op === "matmul" && (x.inputs[0].rows === 256 || x.inputs[0].rows === 512))) {
    const n = c.inputs[0].rows;
    const theirs = peer.cases[c.name];
    const View = c.dtype === "float64" ? Float64Array : Float32Array;
    const runs = SIMD_BUILDS.map((build) => {
      const k = instantiateBuild(build);
      const pA = Math.ceil(Number((k.__heap_base as WebAssembly.Global).value) / 64) * 64;
      const [pB, pC] = [pA + n * n * View.BYTES_PER_ELEMENT, pA + 2 * n * n * View.BYTES_PER_ELEMENT];
      const end = pC + n * n * View.BYTES_PER_ELEMENT;
      if (end > k.memory.buffer.byteLength) k.memory.grow(Math.ceil((end - k.memory.buffer.byteLength) / 65536));
      new View(k.memory.buffer, pA, n * n).set(c.inputs[0].data);
      new View(k.memory.buffer, pB, n * n).set(c.inputs[1].data);
      const gemm = (c.dtype === "float64" ? k.dgemm : k.sgemm) as (...args: number[]) => void;
      const call = () => gemm(0, 0, n, n, n, 1, pA, n, pB, n, 0, pC, n);
      call();
      const norm = frobeniusNorm(new Matrix(n, n, Float64Array.from(new View(k.memory.buffer, pC, n * n))));
      if (Math.abs(norm - theirs.norm) > (c.dtype === "float32" ? 1e-5 : 1e-10) * theirs.norm) {
        throw new Error(`blas bench: ${c.name} (${build} build): ‖ours‖ = ${norm} but ‖numpy‖ = ${theirs.norm}`);
      }
      return { build, call, times: [] as number[] };
    });
    // 15 rounds at 512, 120 at 256 (a call is 8× shorter): about a second per case either way.
    const rounds = Math.round(15 * (512 / n) ** 3);
    for (let round = 0; round < rounds; round++) {
      for (const run of runs) {
        const t0 = performance.now();
        run.call();
        run.times.push(performance.now() - t0);
      }
    }
    const median = (times: number[]) => [...times].sort((x, y) => x - y)[Math.floor(times.length / 2)];
    const plainMs = median(runs[0].times);
    for (const { build, times } of runs) {
      const ms = median(times);
      rows.push({
        case: `${c.dtype === "float64" ? "dgemm" : "sgemm"} ${n}, ${build} build`,
        "ours ms": ms,
        "numpy ms": theirs.ms,
        "ours/numpy": ms / theirs.ms,
        "ours/plain": ms / plainMs,
        "ours GFLOP/s": c.flops / ms / 1e6,
        // The fastest call: the micro-kernel's rate when the load let it run undisturbed.
        "ours best GFLOP/s": c.flops / Math.min(...times) / 1e6,
        "numpy GFLOP/s": c.flops / theirs.ms / 1e6,
      });
    }
  }
  return rows;
}
