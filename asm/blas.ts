// BLAS-like kernels (float64). Pointers are byte offsets into linear memory.

/** Dot product Σ x[i]·y[i] of two contiguous float64 vectors of length n. */
export function ddot(n: i32, px: usize, py: usize): f64 {
  let s: f64 = 0;
  for (let i = 0; i < n; i++) {
    s += load<f64>(px + ((<usize>i) << 3)) * load<f64>(py + ((<usize>i) << 3));
  }
  return s;
}
