/**
 * The precision of a curvature method's large products (statistics Gram matrices, applies, rotations): "float32"
 * (the default of every method) runs them on the float32 kernels, operands rounded from float64 and results
 * widened back, at twice the float64 rate; "float64" keeps everything in float64 (the behaviour that matches the
 * reference implementations to round-off). The statistics themselves are accumulated, and the inverses, roots and
 * eigenbases computed from them, in float64 either way: those are where an ill-conditioned factor would amplify
 * float32 rounding by its condition number (distributed_shampoo and kfac-pytorch likewise keep factors in float32
 * but can compute their roots in float64).
 */
import { gram, matmulInto, type GramOptions } from "../../linalg/blas.js";
import { gramFloat32 } from "../../linalg/blas32.js";
import type { Matrix } from "../../linalg/matrix.js";
import { DTYPES, productFor, type Dtype, type ProductInto } from "../../nn/dtype.js";
import { checkChoice } from "../transforms/options.js";

export type Precision = Dtype;

/** The products of one precision. */
export interface PrecisionKernels {
  precision: Precision;
  product: ProductInto;
  gram: (X: Matrix, options?: GramOptions) => Matrix;
}

/** The `precision` option of `optimizer` (default "float32"), checked, with its kernels. */
export function precisionOption(optimizer: string, value: unknown): PrecisionKernels {
  const precision = checkChoice(optimizer, "precision", value ?? "float32", DTYPES);
  return precision === "float32"
    ? { precision, product: productFor("float32"), gram: gramFloat32 }
    : { precision, product: matmulInto, gram };
}
