/**
 * The Web Worker every page runs its trials in, so the page stays responsive: it loads the browser build (and
 * with it the WebAssembly kernels), runs the trials it is sent one after the other with
 * `experiments.runTrial`, and posts progress, each result and "done". Stopping is terminating the worker.
 */
import type { RunMessage, WorkerMessage } from "./protocol.js";

// Imported dynamically so that `onmessage` is in place at once: the library's top-level await (loading the
// kernels) would otherwise let the page's first message arrive before any handler exists.
const library = import("./layerwise.js");

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<RunMessage>) => void) | null;
  postMessage(message: WorkerMessage): void;
};

scope.onmessage = (event) => {
  void (async () => {
    const { trials } = event.data;
    const { experiments } = await library;
    for (let index = 0; index < trials.length; index++) {
      const { name, config, seed } = trials[index];
      try {
        const result = await experiments.runTrial(name, config, seed, {
          onProgress: (fraction) => scope.postMessage({ type: "progress", index, fraction }),
        });
        scope.postMessage({ type: "result", index, result });
      } catch (e) {
        scope.postMessage({ type: "error", index, message: e instanceof Error ? e.message : String(e) });
      }
    }
    scope.postMessage({ type: "done" });
  })();
};
