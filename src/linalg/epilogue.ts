/**
 * The epilogue of a product: C ← σ(C + 1bᵀ), a bias row b added to every row of the m×n result and an entrywise σ
 * applied, while C is still in WebAssembly memory (a dense layer's forward pass in the same call as its GEMM). Shared
 * by the float64 and float32 products (src/linalg/blas.ts, src/linalg/blas32.ts); the epilogue itself always runs
 * in float64 on the float64 result.
 */
import { ShapeError } from "./errors.js";
import { ELEMENTWISE_KINDS, applyElementwise, biasActivation, type ElementwiseKind } from "./elementwise.js";
import type { Matrix } from "./matrix.js";
import { alloc, heap, kernels, mark, release } from "./wasm.js";

/** The options of a product that describe its epilogue. */
export interface EpilogueOptions {
  /**
   * An entrywise function applied to the result, C ← σ(α·op(A)·op(B) + β·C + 1bᵀ), while it is still in WebAssembly
   * memory (a dense layer's forward pass in one call, without copying the pre-activations out and back in).
   */
  activation?: ElementwiseKind;
  /**
   * A row b (length n) added to every row of the result before the activation: C ← σ(α·op(A)·op(B) + β·C + 1bᵀ)
   * (a dense layer's bias).
   */
  bias?: Float64Array;
}

/** A checked epilogue: the activation (identity when none) and the bias. */
export interface Epilogue {
  kind: ElementwiseKind;
  bias?: Float64Array;
}

/** Checks `options.activation` and `options.bias` of a product with n result columns. */
export function readEpilogue(op: string, options: EpilogueOptions, n: number): Epilogue | null {
  const { activation, bias } = options;
  if (activation !== undefined && !Object.hasOwn(ELEMENTWISE_KINDS, activation)) {
    throw new RangeError(
      `${op}: options.activation must be one of ${Object.keys(ELEMENTWISE_KINDS).join(", ")}, got ${JSON.stringify(activation)}`,
    );
  }
  if (bias !== undefined && (!(bias instanceof Float64Array) || bias.length !== n)) {
    const got = bias instanceof Float64Array ? `length ${bias.length}` : typeof bias;
    throw new ShapeError(
      `${op}: options.bias must be a Float64Array of length ${n} (the result's columns), got ${got}`,
    );
  }
  if (activation === undefined && bias === undefined) return null;
  return { kind: activation ?? "identity", bias };
}

/** Runs the epilogue in place on the m×n float64 result at byte offset pC of linear memory. */
export function runEpilogue(epilogue: Epilogue, m: number, n: number, pC: number): void {
  const { bias } = epilogue;
  const code = ELEMENTWISE_KINDS[epilogue.kind];
  if (bias === undefined) {
    kernels.activate(code, m * n, pC, pC);
    return;
  }
  const top = mark();
  try {
    const pb = alloc(n);
    heap().set(bias, pb >>> 3);
    kernels.biasActivate(code, m, n, pC, pb, pC);
  } finally {
    release(top);
  }
}

/** Runs the epilogue in place on a result held in JavaScript memory (the small products computed in TypeScript). */
export function runEpilogueOnMatrix(epilogue: Epilogue, C: Matrix): void {
  if (epilogue.bias === undefined) applyElementwise(epilogue.kind, C, C);
  else biasActivation(epilogue.kind, C, epilogue.bias, C);
}
