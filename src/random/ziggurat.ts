/**
 * Tables of the ziggurat method for the standard normal (Marsaglia & Tsang 2000, "The Ziggurat Method for
 * Generating Random Variables", J. Stat. Softw. 5(8)), 128 layers of equal area v under the density
 * f(x) = exp(−x²/2), with the base layer's right edge at r = 3.442619855899.
 *
 * Layer i covers |x| < x_i; a 32-bit signed integer j with |j| < k_i = ⌊2³¹·x_{i−1}/x_i⌋ lands inside the part of
 * layer i that lies wholly under the curve, so the sample j·w_i (w_i = x_i/2³¹) is accepted at once (≈ 99% of
 * draws). The rest go to `Rng`'s slow path, which uses f_i = f(x_i).
 *
 * The tables are filled on first use (`fillZigguratTables`, called by every `Rng`), not at import: they need
 * exp and log with the same bits on every engine (../linalg/elementary.ts), which in browsers are ready only once
 * the WebAssembly kernels have loaded.
 */
import { exp, log } from "../linalg/elementary.js";

export const ZIGGURAT_R = 3.442619855899;
const AREA = 9.91256303526217e-3;
const TWO_31 = 2147483648;

export const zigK = new Float64Array(128);
export const zigW = new Float64Array(128);
export const zigF = new Float64Array(128);

let filled = false;

/** Fills zigK, zigW and zigF (once). */
export function fillZigguratTables(): void {
  if (filled) return;
  filled = true;
  let dn = ZIGGURAT_R;
  let tn = dn;
  const q = AREA / exp(-0.5 * dn * dn);
  zigK[0] = Math.floor((dn / q) * TWO_31);
  zigK[1] = 0;
  zigW[0] = q / TWO_31;
  zigW[127] = dn / TWO_31;
  zigF[0] = 1;
  zigF[127] = exp(-0.5 * dn * dn);
  for (let i = 126; i >= 1; i--) {
    dn = Math.sqrt(-2 * log(AREA / dn + exp(-0.5 * dn * dn)));
    zigK[i + 1] = Math.floor((dn / tn) * TWO_31);
    tn = dn;
    zigF[i] = exp(-0.5 * dn * dn);
    zigW[i] = dn / TWO_31;
  }
}
