// BLAS-like kernels (float64). Pointers are byte offsets into linear memory; matrices are row-major with the
// given row strides (lda, ldb, ldc, in elements).

/** Dot product Σ x[i]·y[i] of two contiguous float64 vectors of length n. */
export function ddot(n: i32, px: usize, py: usize): f64 {
  let s: f64 = 0;
  for (let i = 0; i < n; i++) {
    s += load<f64>(px + ((<usize>i) << 3)) * load<f64>(py + ((<usize>i) << 3));
  }
  return s;
}

/**
 * C ← α·op(A)·op(B) + β·C (BLAS dgemm, row-major). op(A) is m×k, op(B) is k×n; transA/transB ≠ 0 selects the
 * transpose. When β = 0, C is not read (so NaN in C does not propagate), as in reference BLAS.
 */
export function dgemm(
  transA: i32,
  transB: i32,
  m: i32,
  n: i32,
  k: i32,
  alpha: f64,
  pA: usize,
  lda: i32,
  pB: usize,
  ldb: i32,
  beta: f64,
  pC: usize,
  ldc: i32,
): void {
  const ars: usize = transA ? 1 : <usize>lda;
  const acs: usize = transA ? <usize>lda : 1;
  const brs: usize = transB ? 1 : <usize>ldb;
  const bcs: usize = transB ? <usize>ldb : 1;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s: f64 = 0;
      for (let p = 0; p < k; p++) {
        s +=
          load<f64>(pA + ((<usize>i * ars + <usize>p * acs) << 3)) *
          load<f64>(pB + ((<usize>p * brs + <usize>j * bcs) << 3));
      }
      const pc = pC + ((<usize>i * <usize>ldc + <usize>j) << 3);
      store<f64>(pc, beta == 0 ? alpha * s : alpha * s + beta * load<f64>(pc));
    }
  }
}
