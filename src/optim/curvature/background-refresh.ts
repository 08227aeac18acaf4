/**
 * Deterministic delayed refreshes of a Kronecker block's cache, computed off the training loop's critical path
 * (Anil et al. 2020, "Scalable second order optimization for deep learning": preconditioners computed
 * asynchronously while training continues with the previous ones).
 *
 * A refresh launched at step t reads the block's statistics at t (and its cache, for an iterative rule) and its
 * result replaces the cache at step t + k exactly, k = `refreshDelay`; until then the previous cache is used. The
 * numbers therefore depend on t and k alone, never on timing: the refresh may run in the background thread
 * (refresh-thread.ts, Node) or on the training thread at step t + k — the same function on the same inputs — and
 * the step at t + k waits only when the thread is late. The pending refresh is plain data in the optimizer's
 * state (its inputs and due step), so a state saved with a refresh in flight resumes on the same trajectory: the
 * resumed run, having no thread job for it, computes it itself at its due step. A refresh that fails keeps the
 * block's last good cache and reports the error at its due step, as a synchronous refresh does at its own step.
 */
import type { Matrix } from "../../linalg/matrix.js";
import { checkBoolean, checkInteger, OptionError } from "../transforms/options.js";
import { refresh, type BlockSizes, type KroneckerBlock, type RefreshResult } from "./kronecker-block.js";
import {
  computeRefresh,
  readsCache,
  refreshRule,
  type RefreshInput,
  type RefreshOutcome,
  type RefreshSpec,
} from "./refresh-spec.js";
import { abandonRefresh, collectRefresh, submitRefresh, type RefreshTicket } from "./refresh-thread.js";

/** A refresh in flight: what it reads, and the step (the optimizer's own count) at which its result is applied. */
export interface PendingRefresh extends RefreshInput {
  due: number;
}

/**
 * Blocks whose largest factor has at least this order are refreshed in the background thread; smaller ones on
 * the training thread at the due step (same numbers). Posting a job copies the statistics and wakes a thread
 * (≈ 0.1 ms); an eigendecomposition of order 128 costs a few milliseconds, and of order 784 hundreds.
 */
export const BACKGROUND_MIN_ORDER = 128;

/** The options of a method with delayed refreshes. */
export interface DelayedRefreshOptions {
  /**
   * Steps k between a refresh's statistics and the step its result is first used, from 0 (no delay: refreshed
   * and used at the same step, the behaviour before delayed refreshes) to `preconditionEvery`, default
   * `preconditionEvery`: the background thread then has a whole refresh period to compute it.
   */
  refreshDelay?: number;
  /**
   * Compute delayed refreshes of large blocks in a background thread (Node; in a browser, on the training thread
   * at the due step), default true. The results are the same either way; only the time differs.
   */
  backgroundRefresh?: boolean;
}

/**
 * A state of a method with delayed refreshes saved before they existed (no `pending`) with none in flight, `{}`,
 * which continues as it did; any other value unchanged (for a method's `upgradeState`).
 */
export function withPendingRefreshes(old: unknown): unknown {
  const isState = typeof old === "object" && old !== null && !Array.isArray(old);
  return isState && !("pending" in old) ? { ...old, pending: {} } : old;
}

/**
 * Refreshes of one optimizer's blocks by one rule: now, or launched now and completed at a later step. `sizes`:
 * the diagonal-block sizes of block-diagonal factors (KFAC, EKFAC), kept in the pending refresh.
 */
export interface RefreshScheduler {
  /** The delay k (0: `refreshNow` is the only verb used). */
  readonly delay: number;
  /** The block refreshed now (`refresh` with the rule): new cache, or the old one and the error. */
  refreshNow(block: KroneckerBlock, sizes?: BlockSizes): RefreshDone;
  /** Launches a refresh of the block as it is now, to be completed at step `due`. */
  launch(block: KroneckerBlock, due: number, sizes?: BlockSizes): PendingRefresh;
  /** The block with the result of `pending` as its cache (or its cache kept, and the error, when it failed). */
  complete(block: KroneckerBlock, pending: PendingRefresh): RefreshDone;
}

