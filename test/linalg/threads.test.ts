/**
 * Threads inside large GEMM / SYRK calls (src/linalg/parallel.ts, src/linalg/threads.ts): the split product
 * equals the single-threaded kernel bit for bit, helper threads instantiate the kernels without touching
 * memory, see memory grown after they started, stop cleanly and never keep the process alive.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PARALLEL_MIN_FLOPS, type KernelTeam, gemm, installKernelTeam, syrk } from "../../src/linalg/parallel.js";
import {
  getThreads,
  helperCount,
  setThreads,
  shutdownThreads,
  startThreads,
  threadTeam,
} from "../../src/linalg/threads.js";
import { alloc, heap, kernels, mark, release, sharedKernels } from "../../src/linalg/wasm.js";
import { importedMemoryLimits, withoutDataSegments } from "../../src/linalg/wasm-binary.js";
import { locateWasm } from "../../src/linalg/wasm-node.js";
import { ThreadPool, kernelThreadsPerWorker } from "../../src/runner/pool.js";
import { Rng, gaussianMatrix } from "../../src/random/index.js";
import { ROOT } from "../cli/helpers.js";

type Precision = "f64" | "f32";
const BYTES = { f64: 8, f32: 4 } as const;
const TRANSPOSES = [
  [0, 0],
  [1, 0],
  [0, 1],
  [1, 1],
] as const;

interface RawKernels {
  dgemm(...args: number[]): void;
  dsyrk(...args: number[]): void;
  sgemm(...args: number[]): void;
  ssyrk(...args: number[]): void;
}
const raw = kernels as unknown as RawKernels;

/** The number of threads each product was split over, recorded by a team wrapping the Node one. */
const splits: number[] = [];
const recording: KernelTeam = {
  threads: () => threadTeam.threads(),
  run(jobs) {
    splits.push(jobs.length);
    threadTeam.run(jobs);
  },
};

/** Copies `values` (rounded to float32 for f32) into fresh memory; returns the byte offset. */
function put(precision: Precision, values: Float64Array): number {
  const p = alloc(Math.ceil((values.length * BYTES[precision]) / 8));
  if (precision === "f64") heap().set(values, p / 8);
  else new Float32Array(kernels.memory.buffer, p, values.length).set(values);
  return p;
}

/** The bytes of `count` values at p. */
function bytesAt(precision: Precision, p: number, count: number): Uint8Array {
  return new Uint8Array(kernels.memory.buffer, p, count * BYTES[precision]).slice();
}

function valuesAt(precision: Precision, p: number, count: number): Float64Array {
  return precision === "f64"
    ? new Float64Array(kernels.memory.buffer, p, count).slice()
    : Float64Array.from(new Float32Array(kernels.memory.buffer, p, count));
}

/** Indices of the first entries whose bytes differ (at most 5). */
function mismatches(a: Uint8Array, b: Uint8Array, width: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < a.length && out.length < 5; i += width) {
    for (let j = 0; j < width; j++) {
      if (a[i + j] !== b[i + j]) {
        out.push(i / width);
        break;
      }
    }
  }
  return out;
}

beforeAll(() => {
  setThreads(3);
  installKernelTeam(recording);
});

afterAll(async () => {
  installKernelTeam(threadTeam);
  await shutdownThreads();
});

