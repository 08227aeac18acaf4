/**
 * Page 3: the optimizer playground. Two optimizers (any of sgd, adam, kfac, ekfac, shampoo, soap, muon, with
 * their step size and momentum or damping) train the same MLP on the MNIST digits side by side in a Web Worker
 * (playground-worker.ts); loss and test-accuracy curves update live.
 */
import { KNOBS, OPTIMIZERS, type OptimizerChoice, type PlaygroundProgress } from "./playground-train.js";
import { TrialRunner, byId, fillTable, latestOnly, markReady, showFigure } from "./shell.js";

const DEFAULTS: [string, string] = ["sgd", "kfac"];
const form = byId<HTMLFormElement>("controls");
const sides = [0, 1].map((s) => byId<HTMLFieldSetElement>(`side-${s}`));
const field = (side: HTMLFieldSetElement, name: string) => side.querySelector<HTMLInputElement>(`[name=${name}]`)!;

/** Shows the side's knobs for its optimizer, with that optimizer's defaults. */
function setDefaults(side: HTMLFieldSetElement): void {
  const name = side.querySelector("select")!.value as OptimizerChoice["name"];
  const knobs = KNOBS[name];
  field(side, "learningRate").value = String(knobs.learningRate);
  const extra = side.querySelector<HTMLElement>(".extra")!;
  extra.hidden = !knobs.extra;
  if (knobs.extra) {
    extra.querySelector("span")!.textContent = knobs.extra.label;
    field(side, "extra").value = String(knobs.extra.value);
  }
}

sides.forEach((side, s) => {
  const select = side.querySelector("select")!;
  for (const name of OPTIMIZERS) select.add(new Option(name, name, false, name === DEFAULTS[s]));
  select.addEventListener("change", () => setDefaults(side));
  setDefaults(side);
});

/** The side's choice; a step size or knob that is not a positive number is refused with a message. */
function choice(side: HTMLFieldSetElement, label: string): OptimizerChoice {
  const name = side.querySelector("select")!.value as OptimizerChoice["name"];
  const learningRate = Number(field(side, "learningRate").value);
  if (!(learningRate > 0)) throw new Error(`${label}: the learning rate must be a number > 0`);
  const knob = KNOBS[name].extra;
  const extra = Number(field(side, "extra").value);
  if (knob && !(extra >= 0)) throw new Error(`${label}: the ${knob.label} must be a number ≥ 0`);
  return { name, learningRate, ...(knob ? { extra } : {}) };
}

const labelOf = (c: OptimizerChoice, s: number) => `${"AB"[s]}: ${c.name}`;
const runner = new TrialRunner(
  () => new Worker(new URL("./playground-worker.ts", import.meta.url), { type: "module" }),
);
const redraw = latestOnly(draw);
let labels: [string, string] = ["A", "B"];

async function run(): Promise<void> {
  let optimizers: [OptimizerChoice, OptimizerChoice];
  try {
    optimizers = [choice(sides[0], "optimizer A"), choice(sides[1], "optimizer B")];
  } catch (e) {
    byId("status").textContent = (e as Error).message;
    return;
  }
  labels = [labelOf(optimizers[0], 0), labelOf(optimizers[1], 1)];
  const steps = Number(byId<HTMLInputElement>("steps").value);
  const config = {
    optimizers,
    hidden: Number(byId<HTMLSelectElement>("hidden").value),
    steps,
    batch: Number(byId<HTMLSelectElement>("batch").value),
    resolution: Number(byId<HTMLSelectElement>("resolution").value),
    evalEvery: Math.max(5, Math.round(steps / 20)),
    testSize: 1000,
    seed: Math.max(0, Math.trunc(Number(byId<HTMLInputElement>("seed").value) || 0)),
  };
  const end = await runner.run(
    [{ name: "playground", config, seed: config.seed }],
    () => {},
    undefined,
    (_, data) => redraw(data as PlaygroundProgress),
  );
  await markReady(end, redraw);
}

async function draw(p: PlaygroundProgress): Promise<void> {
  // The batch loss is noisy: plot its running mean over 10 steps.
  const lossRows = p.steps.flatMap((step, i) =>
    [0, 1].flatMap((s) => {
      const window = p.loss[s].slice(Math.max(0, i - 9), i + 1).filter(Number.isFinite);
      return window.length === 0
        ? []
        : [{ step, optimizer: labels[s], loss: window.reduce((a, b) => a + b) / window.length }];
    }),
  );
  const accuracyRows = p.evalSteps.flatMap((step, i) =>
    [0, 1].flatMap((s) =>
      Number.isFinite(p.accuracy[s][i]) ? [{ step, optimizer: labels[s], accuracy: p.accuracy[s][i] }] : [],
    ),
  );
  const chart = (title: string, rows: object[], y: string, yTitle: string, logY: boolean) => ({
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title,
    data: { values: rows },
    mark: { type: "line", strokeWidth: 2, point: y === "accuracy" },
    encoding: {
      x: { field: "step", type: "quantitative", title: "step" },
      y: { field: y, type: "quantitative", title: yTitle, scale: logY ? { type: "log" } : { zero: false } },
      color: {
        field: "optimizer",
        type: "nominal",
        title: "optimizer",
        scale: { domain: labels, range: ["#d62728", "#1f77b4"] },
      },
    },
    height: 240,
  });
  await showFigure(
    byId("fig-loss"),
    chart("Training loss (running mean of 10 batches)", lossRows, "loss", "cross-entropy", true),
  );
  await showFigure(
    byId("fig-accuracy"),
    chart("Test accuracy (1 000 held-out digits)", accuracyRows, "accuracy", "accuracy", false),
  );
  fillTable(
    byId<HTMLTableElement>("final-table"),
    [
      ["optimizer", "optimizer"],
      ["step", "step"],
      ["loss", "loss (last 10)"],
      ["accuracy", "test accuracy"],
      ["note", ""],
    ],
    [0, 1].map((s) => ({
      optimizer: labels[s],
      step: p.steps.at(-1) ?? 0,
      loss: lossRows.filter((r) => r.optimizer === labels[s]).at(-1)?.loss ?? null,
      accuracy: p.accuracy[s].at(-1) ?? null,
      note: p.failed[s] ?? "",
    })),
  );
}

form.addEventListener("input", () => (byId("steps-value").textContent = byId<HTMLInputElement>("steps").value));
form.addEventListener("submit", (event) => {
  event.preventDefault();
  void run();
});
byId("steps-value").textContent = byId<HTMLInputElement>("steps").value;
void run();
