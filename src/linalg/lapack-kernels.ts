/**
 * Typed access to the LAPACK-like WebAssembly kernels of asm/lapack*.ts, and a scratch-memory bracket.
 * Kernels work in place on byte offsets into the module's linear memory (see wasm.ts for the allocator).
 */
import { kernels, mark, release } from "./wasm.js";

/**
 * The kernels exported by asm/lapack.ts (signatures mirror the AssemblyScript sources); the TypeScript parts of
 * these algorithms compose them with the (threaded) GEMM of ./parallel.ts.
 */
export interface LapackKernels {
  dpotrf(n: number, pA: number): number;
  dgetrf(n: number, pA: number, pPiv: number, pTiny: number): number;
  dlaswp(n: number, k: number, pX: number, pPiv: number): void;
  dtrsm(lower: number, trans: number, unit: number, n: number, k: number, pT: number, pX: number): number;
  dsyevWorkBytes(n: number, capacity: number): number;
  dsyev(n: number, pV: number, pD: number, pWork: number, capacity: number): number;
  dsytrdWorkBytes(n: number): number;
  dsytrd(n: number, pV: number, pD: number, pE: number, pH: number, pWork: number): void;
  dormtrWorkBytes(n: number): number;
  dormtr(n: number, pV: number, pH: number, pZ: number, pWork: number): void;
  dstqlWorkBytes(m: number, capacity: number, wantZ: number): number;
  dstql(
    m: number,
    pD: number,
    pE: number,
    pZ: number,
    ldz: number,
    wantZ: number,
    pWork: number,
    capacity: number,
  ): number;
  dgesvdWorkBytes(m: number, n: number, capacity: number): number;
  dgeqrfWorkBytes(m: number, n: number): number;
  nonFiniteIndex(len: number, p: number): number;
  symmetryGap(n: number, p: number, pOut: number): void;
  dgeqrf(m: number, n: number, pAt: number, pTau: number, pWork: number): void;
  dorgqr(m: number, n: number, pAt: number, pTau: number, pQt: number, pWork: number): void;
  dgesvd(
    m: number,
    n: number,
    pA: number,
    pS: number,
    pUt: number,
    pVt: number,
    vectors: number,
    pWork: number,
    capacity: number,
  ): number;
}

export const lapack = kernels as unknown as LapackKernels;

/** Runs `f` and frees every allocation it made in linear memory, even if it throws. */
export function withScratch<T>(f: () => T): T {
  const position = mark();
  try {
    return f();
  } finally {
    release(position);
  }
}
