/**
 * What every page of the explorable shares: `window.layerwise` (the package's browser build), the trial runner
 * (one Web Worker per run, progress bar, Stop button), figures drawn with vega-embed at the width of their box,
 * and plain tables.
 */
import embed from "vega-embed";
import * as layerwise from "./layerwise.js";
import type { TrialResult } from "./layerwise.js";
import type { TrialRequest, WorkerMessage } from "./protocol.js";

declare global {
  interface Window {
    /** The package's browser build, for the console and for scripts driving the page. */
    layerwise: typeof layerwise;
  }
}
window.layerwise = layerwise;

/** The element with id `id`, which the page's HTML must have. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page is missing the element #${id}`);
  return el as T;
}

/** How a run ended. */
export type RunEnd = "done" | "stopped";

/**
 * Runs lists of trials in a Web Worker, one run at a time: starting a run stops the one in progress. Shows the
 * overall progress ((trials done + fraction of the current one) / trials) and a Stop button while running.
 */
export class TrialRunner {
  private worker: Worker | null = null;
  private finish: ((end: RunEnd) => void) | null = null;
  private readonly progress = byId<HTMLProgressElement>("progress");
  private readonly status = byId("status");
  private readonly stopButton = byId<HTMLButtonElement>("stop");

  /** `startWorker` makes the worker of one run (default: trial-worker.ts, which runs `experiments.runTrial`). */
  constructor(
    private readonly startWorker: () => Worker = () =>
      new Worker(new URL("./trial-worker.ts", import.meta.url), { type: "module" }),
  ) {
    this.stopButton.addEventListener("click", () => this.stop());
    this.idle("Ready.");
  }

  /**
   * Runs `trials`; `onResult` receives each finished trial, `onError` each failed one, `onPartial` what the
   * worker shows of a trial in progress.
   */
  run(
    trials: readonly TrialRequest[],
    onResult: (index: number, result: TrialResult) => void,
    onError: (index: number, message: string) => void = (index, message) =>
      this.setStatus(`Trial ${index + 1} failed: ${message}`),
    onPartial: (index: number, data: unknown) => void = () => {},
  ): Promise<RunEnd> {
    this.stop();
    delete document.body.dataset.ready;
    const started = performance.now();
    const worker = this.startWorker();
    this.worker = worker;
    this.stopButton.disabled = false;
    document.body.dataset.running = "true";
    let finished = 0;
    const show = (fraction: number) => {
      this.progress.value = (finished + fraction) / trials.length;
      this.setStatus(`Running trial ${Math.min(finished + 1, trials.length)} of ${trials.length}…`);
    };
    show(0);
    return new Promise<RunEnd>((resolve) => {
      this.finish = resolve;
      worker.onmessage = (event: MessageEvent<WorkerMessage>) => {
        const message = event.data;
        if (message.type === "progress") show(message.fraction);
        else if (message.type === "partial") onPartial(message.index, message.data);
        else if (message.type === "result" || message.type === "error") {
          finished++;
          show(0);
          if (message.type === "result") onResult(message.index, message.result);
          else onError(message.index, message.message);
        } else {
          const seconds = ((performance.now() - started) / 1000).toFixed(1);
          this.end("done", `Done: ${trials.length} trial${trials.length === 1 ? "" : "s"} in ${seconds} s.`);
        }
      };
      worker.onerror = (event) => this.end("done", `The worker failed: ${event.message}`);
      worker.postMessage({ trials });
    });
  }

  /** Stops the run in progress (its finished trials stay shown). */
  stop(): void {
    if (this.worker) this.end("stopped", "Stopped.");
  }

  private end(how: RunEnd, text: string): void {
    this.worker?.terminate();
    this.worker = null;
    if (how === "done") this.progress.value = 1;
    this.idle(text);
    const finish = this.finish;
    this.finish = null;
    finish?.(how);
  }

