/**
 * The Node shard runner of `lossAndGrad`'s `shards` (./data-parallel.ts): worker threads that each hold replicas
 * of the networks they are sent and compute batch shards while the calling thread computes its own.
 *
 * Replicas are started on first use, getThreads() − 1 of them (the kernel team's thread count: `setThreads`,
 * LAYERWISE_THREADS or the cores), and kept, unref'd. Each loads the kernels on a memory of its own and runs
 * its products on one thread (./replica-worker.ts). Per pass the calling thread copies the parameters into one
 * SharedArrayBuffer per network and each replica's examples and targets into a buffer of that replica's, posts
 * the request on the replica's port, bumps its GO word and wakes it (Atomics.notify); after its own shards it
 * sleeps in Atomics.wait until the replica's DONE word reaches the generation and reads the reply with
 * receiveMessageOnPort, its arrays being views of the replica's result buffer (no copy until they are combined).
 * The replica's program is ./replica-worker.js next to this module (from the sources under vitest, through
 * tsx).
 */
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import { Matrix } from "../linalg/matrix.js";
import { teamThreads } from "../linalg/parallel.js";
import { getThreads } from "../linalg/threads.js";
import { installShardRunner, type ReplicaPass, type ShardPass, type ShardRunner } from "./data-parallel.js";
import {
  CONTROL_INTS,
  DONE,
  FAILED,
  GO,
  MESSAGE_LENGTH,
  READY,
  STARTING,
  STATE,
  STOP,
  type Block,
  type ReplicaReply,
  type ReplicaRequest,
  type ReplicaSetup,
} from "./replica-protocol.js";
import type { KroneckerStats, Params } from "./types.js";

const MESSAGE_BYTES = 4096;
/** Loading the library in a fresh thread takes well under a second from dist/; tsx compiling the sources, longer. */
const START_TIMEOUT_MS = 120_000;

interface Replica {
  worker: Worker;
  control: Int32Array;
  message: Uint8Array;
  port: MessagePort;
  /** The network it holds (it keeps one: a replica per network ever sent would hold all their buffers). */
  holds?: number;
  /** Its examples and targets (grown as needed). */
  input: Float64Array;
  exited: Promise<void>;
}

const replicas: Replica[] = [];
/** Per network, the shared copy of its parameters. */
const sharedParams = new WeakMap<object, Float64Array>();
let generation = 0;

function sharedFloats(count: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(8 * Math.max(count, 1)));
}

/** The program a replica thread evaluates: import ./replica-worker (through tsx when running from the sources). */
function replicaProgram(): string {
  const here = import.meta.url;
  const fromSources = here.endsWith(".ts");
  const entry = JSON.stringify(new URL(`./replica-worker.${fromSources ? "ts" : "js"}`, here).href);
  const load = fromSources
    ? `import("tsx/esm/api").then((tsx) => tsx.tsImport(${entry}, ${JSON.stringify(here)}))`
    : `import(${entry})`;
  // It must parse as a script and as a module (workers inherit --input-type), hence getBuiltinModule.
  return `"use strict";
const { workerData } = process.getBuiltinModule("node:worker_threads");
${load}.catch((error) => {
  const text = new TextEncoder().encode(String((error && error.stack) || error)).subarray(0, workerData.message.byteLength);
  new Uint8Array(workerData.message).set(text);
  const control = new Int32Array(workerData.control);
  Atomics.store(control, ${MESSAGE_LENGTH}, text.length);
  Atomics.store(control, ${STATE}, ${FAILED});
  Atomics.notify(control, ${STATE});
});
`;
}

function startReplica(): Replica {
  const control = new SharedArrayBuffer(CONTROL_INTS * 4);
  const message = new SharedArrayBuffer(MESSAGE_BYTES);
  const { port1, port2 } = new MessageChannel();
  const workerData: ReplicaSetup = { control, message, port: port2 };
  const worker = new Worker(replicaProgram(), { eval: true, workerData, transferList: [port2] });
  worker.unref();
  port1.unref();
  // Failures are reported through the control words; this only keeps Node from treating the event as unhandled.
  worker.on("error", () => {});
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  return {
    worker,
    control: new Int32Array(control),
    message: new Uint8Array(message),
    port: port1,
    input: sharedFloats(0),
    exited,
  };
}

/** Throws (and stops the replicas) unless replica `r` has started. */
function checkStarted(r: Replica): void {
  const state = Atomics.load(r.control, STATE);
  if (state === READY) return;
  const text = new TextDecoder().decode(r.message.slice(0, Atomics.load(r.control, MESSAGE_LENGTH)));
  void shutdownReplicas();
  throw new Error(
    state === FAILED
      ? `layerwise: a replica thread failed to start: ${text}`
      : `layerwise: a replica thread did not start within ${START_TIMEOUT_MS / 1000} s`,
  );
}

/** Starts replicas until there are `count` and returns those started now. */
function addReplicas(count: number): Replica[] {
  const started = replicas.length;
  while (replicas.length < count) replicas.push(startReplica());
  return replicas.slice(started);
}

/** Starts replicas until there are `count`, waiting (blocking) until each is ready. */
function ensureReplicas(count: number): void {
  addReplicas(count);
  for (const r of replicas) {
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Atomics.load(r.control, STATE) === STARTING && Date.now() < deadline) {
      Atomics.wait(r.control, STATE, STARTING, deadline - Date.now());
    }
    checkStarted(r);
  }
}

