/**
 * exp, log, pow, tanh and cos with the same bits on every JavaScript engine, for everything a trial's numbers depend
 * on (random normals, spectra, activations, step-size corrections, matrix powers, rates). Engines are free to
 * differ in the last bits of Math.exp / Math.log / Math.pow / Math.tanh / Math.cos, and do: V8 in Node 20 and in current
 * Chromium disagree on about one argument in ten for exp and pow, one in three thousand for tanh. These run the
 * musl libm algorithms compiled into our WebAssembly module (asm/elementary.ts), whose IEEE-754 arithmetic is
 * the same everywhere. Accuracy (musl: exp, log, tanh and cos from fdlibm, pow from ARM's optimized-routines):
 * under 1 ulp for exp, log, pow and cos, a few ulp for tanh. sqrt needs no replacement: IEEE-754 requires it to be correctly rounded.
 */
import { kernels } from "./wasm.js";

interface ElementaryKernels {
  elementaryExp(x: number): number;
  elementaryLog(x: number): number;
  elementaryPow(x: number, y: number): number;
  elementaryTanh(x: number): number;
  elementaryCos(x: number): number;
}

const k = kernels as unknown as ElementaryKernels;

/** eˣ (same bits on every engine). */
export function exp(x: number): number {
  return k.elementaryExp(x);
}

/** The natural logarithm ln x (same bits on every engine); NaN for x < 0, −∞ at 0. */
export function log(x: number): number {
  return k.elementaryLog(x);
}

/** xʸ with the special cases of IEEE-754 pow / C99 (same bits on every engine). */
export function pow(x: number, y: number): number {
  return k.elementaryPow(x, y);
}

/** The hyperbolic tangent (same bits on every engine). */
export function tanh(x: number): number {
  return k.elementaryTanh(x);
}

/** cos x, x in radians (same bits on every engine). */
export function cos(x: number): number {
  return k.elementaryCos(x);
}

/**
 * √(a² + b²) without overflow or harmful underflow: m·√((a/m)² + (b/m)²) with m = max(|a|, |b|). Built from
 * IEEE-754 operations only, so the same on every engine (Math.hypot's last bits are the engine's choice).
 */
export function hypot(a: number, b: number): number {
  const m = Math.max(Math.abs(a), Math.abs(b));
  if (m === 0 || !Number.isFinite(m)) return Number.isNaN(a) || Number.isNaN(b) ? NaN : m;
  const x = a / m;
  const y = b / m;
  return m * Math.sqrt(x * x + y * y);
}
