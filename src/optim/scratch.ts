/**
 * Working matrices that an optimizer reuses from one `update` to the next. A fresh Float64Array of a few MB is
 * not free: the allocator maps new pages for it, the first write to each page faults, and the garbage collector
 * later unmaps them again, which on the machines we measured costs several times the arithmetic of one pass
 * over the array. Intermediates that never leave `update` (a joined gradient, the middle factor of a two-sided
 * product, a rotated gradient) therefore live here instead. Whatever `update` returns (updates, the next
 * state) is still freshly allocated, so callers keep the functional semantics: nothing they hold is overwritten.
 */
import { Matrix } from "../linalg/matrix.js";

export class Scratch {
  private readonly matrices = new Map<string, Matrix>();

  /**
   * The rows×cols matrix named `name`, reused by later calls with the same name and shape (its contents are
   * whatever the last user left). Two matrices needed at the same time must have different names.
   */
  matrix(name: string, rows: number, cols: number): Matrix {
    const m = this.matrices.get(name);
    if (m && m.rows === rows && m.cols === cols) return m;
    const fresh = new Matrix(rows, cols);
    this.matrices.set(name, fresh);
    return fresh;
  }
}
