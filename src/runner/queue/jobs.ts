/**
 * What travels through the queue, and the checks on both ends.
 *
 * A job is data only: package version, experiment name, point (a config with every sweepable list replaced by one
 * value), point index, repeat and seed. A worker runs it only if the version is its own, the experiment is
 * registered and the point passes the experiment's schema; nothing executable is ever sent.
 *
 * Job ids are deterministic, `<run id>-<point index>-<repeat>`, where the run id hashes what identifies a run
 * (experiment, resolved config, run seed, seeds, version). BullMQ ignores an `add` whose id already exists, so a
 * restarted coordinator finds its earlier jobs instead of duplicating them.
 *
 * A result travels back as JSON. JSON has no NaN or ±Infinity (a diverging run produces them), so series go as
 * base64 of their float64 bytes and the scalars NaN, ±Infinity and −0 as the strings "NaN", "Infinity",
 * "-Infinity", "-0": the stored numbers are bit-for-bit those the worker computed, exactly as in a local run.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { formatIssues } from "../../config/errors.js";
import { keyPaths } from "../../config/schema.js";
import type { TrialRecord } from "../../results/records.js";
import type { AnyExperiment } from "../registry.js";
import { canonicalJson } from "../run.js";
import type { PlannedTrial } from "../sweep.js";

/** The one BullMQ queue every coordinator fills and every worker consumes. */
export const QUEUE_NAME = "layerwise-trials";

/** A job's data. */
export const trialJobSchema = z.strictObject({
  version: z.string(),
  experiment: z.string(),
  pointIndex: z.int().min(0),
  repeat: z.int().min(0),
  seed: z.number(),
  point: z.record(z.string(), z.unknown()),
});
export type TrialJob = z.infer<typeof trialJobSchema>;

/** What identifies a run: the same values give the same id on every machine. */
export interface RunIdentity {
  experiment: string;
  config: Record<string, unknown>;
  runSeed: number;
  seeds: number;
  version: string;
}

/** The run id: the first 16 hex digits of SHA-256 of the identity as canonical JSON. */
export function runId(identity: RunIdentity): string {
  return createHash("sha256").update(canonicalJson(identity)).digest("hex").slice(0, 16);
}

/** The job id of `trial` in run `run` (BullMQ ids must not contain ":" nor be plain integers). */
export function jobId(run: string, trial: Pick<PlannedTrial, "pointIndex" | "repeat">): string {
  return `${run}-${trial.pointIndex}-${trial.repeat}`;
}

/** The job of `trial`. */
export function trialJob(experiment: string, version: string, trial: PlannedTrial): TrialJob {
  return {
    version,
    experiment,
    pointIndex: trial.pointIndex,
    repeat: trial.repeat,
    seed: trial.seed,
    point: trial.point,
  };
}

/**
 * Checks a point against the experiment's schema: each sweepable key is wrapped in a one-element list, the
 * schema validates (and fills defaults), and the value is unwrapped again. Throws an Error listing the problems.
 */
export function validatePoint(experiment: AnyExperiment, point: Record<string, unknown>): Record<string, unknown> {
  const asConfig: Record<string, unknown> = { ...point };
  for (const key of experiment.sweepable) asConfig[key] = [point[key]];
  const parsed = experiment.schema.safeParse(asConfig);
  if (!parsed.success) {
    throw new Error(
      `invalid point for ${experiment.name}: ${formatIssues(parsed.error.issues, asConfig, keyPaths(experiment.schema))}`,
    );
  }
  const resolved = { ...(parsed.data as Record<string, unknown>) };
  for (const key of experiment.sweepable) resolved[key] = (resolved[key] as unknown[])[0];
  return resolved;
}

/** Scalars JSON cannot carry: NaN, ±Infinity, and −0 (which JSON writes as 0). */
const special = z.enum(["NaN", "Infinity", "-Infinity", "-0"]);
const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/);

/** A result as a worker returns it. */
const wireRecordSchema = z.strictObject({
  status: z.enum(["done", "failed"]),
  error: z.string().optional(),
  durationMs: z.number(),
  scalars: z.record(z.string(), z.union([z.number(), z.null(), special])),
  series: z.record(z.string(), z.strictObject({ steps: base64, values: base64 })),
  info: z.record(z.string(), z.unknown()),
});
export type WireRecord = z.infer<typeof wireRecordSchema>;

/** NaN, ±Infinity or −0 as its wire string (String(-0) would be "0"). */
const specialText = (v: number): string => (Object.is(v, -0) ? "-0" : String(v));

const toBase64 = (a: ArrayLike<number>): string => {
  const f = Float64Array.from(a);
  return Buffer.from(f.buffer, f.byteOffset, f.byteLength).toString("base64");
};

const fromBase64 = (text: string, what: string): Float64Array => {
  const bytes = Buffer.from(text, "base64");
  if (bytes.byteLength % 8 !== 0) throw new Error(`${what}: ${bytes.byteLength} bytes is not a float64 array`);
  const out = new Float64Array(bytes.byteLength / 8);
  new Uint8Array(out.buffer).set(bytes);
  return out;
};

/** A finished trial's outcome in the JSON-safe form above (identity fields stay with the coordinator). */
export function encodeRecord(record: TrialRecord): WireRecord {
  return {
    status: record.status,
    ...(record.error !== undefined ? { error: record.error } : {}),
    durationMs: record.durationMs,
    scalars: Object.fromEntries(
      Object.entries(record.scalars).map(([k, v]) => [
        k,
        v === null || (Number.isFinite(v) && !Object.is(v, -0)) ? v : specialText(v),
      ]),
    ) as WireRecord["scalars"],
    series: Object.fromEntries(
      Object.entries(record.series).map(([k, s]) => [k, { steps: toBase64(s.steps), values: toBase64(s.values) }]),
    ),
    info: record.info,
  };
}

/**
 * The stored record of `trial` from a worker's result; point, indices and seed come from the coordinator's own
 * plan, never from the worker. Throws when the result is malformed.
 */
export function decodeRecord(trial: PlannedTrial, raw: unknown): TrialRecord {
  const value = typeof raw === "string" ? (JSON.parse(raw) as unknown) : raw;
  const parsed = wireRecordSchema.safeParse(value);
  if (!parsed.success) throw new Error(`malformed result: ${parsed.error.issues[0]?.message ?? "invalid"}`);
  const wire = parsed.data;
  const series: TrialRecord["series"] = {};
  for (const [name, s] of Object.entries(wire.series)) {
    const steps = fromBase64(s.steps, `series ${name} steps`);
    const values = fromBase64(s.values, `series ${name} values`);
    if (steps.length !== values.length) throw new Error(`malformed result: series ${name} has unequal lengths`);
    series[name] = { steps, values };
  }
  return {
    point: trial.point,
    pointIndex: trial.pointIndex,
    repeat: trial.repeat,
    seed: trial.seed,
    status: wire.status,
    ...(wire.error !== undefined ? { error: wire.error } : {}),
    durationMs: wire.durationMs,
    scalars: Object.fromEntries(
      Object.entries(wire.scalars).map(([k, v]) => [k, typeof v === "string" ? Number(v) : v]),
    ),
    series,
    info: wire.info,
  };
}

/** The stored record of a trial whose job failed in the queue (refused, or stalled too often). */
export function failedRecord(trial: PlannedTrial, reason: string): TrialRecord {
  return { ...trial, status: "failed", error: reason, durationMs: 0, scalars: {}, series: {}, info: {} };
}
