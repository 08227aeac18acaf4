// Precision conversions between float64 and float32 arrays in linear memory (f64x2 ↔ f32x4 SIMD), so a float32
// product of float64 operands converts them where they already are instead of in a JavaScript loop.
// Both kernels round exactly as IEEE 754 (and Math.fround) does: demotion rounds to nearest, ties to even
// (overflow to ±Inf, NaN stays NaN); promotion is exact.

/**
 * y[i] ← float32(x[i]) for i < n: x holds n float64 values at px, y receives n float32 values at py. May run in
 * place (py = px): the output is half the size of the input and each group of four values is read before the
 * four results are written, so no value is overwritten before it is read.
 */
export function demoteF64(n: i32, px: usize, py: usize): void {
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const s = px + ((<usize>i) << 3);
    const lo = f32x4.demote_f64x2_zero(v128.load(s));
    const hi = f32x4.demote_f64x2_zero(v128.load(s, 16));
    v128.store(py + ((<usize>i) << 2), v128.shuffle<i64>(lo, hi, 0, 2));
  }
  for (let i = n4; i < n; i++) store<f32>(py + ((<usize>i) << 2), <f32>load<f64>(px + ((<usize>i) << 3)));
}

/**
 * y[i] ← float64(x[i]) for i < n: x holds n float32 values at px, y receives n float64 values at py (exact). May
 * run in place (py = px): it walks from the end, where each float64 result lands at or beyond the float32 values
 * still to be read, and reads each group of four before writing it.
 */
export function promoteF32(n: i32, px: usize, py: usize): void {
  const n4 = n & ~3;
  for (let i = n - 1; i >= n4; i--) store<f64>(py + ((<usize>i) << 3), <f64>load<f32>(px + ((<usize>i) << 2)));
  for (let i = n4 - 4; i >= 0; i -= 4) {
    const v = v128.load(px + ((<usize>i) << 2));
    const d = py + ((<usize>i) << 3);
    const hi = f64x2.promote_low_f32x4(v128.shuffle<i64>(v, v, 1, 1));
    v128.store(d, f64x2.promote_low_f32x4(v));
    v128.store(d, hi, 16);
  }
}
