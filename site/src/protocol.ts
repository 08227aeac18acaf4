/** Messages between a page and its trial worker (trial-worker.ts). */
import type { TrialResult } from "../../src/index.js";

/** One trial to run: `experiments.runTrial(name, config, seed)`. */
export interface TrialRequest {
  name: string;
  config: Record<string, unknown>;
  seed: number;
}

/** Page → worker: the trials to run, in order. */
export interface RunMessage {
  trials: TrialRequest[];
}

/** Worker → page ("partial": data shown while a trial runs, e.g. the playground's curves so far). */
export type WorkerMessage =
  | { type: "progress"; index: number; fraction: number }
  | { type: "partial"; index: number; data: unknown }
  | { type: "result"; index: number; result: TrialResult }
  | { type: "error"; index: number; message: string }
  | { type: "done" };
