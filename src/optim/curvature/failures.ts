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

/** Receives a curvature method's warnings (a failed refresh it recovered from); default `console.warn`. */
export type WarningHandler = (message: string) => void;

/** The failure bookkeeping of one optimizer instance: counts per block, one warning per block, the error at max. */
export interface FailureLog {
  /**
   * The block's next failure count: 0 after a clean step, previous + 1 after a failed one. The first failure of
   * each block is reported through the warning handler (once per block and optimizer instance: a failure that
   * recurs every refresh would otherwise flood the log); once the count reaches `maxFailures` it throws
   * `CurvatureFailureError`, naming the optimizer, the block and the last error.
   */
  next(block: string, previous: number, error: string | null): number;
}

/** A failure log for `optimizer`; `onWarning` receives each block's first failure. */
export function failureLog(optimizer: string, maxFailures: number, onWarning: WarningHandler): FailureLog {
  const warned = new Set<string>();
  return {
    next(block, previous, error) {
      if (error === null) return 0;
      const count = previous + 1;
      if (count >= maxFailures) {
        throw new CurvatureFailureError(
          `${optimizer}: the curvature block of "${block}" failed ${count} steps in a row (maxFailures = ${maxFailures}); ` +
            `last failure: ${error}. Check the gradients and statistics for NaN/Inf, or increase the damping/eps.`,
        );
      }
      if (!warned.has(block)) {
        warned.add(block);
        onWarning(
          `${optimizer}: the curvature block of "${block}" failed (${error}); it keeps its last good statistics and ` +
            `preconditioner (reported once per block; ${maxFailures} failures in a row raise)`,
        );
      }
      return count;
    },
  };
}