/**
 * Starts the replica threads now (getThreads() − 1 of them) rather than on the first sharded pass, and resolves
 * when they are ready, leaving the event loop free meanwhile (each loads the library and the kernels): before
 * timing a workload, or in a test runner that must keep answering its own messages.
 */
export async function startReplicas(): Promise<void> {
  addReplicas(getThreads() - 1);
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (const r of replicas) {
    while (Atomics.load(r.control, STATE) === STARTING && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    checkStarted(r);
  }
}

/** Stops every replica thread and waits until they have exited (they restart on the next sharded pass). */
export async function shutdownReplicas(): Promise<void> {
  const stopping = replicas.splice(0);
  for (const r of stopping) {
    r.worker.ref(); // an unref'd worker would let the process end (with this promise unsettled) before it exits
    Atomics.store(r.control, GO, STOP);
    Atomics.notify(r.control, GO);
  }
  await Promise.all(stopping.map((r) => r.exited));
}

/** How many replica threads are running (for tests and diagnostics). */
export function replicaCount(): number {
  return replicas.length;
}

/** The parameters packed in paramSpecs order into the network's shared buffer. */
function shareParams(pass: ReplicaPass): Float64Array {
  const size = pass.paramSpecs.reduce((sum, s) => sum + s.rows * s.cols, 0);
  let shared = sharedParams.get(pass.network);
  if (!shared) sharedParams.set(pass.network, (shared = sharedFloats(size)));
  let at = 0;
  for (const spec of pass.paramSpecs) {
    shared.set(pass.params[spec.key].data, at);
    at += spec.rows * spec.cols;
  }
  return shared;
}

/** The request for one replica: its shards' examples and targets copied into its input buffer. */
function requestFor(r: Replica, pass: ReplicaPass, t: number, params: Float64Array): ReplicaRequest {
  const shards = pass.jobs[t];
  const first = shards[0].start;
  const last = shards[shards.length - 1].end;
  const { x, targets } = pass;
  const targetCols = targets instanceof Matrix ? targets.cols : 0;
  const xCount = (last - first) * x.cols;
  const targetCount = (last - first) * Math.max(targetCols, 1);
  if (r.input.length < xCount + targetCount) r.input = sharedFloats(Math.ceil((xCount + targetCount) * 1.25));
  r.input.set(x.data.subarray(first * x.cols, last * x.cols), 0);
  if (targets instanceof Matrix) r.input.set(targets.data.subarray(first * targetCols, last * targetCols), xCount);
  else for (let i = first; i < last; i++) r.input[xCount + i - first] = targets[i];
  const known = r.holds === pass.network.id;
  r.holds = pass.network.id;
  return {
    ...(!known && { network: pass.network }),
    networkId: pass.network.id,
    params,
    input: r.input,
    cols: x.cols,
    targetCols,
    targetsAt: xCount,
    loss: pass.loss,
    stats: pass.stats,
    shards: shards.map((s) => ({ ...s, start: s.start - first, end: s.end - first })),
  };
}

/** The shard passes of a reply, as views of the replica's result buffer. */
function passesOf(reply: ReplicaReply, pass: ReplicaPass): ShardPass[] {
  if ("error" in reply) throw new Error(`layerwise: a replica thread failed in a pass: ${reply.error}`);
  const { buffer } = reply;
  const view = (b: Block): Matrix => new Matrix(b.rows, b.cols, buffer.subarray(b.offset, b.offset + b.rows * b.cols));
  return reply.shards.map((s): ShardPass => {
    const grads: Params = {};
    let at = s.grads;
    for (const spec of pass.paramSpecs) {
      grads[spec.key] = view({ offset: at, rows: spec.rows, cols: spec.cols });
      at += spec.rows * spec.cols;
    }
    const stats = s.stats.map((k): KroneckerStats => ({
      kind: k.kind,
      weight: k.weight,
      bias: k.bias,
      a: view(k.a),
      g: view(k.g),
      gSampled: k.gSampled && view(k.gSampled),
      batchSize: s.rows,
      positions: k.positions,
    }));
    return { rows: s.rows, loss: s.loss, grads, output: view(s.output), stats };
  });
}

/** The Node shard runner (installed when this module loads). */
export const replicaRunner: ShardRunner = {
  // Inside `withoutTeam` a pass keeps to the calling thread, shards included (one shard's pass runs beside the
  // others there, and a caller can time one thread without stopping the helpers and replicas).
  threads: teamThreads,
  start(pass) {
    ensureReplicas(pass.jobs.length);
    const params = shareParams(pass);
    generation = (generation % 0x7ffffffe) + 1; // positive, and never STOP
    const used = pass.jobs.map((_, t) => {
      const r = replicas[t];
      r.port.postMessage(requestFor(r, pass, t, params));
      Atomics.store(r.control, GO, generation);
      Atomics.notify(r.control, GO);
      return r;
    });
    const awaited = generation;
    return () => {
      const replies = used.map((r) => {
        for (let done = Atomics.load(r.control, DONE); done !== awaited; done = Atomics.load(r.control, DONE)) {
          Atomics.wait(r.control, DONE, done);
        }
        const reply = receiveMessageOnPort(r.port)?.message as ReplicaReply | undefined;
        if (!reply || "error" in reply) r.holds = undefined; // it may not have built the network: send it again
        return reply;
      });
      return replies.flatMap((reply) => {
        if (!reply) throw new Error("layerwise: a replica thread finished without a reply");
        return passesOf(reply, pass);
      });
    };
  },
};

installShardRunner(replicaRunner);
