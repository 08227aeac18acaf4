/**
 * A refresh rule of the Kronecker block (kronecker-block.ts) described as plain data, so that the same refresh can
 * be computed on the training thread or in the background refresh thread (refresh-worker.ts) — a closure cannot
 * be posted to another thread — and by the same code either way: `refreshRule(spec)` is the rule both run.
 */
import { Matrix } from "../../linalg/matrix.js";
import {
  dampedInverses,
  eigenbases,
  inverseRoots,
  powerIterationBases,
  refresh,
  type BlockSizes,
  type KroneckerBlock,
  type RefreshResult,
  type RefreshRule,
} from "./kronecker-block.js";
import { precisionOption, type Precision } from "./precision.js";

/**
 * Shampoo's inverse roots (S + εI)^power, SOAP's power-iteration eigenbases with products in `precision`, KFAC's
 * π-split damped inverses with the inverse of `precision` (precision.ts's `spdInverse`), or EKFAC's eigenbases.
 */
export type RefreshSpec =
  | { rule: "inverseRoots"; power: number; eps: number }
  | { rule: "powerIterationBases"; precision: Precision }
  | { rule: "dampedInverses"; damping: number; precision: Precision }
  | { rule: "eigenbases" };

/** The rule `spec` describes, for factors that are block-diagonal with `sizes` (KFAC's and EKFAC's blocking). */
export function refreshRule(spec: RefreshSpec, sizes?: BlockSizes): RefreshRule {
  switch (spec.rule) {
    case "inverseRoots":
      return inverseRoots(spec.power, spec.eps);
    case "powerIterationBases":
      return powerIterationBases(precisionOption("refresh", spec.precision).product);
    case "dampedInverses":
      return dampedInverses(spec.damping, precisionOption("refresh", spec.precision).inverse, sizes);
    case "eigenbases":
      return eigenbases(sizes);
  }
}

/** Whether the rule reads the block's current cache (an iterative rule: SOAP's power step from the last basis). */
export function readsCache(spec: RefreshSpec): boolean {
  return spec.rule === "powerIterationBases";
}

/**
 * What a refresh reads: the block's statistics, its cache when the rule is iterative (else null), and the
 * diagonal-block sizes of block-diagonal factors (KFAC, EKFAC; absent: each factor is one dense block).
 */
export interface RefreshInput {
  left: Matrix | null;
  right: Matrix | null;
  leftCache: Matrix | null;
  rightCache: Matrix | null;
  sizes?: BlockSizes;
}

/** A refresh's result, or the error that made the block keep its cache (as `refresh` returns them). */
export interface RefreshOutcome {
  result: RefreshResult | null;
  error: string | null;
}

/** `refresh` of a block holding `input`, with the rule of `spec`. */
export function computeRefresh(spec: RefreshSpec, input: RefreshInput): RefreshOutcome {
  const block: KroneckerBlock = {
    left: input.left,
    right: input.right,
    leftCache: input.leftCache,
    rightCache: input.rightCache,
    failures: 0,
  };
  const { result, error } = refresh(block, refreshRule(spec, input.sizes));
  return { result, error };
}

/** A matrix after a trip through postMessage (structured clone keeps its fields, not its class). */
type Posted = { rows: number; cols: number; data: Float64Array } | null;

const revive = (m: Posted): Matrix | null => (m ? new Matrix(m.rows, m.cols, m.data) : null);

/** A posted `RefreshInput` as matrices again. */
export function reviveInput(input: RefreshInput): RefreshInput {
  return {
    left: revive(input.left),
    right: revive(input.right),
    leftCache: revive(input.leftCache),
    rightCache: revive(input.rightCache),
    ...(input.sizes ? { sizes: input.sizes } : {}),
  };
}

/** A posted `RefreshOutcome` as matrices again. */
export function reviveOutcome(outcome: RefreshOutcome): RefreshOutcome {
  const r = outcome.result;
  if (!r) return outcome;
  return { error: outcome.error, result: { ...r, leftCache: revive(r.leftCache), rightCache: revive(r.rightCache) } };
}

/** The buffers of an outcome, to transfer rather than copy when it is posted. */
export function outcomeBuffers(outcome: RefreshOutcome): ArrayBuffer[] {
  const r = outcome.result;
  if (!r) return [];
  return [r.leftCache?.data, r.rightCache?.data, r.leftValues, r.rightValues]
    .map((a) => a?.buffer)
    .filter((b, i, all): b is ArrayBuffer => b instanceof ArrayBuffer && all.indexOf(b) === i);
}

/** A refresh posted to the refresh thread: `id` numbers the jobs of one thread in the order they were posted. */
export interface RefreshJob {
  id: number;
  spec: RefreshSpec;
  input: RefreshInput;
}

/** The refresh thread's answer to job `id`: its outcome, or the exception that stopped it (a bug, not a failure of the refresh). */
export type RefreshReply = { id: number; outcome: RefreshOutcome } | { id: number; crash: string };

// The refresh thread's control block (an Int32Array over a SharedArrayBuffer): its state, and how many jobs it
// has answered (bumped after each reply is posted, so a waiter that sees the count move finds the reply queued).
export const CONTROL_STATE = 0;
export const CONTROL_DONE = 1;
export const CONTROL_INTS = 2;
export const THREAD_STARTING = 0;
export const THREAD_READY = 1;
export const THREAD_FAILED = 2;
