/**
 * Exact rescaling by a power of two. The eigen- and singular-value iterations multiply entries pairwise, so for
 * matrices with entries near 1e±300 they under- or overflow; working on A / 2^k with max|A / 2^k| ≈ 1 avoids that
 * and costs no rounding (LAPACK dsyev and dgesvd rescale in the same spirit).
 */

/** The power of two nearest max|a| (1 for a zero array), kept within the normal range so 1/scale is finite. */
export function powerOfTwoScale(a: Float64Array): number {
  let maxAbs = 0;
  for (let i = 0; i < a.length; i++) maxAbs = Math.max(maxAbs, Math.abs(a[i]));
  return maxAbs === 0 ? 1 : 2 ** Math.min(1023, Math.max(-1022, Math.round(Math.log2(maxAbs))));
}
