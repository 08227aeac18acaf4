/**
 * A worker thread of the pool (pool.ts). It imports the experiment registry once (and with it the WebAssembly
 * kernels), sets the thread count of its large matrix products as the pool decided, then runs the trials the
 * main thread sends, one at a time, posting progress and the finished record (series buffers are transferred,
 * not copied).
 */
import { parentPort, workerData } from "node:worker_threads";
import "../linalg/wasm-node.js";
import "../nn/replicas.js";
import { setThreads } from "../linalg/threads.js";
import { lookupExperiment } from "./registry.js";
import { executeTrial } from "./trial.js";
import type { FromWorker, ToWorker, WorkerSetup } from "./pool.js";

const port = parentPort;
if (!port) throw new Error("runner/pool-worker.js must run in a worker thread");
setThreads((workerData as WorkerSetup).kernelThreads);

port.on("message", (message: ToWorker) => {
  void (async () => {
    const experiment = lookupExperiment(message.experiment);
    if (!experiment) throw new Error(`worker: unknown experiment "${message.experiment}"`);
    const record = await executeTrial(experiment, message.trial, (fraction) =>
      port.postMessage({ type: "progress", fraction } satisfies FromWorker),
    );
    const buffers = Object.values(record.series).flatMap((s) => [s.steps.buffer, s.values.buffer]);
    port.postMessage({ type: "done", record } satisfies FromWorker, buffers as ArrayBuffer[]);
  })();
});
port.postMessage({ type: "ready" } satisfies FromWorker);
