/**
 * `npm run bench -- single-index`: the single-index alignment trial and sweep (issue 5 targets) against a numpy
 * script doing the same computations (bench/peer/single-index.py, numpy's default threads), timed in the same run:
 * - one trial at d = 256, N = 1024, n = 8192 (n/d = 32, κ = 10), for gd and for kfac: build the task, sample,
 *   initialise, one step, losses, spike of ΔW and of W₁ (target ours/numpy ≤ 2.0);
 * - the whole `single-index-alignment` sweep at its default size (4 algorithms × 3 κ × 7 n/d = 84 trials), ours
 *   through the platform's worker pool (planRun + executeRun, the code path of `layerwise run` minus figures) with
 *   one worker per core, numpy sequentially (target ≤ 1.5).
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

export default async function bench(): Promise<void> {
  const peer = runNumpy<Record<"gd" | "kfac", { ms: number; alignment: number }>>("single-index.py", [
    "trial",
    String(D),
    String(N),
    String(N_OVER_D),
    String(KAPPA),
    String(REPEATS),
  ]);
  const rows: Record<string, string | number>[] = [];
  for (const algorithm of ["gd", "kfac"] as const) {
    let seed = 1;
    let alignment = NaN;
    const ours = timeMs(() => (alignment = ourTrial(algorithm, seed++)), REPEATS, 1);
    rows.push({
      case: `trial ${algorithm} d=${D} N=${N} n=${N_OVER_D * D}`,
      "ours ms": ours,
      "numpy ms": peer[algorithm].ms,
      "ours/numpy": ours / peer[algorithm].ms,
      target: 2,
      "alignment ours": alignment,
      "alignment numpy": peer[algorithm].alignment,
    });
  }
  if (process.env.SINGLE_INDEX_BENCH_SWEEP !== "0") {
    const peerSweep = runNumpy<{ ms: number; trials: number }>("single-index.py", ["sweep", String(D), String(N)]);
    const ours = await ourSweepMs();
    rows.push({
      case: `sweep single-index-alignment (${peerSweep.trials} trials, ${availableParallelism()} workers)`,
      "ours ms": ours,
      "numpy ms": peerSweep.ms,
      "ours/numpy": ours / peerSweep.ms,
      target: 1.5,
      "alignment ours": "",
      "alignment numpy": "",
    });
  }
  printTable("single-index: one-step trial and alignment sweep vs numpy", rows);
}
