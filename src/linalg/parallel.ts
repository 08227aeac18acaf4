/**
 * GEMM and SYRK split across a team of threads that share the kernels' WebAssembly memory.
 *
 * A product is split into blocks of C along tile boundaries (multiples of 8 rows or columns, a multiple of
 * every micro-kernel's tile), and each thread computes its blocks with the same blocked kernel, packing into a
 * workspace of its own. Every entry of C is then accumulated in the same order as by the single-threaded
 * kernel (the k loop is blocked by k alone, and each tile's arithmetic does not depend on where its block
 * starts), so the threaded result equals the single-threaded one bit for bit. This is the data-parallel
 * scheme of BLIS's multithreading (Smith, van de Geijn et al., "Anatomy of high-performance many-threaded
 * matrix multiplication", IPDPS 2014), applied to the outermost (jc / ic) loop.
 *
 * This module has no platform imports: the team is installed by the platform (./threads.ts in Node). Without
 * one (browsers, or one thread) every call goes straight to the single-threaded kernel.
 */
import { type GemmKernel, type SyrkKernel, alloc, kernels, mark, release } from "./wasm.js";

/** One call of a workspace-taking kernel: its export name and arguments (numbers, pointers as byte offsets). */
export interface KernelCall {
  kernel: string;
  args: number[];
}

/** Threads that run kernel calls on the kernels' (shared) memory. */
export interface KernelTeam {
  /** How many threads a product may use now, the calling thread included (≥ 1). */
  threads(): number;
  /**
   * Runs the calls of `jobs[t]` in order on thread t (t = 0: the calling thread) and returns when every
   * thread is done. `jobs.length` ≤ `threads()`.
   */
  run(jobs: readonly (readonly KernelCall[])[]): void;
}

let team: KernelTeam | undefined;

/** Installs the team that large products are split across (undefined: single-threaded). */
export function installKernelTeam(next: KernelTeam | undefined): void {
  team = next;
}

/**
 * Products with fewer multiply-adds than this (m·n·k; half that for SYRK's triangle) run on one thread. At this
 * size the single-threaded kernel takes ~0.1 ms (float32) to ~0.2 ms (float64) on current x86 cores, ten times
 * what waking a helper (a futex wake) and packing the shared operand once more cost; below it the split gains
 * little and, when the other cores are busy, loses (timed on a loaded 2-core EPYC: 1.0–0.7× from 96³ to 160³).
 */
export const PARALLEL_MIN_FLOPS = 128 ** 3;

/** Blocks of C are at least this many rows or columns wide (and a multiple of 8: whole tiles). */
const MIN_BLOCK = 32;
const TILE = 8;

/** The precision-specific kernels a split product calls. */
interface Precision {
  bytes: number;
  gemm: GemmKernel;
  syrk: SyrkKernel;
  gemmWs: string;
  syrkUpperWs: string;
  mirrorUpper: string;
  workspaceBytes(m: number, n: number, k: number): number;
}

interface PrecisionKernels {
  dgemm: GemmKernel;
  dsyrk: SyrkKernel;
  dgemmWorkspaceBytes(m: number, n: number, k: number): number;
  sgemmWorkspaceBytes(m: number, n: number, k: number): number;
  dmirrorUpper(n: number, pC: number, ldc: number): void;
  smirrorUpper(n: number, pC: number, ldc: number): void;
}

const blas = kernels as unknown as PrecisionKernels;

const PRECISIONS: Record<"f64" | "f32", Precision> = {
  f64: {
    bytes: 8,
    gemm: (...args) => blas.dgemm(...args),
    syrk: (...args) => blas.dsyrk(...args),
    gemmWs: "dgemmWs",
    syrkUpperWs: "dsyrkUpperWs",
    mirrorUpper: "dmirrorUpper",
    workspaceBytes: (m, n, depth) => blas.dgemmWorkspaceBytes(m, n, depth),
  },
  f32: {
    bytes: 4,
    gemm: (...args) => kernels.sgemm(...args),
    syrk: (...args) => kernels.ssyrk(...args),
    gemmWs: "sgemmWs",
    syrkUpperWs: "ssyrkUpperWs",
    mirrorUpper: "smirrorUpper",
    workspaceBytes: (m, n, depth) => blas.sgemmWorkspaceBytes(m, n, depth),
  },
};

