/**
 * `npm run bench -- single-index`: the single-index alignment trial and sweep (issue 5 targets) against a numpy
 * script doing the same computations (bench/peer/single-index.py, numpy's default threads), timed in the same run:
 * - one trial at d = 256, N = 1024, n = 8192 (n/d = 32, κ = 10), for gd and for kfac: sample, initialise, one
 *   step, losses, spike of ΔW and of W₁ (target ours/numpy ≤ 2.0). The task (Σ, β★) of a κ is built once and
 *   shared by its trials on both sides (ours caches it per worker; the peer keeps one per κ), so the warm-up
 *   trial builds it and the timed ones do not;
 * - the whole `single-index-alignment` sweep at its default size (4 algorithms × 3 κ × 7 n/d = 84 trials), ours
 *   through the platform's worker pool (planRun + executeRun, the code path of `layerwise run` minus figures) with
 *   one worker per core, numpy sequentially (target ≤ 1.5).
 * numpy also runs pinned to one OpenBLAS thread (rows "numpy 1 thread"): on a loaded two-core machine OpenBLAS's
 * spinning threads can make the default-threaded run several times slower than the single-threaded one, and the
 * honest comparison is with the faster of the two.
 * Set SINGLE_INDEX_BENCH_SWEEP=0 to skip the sweep (it takes minutes on two cores).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { singleIndexAlignment } from "../src/experiments/single-index/alignment.js";
import { executeRun, planRun } from "../src/runner/run.js";
import { printTable, runNumpy, timeMs } from "./numpy.js";

const D = 256;
const N = 1024;
const N_OVER_D = 32;
const KAPPA = 10;
const REPEATS = 3;

function ourTrial(algorithm: "gd" | "kfac", seed: number): number {
  const config = singleIndexAlignment.schema.parse({ d: D, N });
  const point = { ...config, algorithm, kappa: KAPPA, nOverD: N_OVER_D };
  let alignment = NaN;
  singleIndexAlignment.run(point, {
    seed,
    scalar: (name, v) => {
      if (name === "alignment" && v !== null) alignment = v;
    },
    series: () => undefined,
    info: () => undefined,
    progress: () => undefined,
  });
  return alignment;
}

async function ourSweepMs(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "layerwise-bench-si-"));
  try {
    const config = singleIndexAlignment.schema.parse({});
    const plan = planRun({
      experiment: singleIndexAlignment,
      config,
      runSeed: 0,
      seeds: 1,
      workers: availableParallelism(),
      outDir: dir,
      fresh: false,
      progress: "none",
    });
    const t0 = performance.now();
    const result = await executeRun(plan);
    const ms = performance.now() - t0;
    if (result.failed > 0) throw new Error(`bench: ${result.failed} single-index trials failed`);
    return ms;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const ONE_THREAD = { OPENBLAS_NUM_THREADS: "1", OMP_NUM_THREADS: "1" };

export default async function bench(): Promise<void> {
  const trialArgs = ["trial", String(D), String(N), String(N_OVER_D), String(KAPPA), String(REPEATS)];
  type TrialPeer = Record<"gd" | "kfac", { ms: number; alignment: number }>;
  const peer = runNumpy<TrialPeer>("single-index.py", trialArgs);
  const peer1 = runNumpy<TrialPeer>("single-index.py", trialArgs, ONE_THREAD);
  const rows: Record<string, string | number>[] = [];
  for (const algorithm of ["gd", "kfac"] as const) {
    let seed = 1;
    let alignment = NaN;
    const ours = timeMs(() => (alignment = ourTrial(algorithm, seed++)), REPEATS, 1);
    for (const [label, p] of [
      ["default threads", peer],
      ["1 thread", peer1],
    ] as const) {
      rows.push({
        case: `trial ${algorithm} d=${D} N=${N} n=${N_OVER_D * D}, numpy ${label}`,
        "ours ms": ours,
        "numpy ms": p[algorithm].ms,
        "ours/numpy": ours / p[algorithm].ms,
        target: 2,
        "alignment ours": alignment,
        "alignment numpy": p[algorithm].alignment,
      });
    }
  }
  if (process.env.SINGLE_INDEX_BENCH_SWEEP !== "0") {
    const sweepArgs = ["sweep", String(D), String(N)];
    const peerSweep = runNumpy<{ ms: number; trials: number }>("single-index.py", sweepArgs);
    const peerSweep1 = runNumpy<{ ms: number; trials: number }>("single-index.py", sweepArgs, ONE_THREAD);
    const ours = await ourSweepMs();
    for (const [label, p] of [
      ["default threads", peerSweep],
      ["1 thread", peerSweep1],
    ] as const) {
      rows.push({
        case: `sweep single-index-alignment (${p.trials} trials, ${availableParallelism()} workers), numpy ${label}`,
        "ours ms": ours,
        "numpy ms": p.ms,
        "ours/numpy": ours / p.ms,
        target: 1.5,
        "alignment ours": "",
        "alignment numpy": "",
      });
    }
  }
  printTable("single-index: one-step trial and alignment sweep vs numpy", rows);
}