/** What a refresh did to a block. */
export interface RefreshDone {
  block: KroneckerBlock;
  result: RefreshResult | null;
  error: string | null;
}

/** The background thread's job for each pending refresh launched in this process (a resumed state has none). */
const jobs = new WeakMap<PendingRefresh, RefreshTicket>();
/** A pending refresh dropped without being completed gives its job's answer up. */
const dropped = new FinalizationRegistry<RefreshTicket>(abandonRefresh);

/** Milliseconds the training thread has spent computing delayed refreshes itself (for benchmarks). */
let computingMs = 0;

/**
 * How long the training thread has spent, since the process started, computing delayed refreshes itself (no
 * worker job, or one the worker could not answer); the time it waited for the worker is in `backgroundRefreshStats`.
 */
export function trainingThreadRefreshMs(): number {
  return computingMs;
}

/** `computeRefresh` on the training thread, timed into `computingMs`. */
function computeHere(spec: RefreshSpec, input: RefreshInput): RefreshOutcome {
  const start = performance.now();
  try {
    return computeRefresh(spec, input);
  } finally {
    computingMs += performance.now() - start;
  }
}

/** The refresh period a delay is bounded by: its option's name, and the delay when `refreshDelay` is not given. */
export interface RefreshPeriod {
  option: string;
  defaultDelay: number;
}

/**
 * The refreshes of one optimizer's blocks by the rule of `spec`, with its options checked: `refreshDelay` (0 to
 * `every`, the refresh period, named `period.option`; default `period.defaultDelay`) and `backgroundRefresh`
 * (default true); `warn` hears once that the background thread stopped helping.
 */
export function refreshScheduler(
  optimizer: string,
  spec: RefreshSpec,
  options: DelayedRefreshOptions,
  every: number,
  warn: (message: string) => void,
  period: RefreshPeriod = { option: "preconditionEvery", defaultDelay: every },
): RefreshScheduler {
  const delay = checkInteger(optimizer, "refreshDelay", options.refreshDelay ?? period.defaultDelay, 0);
  if (delay > every) {
    throw new OptionError(optimizer, "refreshDelay", delay, `an integer from 0 to ${period.option} (${every})`);
  }
  const background = checkBoolean(optimizer, "backgroundRefresh", options.backgroundRefresh ?? true);
  const rule = refreshRule(spec);
  const withCache = readsCache(spec);
  // A side's order: a block-diagonal factor is stored packed, its order is the sum of its blocks'.
  const order = (m: Matrix | null, blocks: readonly number[] | undefined): number =>
    blocks ? blocks.reduce((n, b) => n + b, 0) : (m?.rows ?? 0);
  const copy = (m: Matrix | null): Matrix | null => m?.clone() ?? null;

  return {
    delay,
    refreshNow: (block, sizes) => refresh(block, sizes ? refreshRule(spec, sizes) : rule),
    launch(block, due, sizes) {
      // Copies: whatever later steps do to the block's matrices, the refresh reads them as they are now.
      const pending: PendingRefresh = {
        due,
        left: copy(block.left),
        right: copy(block.right),
        leftCache: withCache ? copy(block.leftCache) : null,
        rightCache: withCache ? copy(block.rightCache) : null,
        ...(sizes ? { sizes } : {}),
      };
      const largest = Math.max(order(block.left, sizes?.left), order(block.right, sizes?.right));
      if (background && largest >= BACKGROUND_MIN_ORDER) {
        const ticket = submitRefresh(spec, pending);
        if (ticket) {
          jobs.set(pending, ticket);
          dropped.register(pending, ticket, pending);
        }
      }
      return pending;
    },
    complete(block, pending) {
      const ticket = jobs.get(pending);
      if (ticket) {
        jobs.delete(pending);
        dropped.unregister(pending);
      }
      const outcome = (ticket && collectRefresh(ticket, warn)) ?? computeHere(spec, pending);
      if (outcome.error !== null || !outcome.result) return { block, result: null, error: outcome.error };
      const { leftCache, rightCache } = outcome.result;
      return { block: { ...block, leftCache, rightCache }, result: outcome.result, error: null };
    },
  };
}
