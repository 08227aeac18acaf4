/**
 * Page 1: linear representation learning (experiment `linrep-curves`) at the sliders' κₓ, κ_F, noise and step
 * count, one trial per selected algorithm, drawn as they finish with the experiment's own figures (subspace
 * distance with the theory rate dashed; training loss) and the steps-to-target table.
 */
import { linrepCurves } from "../../src/experiments/linrep/curves.js";
import { LINREP_ALGORITHMS } from "../../src/experiments/linrep/train.js";
import type { TrialRecord } from "../../src/results/records.js";
import { TrialRunner, byId, fillTable, latestOnly, markReady, showFigure } from "./shell.js";

const LABELS: Record<string, string> = {
  sgd: "SGD (joint)",
  adam: "Adam",
  "sgd-bn": "SGD + batch-norm",
  amd: "alternating min.–descent",
  "one-sided": "one-sided (Σ̂ₓ⁻¹)",
  kfac: "two-sided KFAC",
  ngd: "damped natural gradient",
};
const DEFAULT_ON = new Set(["sgd", "amd", "one-sided", "kfac", "adam"]);
const TARGET = 0.05;

const form = byId<HTMLFormElement>("controls");
const slider = (id: string) => byId<HTMLInputElement>(id);
const fieldset = byId("algorithms");
for (const algorithm of LINREP_ALGORITHMS) {
  const label = document.createElement("label");
  label.className = "check";
  label.innerHTML = `<input type="checkbox" name="algorithm" value="${algorithm}"> ${LABELS[algorithm] ?? algorithm}`;
  (label.firstChild as HTMLInputElement).checked = DEFAULT_ON.has(algorithm);
  fieldset.appendChild(label);
}
byId("target").textContent = String(TARGET);

/** The sliders' values (κ sliders are log10 of κ). */
function settings() {
  const kappaX = Math.round(10 ** Number(slider("kappaX").value));
  const kappaF = Number((10 ** Number(slider("kappaF").value)).toPrecision(2));
  const noise = Number(slider("noise").value);
  const steps = Number(slider("steps").value);
  const seed = Math.max(0, Math.trunc(Number(slider("seed").value) || 0));
  const algorithms = [...form.querySelectorAll<HTMLInputElement>("input[name=algorithm]:checked")].map((i) => i.value);
  return { kappaX, kappaF, noise, steps, seed, algorithms };
}

function showValues(): void {
  const s = settings();
  byId("kappaX-value").textContent = String(s.kappaX);
  byId("kappaF-value").textContent = String(s.kappaF);
  byId("noise-value").textContent = s.noise.toFixed(2);
  byId("steps-value").textContent = String(s.steps);
}

const runner = new TrialRunner();
const redraw = latestOnly(draw);

async function run(): Promise<void> {
  const s = settings();
  const common = {
    kappaX: s.kappaX,
    kappaF: s.kappaF,
    noise: s.noise,
    steps: s.steps,
    target: TARGET,
    logEvery: Math.max(1, Math.round(s.steps / 150)),
    // Transfer loss once at the end only, and a short step-size search: fast enough to follow a slider.
    transferEvery: s.steps,
    tuning: { steps: Math.min(100, s.steps) },
  };
  const records: TrialRecord[] = [];
  const end = await runner.run(
    s.algorithms.map((algorithm) => ({ name: "linrep-curves", config: { ...common, algorithm }, seed: s.seed })),
    (index, result) => {
      const point = { ...common, algorithm: s.algorithms[index] };
      records.push({ point, pointIndex: index, repeat: 0, seed: s.seed, status: "done", durationMs: 0, ...result });
      redraw([...records]);
    },
  );
  await markReady(end, redraw);
}

async function draw(records: TrialRecord[]): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the page builds the experiment's points
  const plots = linrepCurves.plots(records as TrialRecord<any>[], {} as never);
  const byName = Object.fromEntries(plots.map((p) => [p.name, p.spec]));
  await showFigure(byId("fig-subspace"), {
    ...byName["subspace-distance"],
    title: "Subspace distance to G★ (dashed: theory rate)",
  });
  await showFigure(byId("fig-loss"), { ...byName["training-loss"], title: "Training loss" });
  fillTable(
    byId<HTMLTableElement>("steps-table"),
    [
      ["algorithm", "algorithm"],
      ["stepsToTarget", "steps (measured)"],
      ["predictedSteps", "steps (theory)"],
      ["finalSubspaceDistance", "final distance"],
      ["lr", "step size η_G"],
    ],
    records.map((r) => ({
      algorithm: LABELS[r.point.algorithm as string] ?? r.point.algorithm,
      ...r.scalars,
      lr: r.info.lr,
    })),
  );
}

form.addEventListener("input", showValues);
form.addEventListener("change", () => void run());
form.addEventListener("submit", (event) => {
  event.preventDefault();
  void run();
});
showValues();
void run();
