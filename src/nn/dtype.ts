/**
 * The precision of a network's matrix products (`sequential`'s `dtype` option).
 *
 * "float64" (the default): everything in float64. "float32": the products of dense and conv2d layers (forward
 * X·Wᵀ, weight gradient Gᵀ·X/n, input gradient G·W; for conv2d over the im2col patches) run in float32 like
 * numpy/PyTorch float32 training: the float64 operands are rounded to float32 inside WebAssembly memory, multiplied
 * by the float32 GEMM with float32 accumulation, and the result is widened back to float64 exactly
 * (`matmulFloat32Into`; conv2d writes its im2col patches and output gradients as float32 directly). Everything
 * else stays float64: the parameters (master weights) and the optimizer's update, bias additions, activations and
 * pooling (applied to the widened float32 products), batch-norm, the loss and its gradient,
 * bias gradients (column sums), and the curvature statistics with the inverses and matrix roots the layer-wise
 * preconditioners compute from them. That mixed precision is by design: float32 where the time goes and where
 * rounding is harmless (products whose error is far below the stochastic-gradient noise), float64 where an
 * ill-conditioned Kronecker factor is inverted or raised to −1/4, whose float32 rounding would be amplified by its
 * condition number.
 */
import { matmulInto, type MatmulIntoOptions } from "../linalg/blas.js";
import { matmulFloat32Into } from "../linalg/blas32.js";
import type { Matrix } from "../linalg/matrix.js";

/** The precisions a network's products can run in. */
export const DTYPES = ["float32", "float64"] as const;
export type Dtype = (typeof DTYPES)[number];

/** C ← σ(α·op(A)·op(B) + β·C + 1bᵀ): `matmulInto`'s signature, implemented in one precision. */
export type ProductInto = (C: Matrix, A: Matrix, B: Matrix, options?: MatmulIntoOptions) => Matrix;

/** The product a layer computes with at `dtype`: `matmulInto` (float64) or `matmulFloat32Into` (float32). */
export function productFor(dtype: Dtype): ProductInto {
  return dtype === "float32" ? matmulFloat32Into : matmulInto;
}
