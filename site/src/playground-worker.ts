/**
 * The playground's Web Worker: loads the browser build, trains the two sides (playground-train.ts) and posts the
 * curves as it goes ("partial", at most every 150 ms), then the final numbers. Stopping terminates it.
 */
import type { PlaygroundConfig, PlaygroundProgress } from "./playground-train.js";
import type { RunMessage, WorkerMessage } from "./protocol.js";

// Imported dynamically so that `onmessage` is in place at once (see trial-worker.ts).
const modules = Promise.all([import("./layerwise.js"), import("./playground-train.js")]);

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<RunMessage>) => void) | null;
  postMessage(message: WorkerMessage): void;
};

scope.onmessage = (event) => {
  void (async () => {
    const config = event.data.trials[0].config as unknown as PlaygroundConfig;
    try {
      const [lw, { trainSideBySide }] = await modules;
      let last = 0;
      const final = await trainSideBySide(lw, config, (progress, fraction) => {
        const now = performance.now();
        if (now - last < 150 && fraction < 1) return;
        last = now;
        scope.postMessage({ type: "progress", index: 0, fraction });
        scope.postMessage({ type: "partial", index: 0, data: progress satisfies PlaygroundProgress });
      });
      scope.postMessage({ type: "partial", index: 0, data: final });
      scope.postMessage({ type: "result", index: 0, result: { scalars: {}, series: {}, info: { final } } });
    } catch (e) {
      scope.postMessage({ type: "error", index: 0, message: e instanceof Error ? e.message : String(e) });
    }
    scope.postMessage({ type: "done" });
  })();
};
