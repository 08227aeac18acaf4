// Element-wise kernels of the optimizers (src/optim), on operands that already live in linear memory (e.g. the
// Newton–Schulz iterates of Muon), so an iteration runs without copying them out to JavaScript and back.

/**
 * out[i] ← a·x[i] + b·y[i] for i < n (BLAS-like axpby), two entries per f64x2 step. Each entry is the
 * correctly rounded product a·x, then b·y, then their rounded sum (no fused multiply-add), so the result equals
 * the same expression evaluated in JavaScript bit for bit. out may be x or y (each entry is read before it is
 * written).
 */
export function axpby(n: i32, a: f64, px: usize, b: f64, py: usize, pout: usize): void {
  const va = f64x2.splat(a);
  const vb = f64x2.splat(b);
  const n2 = n & ~1;
  for (let i = 0; i < n2; i += 2) {
    const o = (<usize>i) << 3;
    v128.store(pout + o, f64x2.add(f64x2.mul(va, v128.load(px + o)), f64x2.mul(vb, v128.load(py + o))));
  }
  if (n2 < n) {
    const o = (<usize>n2) << 3;
    store<f64>(pout + o, a * load<f64>(px + o) + b * load<f64>(py + o));
  }
}
