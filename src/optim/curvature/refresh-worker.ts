/**
 * The background refresh thread's program (Node only; started by refresh-thread.ts): it loads the WebAssembly
 * kernels on its own memory, runs its products on this one thread (so it takes at most one core from the training
 * loop), and answers each posted `RefreshJob` with `computeRefresh` — the very function the training thread runs
 * when it computes a refresh itself — posting the outcome on the results port (buffers transferred) and bumping
 * the answered count in the shared control block, which the training thread waits on (Atomics.wait).
 */
import { parentPort, workerData, type MessagePort } from "node:worker_threads";
import "../../linalg/wasm-node.js";
import { setThreads } from "../../linalg/threads.js";
import {
  CONTROL_DONE,
  CONTROL_STATE,
  THREAD_READY,
  computeRefresh,
  outcomeBuffers,
  reviveInput,
  type RefreshJob,
  type RefreshReply,
} from "./refresh-spec.js";

/** What refresh-thread.ts starts this program with. */
export interface RefreshWorkerData {
  control: SharedArrayBuffer;
  results: MessagePort;
  /** Milliseconds to sleep before answering each job: a late worker on demand, for tests of the waiting path. */
  latencyMs: number;
}

const { control, results, latencyMs } = workerData as RefreshWorkerData;
const ctl = new Int32Array(control);
setThreads(1);

parentPort!.on("message", (job: RefreshJob) => {
  let reply: RefreshReply;
  let transfer: ArrayBuffer[] = [];
  try {
    const outcome = computeRefresh(job.spec, reviveInput(job.input));
    reply = { id: job.id, outcome };
    transfer = outcomeBuffers(outcome);
  } catch (e) {
    reply = { id: job.id, crash: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  }
  if (latencyMs > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, latencyMs);
  results.postMessage(reply, transfer);
  Atomics.add(ctl, CONTROL_DONE, 1);
  Atomics.notify(ctl, CONTROL_DONE);
});
Atomics.store(ctl, CONTROL_STATE, THREAD_READY);
Atomics.notify(ctl, CONTROL_STATE);
