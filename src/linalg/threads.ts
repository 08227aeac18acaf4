/**
 * The Node team of helper threads for large GEMM / SYRK calls (./parallel.ts): `setThreads` / `getThreads`.
 *
 * Helpers are worker_threads started on first use and kept (unref'd, so they never keep the process alive).
 * Each instantiates the kernels on the main thread's shared WebAssembly memory from the module without its data
 * segments, so starting a helper never rewrites memory the main thread is using. The threads talk through a
 * small SharedArrayBuffer: per helper a "go" and a "done" generation counter and an argument block. The caller
 * writes the calls, bumps "go" and wakes the helper (Atomics.notify), computes its own share, then sleeps in
 * Atomics.wait until every helper's "done" reaches the generation (Atomics orders the plain memory accesses
 * around them: ECMAScript memory model, ECMA-262 §29). Blocking waits are allowed on Node's main thread.
 *
 * Thread count: `setThreads(n)`, else the environment variable LAYERWISE_THREADS, else every available core
 * (os.availableParallelism). The sweep pool passes each of its workers a count of its own (src/runner/pool.ts).
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { type KernelCall, type KernelTeam, TEAM_KERNELS, installKernelTeam } from "./parallel.js";
import { kernels, sharedKernels } from "./wasm.js";
import { withoutDataSegments } from "./wasm-binary.js";

/** The environment variable that sets the thread count when `setThreads` has not been called. */
export const THREADS_ENV = "LAYERWISE_THREADS";

// Per helper, in the control Int32Array: the generation to run (STOP: exit), the last generation finished,
// the helper's state, and the length of its error message.
const GO = 0;
const DONE = 1;
const STATE = 2;
const MESSAGE_LENGTH = 3;
const CONTROL_INTS = 4;
const STOP = -1;
const STARTING = 0;
const READY = 1;
const FAILED = 2;
/** Doubles in a helper's argument block: a call count, then per call (kernel index, argc, args…). */
const ARG_CAPACITY = 64;
const MESSAGE_BYTES = 1024;
const START_TIMEOUT_MS = 30_000;

// The helper's program, evaluated by Worker with eval: true, so it needs no file next to this one and runs the
// same from src/ under vitest and from dist/. It must parse as a script and as a module (workers inherit
// --input-type), hence getBuiltinModule rather than require or import. Its constants are the ones above.
const HELPER_SOURCE = `"use strict";
const { workerData } = process.getBuiltinModule("node:worker_threads");
const { module, memory, control, args, message, names } = workerData;
const GO = ${GO}, DONE = ${DONE}, STATE = ${STATE}, MESSAGE_LENGTH = ${MESSAGE_LENGTH};
const STOP = ${STOP}, READY = ${READY}, FAILED = ${FAILED};
const ctl = new Int32Array(control);
const arg = new Float64Array(args);
function fail(error) {
  const text = new TextEncoder().encode(String((error && error.stack) || error)).subarray(0, message.byteLength);
  new Uint8Array(message).set(text);
  Atomics.store(ctl, MESSAGE_LENGTH, text.length);
  Atomics.store(ctl, STATE, FAILED);
}
let fns;
try {
  const abort = () => { throw new Error("layerwise: WebAssembly kernel aborted"); };
  const instance = new WebAssembly.Instance(module, { env: { memory, abort } });
  fns = names.map((name) => instance.exports[name]);
  Atomics.store(ctl, STATE, READY);
} catch (error) {
  fail(error);
}
Atomics.notify(ctl, STATE);
let seen = 0;
while (fns) {
  Atomics.wait(ctl, GO, seen);
  const go = Atomics.load(ctl, GO);
  if (go === seen) continue;
  if (go === STOP) break;
  seen = go;
  try {
    for (let c = 0, p = 1; c < arg[0]; c++) {
      const argc = arg[p + 1];
      fns[arg[p]](...arg.subarray(p + 2, p + 2 + argc));
      p += 2 + argc;
    }
  } catch (error) {
    fail(error);
  }
  Atomics.store(ctl, DONE, go);
  Atomics.notify(ctl, DONE);
}
`;

interface Helper {
  worker: Worker;
  control: Int32Array;
  args: Float64Array;
  message: Uint8Array;
  exited: Promise<void>;
}

let requested: number | undefined;
const helpers: Helper[] = [];
let helperModule: WebAssembly.Module | undefined;
let generation = 0;

/** The most threads a product may use (a bound against typos such as 1e6, which would start that many). */
export const MAX_THREADS = 1024;

/** Throws unless `n` is an integer from 1 to MAX_THREADS, naming `field` and the value. */
function checkThreads(field: string, n: unknown): number {
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > MAX_THREADS) {
    const shown = typeof n === "string" ? JSON.stringify(n) : String(n);
    throw new RangeError(`${field} must be an integer from 1 to ${MAX_THREADS}, got ${shown}`);
  }
  return n;
}

/**
 * The thread count the user asked for: `setThreads(n)`, else LAYERWISE_THREADS, else undefined. Throws a
 * RangeError naming LAYERWISE_THREADS when it is set to anything but an integer from 1 to MAX_THREADS.
 */
export function explicitThreads(): number | undefined {
  if (requested !== undefined) return requested;
  const raw = process.env[THREADS_ENV];
  if (raw === undefined || raw.trim() === "") return undefined;
  const value = Number(raw.trim());
  return checkThreads(THREADS_ENV, Number.isInteger(value) ? value : raw);
}

