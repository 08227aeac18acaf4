/**
 * `npm run bench -- threads`: threads inside large products (src/linalg/threads.ts) against numpy with the same
 * number of OpenBLAS threads, timed in the same run:
 *   - matmul 512×512 in float64 (`matmul`) and float32 (`matmul32`), 1 and 2 threads, against numpy
 *     (bench/peer/threads.py, OPENBLAS_NUM_THREADS = 1 and 2); the threaded product must equal the
 *     single-threaded one bit for bit.
 * The training epoch on 1 and 2 threads is in bench/train.bench.ts. The CPU model and the load average are
 * printed: on a machine shared with other work a second thread may find no free core.
 */
import { cpus, loadavg } from "node:os";
import { matmul } from "../src/linalg/blas.js";
import { matmul32 } from "../src/linalg/blas32.js";
import { Matrix32 } from "../src/linalg/matrix32.js";
import { setThreads, startThreads } from "../src/linalg/threads.js";
import { Rng, gaussianMatrix } from "../src/random/index.js";
import { printTable, runNumpy, timeMs } from "./numpy.js";

const N = 512;
const THREAD_COUNTS = [1, 2] as const;

interface MatmulPeer {
  threads: number;
  cases: Record<string, number>;
}

/** Uses `threads` threads from now on, with the helpers already started (their startup is not timed). */
function useThreads(threads: number): void {
  setThreads(threads);
  startThreads();
}

function sameBits(a: Float64Array | Float32Array, b: Float64Array | Float32Array): boolean {
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

function matmulRows(): Record<string, string | number>[] {
  const rng = new Rng(512);
  const A = gaussianMatrix(rng, N, N);
  const B = gaussianMatrix(rng, N, N);
  const [A32, B32] = [Matrix32.fromMatrix(A), Matrix32.fromMatrix(B)];
  const flops = 2 * N ** 3;
  const rows: Record<string, string | number>[] = [];
  const results: Record<string, Float64Array | Float32Array> = {};
  for (const threads of THREAD_COUNTS) {
    const peer = runNumpy<MatmulPeer>("threads.py", [String(threads), String(N)]);
    useThreads(threads);
    for (const [dtype, run] of [
      ["float64", () => matmul(A, B).data],
      ["float32", () => matmul32(A32, B32).data],
    ] as const) {
      const ours = timeMs(run, 9, 2);
      const theirs = peer.cases[`${N} ${dtype}`];
      const product = run();
      if (threads > 1 && !sameBits(product, results[dtype])) {
        throw new Error(`threads bench: ${dtype} matmul on ${threads} threads differs from the 1-thread product`);
      }
      results[dtype] = product;
      rows.push({
        case: `matmul ${N}×${N} ${dtype}`,
        threads,
        "ours ms": ours,
        "numpy ms": theirs,
        "ours/numpy": ours / theirs,
        "ours GFLOP/s": flops / ours / 1e6,
        "numpy GFLOP/s": flops / theirs / 1e6,
      });
    }
  }
  return rows;
}

export default async function threadsBench(): Promise<void> {
  const load = (): string => loadavg()[0].toFixed(1);
  console.log(
    `\nthreads bench on ${cpus()[0]?.model ?? "an unknown CPU"} (${cpus().length} logical CPUs), load ${load()}`,
  );
  printTable(`matmul on 1 and 2 threads (numpy: OpenBLAS with as many threads)`, matmulRows());
  console.log(`(1-minute load average at the end: ${load()})`);
}
