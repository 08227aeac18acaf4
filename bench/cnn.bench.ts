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
 * halves on replicas of the network).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nn, optim } from "../src/index.js";
import { matmul } from "../src/linalg/blas.js";
import { matmul32 } from "../src/linalg/blas32.js";
import { Matrix32 } from "../src/linalg/matrix32.js";
import { Rng, gaussianMatrix } from "../src/random/index.js";
import { setThreads, startThreads } from "../src/linalg/threads.js";
import { startReplicas } from "../src/nn/replicas.js";
import { printTable, pythonWithTorch, runNumpy, timeMs } from "./numpy.js";

const BATCH = 128;
const REPEATS = 5;
const LR = 0.01;
const DTYPES = ["float32", "float64"] as const;
/** Relative agreement of the first step's loss with the peers' (float32 products round differently). */
const LOSS_TOLERANCE = { float32: 1e-4, float64: 1e-10 };

interface PeerResult {
  version: string;
  cases: Record<string, { ms: number; cpuMs: number; loss: number }>;
}

/**
 * Floating-point operations of the GEMMs of one training step of `net` on `n` examples: per dense or conv2d layer
 * 2·n·T·K·out for the forward product, the same for the weight gradient and, except for the first such layer, for
 * the input gradient (T = output positions, 1 for dense; K = the weight's columns, inC·kh·kw for conv2d).
 */
function stepGemmFlops(net: nn.Network, n: number): number {
  let flops = 0;
  let first = true;
  net.layers.forEach((layer, index) => {
    if (layer.kind !== "dense" && layer.kind !== "conv2d") return;
    const weight = net.paramSpecs.find((s) => s.key === `${index}.weight`);
    if (!weight) throw new Error(`cnn bench: layer ${index} (${layer.kind}) has no weight`);
    const positions = layer.outputShape.slice(1).reduce((a, b) => a * b, 1);
    flops += (first ? 2 : 3) * 2 * n * positions * weight.cols * weight.rows;
    first = false;
  });
  return flops;
}

/** Median CPU milliseconds (user + system, every thread of this process) of `fn` over `repeats` runs. */
function cpuMs(fn: () => unknown, repeats: number): number {
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const start = process.cpuUsage();
    fn();
    const used = process.cpuUsage(start);
    times.push((used.user + used.system) / 1000);
  }
  return times.sort((a, b) => a - b)[Math.floor(repeats / 2)];
}

/** CPU milliseconds of a 1024³ GEMM in the precision, ours, one thread. */
function gemmCpuMs(dtype: nn.Dtype): number {
  const rng = new Rng(7);
  const [A, B] = [gaussianMatrix(rng, 1024, 1024), gaussianMatrix(rng, 1024, 1024)];
  if (dtype === "float64") return cpuMs(() => matmul(A, B), 3);
  const [A32, B32] = [A, B].map((M) => new Matrix32(M.rows, M.cols, Float32Array.from(M.data)));
  return cpuMs(() => matmul32(A32, B32), 3);
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
    const gemmRate = (2 * 1024 ** 3) / gemmCpuMs(dtype) / 1e6;
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

  const msOn = async (threads: number, shards: number): Promise<number> => {
    setThreads(threads);
    startThreads();
    if (shards > 1) await startReplicas();
    return timeMs(stepper("float32", shards).step, REPEATS, 1);
  };
  const threadRows: Record<string, string | number>[] = [];
  for (const shards of [1, 2]) {
    const [one, two] = [await msOn(1, shards), await msOn(2, shards)];
    threadRows.push({
      path: shards === 1 ? "per-product split (shards 1)" : "data-parallel (shards 2)",
      "1 thread ms": one,
      "2 threads ms": two,
      "speed-up": one / two,
    });
  }
  setThreads(1);
  printTable(
    `2c2d SGD step, float32, batch ${BATCH}: 1 thread / 2 threads (target ≥ 1.6 on a quiet 2-core machine)`,
    threadRows,
  );
}
