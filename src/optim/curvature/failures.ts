/**
 * Failure handling shared by the curvature-based optimizers: a block whose statistics are not finite, or whose
 * refresh throws (a factor that is not positive definite, an eigensolver that does not converge), keeps its
 * previous statistics and preconditioner and counts the failure; `maxFailures` failures of one block in a row
 * raise `CurvatureFailureError`. A clean step resets the count.
 */

/** Raised after `maxFailures` consecutive failed steps of one curvature block. */
export class CurvatureFailureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CurvatureFailureError";
  }
}

/** Runs `fn`; returns its value, or the error message when it throws. */
export function attempt<T>(fn: () => T): { value: T; error: null } | { value: null; error: string } {
  try {
    return { value: fn(), error: null };
  } catch (e) {
    return { value: null, error: e instanceof Error ? e.message : String(e) };
  }
}

/**
 * The block's next failure count: 0 after a clean step, previous + 1 after a failed one; throws once the count
 * reaches `maxFailures`, naming the optimizer, the block and the last error.
 */
export function nextFailureCount(
  optimizer: string,
  block: string,
  previous: number,
  error: string | null,
  maxFailures: number,
): number {
  if (error === null) return 0;
  const count = previous + 1;
  if (count >= maxFailures) {
    throw new CurvatureFailureError(
      `${optimizer}: the curvature block of "${block}" failed ${count} steps in a row (maxFailures = ${maxFailures}); ` +
        `last failure: ${error}. Check the gradients and statistics for NaN/Inf, or increase the damping/eps.`,
    );
  }
  return count;
}