let cores: number | undefined;

/**
 * How many threads (this one included) large GEMM / SYRK calls use: `setThreads(n)`, else LAYERWISE_THREADS,
 * else os.availableParallelism(). Always 1 when the kernels' memory is not shared.
 */
export function getThreads(): number {
  if (!sharedKernels()) return 1;
  return explicitThreads() ?? (cores ??= availableParallelism());
}

/**
 * Sets how many threads (this one included) large GEMM / SYRK calls are split over; `n` must be an integer from
 * 1 (single-threaded) to MAX_THREADS. Results do not depend on it (the split is bit-identical). Helpers beyond n − 1 stop.
 */
export function setThreads(n: number): void {
  requested = checkThreads("setThreads: n", n);
  if (helpers.length > n - 1) void stopHelpers(helpers.splice(n - 1));
}

/**
 * Starts the helper threads now rather than on the first large product (startup takes tens of milliseconds
 * per thread), e.g. before timing a workload.
 */
export function startThreads(): void {
  ensureHelpers(getThreads() - 1);
}

/** Stops every helper thread and waits until they have exited (they restart on the next large product). */
export async function shutdownThreads(): Promise<void> {
  await stopHelpers(helpers.splice(0));
}

/** How many helper threads are running (for tests and diagnostics). */
export function helperCount(): number {
  return helpers.length;
}

async function stopHelpers(stopping: Helper[]): Promise<void> {
  for (const h of stopping) {
    Atomics.store(h.control, GO, STOP);
    Atomics.notify(h.control, GO);
  }
  await Promise.all(stopping.map((h) => h.exited));
}

function startHelper(): Helper {
  const shared = sharedKernels()!;
  helperModule ??= new WebAssembly.Module(withoutDataSegments(shared.bytes));
  const control = new SharedArrayBuffer(CONTROL_INTS * 4);
  const args = new SharedArrayBuffer(ARG_CAPACITY * 8);
  const message = new SharedArrayBuffer(MESSAGE_BYTES);
  const workerData = { module: helperModule, memory: shared.memory, control, args, message, names: TEAM_KERNELS };
  const worker = new Worker(HELPER_SOURCE, { eval: true, workerData });
  worker.unref();
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  // An error inside the helper's program is reported through its state; this only keeps Node from treating
  // the event as unhandled.
  worker.on("error", () => {});
  return {
    worker,
    control: new Int32Array(control),
    args: new Float64Array(args),
    message: new Uint8Array(message),
    exited,
  };
}

function failure(h: Helper, what: string): Error {
  const text = new TextDecoder().decode(h.message.slice(0, Atomics.load(h.control, MESSAGE_LENGTH)));
  return new Error(`layerwise: a kernel helper thread failed ${what}: ${text}`);
}

/** Starts helpers until there are `count`, waiting (blocking) until each has instantiated the kernels. */
function ensureHelpers(count: number): void {
  const started = helpers.length;
  while (helpers.length < count) helpers.push(startHelper());
  for (const h of helpers.slice(started)) {
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Atomics.load(h.control, STATE) === STARTING && Date.now() < deadline) {
      Atomics.wait(h.control, STATE, STARTING, deadline - Date.now());
    }
    const state = Atomics.load(h.control, STATE);
    if (state !== READY) {
      const error =
        state === FAILED
          ? failure(h, "to start")
          : new Error(`layerwise: a kernel helper thread did not start within ${START_TIMEOUT_MS / 1000} s`);
      void shutdownThreads();
      throw error;
    }
  }
}

/** Writes `calls` into a helper's argument block. */
function encode(calls: readonly KernelCall[], into: Float64Array): void {
  let p = 1;
  for (const { kernel, args } of calls) {
    if (p + 2 + args.length > into.length) throw new Error("layerwise: too many kernel calls for one helper thread");
    into[p] = TEAM_KERNELS.indexOf(kernel);
    into[p + 1] = args.length;
    into.set(args, p + 2);
    p += 2 + args.length;
  }
  into[0] = calls.length;
}

/** The Node team (installed when this module loads): this thread plus up to getThreads() − 1 helpers. */
export const threadTeam: KernelTeam = {
  threads: getThreads,
  run(jobs) {
    const used: Helper[] = [];
    ensureHelpers(jobs.length - 1);
    generation = (generation % 0x7ffffffe) + 1; // positive, and never STOP
    for (let t = 1; t < jobs.length; t++) {
      const h = helpers[t - 1];
      encode(jobs[t], h.args);
      Atomics.store(h.control, GO, generation);
      Atomics.notify(h.control, GO);
      used.push(h);
    }
    let error: unknown;
    try {
      for (const { kernel, args } of jobs[0]) (kernels[kernel] as (...a: number[]) => void)(...args);
    } catch (e) {
      error = e;
    }
    // Wait for every helper even when this thread failed: they are still writing into memory the caller frees.
    for (const h of used) {
      for (let done = Atomics.load(h.control, DONE); done !== generation; done = Atomics.load(h.control, DONE)) {
        Atomics.wait(h.control, DONE, done);
      }
    }
    if (error !== undefined) throw error;
    const failed = used.find((h) => Atomics.load(h.control, STATE) === FAILED);
    if (failed) {
      const e = failure(failed, "in a kernel");
      void shutdownThreads();
      throw e;
    }
  },
};

// Installed even before the kernels load (imports run first): with an unshared memory it offers one thread.
installKernelTeam(threadTeam);
