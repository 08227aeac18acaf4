/**
 * The share of our own GEMM rate that a training step reaches on its GEMM flops (`bench cnn`, `bench train`): the
 * step's GEMM flop count divided by its CPU time, against a 1024³ product in the same precision timed the same way.
 * CPU time (user + system of every thread of the process) rather than wall time, so that time the scheduler gives
 * to other processes does not count.
 */
import type { nn } from "../src/index.js";
import { matmul } from "../src/linalg/blas.js";
import { matmul32 } from "../src/linalg/blas32.js";
import { Matrix32 } from "../src/linalg/matrix32.js";
import { Rng, gaussianMatrix } from "../src/random/index.js";

/**
 * Floating-point operations of the GEMMs of one training step of `net` on `n` examples: per dense or conv2d layer
 * 2·n·T·K·out for the forward product, the same for the weight gradient and, except for the first such layer, for
 * the input gradient (T = output positions, 1 for dense; K = the weight's columns, inC·kh·kw for conv2d).
 */
export function stepGemmFlops(net: nn.Network, n: number): number {
  let flops = 0;
  let first = true;
  net.layers.forEach((layer, index) => {
    if (layer.kind !== "dense" && layer.kind !== "conv2d") return;
    const weight = net.paramSpecs.find((s) => s.key === `${index}.weight`);
    if (!weight) throw new Error(`bench: layer ${index} (${layer.kind}) has no weight`);
    const positions = layer.outputShape.slice(1).reduce((a, b) => a * b, 1);
    flops += (first ? 2 : 3) * 2 * n * positions * weight.cols * weight.rows;
    first = false;
  });
  return flops;
}

/** Median CPU milliseconds (user + system, every thread of this process) of `fn` over `repeats` runs. */
export function cpuMs(fn: () => unknown, repeats: number): number {
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const start = process.cpuUsage();
    fn();
    const used = process.cpuUsage(start);
    times.push((used.user + used.system) / 1000);
  }
  return times.sort((a, b) => a - b)[Math.floor(repeats / 2)];
}

/** Our GEMM rate in GFLOP per CPU second at 1024×1024×1024 in the precision, one thread. */
export function gemmGflopsPerCpuSecond(dtype: nn.Dtype): number {
  const rng = new Rng(7);
  const [A, B] = [gaussianMatrix(rng, 1024, 1024), gaussianMatrix(rng, 1024, 1024)];
  const ms =
    dtype === "float64"
      ? cpuMs(() => matmul(A, B), 3)
      : (() => {
          const [A32, B32] = [A, B].map((M) => new Matrix32(M.rows, M.cols, Float32Array.from(M.data)));
          return cpuMs(() => matmul32(A32, B32), 3);
        })();
  return (2 * 1024 ** 3) / ms / 1e6;
}