  private idle(text: string): void {
    this.stopButton.disabled = true;
    delete document.body.dataset.running;
    this.setStatus(text);
  }

  private setStatus(text: string): void {
    this.status.textContent = text;
  }
}

const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
const narrow = (): boolean => window.matchMedia("(max-width: 640px)").matches;

/**
 * A figure spec made for the page: the browser's sans-serif font, a single view stretched to its box's width,
 * and at phone width a smaller title and the legend below the plot.
 */
export function pageSpec(spec: Record<string, unknown>): Record<string, unknown> {
  const small = narrow();
  const config = {
    font: FONT,
    title: { font: FONT, fontSize: small ? 13 : 15, anchor: "start" },
    axis: { labelFont: FONT, titleFont: FONT, labelFontSize: 11, titleFontSize: 12 },
    legend: { labelFont: FONT, titleFont: FONT, labelFontSize: 12, ...(small ? { orient: "bottom", columns: 3 } : {}) },
    header: { labelFont: FONT, titleFont: FONT },
  };
  const out: Record<string, unknown> = { ...spec, config };
  if (!("facet" in spec)) {
    out.width = "container";
    out.autosize = { type: "fit-x", contains: "padding" };
    if (small) out.height = 220;
  }
  return out;
}

/** Draws `spec` (Vega-Lite) into `container` as SVG, replacing what was there. */
export async function showFigure(container: HTMLElement, spec: Record<string, unknown>): Promise<void> {
  await embed(container, pageSpec(spec) as never, {
    renderer: "svg",
    actions: { export: true, source: false, compiled: false, editor: false },
  });
  container.dataset.drawn = String(Number(container.dataset.drawn ?? 0) + 1);
}

/** A drawing function made safe to call on every result (see `latestOnly`). */
export interface Redraw<T> {
  (value: T): void;
  /** Resolves once every requested drawing is done. */
  idle(): Promise<void>;
}

/**
 * `draw` made safe to call on every result: calls run one at a time (drawings are asynchronous, and an older one
 * finishing last would overwrite a newer figure), and of the calls made meanwhile only the latest runs.
 */
export function latestOnly<T>(draw: (value: T) => Promise<void>): Redraw<T> {
  let pending: { value: T } | null = null;
  let running: Promise<void> | null = null;
  const loop = async (): Promise<void> => {
    while (pending) {
      const { value } = pending;
      pending = null;
      await draw(value);
    }
    running = null;
  };
  const redraw = (value: T): void => {
    pending = { value };
    running ??= loop();
  };
  redraw.idle = async (): Promise<void> => {
    while (running) await running;
  };
  return redraw;
}

/**
 * Marks the page ready (`<body data-ready>`) once a run that was not stopped has finished and its figures are
 * drawn: what scripts and tests wait for.
 */
export async function markReady(end: RunEnd, redraw: Redraw<never>): Promise<void> {
  await redraw.idle();
  // A newer run may have started meanwhile: then it is that run's turn to mark the page.
  if (end === "done" && !document.body.dataset.running) document.body.dataset.ready = "true";
}

/** A cell's text: numbers with 3 significant digits (integers as they are), null as "—". */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return String(value);
    return Number.isInteger(value) ? String(value) : value.toPrecision(3);
  }
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** Fills `table` with a header row of `columns` (key → heading) and one row per entry of `rows`. */
export function fillTable(
  table: HTMLTableElement,
  columns: readonly [key: string, heading: string][],
  rows: readonly Record<string, unknown>[],
): void {
  table.replaceChildren();
  const head = table.createTHead().insertRow();
  for (const [, heading] of columns) {
    const th = document.createElement("th");
    th.textContent = heading;
    head.appendChild(th);
  }
  const body = table.createTBody();
  for (const row of rows) {
    const tr = body.insertRow();
    for (const [key] of columns) tr.insertCell().textContent = cellText(row[key]);
  }
}