/** The kernel export names the team runs (helper threads look these up in their instance). */
export const TEAM_KERNELS: readonly string[] = [
  "dgemmWs",
  "sgemmWs",
  "dsyrkUpperWs",
  "ssyrkUpperWs",
  // Per-example kernels of the convolution layers (asm/conv.ts, src/nn/conv2d.ts), split by examples.
  ...["im2colF64", "im2colF32", "col2imF64", "col2imF32", "activate", "maxPoolForward", "maxPoolBackward"],
  ...["positionsToChannelsF64", "positionsToChannelsF32", "channelsToPositionsF64", "channelsToPositionsF32"],
  ...["poolPositionsF64", "poolPositionsF32", "poolGradPositionsF64", "poolGradPositionsF32", "channelSums"],
];

/** Nesting depth of `withoutTeam`: while positive, every product and per-example split runs on this thread. */
let paused = 0;

/**
 * Runs `fn` with the team set aside, so its products stay on the calling thread: for work that already runs
 * beside other threads (a batch shard computed while worker threads compute the others, src/nn/data-parallel.ts),
 * where splitting each product as well would oversubscribe the cores. Results do not change (splits are
 * bit-identical).
 */
export function withoutTeam<R>(fn: () => R): R {
  paused++;
  try {
    return fn();
  } finally {
    paused--;
  }
}

/** How many threads the team offers now (1 without a team, or inside `withoutTeam`). */
export function teamThreads(): number {
  return team && paused === 0 ? team.threads() : 1;
}

/**
 * Runs independent parts of a computation, part t's kernel calls in order on thread t (part 0 on the calling
 * thread), or all on the calling thread without a team. The kernels must be in TEAM_KERNELS and the parts must not
 * write to the same memory; `parts.length` ≤ `teamThreads()`.
 */
export function runParts(parts: readonly (readonly KernelCall[])[]): void {
  if (team && parts.length > 1) return team.run(parts);
  for (const calls of parts) for (const c of calls) (kernels[c.kernel] as (...args: number[]) => void)(...c.args);
}

/** How many threads to split a product over: the team's size, capped so every block keeps MIN_BLOCK. */
function threadsFor(flops: number, extent: number): number {
  if (flops < PARALLEL_MIN_FLOPS) return 1;
  return Math.max(1, Math.min(teamThreads(), Math.floor(extent / MIN_BLOCK)));
}

/** Boundaries 0 = b₀ < b₁ < … < b_T = extent at multiples of TILE, with b_t ≈ extent·f(t/T). */
function boundaries(extent: number, parts: number, f: (x: number) => number): number[] {
  const cuts = [0];
  for (let t = 1; t < parts; t++) {
    const cut = Math.round((extent * f(t / parts)) / TILE) * TILE;
    if (cut > cuts[cuts.length - 1] && cut < extent) cuts.push(cut);
  }
  cuts.push(extent);
  return cuts;
}

/** Runs `jobs` on the team, each with a workspace of its own appended to its calls' arguments. */
function runWithWorkspaces(p: Precision, jobs: { call: KernelCall; dims: [number, number, number] }[][]): void {
  const top = mark();
  try {
    const calls = jobs.map((job) => {
      const bytes = Math.max(...job.map(({ dims }) => p.workspaceBytes(...dims)));
      const pWork = alloc(Math.ceil(bytes / 8));
      return job.map(({ call }) => ({ kernel: call.kernel, args: [...call.args, pWork] }));
    });
    team!.run(calls);
  } finally {
    release(top);
  }
}

/**
 * C ← α·op(A)·op(B) + β·C (the GEMM kernel's contract, see `GemmKernel`), split over the team's threads by
 * blocks of C's rows or columns (whichever dimension is larger: each thread packs all of the other operand)
 * when the product is large enough; the result is bit-identical to the single-threaded kernel's.
 */
