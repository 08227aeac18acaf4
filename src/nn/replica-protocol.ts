/**
 * What the calling thread (./replicas.ts) and a replica thread (./replica-worker.ts) exchange for one pass. Bulk
 * data travel through SharedArrayBuffers (one copy each way), the small request and reply as messages on a
 * MessagePort read synchronously (receiveMessageOnPort) after an Atomics handshake on the control words below.
 */
import type { MessagePort } from "node:worker_threads";
import type { NetworkDescription } from "./data-parallel.js";
import type { StatsKind } from "./types.js";

// The replica's control Int32Array: the generation to run (STOP: exit), the last generation finished, its state
// and the length of its start-up error message.
export const GO = 0;
export const DONE = 1;
export const STATE = 2;
export const MESSAGE_LENGTH = 3;
export const CONTROL_INTS = 4;
export const STOP = -1;
export const STARTING = 0;
export const READY = 1;
export const FAILED = 2;

/** What a replica thread is started with. */
export interface ReplicaSetup {
  control: SharedArrayBuffer;
  /** Its start-up error message, UTF-8 (MESSAGE_LENGTH bytes). */
  message: SharedArrayBuffer;
  port: MessagePort;
}

/** Calling thread → replica: compute these shards. */
export interface ReplicaRequest {
  /** The network as data, when the replica does not hold it yet. */
  network?: NetworkDescription;
  networkId: number;
  /** The parameters, packed in the network's paramSpecs order (shared, read only). */
  params: Float64Array;
  /** The examples of this request's shards (one after the other, `cols` each), then their targets. */
  input: Float64Array;
  cols: number;
  /** Entries per target: 0 for class indices (one number each), else a Matrix row of this many. */
  targetCols: number;
  /** Where the targets start in `input`. */
  targetsAt: number;
  loss: string;
  stats: readonly StatsKind[];
  /** The shards, as example ranges relative to the first example in `input`. */
  shards: readonly { start: number; end: number; sampledFisherSeed?: number }[];
}

/** A matrix inside the reply's buffer. */
export interface Block {
  offset: number;
  rows: number;
  cols: number;
}

/** One shard's pass inside the reply's buffer. */
export interface ShardReply {
  rows: number;
  loss: number;
  /** Where the gradients start: packed in the network's paramSpecs order. */
  grads: number;
  output: Block;
  stats: {
    kind: "dense" | "conv2d";
    weight: string;
    bias?: string;
    positions: number;
    a: Block;
    g: Block;
    gSampled?: Block;
  }[];
}

/** Replica → calling thread. */
export type ReplicaReply = { error: string } | { buffer: Float64Array; shards: ShardReply[] };
