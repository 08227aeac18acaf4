// Input checks run in WebAssembly (the decompositions' validation would otherwise cost as much as a small
// factorisation in JavaScript).
import { at, ld, st } from "./lapack-vec";

/** The index of the first NaN or ±Infinity among the len values at p, or −1. */
export function nonFiniteIndex(len: i32, p: usize): i32 {
  // x·0 is 0 for finite x and NaN otherwise: one branch-free SIMD pass, then a scan only when something is found.
  const zero = f64x2.splat(0);
  let acc = zero;
  let i = 0;
  for (; i + 2 <= len; i += 2) acc = f64x2.add(acc, f64x2.mul(v128.load(p + ((<usize>i) << 3)), zero));
  let probe = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  for (; i < len; i++) probe += ld(p, i) * 0;
  if (probe == 0) return -1;
  for (i = 0; i < len; i++) if (!isFinite(ld(p, i))) return i;
  return -1;
}

/** Tile edge of the symmetry scan: a tile and its mirror stay in L1 while they are compared. */
const TILE: i32 = 32;

/**
 * For the n×n row-major matrix at p: the largest |A[i,j] − A[j,i]| and its (i, j) with i > j, and max|A| over the
 * lower triangle and diagonal, written to pOut as four f64 (gap, i, j, maxAbs).
 */
export function symmetryGap(n: i32, p: usize, pOut: usize): void {
  let gap: f64 = 0;
  let gi = 0;
  let gj = 0;
  let big: f64 = 0;
  for (let i0 = 0; i0 < n; i0 += TILE) {
    const i1 = min(n, i0 + TILE);
    for (let j0 = 0; j0 <= i0; j0 += TILE) {
      const j1 = min(n, j0 + TILE);
      for (let i = i0; i < i1; i++) {
        const jEnd = min(j1, i + 1);
        for (let j = j0; j < jEnd; j++) {
          const a = ld(at(p, i, j, n), 0);
          const g = abs(a - ld(at(p, j, i, n), 0));
          big = max(big, abs(a));
          if (g > gap) {
            gap = g;
            gi = i;
            gj = j;
          }
        }
      }
    }
  }
  st(pOut, 0, gap);
  st(pOut, 1, <f64>gi);
  st(pOut, 2, <f64>gj);
  st(pOut, 3, big);
}