describe("the Node loader", () => {
  it("uses the shared-memory build, whose memory limits the loader reads from the binary", () => {
    const shared = sharedKernels();
    expect(shared).toBeDefined();
    expect(shared!.memory).toBe(kernels.memory);
    expect(kernels.memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    const limits = importedMemoryLimits(shared!.bytes)!;
    expect(limits).toMatchObject({ maximum: 65536, shared: true });
    // The limits are the module's own: one page fewer is refused at instantiation.
    const module = new WebAssembly.Module(shared!.bytes);
    const env = (initial: number) => ({
      env: { memory: new WebAssembly.Memory({ ...limits, initial }), abort: () => {} },
    });
    expect(() => new WebAssembly.Instance(module, env(limits.initial))).not.toThrow();
    expect(() => new WebAssembly.Instance(module, env(limits.initial - 1))).toThrow(WebAssembly.LinkError);
    // The browser build defines its own memory.
    expect(importedMemoryLimits(readFileSync(locateWasm()))).toBeUndefined();
  });
});

describe("threaded GEMM equals the single-threaded kernel bit for bit", () => {
  // Odd sizes, both split directions (columns when n ≥ m, else rows), padded strides.
  const shapes: [number, number, number][] = [
    [203, 157, 311],
    [97, 301, 200],
    [300, 41, 200],
    [131, 133, 130],
  ];
  for (const precision of ["f64", "f32"] as const) {
    for (const [m, n, k] of shapes) {
      it(`${precision} ${m}×${n}×${k}, all transposes, α = −1.5, β ∈ {0 (C holds NaN), 0.25}`, () => {
        expect(m * n * k).toBeGreaterThanOrEqual(PARALLEL_MIN_FLOPS);
        const rng = new Rng(m * 7 + n * 3 + k);
        for (const [tA, tB] of TRANSPOSES) {
          for (const beta of [0, 0.25]) {
            const [lda, ldb, ldc] = [(tA ? m : k) + 3, (tB ? k : n) + 1, n + 5];
            const A = gaussianMatrix(rng, tA ? k : m, lda).data;
            const B = gaussianMatrix(rng, tB ? n : k, ldb).data;
            const C0 = gaussianMatrix(rng, m, ldc).data;
            if (beta === 0) C0.fill(NaN);
            const top = mark();
            const pA = put(precision, A);
            const pB = put(precision, B);
            const pSingle = put(precision, C0);
            const pThreaded = put(precision, C0);
            const single = precision === "f64" ? raw.dgemm : raw.sgemm;
            single(tA, tB, m, n, k, -1.5, pA, lda, pB, ldb, beta, pSingle, ldc);
            const before = splits.length;
            gemm(precision, tA, tB, m, n, k, -1.5, pA, lda, pB, ldb, beta, pThreaded, ldc);
            expect(splits.slice(before)).toEqual([3]);
            const want = bytesAt(precision, pSingle, m * ldc);
            const got = bytesAt(precision, pThreaded, m * ldc);
            release(top);
            expect(mismatches(got, want, BYTES[precision]), `tA=${tA} tB=${tB} β=${beta}`).toEqual([]);
          }
        }
      });
    }
  }

  it("and the threaded product is the product (against the textbook loop)", () => {
    const rng = new Rng(5);
    const [m, n, k] = [150, 170, 90];
    const A = gaussianMatrix(rng, m, k);
    const B = gaussianMatrix(rng, k, n);
    const top = mark();
    const pC = alloc(m * n);
    gemm("f64", 0, 0, m, n, k, 1, put("f64", A.data), k, put("f64", B.data), n, 0, pC, n);
    const C = valuesAt("f64", pC, m * n);
    release(top);
    let err = 0;
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += A.data[i * k + p] * B.data[p * n + j];
        err = Math.max(err, Math.abs(C[i * n + j] - s));
      }
    expect(err).toBeLessThan(1e-12);
  });

  it("small products stay on one thread", () => {
    const top = mark();
    const before = splits.length;
    const pA = put("f64", new Float64Array(64 * 64).fill(1));
    const pC = alloc(64 * 64);
    gemm("f64", 0, 0, 64, 64, 64, 1, pA, 64, pA, 64, 0, pC, 64);
    expect(valuesAt("f64", pC, 3)).toEqual(Float64Array.of(64, 64, 64));
    release(top);
    expect(splits.length).toBe(before);
  });
});

