/**
 * The background refresh thread (Node): one worker_thread per process, started by the first background refresh and
 * shared by every optimizer, which computes the posted refreshes in order (refresh-worker.ts). Optimizer updates
 * are synchronous, so the training thread takes an answer without an event-loop turn: it waits on the thread's
 * answered count (Atomics.wait, allowed on Node's main thread) and reads the reply off a MessagePort with
 * receiveMessageOnPort.
 *
 * This module has no static platform import (node:worker_threads is reached through process.getBuiltinModule),
 * so the browser bundle may include it: there `submitRefresh` returns undefined and the caller computes the
 * refresh itself, with the same numbers; likewise on a machine with one core, where the thread could only take
 * turns with the training thread. The same holds whenever the thread cannot help — it failed to start
 * (e.g. no compiled worker next to this module), died, or gave no answer within `WAIT_LIMIT_MS`: the callers
 * compute the refresh themselves, the failure is reported once, and no thread is started again until
 * `shutdownRefreshThread`. The thread is unref'd: it never keeps the process alive.
 */
import {
  CONTROL_DONE,
  CONTROL_INTS,
  CONTROL_STATE,
  THREAD_FAILED,
  reviveOutcome,
  type RefreshInput,
  type RefreshJob,
  type RefreshOutcome,
  type RefreshReply,
  type RefreshSpec,
} from "./refresh-spec.js";

type WorkerThreads = typeof import("node:worker_threads");
type Worker = InstanceType<WorkerThreads["Worker"]>;
type MessagePort = InstanceType<WorkerThreads["MessagePort"]>;

/** How long the training thread waits for one answer before it computes the refresh itself and drops the thread. */
export const WAIT_LIMIT_MS = 120_000;

/** The worker's program next to this module: compiled (dist/), or the TypeScript source (vitest), run with tsx. */
const COMPILED_ENTRY = "./refresh-worker.js";
const SOURCE_ENTRY = "./refresh-worker.ts";

// Started with eval so that a failure to load the program (a missing file, a kernel that does not instantiate) is
// reported through the shared control block, which the training thread reads without an event-loop turn. It must
// parse as a script and as a module (workers inherit --input-type), hence getBuiltinModule rather than require.
const BOOTSTRAP = `"use strict";
const { workerData } = process.getBuiltinModule("node:worker_threads");
const ctl = new Int32Array(workerData.control);
const load = workerData.tsx
  ? import(workerData.tsx).then(({ tsImport }) => tsImport(workerData.entry, workerData.entry))
  : import(workerData.entry);
load.catch((error) => {
  workerData.results.postMessage({ id: -1, crash: String((error && error.stack) || error) });
  Atomics.store(ctl, ${CONTROL_STATE}, ${THREAD_FAILED});
  Atomics.add(ctl, ${CONTROL_DONE}, 1);
  Atomics.notify(ctl, ${CONTROL_DONE});
});
`;

/** A started refresh thread and what the training thread keeps about it. */
export interface RefreshThread {
  worker: Worker;
  results: MessagePort;
  control: Int32Array;
  receive: WorkerThreads["receiveMessageOnPort"];
  /** Replies read off the port and not yet collected. */
  replies: Map<number, RefreshReply>;
  /** Jobs whose pending refresh was dropped (garbage-collected) before its answer was collected. */
  abandoned: Set<number>;
  /** Why the thread cannot help any more (it exited or reported an error), null while it can. */
  broken: string | null;
  exited: Promise<void>;
}

/** undefined: not started yet; null: unavailable (no worker_threads, or it failed) until shutdownRefreshThread. */
let thread: RefreshThread | null | undefined;
let nextId = 0;
let latencyMs = 0;
/** Answers collected from the thread, and the milliseconds the training thread spent waiting for them. */
const stats = { answered: 0, waitedMs: 0 };

const nodeProcess = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;

function builtin<T>(id: string): T | undefined {
  return nodeProcess?.getBuiltinModule?.(id) as T | undefined;
}

/** Where the worker's program is, and the tsx loader when it is the TypeScript source; undefined when absent. */
interface TsxManifest {
  exports: { "./esm/api": { import: { default: string } } };
}

function workerEntry(): { entry: string; tsx?: string } | undefined {
  const fs = builtin<typeof import("node:fs")>("node:fs");
  const url = builtin<typeof import("node:url")>("node:url");
  const moduleApi = builtin<typeof import("node:module")>("node:module");
  if (!fs || !url || !moduleApi) return undefined;
  const compiled = new URL(COMPILED_ENTRY, import.meta.url);
  if (compiled.protocol === "file:" && fs.existsSync(url.fileURLToPath(compiled))) return { entry: compiled.href };
  const source = new URL(SOURCE_ENTRY, import.meta.url);
  if (source.protocol !== "file:" || !fs.existsSync(url.fileURLToPath(source))) return undefined;
  try {
    // tsx's ES module API (its exports map's "import" entry; require.resolve would give the CommonJS one).
    const manifest = moduleApi.createRequire(url.fileURLToPath(import.meta.url)).resolve("tsx/package.json");
    const api = (JSON.parse(fs.readFileSync(manifest, "utf8")) as TsxManifest).exports["./esm/api"].import.default;
    return { entry: source.href, tsx: new URL(api, url.pathToFileURL(manifest)).href };
  } catch {
    return undefined;
  }
}

