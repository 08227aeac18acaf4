/**
 * Tables of the ziggurat method for the standard normal (Marsaglia & Tsang 2000, "The Ziggurat Method for
 * Generating Random Variables", J. Stat. Softw. 5(8)), 128 layers of equal area v under the density
 * f(x) = exp(−x²/2), with the base layer's right edge at r = 3.442619855899.
 *
 * Layer i covers |x| < x_i; a 32-bit signed integer j with |j| < k_i = ⌊2³¹·x_{i−1}/x_i⌋ lands inside the part of
 * layer i that lies wholly under the curve, so the sample j·w_i (w_i = x_i/2³¹) is accepted at once (≈ 97% of
 * draws). The rest go to `Rng`'s slow path, which uses f_i = f(x_i).
 *
 * The tables are computed once inside the WebAssembly module (asm/random.ts, `zigguratTables`), whose bulk
 * samplers use them directly; this module copies them for `Rng`'s one-draw-at-a-time path, so both read the
 * same bits. They are filled on first use (`fillZigguratTables`, called by every `Rng`), not at import: in
 * browsers the kernels are ready only once they have loaded.
 */
import { heap, kernels } from "../linalg/wasm.js";

export const ZIGGURAT_R = 3.442619855899;

export const zigK = new Float64Array(128);
export const zigW = new Float64Array(128);
export const zigF = new Float64Array(128);

let filled = false;

/** Fills zigK, zigW and zigF (once) from the kernel's tables (k, w, f: 128 float64 each, in that order). */
export function fillZigguratTables(): void {
  if (filled) return;
  const at = kernels.zigguratTables() >>> 3;
  const h = heap();
  zigK.set(h.subarray(at, at + 128));
  zigW.set(h.subarray(at + 128, at + 256));
  zigF.set(h.subarray(at + 256, at + 384));
  filled = true;
}