describe("threaded SYRK equals the single-threaded kernel bit for bit", () => {
  const shapes: [number, number][] = [
    [203, 311],
    [97, 500],
    [130, 260],
  ];
  for (const precision of ["f64", "f32"] as const) {
    for (const [n, k] of shapes) {
      it(`${precision} n=${n} k=${k}, trans 0/1, α = 2, β ∈ {0, −1} (strict lower triangle of C holds NaN)`, () => {
        expect((n * n * k) / 2).toBeGreaterThanOrEqual(PARALLEL_MIN_FLOPS);
        const rng = new Rng(n * 11 + k);
        for (const trans of [0, 1]) {
          for (const beta of [0, -1]) {
            const ldc = n + 3;
            const lda = (trans ? n : k) + 2;
            const A = gaussianMatrix(rng, trans ? k : n, lda).data;
            const C0 = gaussianMatrix(rng, n, ldc).data;
            for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) C0[i * ldc + j] = NaN;
            const top = mark();
            const pA = put(precision, A);
            const pSingle = put(precision, C0);
            const pThreaded = put(precision, C0);
            (precision === "f64" ? raw.dsyrk : raw.ssyrk)(trans, n, k, 2, pA, lda, beta, pSingle, ldc);
            const before = splits.length;
            syrk(precision, trans, n, k, 2, pA, lda, beta, pThreaded, ldc);
            expect(splits.slice(before)).toEqual([3]);
            const want = bytesAt(precision, pSingle, n * ldc);
            const got = bytesAt(precision, pThreaded, n * ldc);
            const values = valuesAt(precision, pThreaded, n * ldc);
            release(top);
            expect(mismatches(got, want, BYTES[precision]), `trans=${trans} β=${beta}`).toEqual([]);
            for (let i = 0; i < n; i++) {
              expect(Number.isFinite(values[i * ldc + ((i * 7) % n)]), `row ${i}`).toBe(true);
            }
          }
        }
      });
    }
  }
});

describe("helper threads", () => {
  it("instantiate the kernels from a module without data segments, which writes nothing into memory", () => {
    const { bytes } = sharedKernels()!;
    const limits = importedMemoryLimits(bytes)!;
    const instantiate = (module: WebAssembly.Module) => {
      const memory = new WebAssembly.Memory(limits);
      const view = new Uint8Array(memory.buffer);
      view.fill(0xab);
      new WebAssembly.Instance(module, { env: { memory, abort: () => {} } });
      return view.filter((b) => b !== 0xab).length;
    };
    // Control: the full module does write its data segments (the lapack and math constants)...
    expect(instantiate(new WebAssembly.Module(bytes))).toBeGreaterThan(1000);
    // ...the helpers' module writes no byte.
    expect(instantiate(new WebAssembly.Module(withoutDataSegments(bytes)))).toBe(0);
  });

  it("start once, leave the memory in use untouched, and stop cleanly", async () => {
    await shutdownThreads();
    expect(helperCount()).toBe(0);
    const top = mark();
    const p = put(
      "f64",
      Float64Array.from({ length: 4096 }, (_, i) => i + 0.5),
    );
    const snapshot = new Uint8Array(kernels.memory.buffer, 0, mark()).slice();
    startThreads();
    expect(helperCount()).toBe(getThreads() - 1);
    expect(getThreads()).toBe(3);
    expect(mismatches(new Uint8Array(kernels.memory.buffer, 0, snapshot.length), snapshot, 1)).toEqual([]);
    startThreads(); // idempotent
    expect(helperCount()).toBe(2);
    expect(valuesAt("f64", p, 2)).toEqual(Float64Array.of(0.5, 1.5));
    release(top);
    await shutdownThreads();
    expect(helperCount()).toBe(0);
    setThreads(2);
    startThreads();
    expect(helperCount()).toBe(1);
    setThreads(3);
  });

  it("see memory grown after they started, and heap() follows the growth of the shared memory", () => {
    startThreads();
    const oldBytes = kernels.memory.buffer.byteLength;
    const oldView = heap();
    const top = mark();
    alloc(oldBytes / 8 + 1); // past the current end: memory grows
    const rng = new Rng(3);
    const [m, n, k] = [160, 200, 120];
    const A = gaussianMatrix(rng, m, k).data;
    const B = gaussianMatrix(rng, k, n).data;
    const pA = put("f64", A);
    const pB = put("f64", B);
    const pC = alloc(m * n);
    const pSingle = alloc(m * n);
    expect(pA).toBeGreaterThan(oldBytes);
    expect(kernels.memory.buffer.byteLength).toBeGreaterThan(oldBytes);
    expect(oldView.byteLength).toBe(oldBytes); // a shared memory's old views keep their length...
    expect(heap().byteLength).toBe(kernels.memory.buffer.byteLength); // ...and heap() gives a new one
    gemm("f64", 0, 0, m, n, k, 1, pA, k, pB, n, 0, pC, n);
    raw.dgemm(0, 0, m, n, k, 1, pA, k, pB, n, 0, pSingle, n);
    const got = bytesAt("f64", pC, m * n);
    const want = bytesAt("f64", pSingle, m * n);
    release(top);
    expect(mismatches(got, want, 8)).toEqual([]);
  });

  it("never keep the process alive (a script that leaves them running exits by itself)", () => {
    const script = `
      import { Matrix, linalg, setThreads, getThreads } from ${JSON.stringify(`${ROOT}dist/src/node.js`)};
      setThreads(2);
      const A = new Matrix(256, 256, new Float64Array(256 * 256).fill(1));
      console.log(getThreads(), linalg.matmul(A, A).get(3, 4));`;
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(child.stderr).toBe("");
    expect(child.status).toBe(0);
    expect(child.stdout.trim()).toBe("2 256");
  });
});

