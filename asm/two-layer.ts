// The two-layer network's output layer (src/paper/single-index/resident-batch.ts), fused so the n×N
// activations never leave linear memory: forward F = σ(H) with the outputs F a, and backward
// ∂L̂/∂Z = (r aᵀ) ∘ σ′(Z) (r the scaled residuals, a the fixed second layer, σ′ taken from the stored F).
// Pointers are byte offsets.

/**
 * H ← σ(H) in place for a rows×cols H, row by row, and out[i] ← Σ_j σ(H_ij)·a_j summed in j order (scalar, so
 * the sum has the bits of the same loop in TypeScript) while the row is still in cache. σ's values are those of
 * one `activate` call over the whole matrix (the kernel is entrywise).
 */
export function activateRowsDot(kind: i32, rows: i32, cols: i32, pH: usize, pa: usize, pOut: usize): void {
  const rowBytes = (<usize>cols) << 3;
  for (let i = 0; i < rows; i++) {
    const row = pH + <usize>i * rowBytes;
    activate(kind, cols, row, row);
    let s: f64 = 0;
    for (let j = 0; j < cols; j++) {
      const o = (<usize>j) << 3;
      s += load<f64>(row + o) * load<f64>(pa + o);
    }
    store<f64>(pOut + ((<usize>i) << 3), s);
  }
}
import { activate, activateBackward } from "./elementwise";

/**
 * F ← (r aᵀ) ∘ σ′ in place for a rows×cols F = σ(Z): row i of r aᵀ (r_i·a_j, one rounding per entry) is formed in
 * the one-row scratch at pRow, then `activateBackward` multiplies in σ′ from row i of F and writes over it, so the
 * values are those of forming the whole outer product first and calling `activateBackward` once.
 */
export function outerActivationBackward(
  kind: i32,
  rows: i32,
  cols: i32,
  pr: usize,
  pa: usize,
  pF: usize,
  pRow: usize,
): void {
  const rowBytes = (<usize>cols) << 3;
  const c2 = cols & ~1;
  for (let i = 0; i < rows; i++) {
    const ri = f64x2.splat(load<f64>(pr + ((<usize>i) << 3)));
    for (let j = 0; j < c2; j += 2) {
      const o = (<usize>j) << 3;
      v128.store(pRow + o, f64x2.mul(ri, v128.load(pa + o)));
    }
    if (cols & 1) {
      const o = (<usize>c2) << 3;
      store<f64>(pRow + o, f64x2.extract_lane(ri, 0) * load<f64>(pa + o));
    }
    const row = pF + <usize>i * rowBytes;
    activateBackward(kind, cols, row, pRow, row);
  }
}
