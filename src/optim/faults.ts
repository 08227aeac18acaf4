/**
 * The fault policy of every exported optimizer (after optax's `apply_if_finite` and distributed_shampoo's failure
 * budget): a step whose gradients, or the layer statistics it would consume, hold a NaN or ±Inf entry — or whose
 * computed updates do — is skipped. The parameters do not move (zero updates), the optimizer state is returned
 * unchanged (so the last good preconditioner, moments and step count are kept), the fault is counted in
 * `state.faults` and reported (the `onFault` hook, or one console warning per optimizer), and `faultTolerance`
 * bad steps in a row raise `NonFiniteStepError` naming the parameter and the step.
 */
import { Matrix } from "../linalg/matrix.js";
import type { LayerStats, Params, StatsRequest, UpdateContext } from "../nn/types.js";
import { statsRequest, type GradientTransformation } from "./transform.js";
import { checkBoolean, checkInteger, OptionError } from "./transforms/options.js";
import { allFinite } from "./transforms/params.js";

/** Consecutive bad steps that raise, by default (distributed_shampoo tolerates 3 failed root computations). */
export const DEFAULT_FAULT_TOLERANCE = 3;

/** The option names the fault policy adds to every optimizer's options. */
export const FAULT_OPTION_KEYS = ["skipNonFinite", "faultTolerance", "onFault"] as const;

/** The fault-policy options every exported optimizer accepts besides its own. */
export interface FaultOptions {
  /** Skip non-finite steps (default true). false: no checks, faults reach the optimizer's arithmetic. */
  skipNonFinite?: boolean;
  /** Bad steps in a row that raise `NonFiniteStepError`, an integer ≥ 1 (default 3). */
  faultTolerance?: number;
  /** Called at every skipped step (replaces the one-time console warning). */
  onFault?: (fault: FaultReport) => void;
}

/** The fault counters kept in the state of a guarded optimizer. */
export interface FaultCounts {
  /** Bad steps since the last good one. */
  consecutive: number;
  /** Bad steps over the whole run. */
  total: number;
}

/** The state of a guarded optimizer: its own state plus the fault counters. */
export type Guarded<S> = S & { faults: FaultCounts };

/** What `onFault` receives. */
export interface FaultReport {
  /** The optimizer's name. */
  optimizer: string;
  /** The update call that was skipped, 1-based (applied steps + skipped steps). */
  step: number;
  /** The parameter whose gradient, statistics or update is not finite. */
  parameter: string;
  /** What is not finite, e.g. `the gradient` or `the layer statistics (a)`. */
  what: string;
  /** The counters after this fault. */
  faults: FaultCounts;
}

/**
 * Raised when `faultTolerance` steps in a row were not finite (`detail` says so), or when a step that cannot be
 * rolled back was (see `withFaultPolicy`).
 */
export class NonFiniteStepError extends Error {
  readonly report: FaultReport;
  constructor(report: FaultReport, detail: string) {
    super(
      `${report.optimizer}: step ${report.step}: ${report.what} of "${report.parameter}" has NaN/Inf entries, ` +
        `${detail}. Check the data and the loss for NaN/Inf, or lower the learning rate.`,
    );
    this.name = "NonFiniteStepError";
    this.report = report;
  }
}

/** The first non-finite entry among the gradients and statistics, as [parameter, what], or null. */
function firstInputFault(grads: Params, ctx: UpdateContext | undefined): [string, string] | null {
  for (const [key, g] of Object.entries(grads)) if (!allFinite(g.data)) return [key, "the gradient"];
  for (const s of ctx?.stats ?? []) {
    const fault = statsFault(s);
    if (fault) return [s.weight, `the layer statistics (${fault})`];
  }
  return null;
}

/** The name of the first non-finite statistic of one layer, or null. */
function statsFault(s: LayerStats): string | null {
  const named: [string, Matrix | undefined][] =
    s.kind === "batchNorm"
      ? [
          ...Object.entries(s.perExample).map(([k, m]): [string, Matrix] => [`perExample.${k}`, m]),
          ...Object.entries(s.perExampleSampled ?? {}).map(([k, m]): [string, Matrix] => [`perExampleSampled.${k}`, m]),
        ]
      : [
          ["a", s.a],
          ["g", s.g],
          ["gSampled", s.gSampled],
        ];
  for (const [name, m] of named) if (m && !allFinite(m.data)) return name;
  return null;
}

/** Zero updates shaped like the gradients. */
function zeroUpdates(grads: Params): Params {
  const out: Params = {};
  for (const [key, g] of Object.entries(grads)) out[key] = new Matrix(g.rows, g.cols);
  return out;
}

/** The step counter of a state (its `count`), 0 when it has none. */
function appliedSteps(state: object): number {
  const count = (state as { count?: unknown }).count;
  return typeof count === "number" ? count : 0;
}

