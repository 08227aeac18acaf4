/**
 * The precision of a curvature method's large products (statistics Gram matrices, applies, rotations): "float32"
 * (the default of every method) runs them on the float32 kernels, operands rounded from float64 and results
 * widened back, at twice the float64 rate; "float64" keeps everything in float64 (the behaviour that matches the
 * reference implementations to round-off). The statistics themselves are accumulated, and the factorisations,
 * roots and eigenbases computed from them, in float64 either way: those are where an ill-conditioned factor would
 * amplify float32 rounding by its condition number (distributed_shampoo and kfac-pytorch likewise keep factors in
 * float32 but can compute their roots in float64). Only the last product of KFAC's inverse, L⁻ᵀL⁻¹ from the
 * float64 Cholesky factor, runs in float32 (`spdInverse`).
 */
import { gram, matmulInto, type GramOptions } from "../../linalg/blas.js";
import { gramFloat32 } from "../../linalg/blas32.js";
import { cholesky, solveSPD } from "../../linalg/cholesky.js";
import { Matrix } from "../../linalg/matrix.js";
import { solveTriangular } from "../../linalg/triangular.js";
import { DTYPES, productFor, type Dtype, type ProductInto } from "../../nn/dtype.js";
import { checkChoice } from "../transforms/options.js";

export type Precision = Dtype;

/** The products of one precision. */
export interface PrecisionKernels {
  precision: Precision;
  product: ProductInto;
  gram: (X: Matrix, options?: GramOptions) => Matrix;
  /** The inverse of a symmetric positive definite matrix (KFAC's damped factors); see `spdInverse`. */
  inverse: (X: Matrix) => Matrix;
}

/**
 * X⁻¹ for symmetric positive definite X. "float64": Cholesky X = LLᵀ and two triangular solves against the
 * identity (≈ 7n³/3 flops, all float64). "float32": the same float64 Cholesky (which is also the check that X is
 * positive definite), one triangular solve W = L⁻¹, and X⁻¹ = WᵀW as a float32 Gram matrix (≈ 4n³/3 float64 flops
 * and n³ float32): the Gram matrix's rounding, 6·10⁻⁸‖X⁻¹‖ normwise, is the rounding that applying X⁻¹ on the
 * float32 kernels adds anyway. (distributed_shampoo likewise keeps its factors in float32 and computes in float64
 * only what an ill-conditioned factor would spoil: here the factorisation and the solve, whose error grows with
 * the condition number.) Throws `NotPositiveDefiniteError` when X is not positive definite.
 */
export function spdInverse(precision: Precision, X: Matrix): Matrix {
  if (precision === "float64") return solveSPD(X, Matrix.identity(X.rows));
  return gramFloat32(solveTriangular(cholesky(X), Matrix.identity(X.rows), { lower: true }));
}

/** The `precision` option of `optimizer` (default "float32"), checked, with its kernels. */
export function precisionOption(optimizer: string, value: unknown): PrecisionKernels {
  const precision = checkChoice(optimizer, "precision", value ?? "float32", DTYPES);
  return precision === "float32"
    ? { precision, product: productFor("float32"), gram: gramFloat32, inverse: (X) => spdInverse("float32", X) }
    : { precision, product: matmulInto, gram, inverse: (X) => spdInverse("float64", X) };
}
