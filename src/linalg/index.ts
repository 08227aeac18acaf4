/**
 * The numerical core: dense float64 linear algebra on `Matrix`, with hot kernels in WebAssembly (asm/).
 * Reference: the README, "Decompositions" and "Products and elementwise helpers".
 */
export { Matrix } from "./matrix.js";
export * from "./errors.js";
export * from "./blas.js";
export * from "./ops.js";
export * from "./decompositions.js";
export * from "./elementwise.js";
export { Matrix32 } from "./matrix32.js";
export * from "./blas32.js";
