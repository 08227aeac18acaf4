/**
 * Progress of a sweep on stderr: a redrawn bar (trials done/total, failures, elapsed, ETA) when stderr is a
 * terminal, plain lines every few seconds otherwise, nothing at all when quiet.
 *
 * ETA: work done so far is the finished trials of this session plus the reported fractions of the trials in
 * flight; the remaining work (trials not yet finished, minus those fractions) is assumed to go at the average
 * rate so far.
 */

export interface ProgressOptions {
  label: string;
  /** Trials of the whole sweep. */
  total: number;
  /** Trials already finished before this session (resume). */
  skipped: number;
  stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** "bar" redraws one line (terminals), "lines" prints a line every `intervalMs`, "none" prints nothing. */
  mode: "bar" | "lines" | "none";
  intervalMs?: number;
}

/** Seconds as "42s", "3m07s" or "1h02m". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** Tracks and displays the progress of a sweep. */
export class Progress {
  private readonly start = performance.now();
  private finished = 0;
  private failed = 0;
  private readonly inFlight = new Map<string, number>();
  private lastDraw = -Infinity;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ProgressOptions) {
    if (options.mode !== "none") {
      // Redraw while trials run even when none finishes, so elapsed time and ETA stay live.
      this.timer = setInterval(() => this.draw(false), options.mode === "bar" ? 500 : 1000);
      this.timer.unref();
      if (options.mode === "lines" && options.skipped > 0) {
        options.stream.write(`[${options.label}] resuming: ${options.skipped} trials already done\n`);
      }
    }
  }

  /** A trial started. */
  started(key: string): void {
    this.inFlight.set(key, 0);
  }

  /** A trial reported `fraction` done. */
  advanced(key: string, fraction: number): void {
    if (this.inFlight.has(key)) this.inFlight.set(key, fraction);
  }

  /** A trial finished. */
  ended(key: string, failed: boolean): void {
    this.inFlight.delete(key);
    this.finished++;
    if (failed) this.failed++;
    this.draw(false);
  }

  /** Estimated seconds left, or NaN before anything measurable happened. */
  eta(): number {
    const elapsed = (performance.now() - this.start) / 1000;
    const partial = [...this.inFlight.values()].reduce((a, b) => a + b, 0);
    const work = this.finished + partial;
    const remaining = this.options.total - this.options.skipped - work;
    return work > 0 ? (remaining * elapsed) / work : NaN;
  }

  /** The status line: "[name] 12/40 trials, 1 failed, 3.2s elapsed, ETA 7s". */
  line(): string {
    const { label, total, skipped } = this.options;
    const done = skipped + this.finished;
    const elapsed = formatDuration((performance.now() - this.start) / 1000);
    const failed = this.failed > 0 ? `, ${this.failed} failed` : "";
    return `[${label}] ${done}/${total} trials${failed}, ${elapsed} elapsed, ETA ${formatDuration(this.eta())}`;
  }

  private draw(force: boolean): void {
    const { mode, stream, total, skipped } = this.options;
    const now = performance.now();
    if (mode === "none") return;
    if (mode === "lines") {
      if (!force && now - this.lastDraw < (this.options.intervalMs ?? 5000)) return;
      this.lastDraw = now;
      stream.write(`${this.line()}\n`);
      return;
    }
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - 70));
    const fraction = total > 0 ? (skipped + this.finished) / total : 1;
    const filled = Math.round(fraction * width);
    const bar = `${"█".repeat(filled)}${"░".repeat(width - filled)}`;
    stream.write(`\r\x1b[2K${bar} ${this.line()}`);
  }

  /** Draws the final state and stops the timer. */
  finish(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.options.mode === "none") return;
    this.draw(true);
    if (this.options.mode === "bar") this.options.stream.write("\n");
  }
}
