/**
 * Learning-rate schedules (after optax's schedules): a schedule maps the number of updates already taken
 * (0 for the first update) to a learning rate. Anywhere a learning rate is accepted, a plain number means a
 * constant schedule. Schedules are functions, not state: the step count lives in each optimizer's state, so a
 * checkpointed run resumes on the same point of its schedule.
 */
import { cos } from "../../linalg/elementary.js";
import { checkInteger, checkNumber, checkKnownFields, OptionError } from "./options.js";

/** step (updates already taken, 0-based) → learning rate. */
export type Schedule = (step: number) => number;

/** A constant learning rate or a schedule. */
export type LearningRate = number | Schedule;

/** The learning rate for the update that follows `step` earlier updates; refuses a schedule value ≤ 0 or NaN. */
export function learningRateAt(optimizer: string, lr: LearningRate, step: number): number {
  const value = typeof lr === "number" ? lr : lr(step);
  if (!(Number.isFinite(value) && value >= 0)) {
    throw new OptionError(optimizer, `learningRate(${step})`, value, "a finite number ≥ 0 (from the schedule)");
  }
  return value;
}

/** η(t) = value for every step. */
export function constant(value: number): Schedule {
  checkNumber("constant", "value", value, 0, Infinity);
  return () => value;
}

export interface CosineOptions {
  /** η at step 0. */
  initial: number;
  /** Steps over which η decays; after them it stays at alpha·initial. */
  decaySteps: number;
  /** Final value as a fraction of `initial`, default 0. */
  alpha?: number;
}

/**
 * Cosine decay (Loshchilov & Hutter 2017, SGDR without restarts; optax.cosine_decay_schedule):
 * η(t) = initial · ((1 − α) · ½(1 + cos(π · min(t, T)/T)) + α).
 */
export function cosine(options: CosineOptions): Schedule {
  checkKnownFields("cosine", options, ["initial", "decaySteps", "alpha"]);
  const initial = checkNumber("cosine", "initial", options.initial, 0, Infinity);
  const decaySteps = checkInteger("cosine", "decaySteps", options.decaySteps, 1);
  const alpha = checkNumber("cosine", "alpha", options.alpha ?? 0, 0, 1);
  return (t) => initial * ((1 - alpha) * 0.5 * (1 + cos((Math.PI * Math.min(t, decaySteps)) / decaySteps)) + alpha);
}

export interface LinearWarmupOptions {
  /** η reached at the end of the warm-up. */
  peak: number;
  /** Length of the warm-up in steps. */
  warmupSteps: number;
  /** η at step 0, default 0. */
  initial?: number;
  /** Schedule followed after the warm-up, called with t − warmupSteps; default: stay at `peak`. */
  then?: Schedule;
}

/**
 * Linear warm-up (Goyal et al. 2017): η(t) = initial + (peak − initial)·t/W for t < W, then `then(t − W)`
 * (default: peak).
 */
export function linearWarmup(options: LinearWarmupOptions): Schedule {
  checkKnownFields("linearWarmup", options, ["peak", "warmupSteps", "initial", "then"]);
  const peak = checkNumber("linearWarmup", "peak", options.peak, 0, Infinity);
  const warmupSteps = checkInteger("linearWarmup", "warmupSteps", options.warmupSteps, 1);
  const initial = checkNumber("linearWarmup", "initial", options.initial ?? 0, 0, Infinity);
  const then = options.then;
  if (then !== undefined && typeof then !== "function") {
    throw new OptionError("linearWarmup", "then", then, "a schedule (a function of the step)");
  }
  return (t) =>
    t < warmupSteps ? initial + ((peak - initial) * t) / warmupSteps : then ? then(t - warmupSteps) : peak;
}