/**
 * `inner` under the fault policy (see the module comment). The state is `inner`'s own plus `faults`; with
 * `skipNonFinite: false` the counters stay 0 and faults reach `inner`. When `ctx.donate` let `inner` overwrite its previous state, a
 * non-finite result (finite inputs, non-finite updates) cannot be rolled back and raises at once.
 */
export function withFaultPolicy<S extends object>(
  name: string,
  inner: GradientTransformation<S>,
  options: FaultOptions,
): GradientTransformation<Guarded<S>> {
  const skip = checkBoolean(name, "skipNonFinite", options.skipNonFinite ?? true);
  const tolerance = checkInteger(name, "faultTolerance", options.faultTolerance ?? DEFAULT_FAULT_TOLERANCE, 1);
  if (options.onFault !== undefined && typeof options.onFault !== "function") {
    throw new OptionError(name, "onFault", options.onFault, "a function");
  }
  const init = (params: Params): Guarded<S> => ({ ...inner.init(params), faults: { consecutive: 0, total: 0 } });
  const upgrade = inner.upgradeState;
  // `inner` upgrades the state it owns; `faults` is the policy's and passes through.
  const upgradeState =
    upgrade &&
    ((old: unknown): Guarded<S> => {
      if (typeof old !== "object" || old === null) return old as Guarded<S>;
      const { faults, ...own } = old as Guarded<S>;
      return { ...upgrade.call(inner, own), faults };
    });
  // The guarded state is the inner state plus `faults`, which the inner transform does not read.
  const needsStats = (state: Guarded<S>): StatsRequest => statsRequest(inner, state);
  if (!skip) {
    return {
      init,
      upgradeState,
      needsStats,
      update(grads, state, params, ctx) {
        const r = inner.update(grads, state, params, ctx);
        return { updates: r.updates, state: { ...r.state, faults: state.faults } };
      },
    };
  }
  let warned = false;
  const report =
    options.onFault ??
    ((fault: FaultReport): void => {
      if (warned) return;
      warned = true;
      console.warn(
        `${name}: step ${fault.step} skipped: ${fault.what} of "${fault.parameter}" has NaN/Inf entries ` +
          `(further skipped steps are counted in state.faults, not reported; ${tolerance} in a row raise)`,
      );
    });
  const counted = (state: Guarded<S>, parameter: string, what: string): FaultReport => {
    const faults = { consecutive: state.faults.consecutive + 1, total: state.faults.total + 1 };
    return { optimizer: name, step: appliedSteps(state) + faults.total, parameter, what, faults };
  };
  const skipped = (state: Guarded<S>, parameter: string, what: string): Guarded<S> => {
    const r = counted(state, parameter, what);
    if (r.faults.consecutive >= tolerance) {
      throw new NonFiniteStepError(
        r,
        `${r.faults.consecutive} steps in a row (faultTolerance = ${tolerance}); the steps were skipped and the state kept`,
      );
    }
    report(r);
    return { ...state, faults: r.faults };
  };
  return {
    init,
    upgradeState,
    needsStats,
    update(grads, state, params, ctx) {
      const bad = firstInputFault(grads, ctx);
      if (bad) return { updates: zeroUpdates(grads), state: skipped(state, bad[0], bad[1]) };
      const r = inner.update(grads, state, params, ctx);
      for (const [key, u] of Object.entries(r.updates)) {
        if (allFinite(u.data)) continue;
        if (ctx?.donate) {
          throw new NonFiniteStepError(
            counted(state, key, "the update"),
            "computed from finite inputs with the state donated (ctx.donate), so the step could not be skipped",
          );
        }
        return { updates: zeroUpdates(grads), state: skipped(state, key, "the update") };
      }
      return { updates: r.updates, state: { ...r.state, faults: { consecutive: 0, total: state.faults.total } } };
    },
  };
}

/**
 * The constructor `make` with the fault policy: its options plus `FaultOptions`, the policy's keys taken out
 * before `make` validates the rest.
 */
export function guarded<O extends object, S extends object>(
  name: string,
  make: (options: O) => GradientTransformation<S>,
): (options: O & FaultOptions) => GradientTransformation<Guarded<S>> {
  return (options) => {
    if (typeof options !== "object" || options === null || Array.isArray(options)) {
      throw new OptionError(name, "options", options, "an object");
    }
    const own: Record<string, unknown> = { ...(options as Record<string, unknown>) };
    const policy: Record<string, unknown> = {};
    for (const key of FAULT_OPTION_KEYS) {
      if (key in own) policy[key] = own[key];
      delete own[key];
    }
    let inner: GradientTransformation<S>;
    try {
      inner = make(own as O);
    } catch (e) {
      // The constructor lists its own fields for a typo; the policy's are known too.
      if (e instanceof OptionError)
        e.message = e.message.replace(
          /\); unknown field(?=, got )/,
          `, ${FAULT_OPTION_KEYS.join(", ")}); unknown field`,
        );
      throw e;
    }
    return { ...withFaultPolicy(name, inner, policy as FaultOptions), name, options: own };
  };
}