function startThread(): RefreshThread | null {
  const wt = builtin<WorkerThreads>("node:worker_threads");
  // On one core a second thread only takes turns with the training thread: the same work, plus the copies.
  const cores = builtin<typeof import("node:os")>("node:os")?.availableParallelism() ?? 1;
  const where = wt && cores > 1 && workerEntry();
  if (!wt || !where) return null;
  const control = new SharedArrayBuffer(CONTROL_INTS * 4);
  const { port1, port2 } = new wt.MessageChannel();
  const workerData = { ...where, control, results: port2, latencyMs };
  const worker = new wt.Worker(BOOTSTRAP, { eval: true, workerData, transferList: [port2] });
  worker.unref();
  port1.unref();
  const t: RefreshThread = {
    worker,
    results: port1,
    control: new Int32Array(control),
    receive: wt.receiveMessageOnPort,
    replies: new Map(),
    abandoned: new Set(),
    broken: null,
    exited: new Promise((resolve) => worker.once("exit", () => resolve())),
  };
  worker.on("error", (e) => (t.broken ??= `it failed: ${e instanceof Error ? e.message : String(e)}`));
  void t.exited.then(() => (t.broken ??= "it exited"));
  return t;
}

/** A job posted to a refresh thread. */
export interface RefreshTicket {
  thread: RefreshThread;
  id: number;
}

/**
 * Posts a refresh of `input` by the rule of `spec` to the background thread (starting it if needed); the
 * statistics are copied, so later changes to them do not reach the job. Returns the ticket for `collectRefresh`,
 * or undefined when no thread can take it (the caller then computes the refresh itself).
 */
export function submitRefresh(spec: RefreshSpec, input: RefreshInput): RefreshTicket | undefined {
  if (thread === undefined) thread = startThread();
  if (!thread || thread.broken !== null) return undefined;
  const id = nextId++;
  const job: RefreshJob = { id, spec, input };
  thread.worker.postMessage(job);
  return { thread, id };
}

function drain(t: RefreshThread): void {
  for (let m = t.receive(t.results); m !== undefined; m = t.receive(t.results)) {
    const reply = m.message as RefreshReply;
    if (t.abandoned.delete(reply.id)) continue;
    t.replies.set(reply.id, reply);
  }
}

function drop(t: RefreshThread, reason: string, warn: (message: string) => void): undefined {
  thread = null;
  void t.worker.terminate();
  warn(
    `the background refresh thread stopped (${reason}); refreshes are computed on the training thread from now ` +
      `on, with the same results`,
  );
  return undefined;
}

/**
 * The outcome of the ticket's job, waiting for the thread if it is not done yet. Undefined when the thread cannot
 * give it (it failed, exited, threw, gave no answer within WAIT_LIMIT_MS, or was shut down since): the caller then
 * computes the refresh itself; a thread that failed is reported once through `warn` and not used again.
 */
export function collectRefresh(ticket: RefreshTicket, warn: (message: string) => void): RefreshOutcome | undefined {
  const { thread: t, id } = ticket;
  if (t !== thread) return undefined;
  const start = Date.now();
  const deadline = start + WAIT_LIMIT_MS;
  try {
    return waitForAnswer(t, id, deadline, warn);
  } finally {
    stats.waitedMs += Date.now() - start;
  }
}

function waitForAnswer(
  t: RefreshThread,
  id: number,
  deadline: number,
  warn: (message: string) => void,
): RefreshOutcome | undefined {
  for (;;) {
    const seen = Atomics.load(t.control, CONTROL_DONE);
    drain(t);
    const reply = t.replies.get(id);
    if (reply) {
      t.replies.delete(id);
      if ("crash" in reply) return drop(t, `it threw: ${reply.crash}`, warn);
      stats.answered++;
      return reviveOutcome(reply.outcome);
    }
    if (Atomics.load(t.control, CONTROL_STATE) === THREAD_FAILED) {
      const failure = t.replies.get(-1);
      return drop(t, `it did not start: ${failure && "crash" in failure ? failure.crash : "unknown error"}`, warn);
    }
    if (t.broken !== null) return drop(t, t.broken, warn);
    const left = deadline - Date.now();
    if (left <= 0) return drop(t, `no answer within ${WAIT_LIMIT_MS / 1000} s`, warn);
    Atomics.wait(t.control, CONTROL_DONE, seen, Math.min(left, 1000));
  }
}

/** Forgets the ticket's job (its pending refresh was dropped): its answer is discarded when it arrives. */
export function abandonRefresh({ thread: t, id }: RefreshTicket): void {
  if (t !== thread || t.replies.delete(id)) return;
  t.abandoned.add(id);
}

/**
 * How many answers of the background thread have been collected since the process started, and how long the
 * training thread waited for them in all (for tests and benchmarks).
 */
export function backgroundRefreshStats(): { answered: number; waitedMs: number } {
  return { ...stats };
}

/**
 * Makes threads started from now on sleep `ms` before answering each job: a late worker on demand, so tests can
 * check that a late answer gives the same numbers.
 */
export function setRefreshThreadLatency(ms: number): void {
  latencyMs = ms;
}

/** Stops the background refresh thread and waits until it has exited; the next background refresh starts a new one. */
export async function shutdownRefreshThread(): Promise<void> {
  const t = thread;
  thread = undefined;
  if (t) {
    await t.worker.terminate();
    await t.exited;
  }
}
