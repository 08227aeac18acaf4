/**
 * `npm run bench -- cnn`: one SGD training step (forward, softmax cross-entropy, backward, p ← p − lr·∇p) of
 * DeepOBS's fmnist_2c2d network (`nn.twoConvTwoDense`: conv 5×5 32 → ReLU → pool → conv 5×5 64 → ReLU → pool →
 * dense 3136→1024 → ReLU → dense 10), batch 128, one thread, in float32 and float64, written through the public API
 * as a user writes it (gradients in the network's reused matrices, `reuseGrads`, donated to the update). Peers on the same parameters and batch, timed in the same run: numpy with im2col + GEMM
 * (bench/peer/cnn.py, one OpenBLAS thread) and PyTorch's CPU functional ops when an interpreter imports torch.
 * The first steps' losses must agree. Besides the ratios, each row gives the GFLOP per CPU second of the step's
 * GEMM flops (the forward products, the weight gradients and the input gradients of every layer but the first) and
 * that rate as a share of our own GEMM at 1024×1024×1024 in the same precision, timed the same way in the same
 * run. The CPU-time ratio (user + system time of each process, median per step) is disturbed much less than wall
 * time when other processes load the machine. Then the float32 step on 1 and 2 threads, as the ratio of its 1-thread
 * to its 2-thread time: with the per-product split (shards 1) and with the data-parallel pass (`shards: 2`, batch
 * halves on replicas of the network), timed in interleaved rounds (./thread-speedup.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nn, optim } from "../src/index.js";
import { Rng, gaussianMatrix } from "../src/random/index.js";
import { cpuMs, gemmGflopsPerCpuSecond, stepGemmFlops } from "./gemm-share.js";
import { printTable, pythonWithTorch, runNumpy, timeMs } from "./numpy.js";
import { threadSpeedupRows } from "./thread-speedup.js";

const BATCH = 128;
const REPEATS = 5;
/** Interleaved rounds of the two-thread table (2 steps per case each). */
const THREAD_ROUNDS = 6;
const LR = 0.01;
const DTYPES = ["float32", "float64"] as const;
/** Relative agreement of the first step's loss with the peers' (float32 products round differently). */
const LOSS_TOLERANCE = { float32: 1e-4, float64: 1e-10 };

interface PeerResult {
  version: string;
  cases: Record<string, { ms: number; cpuMs: number; loss: number }>;
}

export default async function cnnBench(): Promise<void> {
  const rng = new Rng(2025);
  const x = gaussianMatrix(rng, BATCH, 784);
  const y = Int32Array.from({ length: BATCH }, () => rng.int(10));
  const initial = nn.twoConvTwoDense().init(0);
  const dir = mkdtempSync(join(tmpdir(), "layerwise-cnn-"));
  const peers: Record<string, PeerResult> = {};
  const torchPython = pythonWithTorch();
  try {
    const write = (file: string, data: Float64Array | Int32Array): string => {
      writeFileSync(join(dir, file), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      return file;
    };
    const manifest = {
      dtypes: DTYPES,
      lr: LR,
      repeats: REPEATS,
      params: Object.entries(initial).map(([key, M]) => [key, write(`${key}.f64`, M.data), M.rows, M.cols]),
      x: [write("x.f64", x.data), x.rows, x.cols],
      y: write("y.i32", y),
    };
    writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest));
    peers.numpy = runNumpy<PeerResult>("cnn.py", [dir, "numpy"]);
    if (torchPython) peers.torch = runNumpy<PeerResult>("cnn.py", [dir, "torch"], {}, torchPython);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  /** One SGD step of the network in `dtype` from `initial`, each batch in `shards` data-parallel shards. */
  const stepper = (dtype: nn.Dtype, shards = 1): { net: nn.Network; step: () => number } => {
    const net = nn.twoConvTwoDense({ dtype });
    const params = Object.fromEntries(Object.entries(initial).map(([k, M]) => [k, M.clone()]));
    const sgd = optim.sgd({ learningRate: LR });
    let state = sgd.init(params);
    const step = (): number => {
      // The gradients are donated to the update, so the network may write the next ones into the same matrices.
      const options = { stats: false, reuseGrads: true, shards };
      const pass = net.lossAndGrad(params, x, y, nn.softmaxCrossEntropy, options);
      const next = sgd.update(pass.grads, state, params, { donate: true });
      state = next.state;
      optim.applyUpdatesInPlace(params, next.updates);
      return pass.loss;
    };
    return { net, step };
  };

  const rows = DTYPES.map((dtype) => {
    const { net, step } = stepper(dtype);
    const loss = step();
    for (const [name, peer] of Object.entries(peers)) {
      const theirs = peer.cases[dtype].loss;
      if (Math.abs(loss - theirs) > LOSS_TOLERANCE[dtype] * Math.abs(theirs)) {
        throw new Error(`cnn bench: ${dtype}: our first loss ${loss} but ${name}'s ${theirs}`);
      }
    }
    const ours = timeMs(step, REPEATS, 0);
    const oursCpu = cpuMs(step, REPEATS);
    // Rates per CPU second, so that time the scheduler gives to other processes does not count.
    const gflops = stepGemmFlops(net, BATCH) / oursCpu / 1e6;
    const gemmRate = gemmGflopsPerCpuSecond(dtype);
    const row: Record<string, string | number> = {
      dtype,
      "ours ms": ours,
      "numpy ms": peers.numpy.cases[dtype].ms,
      "ours/numpy": ours / peers.numpy.cases[dtype].ms,
      "CPU-time ours/numpy": oursCpu / peers.numpy.cases[dtype].cpuMs,
    };
    if (peers.torch) {
      row["torch ms"] = peers.torch.cases[dtype].ms;
      row["ours/torch"] = ours / peers.torch.cases[dtype].ms;
    }
    row["step GEMM GFLOP/CPU-s"] = gflops;
    row["our GEMM GFLOP/CPU-s"] = gemmRate;
    row["share of our GEMM"] = gflops / gemmRate;
    return row;
  });
  const torch = peers.torch ? `, PyTorch ${peers.torch.version}` : ", PyTorch not importable";
  printTable(`2c2d SGD step (fmnist_2c2d), batch ${BATCH}, one thread (numpy ${peers.numpy.version}${torch})`, rows);

  const threadRows = await threadSpeedupRows({
    network: () => nn.twoConvTwoDense({ dtype: "float32" }),
    initial,
    batches: [{ x, y }],
    learningRate: LR,
    momentum: 0,
    rounds: THREAD_ROUNDS,
    warmupRounds: 1,
    stepsPerRound: 2,
  });
  printTable(
    `2c2d SGD step, float32, batch ${BATCH}: 1 thread / 2 threads (target ≥ 1.6 on a quiet 2-core machine)`,
    threadRows,
  );
}
