/**
 * A replica thread (started by ./replicas.ts): it loads the kernels on a memory of its own, keeps its products on
 * one thread, builds replicas of the networks it is sent (from their layer specs), and then, each time the calling
 * thread bumps GO, computes the shards of the request waiting on its port with the network's own `lossAndGrad`
 * (the same code and kernels as the calling thread, so the same bits) and writes the results into a
 * SharedArrayBuffer of its own, sent back with the reply.
 */
import { receiveMessageOnPort, workerData } from "node:worker_threads";
import "../linalg/wasm-node.js";
import { Matrix } from "../linalg/matrix.js";
import { setThreads } from "../linalg/threads.js";
import { SHARDABLE_LOSSES, type ShardTargets } from "./data-parallel.js";
import type { Loss } from "./losses.js";
import { layerFromSpec } from "./layer-spec.js";
import {
  DONE,
  GO,
  READY,
  STATE,
  STOP,
  type Block,
  type ReplicaReply,
  type ReplicaRequest,
  type ReplicaSetup,
  type ShardReply,
} from "./replica-protocol.js";
import { sequential, type Network } from "./sequential.js";
import type { KroneckerStats, Params } from "./types.js";

const { control, port } = workerData as ReplicaSetup;
const ctl = new Int32Array(control);
setThreads(1);

/** The network of the last request that sent one, by id (one at a time: see ./replicas.ts). */
let held: { id: number; network: Network } | undefined;
let buffer = new Float64Array(new SharedArrayBuffer(8 * 65536));
let used = 0;

/** Appends `data` to the reply buffer (grown, contents kept, when full) and returns where it starts. */
function append(data: Float64Array): number {
  if (used + data.length > buffer.length) {
    const grown = new Float64Array(new SharedArrayBuffer(8 * Math.ceil((used + data.length) * 1.25)));
    grown.set(buffer.subarray(0, used));
    buffer = grown;
  }
  buffer.set(data, used);
  used += data.length;
  return used - data.length;
}

function block(m: Matrix): Block {
  return { offset: append(m.data), rows: m.rows, cols: m.cols };
}

function compute(request: ReplicaRequest): ReplicaReply {
  if (request.network) {
    const { id, layers, inputShape, dtype, init } = request.network;
    held = { id, network: sequential(layers.map(layerFromSpec), { inputShape, dtype, init }) };
  }
  if (held?.id !== request.networkId) throw new Error(`replica: network ${request.networkId} was never sent`);
  const { network } = held;
  const params: Params = {};
  let at = 0;
  for (const spec of network.paramSpecs) {
    const size = spec.rows * spec.cols;
    params[spec.key] = new Matrix(spec.rows, spec.cols, request.params.subarray(at, at + size));
    at += size;
  }
  // Each loss takes the targets' form that the calling thread cut (class indices or matrix rows).
  const loss = SHARDABLE_LOSSES[request.loss as keyof typeof SHARDABLE_LOSSES] as unknown as Loss<ShardTargets>;
  const { input, cols, targetCols, targetsAt } = request;
  used = 0;
  const shards = request.shards.map(({ start, end, sampledFisherSeed }): ShardReply => {
    const rows = end - start;
    const x = new Matrix(rows, cols, input.subarray(start * cols, end * cols));
    const width = Math.max(targetCols, 1);
    const values = input.subarray(targetsAt + start * width, targetsAt + end * width);
    const targets = targetCols > 0 ? new Matrix(rows, targetCols, values) : values;
    const pass = network.lossAndGrad(params, x, targets, loss, {
      stats: request.stats,
      sampledFisherSeed,
      reuseGrads: true,
    });
    const grads = used;
    for (const spec of network.paramSpecs) append(pass.grads[spec.key].data);
    return {
      rows,
      loss: pass.loss,
      grads,
      output: block(pass.output),
      stats: pass.stats.map((s) => {
        const k = s as KroneckerStats;
        return {
          kind: k.kind,
          weight: k.weight,
          bias: k.bias,
          positions: k.positions,
          a: block(k.a),
          g: block(k.g),
          ...(k.gSampled && { gSampled: block(k.gSampled) }),
        };
      }),
    };
  });
  return { buffer, shards };
}

Atomics.store(ctl, STATE, READY);
Atomics.notify(ctl, STATE);
for (let seen = 0; ;) {
  Atomics.wait(ctl, GO, seen);
  const go = Atomics.load(ctl, GO);
  if (go === seen) continue;
  if (go === STOP) break;
  seen = go;
  let reply: ReplicaReply;
  try {
    const request = receiveMessageOnPort(port)?.message as ReplicaRequest | undefined;
    if (!request) throw new Error("replica: woken without a request");
    reply = compute(request);
  } catch (error) {
    reply = { error: String((error as Error)?.stack ?? error) };
  }
  port.postMessage(reply);
  Atomics.store(ctl, DONE, go);
  Atomics.notify(ctl, DONE);
}
port.close();
