/**
 * The `layerwise` command line (docs/cli.md).
 *
 *   layerwise list | run | report | export | reproduce | worker   (each with --help)
 *
 * Exit codes: 0 success; 2 invalid input (reported before any work starts and before the output directory is
 * created); 1 a trial or the run failed.
 */
import "../linalg/wasm-node.js";
import "../nn/replicas.js";
import { existsSync, readdirSync, statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { InputError } from "../config/errors.js";
import { resolveConfig } from "../config/resolve.js";
import { closest } from "../config/suggest.js";
import type { SummaryRow } from "../results/records.js";
import { configHelp, configHelpText } from "../config/help.js";
import { type Claim, notRun, type Verdict } from "../results/claims.js";
import { comparePaperOrder, formatCell } from "../report/html.js";
import { verdictText } from "../report/verdicts.js";
import { type ExperimentOutputs, writeCombinedReport, writeExperimentOutputs } from "../runner/outputs.js";
import { exportCsv, exportJson } from "../runner/export.js";
import { type AnyExperiment, experimentNames, lookupExperiment, publicExperiments } from "../runner/registry.js";
import { QueueConnectionError } from "../runner/queue/connection.js";
import { executeQueuedRun } from "../runner/queue/coordinator.js";
import { parseQueueUrl } from "../runner/queue/redis-url.js";
import { preflightConfig } from "../runner/preflight.js";
import { executeRun, planRun, withCurrentKeys, type RunRequest } from "../runner/run.js";
import { ResultStore, StoreError } from "../runner/store.js";
import { packageVersion } from "../runner/version.js";
import { type FlagSpec, applyThreadsFlag, choiceFlag, integerFlag, outDirFlag, parseFlags } from "./args.js";
import { WORKER_HELP, workerCommand } from "./worker-command.js";
import { EXPLORE_HELP, explore } from "./explore.js";
import { isSystemError, systemErrorMessage } from "./system-errors.js";

const HELP: Record<string, string> = {
  main: `layerwise ${packageVersion}: layer-wise preconditioned optimization experiments

Usage: layerwise <command> [options]

Commands:
  list        list the experiments
  run         run an experiment (a sweep over its config), store results, write figures and a report
  report      rebuild figures and report.html from stored results
  export      print stored results as CSV or JSON
  reproduce   run every experiment at its quick size and write one combined report (npm start)
  worker      run trials of queued runs (run --queue) from a Redis queue, on any machine
  explore     serve the interactive explorable (the experiments in your browser) on 127.0.0.1

Run "layerwise <command> --help" for a command's options. "layerwise --version" prints the version.`,
  list: `Usage: layerwise list [--json]

Prints every experiment with a one-line description. --json prints one JSON array instead: per experiment its
name, description, sweepable keys, the claims it tests and every config key (as "run <experiment> --help" shows).`,
  run: `Usage: layerwise run <experiment> [options]

"layerwise run <experiment> --help" also lists the experiment's config keys.

Options:
  --set key=value   override a config field (repeatable); nested keys as a.b=3; lists for sweepable
                    fields as kappa=1,10,100 (their cartesian product is swept)
  --config FILE     JSON file of config overrides (applied before --set)
  --seeds N         repeats of every sweep point, each with its own seed (default 1)
  --seed S          run seed; trial seeds derive from (S, point, repeat) (default 0)
  --workers N       worker threads (default: number of CPU cores)
  --threads N       threads inside each trial's large matrix products (default: cores ÷ workers,
                    at least 1; also LAYERWISE_THREADS)
  --out DIR         output directory (default results/<experiment>); rerunning into the same
                    directory resumes: finished trials are skipped, failed ones rerun
  --fresh           delete results stored in --out and start over
  --queue URL       run the trials on queue workers ("layerwise worker") through the Redis at URL,
                    redis://[user:password@]host:port[/db] or rediss://... (TLS); results, summary
                    and figures land in --out as in a local run (--workers is then unused)
  --json            print only one JSON object on stdout:
                    {"experiment", "config", "summary", "outDir", ...}
  --help            show this help

Exit codes: 0 ok, 2 invalid input (nothing is run or created), 1 a trial or the run failed (or the
--queue Redis cannot be reached or refuses the login: then nothing is created either).`,
  worker: WORKER_HELP,
  explore: EXPLORE_HELP,
  report: `Usage: layerwise report [--out DIR] [--png-scale N]

Rebuilds figures (SVG, PNG), summary.json and report.html from the results stored in DIR (default results).
PNGs are rendered at N times the SVG size (1 to 4, default 2).
DIR is a run's directory, or a directory of runs (as written by reproduce): then every run is rebuilt and one
combined DIR/report.html is written.`,
  export: `Usage: layerwise export --format csv|json [--out DIR]

Prints the results stored in DIR (a run's directory, or a directory holding exactly one run; default results)
on stdout:
  csv   one row per metric value: point_index, repeat, seed, status, <swept keys>, metric, step, value, error
  json  {"run": {...}, "trials": [{point, seed, status, scalars, series: {name: {steps, values}}, ...}]}`,
  reproduce: `Usage: layerwise reproduce [--out DIR] [--workers N] [--threads N] [--fresh] [--only NAME,NAME...] [--json]

Runs every experiment (or those named by --only) with its quick settings, each into DIR/<experiment> (default
DIR: results), checks the paper's claims on the stored results and writes one combined DIR/report.html that
opens with the verdicts. Rerunning resumes finished work; a run whose settings changed starts over.
Ends with the verdict table: each claim, the numbers measured, and ✓ / ✗ / not run.
--json prints only one JSON object on stdout: {"outDir", "report", "experiments", "verdicts"}.

--threads N sets the threads inside each trial's large matrix products (default: cores ÷ workers, at
least 1; also LAYERWISE_THREADS).

Exit codes: 0 every claim that ran held, 1 a claim failed at the size it ran or a trial failed, 2 invalid input.`,
};

const COMMON: FlagSpec = { help: { type: "boolean", short: "h" } };
const RUN_FLAGS: FlagSpec = {
  ...COMMON,
  set: { type: "string", multiple: true },
  config: { type: "string" },
  seeds: { type: "string" },
  seed: { type: "string" },
  workers: { type: "string" },
  threads: { type: "string" },
  out: { type: "string" },
  fresh: { type: "boolean" },
  json: { type: "boolean" },
  queue: { type: "string" },
};

const say = (text: string): void => void process.stdout.write(`${text}\n`);
const warn = (text: string): void => void process.stderr.write(`${text}\n`);

/** An aligned plain-text table of summary rows. */
function textTable(rows: readonly SummaryRow[]): string {
  if (rows.length === 0) return "(no summary rows)";
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cells = rows.map((r) => keys.map((k) => formatCell(r[k])));
  const widths = keys.map((k, i) => Math.max(k.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]): string =>
    c
      .map((s, i) => s.padEnd(widths[i]))
      .join("  ")
      .trimEnd();
  return [line(keys), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}

function requireExperiment(name: string | undefined, command: string): AnyExperiment {
  if (!name) throw new InputError(`${command}: missing the experiment name; available: ${publicNames()}`);
  const experiment = lookupExperiment(name);
  if (!experiment) {
    const near = closest(name, experimentNames());
    const hint = near.length > 0 ? `did you mean ${near.join(" or ")}? ` : "";
    throw new InputError(`unknown experiment "${name}"; ${hint}available: ${publicNames()}`);
  }
  return experiment;
}

const publicNames = (): string =>
  publicExperiments()
    .map((e) => e.name)
    .join(", ") || "(none registered)";

function progressMode(json: boolean): RunRequest["progress"] {
  if (process.stderr.isTTY) return "bar";
  return json ? "none" : "lines";
}

function list(argv: string[]): number {
  const { values } = parseFlags("list", argv, { ...COMMON, json: { type: "boolean" } });
  if (values.help) return (say(HELP.list), 0);
  const experiments = publicExperiments();
  if (values.json) {
    say(JSON.stringify(experiments.map(describeExperiment)));
    return 0;
  }
  const width = Math.max(0, ...experiments.map((e) => e.name.length));
  for (const e of experiments) say(`${e.name.padEnd(width)}  ${e.description}`);
  return 0;
}

/** An experiment as `list --json` shows it. */
function describeExperiment(e: AnyExperiment) {
  return {
    name: e.name,
    description: e.description,
    sweepable: e.sweepable,
    quickSeeds: e.quickSeeds ?? 1,
    claims: (e.claims ?? []).map((c: Claim) => ({ id: c.id, statement: c.statement, section: c.section })),
    config: configHelp(e.schema, e.sweepable),
  };
}

/** `run <experiment> --help`: the run options, then the experiment's config keys. */
function runHelp(name: string | undefined): string {
  if (name === undefined) return HELP.run;
  const e = requireExperiment(name, "run");
  return `${HELP.run}

Config of ${e.name} (--set key=value; "sweep: yes" keys take lists, e.g. --set ${e.sweepable[0] ?? "key"}=a,b):
${configHelpText(configHelp(e.schema, e.sweepable))}`;
}

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags("run", argv, RUN_FLAGS);
  if (values.help) return (say(runHelp(positionals[0])), 0);
  if (positionals.length > 1) throw new InputError(`run: expected one experiment, got ${positionals.join(" ")}`);
  const experiment = requireExperiment(positionals[0], "run");
  const seeds = integerFlag("seeds", values.seeds, 1, 1, 1_000_000);
  const runSeed = integerFlag("seed", values.seed, 0, 0, Number.MAX_SAFE_INTEGER);
  const workers = integerFlag("workers", values.workers, availableParallelism(), 1, 1024);
  applyThreadsFlag(values.threads);
  const queue = typeof values.queue === "string" ? parseQueueUrl(values.queue) : undefined;
  const parsed = resolveConfig(experiment, {
    configFile: values.config as string | undefined,
    sets: (values.set as string[] | undefined) ?? [],
  });
  const outDir = outDirFlag(values.out, join("results", experiment.name));
  const config = await preflightConfig(experiment, parsed, (note) => warn(`${experiment.name}: ${note}`));
  const json = values.json === true;
  const plan = planRun({
    experiment,
    config,
    runSeed,
    seeds,
    workers,
    outDir,
    fresh: values.fresh === true,
    progress: progressMode(json),
  });
  const result = queue ? await executeQueuedRun(plan, queue) : await executeRun(plan);
  const outputs = await writeExperimentOutputs(outDir, experiment, result.run, result.trials);
  if (json) {
    say(
      JSON.stringify({
        experiment: experiment.name,
        config,
        summary: outputs.summary,
        outDir,
        seed: runSeed,
        seeds,
        trials: trialCounts(result),
        report: outputs.files.report,
        verdicts: outputs.verdicts,
      }),
    );
  } else {
    printOutcome(experiment.name, outputs, result.failed);
    if (result.skipped > 0) say(`(resumed: ${result.skipped} trials were already stored)`);
  }
  if (result.failed > 0) warn(`layerwise: ${result.failed} trial(s) of ${experiment.name} failed (see the report)`);
  return result.failed > 0 ? 1 : 0;
}

function printOutcome(name: string, outputs: ExperimentOutputs, failed: number): void {
  say(`${name}: summary${failed > 0 ? ` (${failed} failed trials)` : ""}`);
  say(textTable(outputs.summary));
  if (outputs.verdicts.length > 0) say(`${name}: claims\n${verdictText(outputs.verdicts)}`);
  say(`report: ${outputs.files.report}`);
}

/** The run directories under `dir`: `dir` itself if it holds a store, else its subdirectories that do. */
function runDirectories(dir: string): { dirs: string[]; combined: boolean } {
  if (ResultStore.exists(dir)) return { dirs: [dir], combined: false };
  const dirs = existsSync(dir)
    ? readdirSync(dir)
        .map((d) => join(dir, d))
        .filter((d) => statSync(d).isDirectory() && ResultStore.exists(d))
        .sort()
    : [];
  if (dirs.length === 0) throw new InputError(`--out ${dir}: no stored results there (nor in its subdirectories)`);
  return { dirs, combined: true };
}

/** Reads a run directory's store and experiment. */
function loadRun(dir: string) {
  const store = new ResultStore(dir, { readonly: true });
  try {
    const run = store.run();
    if (!run) throw new InputError(`--out ${dir}: the result store holds no run`);
    const experiment = lookupExperiment(run.experiment);
    if (!experiment) throw new InputError(`--out ${dir}: stored experiment "${run.experiment}" is not known`);
    return { experiment, ...withCurrentKeys(experiment, run, store.trials()) };
  } finally {
    store.close();
  }
}

async function report(argv: string[]): Promise<number> {
  const { values } = parseFlags("report", argv, {
    ...COMMON,
    out: { type: "string" },
    "png-scale": { type: "string" },
  });
  if (values.help) return (say(HELP.report), 0);
  const pngScale = integerFlag("png-scale", values["png-scale"], 2, 1, 4);
  const dir = outDirFlag(values.out, "results");
  const { dirs, combined } = runDirectories(dir);
  const loaded = dirs.map((d) => ({ dir: d, ...loadRun(d) }));
  const sections = [];
  const verdicts: Verdict[] = [];
  for (const { dir: d, run, experiment, trials } of loaded) {
    const outputs = await writeExperimentOutputs(d, experiment, run, trials, pngScale);
    sections.push({ outDir: d, section: outputs.section });
    verdicts.push(...outputs.verdicts);
    say(`${experiment.name}: ${outputs.files.figures.length / 2} figures, report: ${outputs.files.report}`);
  }
  if (verdicts.length > 0) say(`\nVerdicts (checked on the stored results):\n${verdictText(verdicts)}`);
  if (combined) say(`combined report: ${writeCombinedReport(dir, sections)}`);
  return 0;
}

function exportCommand(argv: string[]): number {
  const { values } = parseFlags("export", argv, { ...COMMON, out: { type: "string" }, format: { type: "string" } });
  if (values.help) return (say(HELP.export), 0);
  const format = choiceFlag("format", values.format, ["csv", "json"] as const);
  const dir = outDirFlag(values.out, "results", "read");
  const { dirs } = runDirectories(dir);
  if (dirs.length > 1) {
    throw new InputError(
      `--out ${dir} holds several runs; export one of them: ${dirs.map((d) => `--out ${d}`).join(", ")}`,
    );
  }
  const { run, experiment, trials } = loadRun(dirs[0]);
  process.stdout.write(format === "json" ? `${exportJson(run, trials)}\n` : exportCsv(trials, experiment.sweepable));
  return 0;
}

async function reproduce(argv: string[]): Promise<number> {
  const { values } = parseFlags("reproduce", argv, {
    ...COMMON,
    out: { type: "string" },
    workers: { type: "string" },
    threads: { type: "string" },
    fresh: { type: "boolean" },
    only: { type: "string" },
    json: { type: "boolean" },
  });
  if (values.help) return (say(HELP.reproduce), 0);
  const workers = integerFlag("workers", values.workers, availableParallelism(), 1, 1024);
  applyThreadsFlag(values.threads);
  const dir = outDirFlag(values.out, "results");
  const json = values.json === true;
  const only =
    typeof values.only === "string"
      ? values.only.split(",").map((n) => requireExperiment(n.trim(), "reproduce"))
      : undefined;
  const experiments = [...(only ?? publicExperiments())].sort((a, b) => comparePaperOrder(a.paperOrder, b.paperOrder));
  // Validate every quick config and check its data before running anything.
  const configs = [];
  for (const e of experiments) {
    const config = resolveConfig(e, { base: (e.quick ?? {}) as Record<string, unknown> });
    configs.push(await preflightConfig(e, config, (note) => warn(`${e.name}: ${note}`)));
  }
  const sections = [];
  const verdicts: Verdict[] = [];
  const ran: Record<string, unknown>[] = [];
  let exitCode = 0;
  for (const [i, experiment] of experiments.entries()) {
    const request: RunRequest = {
      experiment,
      config: configs[i],
      runSeed: 0,
      seeds: experiment.quickSeeds ?? 1,
      workers,
      outDir: join(dir, experiment.name),
      fresh: values.fresh === true,
      progress: progressMode(json),
    };
    let plan;
    try {
      plan = planRun(request);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      const why =
        e instanceof StoreError ? "the stored results are not readable" : "settings changed since the stored run";
      warn(`${experiment.name}: ${why}; starting it over`);
      plan = planRun({ ...request, fresh: true });
    }
    try {
      const result = await executeRun(plan);
      const outputs = await writeExperimentOutputs(request.outDir, experiment, result.run, result.trials);
      sections.push({ outDir: request.outDir, section: outputs.section });
      verdicts.push(...outputs.verdicts);
      ran.push({ experiment: experiment.name, outDir: request.outDir, trials: trialCounts(result) });
      if (!json) printOutcome(experiment.name, outputs, result.failed);
      if (result.failed > 0) exitCode = 1;
    } catch (e) {
      warn(`layerwise: ${experiment.name} failed: ${e instanceof Error ? e.message : String(e)}`);
      verdicts.push(...notRun(experiment, "the experiment failed before its results could be checked"));
      exitCode = 1;
    }
  }
  const report = sections.length > 0 ? writeCombinedReport(dir, sections) : null;
  const failedClaims = verdicts.filter((v) => v.status === "fail");
  if (json) {
    say(JSON.stringify({ outDir: dir, report, experiments: ran, verdicts }));
  } else {
    say(`\nVerdicts (each claim checked on this run's stored results, at the size it ran):\n${verdictText(verdicts)}`);
    if (report) say(`\nreport: ${report}`);
  }
  if (failedClaims.length > 0) {
    warn(
      `layerwise: ${failedClaims.length} claim(s) did not hold at this size: ` +
        failedClaims.map((v) => `${v.experiment}/${v.claim} (${v.measured})`).join("; "),
    );
    exitCode = 1;
  }
  return exitCode;
}

/** The trial counts of a run, as `--json` reports them. */
function trialCounts(result: { trials: unknown[]; ran: number; skipped: number; failed: number }) {
  return { total: result.trials.length, ran: result.ran, skipped: result.skipped, failed: result.failed };
}

const COMMANDS: Record<string, (argv: string[]) => number | Promise<number>> = {
  list,
  run,
  report,
  export: exportCommand,
  reproduce,
  worker: workerCommand,
  explore,
};

/** Runs the CLI with `argv` (without node and script); returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  // `layerwise export ... | head`: a closed pipe ends the output quietly, as in other Unix tools.
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw e;
  });
  const [command, ...rest] = argv;
  if (command === "--version" || command === "-v") return (say(packageVersion), 0);
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    const topic = command === "help" ? rest[0] : undefined;
    say(topic && HELP[topic] ? HELP[topic] : HELP.main);
    return 0;
  }
  try {
    const handler = COMMANDS[command];
    if (!handler) {
      const near = closest(command, Object.keys(COMMANDS));
      const hint = near.length > 0 ? ` did you mean ${near.join(" or ")}?` : "";
      throw new InputError(`unknown command "${command}";${hint} commands: ${Object.keys(COMMANDS).join(", ")}`);
    }
    return await handler(rest);
  } catch (e) {
    if (e instanceof InputError) {
      warn(`layerwise: ${e.message}`);
      return 2;
    }
    if (e instanceof QueueConnectionError) {
      warn(`layerwise: ${e.message}`);
      return 1;
    }
    if (isSystemError(e)) {
      warn(`layerwise: ${systemErrorMessage(e)}`);
      return 1;
    }
    warn(`layerwise: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return 1;
  }
}
