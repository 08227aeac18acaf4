/**
 * `npm run bench -- linrep`: the linear representation learning loop against its numpy peer (bench/peer/linrep.py,
 * numpy's default BLAS threads), timed in the same run:
 * 1. per-step time of `sgd` and `kfac` at d_X = 100, k = 8, d_Y = 20, n = 1024 (online: each step samples a
 *    fresh batch and updates; metrics only at the first and last step), against numpy with its default threads
 *    and pinned to one (the row the target ours/numpy ≤ 1.0 is about: ours is single-threaded);
 * 2. a whole `linrep-kappa` sweep (grid search + training for every algorithm × κₓ × κ_F): ours through the CLI
 *    with the worker pool (2 workers), numpy as one script running the points one after the other. By default at
 *    the quick size (κₓ ∈ {1, 100}, κ_F ∈ {1, 10}, 400 steps, 150 grid-search steps, one seed);
 *    LINREP_BENCH_FULL=1 runs the default size (κₓ ∈ {1, 10, 100, 1000}, κ_F ∈ {1, 3, 10}, 2000 steps).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { makeLinrepProblem } from "../src/paper/linrep/problem.js";
import { Rng } from "../src/random/index.js";
import { trainLinrep, LINREP_ALGORITHMS, type LinrepAlgorithm } from "../src/experiments/linrep/train.js";
import { stepScale } from "../src/experiments/linrep/tuning.js";
import { printTable, runNumpy } from "./numpy.js";

const STEP_SIZE = { dX: 100, k: 8, dY: 20, n: 1024 };

/** numpy pinned to one BLAS thread: ours runs on one, and the targets compare equal thread counts. */
const ONE_THREAD = { OPENBLAS_NUM_THREADS: "1", OMP_NUM_THREADS: "1" };

/** Milliseconds per training step of `algorithm` over `steps` steps (after a short warm-up run). */
function oursPerStep(algorithm: LinrepAlgorithm, steps: number): number {
  const problem = makeLinrepProblem(new Rng(0), {
    dX: STEP_SIZE.dX,
    dY: STEP_SIZE.dY,
    k: STEP_SIZE.k,
    kappaX: 100,
    kappaF: 3,
    spectrum: "logspaced",
    rotate: true,
    inputs: "rademacher",
    noise: 0.1,
    transfer: { kappaX: 10, kappaF: 1, noise: 0.1, rotate: true },
  });
  const lr = algorithm === "kfac" ? 1 : 0.5 * stepScale(algorithm, problem);
  const options = (n: number) => ({
    algorithm,
    steps: n,
    batch: STEP_SIZE.n,
    mode: "online" as const,
    lrG: lr,
    lrF: algorithm === "kfac" ? 1 : lr,
    damping: 0,
    sampleSplitting: false,
    orthonormalize: false,
    logEvery: n,
    nTransfer: 16,
    nTest: 16,
  });
  trainLinrep(problem, options(5), new Rng(1));
  const t0 = performance.now();
  trainLinrep(problem, options(steps), new Rng(2));
  return (performance.now() - t0) / steps;
}

interface SweepSize {
  kappaX: number[];
  kappaF: number[];
  steps: number;
  tuneSteps: number;
}

function oursSweep(size: SweepSize): number {
  const bin = fileURLToPath(new URL("../../bin/layerwise.js", import.meta.url));
  const out = mkdtempSync(join(tmpdir(), "linrep-bench-"));
  const args = [
    bin,
    "run",
    "linrep-kappa",
    "--set",
    `kappaX=${size.kappaX.join(",")}`,
    "--set",
    `kappaF=${size.kappaF.join(",")}`,
    "--set",
    `steps=${size.steps}`,
    "--set",
    `tuning.steps=${size.tuneSteps}`,
    "--seeds",
    "1",
    "--workers",
    "2",
    "--json",
    "--out",
    out,
  ];
  const t0 = performance.now();
  const r = spawnSync("node", args, { encoding: "utf8" });
  const seconds = (performance.now() - t0) / 1000;
  rmSync(out, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`linrep-kappa sweep failed (exit ${r.status}):\n${r.stderr}`);
  return seconds;
}

export default function main(): void {
  const steps = 200;
  const stepRows = (["sgd", "kfac"] as const).flatMap((algorithm) => {
    const ours = oursPerStep(algorithm, steps);
    const args = [
      "step",
      algorithm,
      String(steps),
      ...[STEP_SIZE.dX, STEP_SIZE.k, STEP_SIZE.dY, STEP_SIZE.n].map(String),
    ];
    return (
      [
        ["default threads", {}],
        ["1 thread", ONE_THREAD],
      ] as const
    ).map(([label, env]) => {
      const numpy = runNumpy<{ msPerStep: number }>("linrep.py", args, env).msPerStep;
      return {
        case: `${algorithm} step, dX=100 k=8 dY=20 n=1024, numpy ${label}`,
        "ours ms": ours,
        "numpy ms": numpy,
        "ours/numpy": ours / numpy,
      };
    });
  });

  const full = process.env.LINREP_BENCH_FULL === "1";
  const size: SweepSize = full
    ? { kappaX: [1, 10, 100, 1000], kappaF: [1, 3, 10], steps: 2000, tuneSteps: 300 }
    : { kappaX: [1, 100], kappaF: [1, 10], steps: 400, tuneSteps: 150 };
  const ours = oursSweep(size);
  const numpy = runNumpy<{ seconds: number; trials: number; steps: number }>("linrep.py", [
    "sweep",
    JSON.stringify({
      seeds: 1,
      algorithms: LINREP_ALGORITHMS,
      kappaX: size.kappaX,
      kappaF: size.kappaF,
      dX: 50,
      dY: 10,
      k: 4,
      batch: 1024,
      steps: size.steps,
      tuneSteps: size.tuneSteps,
      target: 0.05,
    }),
  ]);
  const sweepRow = {
    case: `linrep-kappa sweep (${full ? "default" : "quick"} size: ${numpy.trials} trials, ${size.steps} steps)`,
    "ours ms": ours * 1000,
    "numpy ms": numpy.seconds * 1000,
    "ours/numpy": ours / numpy.seconds,
  };
  printTable("linrep: training steps and the linrep-kappa sweep (numpy: default threads; ours: 2 workers)", [
    ...stepRows,
    sweepRow,
  ]);
}
