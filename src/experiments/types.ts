/**
 * The experiment interface: what an experiment module provides so the platform (src/runner, src/cli,
 * src/report) can validate its config, sweep it over cores, store results, summarise and plot them.
 *
 * Life of a run: the CLI parses `--config`/`--set` into an object and validates it with `schema` (zod, which
 * applies the defaults), then runs the experiment's `preflight` (data files) once. Every key named in `sweepable` holds a *list* in the resolved config; the platform
 * expands the cartesian product of those lists into points (each list replaced by one of its values, in the
 * order listed), repeats each point `--seeds` times, derives a seed per trial from (run seed, point index,
 * repeat), and calls `run(point, ctx)` in a worker thread. `summarize` and `plots` see every stored trial.
 */
import type { z } from "zod";
import type { KeyAlias } from "../config/aliases.js";
import type { Claim } from "../results/claims.js";
import type { PlotSpec, SummaryRow, TrialRecord } from "../results/records.js";

/** A per-step series: `values[i]` was measured at step `steps[i]`. */
export interface Series {
  steps: ArrayLike<number>;
  values: ArrayLike<number>;
}

/** What a trial can report to the platform while it runs. */
export interface TrialContext {
  /** This trial's seed (deterministic in run seed, point index and repeat; independent of worker count). */
  readonly seed: number;
  /** Records a scalar metric; `null` means "not reached / not defined" (for example steps to a target). */
  scalar(name: string, value: number | null): void;
  /** Records a per-step series (stored compactly as float64 blobs). */
  series(name: string, steps: ArrayLike<number>, values: ArrayLike<number>): void;
  /** Records JSON-serialisable information (for example the step size chosen by a grid search). */
  info(key: string, value: unknown): void;
  /** Reports the fraction of this trial that is done, in [0, 1] (drives the progress bar's ETA). */
  progress(fraction: number): void;
}

/**
 * An experiment. `Config` is the resolved config (sweepable keys hold lists); `Point` is one point of the sweep
 * (sweepable keys hold single values).
 */
export interface Experiment<Config = Record<string, unknown>, Point = Record<string, unknown>> {
  /** The name used on the command line, e.g. "linrep-kappa". */
  name: string;
  /** One line for `layerwise list`. */
  description: string;
  /** Validates a user's config and fills defaults. Must be a zod object schema (strict: unknown keys refused). */
  schema: z.ZodType<Config>;
  /** Top-level keys of the config whose values are lists to sweep over (their cartesian product). */
  sweepable: readonly string[];
  /**
   * Whether a point of the cartesian product is one to run (default: every point). The points it refuses (say,
   * kfac-auto crossed with a grid it has no use for) are not planned, so they are neither stored nor counted in
   * the progress and its ETA; the others keep their index in the whole product (runner/sweep.ts).
   */
  includes?(point: Point): boolean;
  /**
   * Renamed config keys still accepted for one release (old dotted path → new), moved before validation with a
   * deprecation line (src/config/aliases.ts); also applied to stored runs so that old stores resume and report.
   */
  aliases?: readonly KeyAlias[];
  /** Overrides applied by `npm start` (the quick reproduction) on top of the defaults. */
  quick?: Partial<Record<string, unknown>>;
  /** Seeds per point for `npm start` (`layerwise reproduce`); default 1. */
  quickSeeds?: number;
  /**
   * Checks what a run needs from its environment (data files) and resolves what depends on it, once, before any
   * trial; the platform validates the config it returns again (runner/preflight.ts). Rejects with an `InputError`
   * (exit 2) saying what is missing and how to get it. `notify` takes notes for the user (e.g. a fallback).
   * Schemas never read the disk; this does.
   */
  preflight?(config: Config, notify: (note: string) => void): Promise<Config>;
  /** Runs one trial. Must be deterministic given `point` and `ctx.seed`. */
  run(point: Point, ctx: TrialContext): void | Promise<void>;
  /** The summary rows (each experiment's issue names the fields). Failed trials are included; skip them. */
  summarize(trials: TrialRecord<Point>[], config: Config): SummaryRow[];
  /** The figures. */
  plots(trials: TrialRecord<Point>[], config: Config): PlotSpec[];
  /** The claims this experiment tests, checked on its stored trials (src/experiments/claims.ts). */
  claims?: readonly Claim<Config, Point>[];
  /**
   * Where the experiment sits in the paper, for the report's order: "2" (linear representation learning), "3"
   * (single-index), "4.1" … (beyond the paper). Experiments without one (demos) come last.
   */
  paperOrder?: string;
}
