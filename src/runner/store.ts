/**
 * The result store: one SQLite database (better-sqlite3) per output directory, holding the run (experiment,
 * full resolved config, run seed, seeds, package version, start/end) and every finished trial with its
 * metrics.
 *
 * Durability: WAL journal with synchronous=NORMAL, and each trial is written in ONE transaction when it ends.
 * A committed transaction survives a crash of the process (kill -9; only an OS crash or power loss can lose
 * the last commits), so a crash loses exactly the trials still in flight. Trials are keyed by
 * (point index, repeat): writing a trial again (a retried failure) replaces its rows, so every trial is stored
 * at most once.
 *
 * Compactness: scalars are one row each; a series is one row holding two float64 blobs (little-endian), and
 * the steps blob is NULL when the steps are 0, 1, 2, … (the common case), halving the storage.
 */
import Database from "better-sqlite3";
import { existsSync, renameSync } from "node:fs";
import { join } from "node:path";
import { InputError } from "../config/errors.js";
import type { TrialRecord } from "../results/records.js";

type Json = Record<string, unknown>;

/** The run an output directory holds. */
export interface RunRecord {
  experiment: string;
  /** The full resolved config (sweepable keys hold lists). */
  config: Json;
  runSeed: number;
  seeds: number;
  /** The layerwise package version that produced the results. */
  version: string;
  startedAt: string;
  endedAt: string | null;
}

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS run (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  experiment TEXT NOT NULL, config TEXT NOT NULL, run_seed REAL NOT NULL, seeds INTEGER NOT NULL,
  version TEXT NOT NULL, started_at TEXT NOT NULL, ended_at TEXT
);
CREATE TABLE IF NOT EXISTS trial (
  point_index INTEGER NOT NULL, repeat INTEGER NOT NULL, seed REAL NOT NULL, point TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('done', 'failed')), duration_ms REAL NOT NULL, error TEXT,
  info TEXT NOT NULL, finished_at TEXT NOT NULL,
  PRIMARY KEY (point_index, repeat)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS scalar (
  point_index INTEGER NOT NULL, repeat INTEGER NOT NULL, name TEXT NOT NULL, value REAL,
  PRIMARY KEY (point_index, repeat, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS series (
  point_index INTEGER NOT NULL, repeat INTEGER NOT NULL, name TEXT NOT NULL, length INTEGER NOT NULL,
  steps BLOB, vals BLOB NOT NULL,
  PRIMARY KEY (point_index, repeat, name)
) WITHOUT ROWID;
`;

const toBlob = (a: Float64Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** Copies a blob into a fresh (aligned) Float64Array. */
const fromBlob = (b: Buffer): Float64Array => {
  const out = new Float64Array(b.byteLength / 8);
  new Uint8Array(out.buffer).set(b);
  return out;
};

const isRange = (steps: Float64Array): boolean => steps.every((s, i) => s === i);

/** The key of a trial in maps and sets. */
export const trialKey = (pointIndex: number, repeat: number): string => `${pointIndex}/${repeat}`;

interface TrialRow {
  point_index: number;
  repeat: number;
  seed: number;
  point: string;
  status: "done" | "failed";
  duration_ms: number;
  error: string | null;
  info: string;
}

/**
 * A result store that cannot be opened or read: `broken` when the file is not an SQLite database of ours (damaged,
 * truncated, or another file under that name), which `--fresh` sets aside; otherwise the directory is the problem
 * (not writable, full). The CLI prints the message (path, reason, what to do) and exits 2.
 */
export class StoreError extends InputError {
  override name = "StoreError";
  constructor(
    readonly path: string,
    readonly broken: boolean,
    cause: string,
  ) {
    super(
      broken
        ? `${path} is not a readable result store (${cause}); rerun with --fresh to set it aside ` +
            `(kept as ${ResultStore.FILE}.broken-<time>) and start over, or choose another --out`
        : `cannot open the result store ${path} (${cause}); check that its directory is writable and not full`,
    );
  }
}

/** SQLite result codes that mean the file itself is not a usable store of ours. */
const BROKEN_CODES = /^SQLITE_(NOTADB|CORRUPT|ERROR)/;

/** A result store in an output directory. */
export class ResultStore {
  /** The database's file name inside the output directory. */
  static readonly FILE = "results.sqlite";

  private readonly db: Database.Database;
  private readonly insertTrial: Database.Statement;
  private readonly insertScalar: Database.Statement;
  private readonly insertSeries: Database.Statement;
  private readonly deleteTrial: Database.Transaction<(p: number, r: number) => void>;
  private readonly writeTx: Database.Transaction<(t: TrialRecord) => void>;

  /**
   * Renames the store of `dir` (and its WAL files) to `results.sqlite.broken-<time>`, so a run can start over
   * without destroying what may still be recovered; returns the new path of the database file.
   */
  static setAside(dir: string): string {
    const suffix = `.broken-${new Date().toISOString().replace(/[:.]/g, "-")}`;
    const file = join(dir, ResultStore.FILE);
    for (const extra of ["-wal", "-shm"]) if (existsSync(file + extra)) renameSync(file + extra, file + suffix + extra);
    renameSync(file, file + suffix);
    return file + suffix;
  }

  /** Whether `dir` holds a result store. */
  static exists(dir: string): boolean {
    return existsSync(join(dir, ResultStore.FILE));
  }

  /**
   * Opens (creating if needed, unless `readonly`) the store in directory `dir`, which must exist; throws
   * `StoreError` when the file cannot be opened or is not a store.
   */
  constructor(dir: string, options: { readonly?: boolean } = {}) {
    const path = join(dir, ResultStore.FILE);
    try {
      this.db = new Database(path, { readonly: options.readonly ?? false });
      if (!options.readonly) {
        this.db.pragma("journal_mode = WAL");
        this.db.pragma("synchronous = NORMAL");
        this.db.exec(SCHEMA);
        this.db
          .prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)")
          .run(String(SCHEMA_VERSION));
      }
      // Reading the schema: a file that is not a store of ours fails here, not at the first query.
      this.db.prepare("SELECT 1 FROM trial, scalar, series, run LIMIT 0").all();
    } catch (e) {
      if (!(e instanceof Database.SqliteError)) throw e;
      throw new StoreError(path, BROKEN_CODES.test(e.code), `${e.message} [${e.code}]`);
    }
    this.insertTrial = this.db.prepare(
      `INSERT INTO trial (point_index, repeat, seed, point, status, duration_ms, error, info, finished_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.insertScalar = this.db.prepare("INSERT INTO scalar (point_index, repeat, name, value) VALUES (?, ?, ?, ?)");
    this.insertSeries = this.db.prepare(
      "INSERT INTO series (point_index, repeat, name, length, steps, vals) VALUES (?, ?, ?, ?, ?, ?)",
    );
    const deletes = ["trial", "scalar", "series"].map((t) =>
      this.db.prepare(`DELETE FROM ${t} WHERE point_index = ? AND repeat = ?`),
    );
    this.deleteTrial = this.db.transaction((p: number, r: number) => {
      for (const d of deletes) d.run(p, r);
    });
    this.writeTx = this.db.transaction((t: TrialRecord) => {
      this.deleteTrial(t.pointIndex, t.repeat);
      this.insertTrial.run(
        t.pointIndex,
        t.repeat,
        t.seed,
        JSON.stringify(t.point),
        t.status,
        t.durationMs,
        t.error ?? null,
        JSON.stringify(t.info),
        new Date().toISOString(),
      );
      for (const [name, value] of Object.entries(t.scalars)) {
        this.insertScalar.run(t.pointIndex, t.repeat, name, value);
      }
      for (const [name, s] of Object.entries(t.series)) {
        const steps = isRange(s.steps) ? null : toBlob(s.steps);
        this.insertSeries.run(t.pointIndex, t.repeat, name, s.values.length, steps, toBlob(s.values));
      }
    });
  }

  /** The stored run, or undefined for a new store. */
  run(): RunRecord | undefined {
    const row = this.db.prepare("SELECT * FROM run WHERE id = 1").get() as
      | {
          experiment: string;
          config: string;
          run_seed: number;
          seeds: number;
          version: string;
          started_at: string;
          ended_at: string | null;
        }
      | undefined;
    if (!row) return undefined;
    return {
      experiment: row.experiment,
      config: JSON.parse(row.config) as Json,
      runSeed: row.run_seed,
      seeds: row.seeds,
      version: row.version,
      startedAt: row.started_at,
      endedAt: row.ended_at,
    };
  }

  /** Records the start (or the resumption: the start time is kept, the end cleared) of `run`. */
  beginRun(run: Omit<RunRecord, "startedAt" | "endedAt">): void {
    this.db
      .prepare(
        `INSERT INTO run (id, experiment, config, run_seed, seeds, version, started_at) VALUES (1, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET version = excluded.version, ended_at = NULL`,
      )
      .run(run.experiment, JSON.stringify(run.config), run.runSeed, run.seeds, run.version, new Date().toISOString());
  }

  /** Records the end of the run. */
  endRun(): void {
    this.db.prepare("UPDATE run SET ended_at = ? WHERE id = 1").run(new Date().toISOString());
  }

  /** Deletes the run and every trial (`--fresh`). */
  clear(): void {
    this.db.exec("DELETE FROM run; DELETE FROM trial; DELETE FROM scalar; DELETE FROM series;");
  }

  /** Keys (`trialKey`) of the trials that finished successfully; these are skipped on resume. */
  doneKeys(): Set<string> {
    const rows = this.db.prepare("SELECT point_index, repeat FROM trial WHERE status = 'done'").all() as {
      point_index: number;
      repeat: number;
    }[];
    return new Set(rows.map((r) => trialKey(r.point_index, r.repeat)));
  }

  /** Writes a finished trial and its metrics in one transaction, replacing an earlier attempt. */
  writeTrial(trial: TrialRecord): void {
    this.writeTx(trial);
  }

  /** Every stored trial with its metrics, ordered by point then repeat. */
  trials(): TrialRecord[] {
    const rows = this.db.prepare("SELECT * FROM trial ORDER BY point_index, repeat").all() as TrialRow[];
    const byKey = new Map<string, TrialRecord>();
    const records = rows.map((r) => {
      const record: TrialRecord = {
        point: JSON.parse(r.point) as Json,
        pointIndex: r.point_index,
        repeat: r.repeat,
        seed: r.seed,
        status: r.status,
        ...(r.error !== null ? { error: r.error } : {}),
        durationMs: r.duration_ms,
        scalars: {},
        series: {},
        info: JSON.parse(r.info) as Json,
      };
      byKey.set(trialKey(r.point_index, r.repeat), record);
      return record;
    });
    const scalars = this.db.prepare("SELECT * FROM scalar").all() as {
      point_index: number;
      repeat: number;
      name: string;
      value: number | null;
    }[];
    for (const s of scalars) {
      const t = byKey.get(trialKey(s.point_index, s.repeat));
      if (t) t.scalars[s.name] = s.value;
    }
    const series = this.db.prepare("SELECT * FROM series").all() as {
      point_index: number;
      repeat: number;
      name: string;
      length: number;
      steps: Buffer | null;
      vals: Buffer;
    }[];
    for (const s of series) {
      const t = byKey.get(trialKey(s.point_index, s.repeat));
      if (!t) continue;
      const steps = s.steps ? fromBlob(s.steps) : Float64Array.from({ length: s.length }, (_, i) => i);
      t.series[s.name] = { steps, values: fromBlob(s.vals) };
    }
    return records;
  }

  close(): void {
    this.db.close();
  }
}