export function gemm(
  precision: "f64" | "f32",
  transA: number,
  transB: number,
  m: number,
  n: number,
  depth: number,
  alpha: number,
  pA: number,
  lda: number,
  pB: number,
  ldb: number,
  beta: number,
  pC: number,
  ldc: number,
): void {
  const p = PRECISIONS[precision];
  const byColumns = n >= m;
  const parts = threadsFor(m * n * depth, byColumns ? n : m);
  if (parts === 1) return p.gemm(transA, transB, m, n, depth, alpha, pA, lda, pB, ldb, beta, pC, ldc);
  const cuts = boundaries(byColumns ? n : m, parts, (x) => x);
  const jobs = cuts.slice(1).map((end, t) => {
    const start = cuts[t];
    const size = end - start;
    // Columns of op(B) are rows of B when transB; rows of op(A) are columns of A when transA.
    const args = byColumns
      ? [
          transA,
          transB,
          m,
          size,
          depth,
          alpha,
          pA,
          lda,
          pB + p.bytes * start * (transB ? ldb : 1),
          ldb,
          beta,
          pC + p.bytes * start,
          ldc,
        ]
      : [
          transA,
          transB,
          size,
          n,
          depth,
          alpha,
          pA + p.bytes * start * (transA ? 1 : lda),
          lda,
          pB,
          ldb,
          beta,
          pC + p.bytes * start * ldc,
          ldc,
        ];
    const dims: [number, number, number] = byColumns ? [m, size, depth] : [size, n, depth];
    return [{ call: { kernel: p.gemmWs, args }, dims }];
  });
  runWithWorkspaces(p, jobs);
}

/**
 * C ← α·X·Xᵀ + β·C, both triangles written (the SYRK kernel's contract, see `SyrkKernel`), split over the
 * team's threads when large enough. Thread t owns the columns [c_t, c_{t+1}) of the upper triangle: a GEMM for
 * the rows above its diagonal block plus the upper tiles of that block (boundaries c_t ≈ n·√(t/T) give every
 * thread the same area); the calling thread then mirrors the upper triangle into the lower one. Bit-identical
 * to the single-threaded kernel: the same tiles are computed, each in the same order.
 */
export function syrk(
  precision: "f64" | "f32",
  trans: number,
  n: number,
  depth: number,
  alpha: number,
  pA: number,
  lda: number,
  beta: number,
  pC: number,
  ldc: number,
): void {
  const p = PRECISIONS[precision];
  const parts = threadsFor((n * n * depth) / 2, n);
  if (parts === 1) return p.syrk(trans, n, depth, alpha, pA, lda, beta, pC, ldc);
  // Row r of X (X = A, or Aᵀ when trans) starts at pX(r).
  const pX = (r: number): number => pA + p.bytes * r * (trans ? 1 : lda);
  const cuts = boundaries(n, parts, Math.sqrt);
  const jobs = cuts.slice(1).map((end, t) => {
    const start = cuts[t];
    const size = end - start;
    const diagonal = {
      call: {
        kernel: p.syrkUpperWs,
        args: [trans, size, depth, alpha, pX(start), lda, beta, pC + p.bytes * start * (ldc + 1), ldc],
      },
      dims: [size, size, depth] as [number, number, number],
    };
    if (start === 0) return [diagonal];
    // Rows [0, start) × columns [start, end): op(A) = X[0:start], op(B) = X[start:end]ᵀ, as the kernel's own
    // GEMM over the whole triangle reads them.
    const above = {
      call: {
        kernel: p.gemmWs,
        args: [
          trans,
          trans ? 0 : 1,
          start,
          size,
          depth,
          alpha,
          pA,
          lda,
          pX(start),
          lda,
          beta,
          pC + p.bytes * start,
          ldc,
        ],
      },
      dims: [start, size, depth] as [number, number, number],
    };
    return [above, diagonal];
  });
  runWithWorkspaces(p, jobs);
  (kernels[p.mirrorUpper] as (n: number, pC: number, ldc: number) => void)(n, pC, ldc);
}