describe("thread count", () => {
  it("setThreads refuses anything but an integer from 1 to 1024, naming the value", () => {
    for (const bad of [0, -1, 1.5, NaN, Infinity, 1025]) {
      expect(() => setThreads(bad)).toThrow(`setThreads: n must be an integer from 1 to 1024, got ${bad}`);
    }
    expect(() => setThreads("2" as unknown as number)).toThrow('got "2"');
    expect(getThreads()).toBe(3);
  });

  it("LAYERWISE_THREADS sets the default and is validated", () => {
    const run = (value: string) =>
      spawnSync(
        process.execPath,
        [
          "--input-type=module",
          "-e",
          `import { getThreads } from ${JSON.stringify(`${ROOT}dist/src/node.js`)}; console.log(getThreads());`,
        ],
        { encoding: "utf8", env: { ...process.env, LAYERWISE_THREADS: value }, timeout: 60_000 },
      );
    expect(run("5").stdout.trim()).toBe("5");
    const bad = run("two");
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('LAYERWISE_THREADS must be an integer from 1 to 1024, got "two"');
  });

  it("the sweep pool gives each worker ⌊cores / workers⌋ threads (at least 1) unless the user set a count", () => {
    expect(kernelThreadsPerWorker(1, 2, undefined)).toBe(2);
    expect(kernelThreadsPerWorker(2, 2, undefined)).toBe(1);
    expect(kernelThreadsPerWorker(3, 8, undefined)).toBe(2);
    expect(kernelThreadsPerWorker(16, 8, undefined)).toBe(1);
    expect(kernelThreadsPerWorker(2, 2, 4)).toBe(4);
    // The pool takes the user's count (setThreads(3) above) and refuses a bad one.
    expect(new ThreadPool(2).kernelThreads).toBe(3);
    expect(new ThreadPool(2, 1).kernelThreads).toBe(1);
    expect(() => new ThreadPool(2, 0)).toThrow("ThreadPool: kernelThreads must be an integer from 1 to 1024, got 0");
    // Never more threads in all than cores, when the user did not ask for more.
    for (let cores = 1; cores <= 16; cores++)
      for (let workers = 1; workers <= cores; workers++)
        expect(workers * kernelThreadsPerWorker(workers, cores, undefined)).toBeLessThanOrEqual(cores);
  });
});
