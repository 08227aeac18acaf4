/**
 * Page 2: the single-index one-step experiment (`single-index-alignment`) for GD and KFAC over a grid of n/d at
 * the chosen κ and link: the spike's alignment with β★ (theory at finite n and its limit, dashed) and with Σβ★
 * (dashed: the limits, 1 for GD whose spike tends to Σβ★, cos(β★, Σβ★) for KFAC whose spike tends to β★).
 */
import { LINK_NAMES } from "../../src/experiments/single-index/schema.js";
import type { TrialRecord } from "../../src/results/records.js";
import { lineChart, scalarBands } from "../../src/report/charts.js";
import { TrialRunner, byId, fillTable, latestOnly, markReady, showFigure } from "./shell.js";

const ALGORITHMS = ["gd", "kfac"] as const;
const RATIOS = [0.5, 1, 2, 4, 8, 16, 32];

const form = byId<HTMLFormElement>("controls");
const input = (id: string) => byId<HTMLInputElement>(id);
const linkSelect = byId<HTMLSelectElement>("link");
for (const name of LINK_NAMES.filter((l) => l !== "hermite")) linkSelect.add(new Option(name, name, name === "tanh"));

function settings() {
  return {
    kappa: Number((10 ** Number(input("kappa").value)).toPrecision(2)),
    maxRatio: RATIOS[Number(input("ratio").value)],
    link: linkSelect.value,
    d: Number(byId<HTMLSelectElement>("d").value),
    seed: Math.max(0, Math.trunc(Number(input("seed").value) || 0)),
  };
}

function showValues(): void {
  const s = settings();
  byId("kappa-value").textContent = String(s.kappa);
  byId("ratio-value").textContent = String(s.maxRatio);
}

const runner = new TrialRunner();
const redraw = latestOnly(draw);

async function run(): Promise<void> {
  const s = settings();
  const ratios = RATIOS.filter((r) => r <= s.maxRatio);
  const points = ALGORITHMS.flatMap((algorithm) =>
    ratios.map((nOverD) => ({ algorithm, nOverD, kappa: s.kappa, link: s.link, d: s.d, N: 2 * s.d })),
  );
  const records: TrialRecord[] = [];
  const end = await runner.run(
    points.map((config) => ({ name: "single-index-alignment", config, seed: s.seed })),
    (index, result) => {
      records.push({
        point: points[index],
        pointIndex: index,
        repeat: 0,
        seed: s.seed,
        status: "done",
        durationMs: 0,
        ...result,
      });
      redraw([...records]);
    },
  );
  await markReady(end, redraw);
}

const keyOf = (t: TrialRecord) => ({ algorithm: String(t.point.algorithm), nOverD: Number(t.point.nOverD) });

async function draw(records: TrialRecord[]): Promise<void> {
  const theoryBeta = records.flatMap((t) => {
    const rows = [];
    if (t.scalars.theory != null) rows.push({ ...keyOf(t), y: t.scalars.theory, curve: "theory, this n" });
    if (t.scalars.theoryLimit != null) rows.push({ ...keyOf(t), y: t.scalars.theoryLimit, curve: "theory, n → ∞" });
    return rows;
  });
  // cos(β★, Σβ★) is GD's limit for the alignment with β★ (the same for every n/d at this κ).
  const cosine = records.find((t) => t.point.algorithm === "gd" && t.scalars.theoryLimit != null)?.scalars.theoryLimit;
  const theorySigma = records.flatMap((t) =>
    cosine == null ? [] : [{ ...keyOf(t), y: t.point.algorithm === "gd" ? 1 : cosine, curve: "theory, n → ∞" }],
  );
  const chart = (scalar: string, title: string, yTitle: string, theoryRows: Record<string, unknown>[]) =>
    lineChart({
      title,
      rows: scalarBands(records, scalar, keyOf).map((r) => ({ ...r, curve: "simulation" })),
      x: "nOverD",
      y: "mean",
      color: "algorithm",
      logX: true,
      xTitle: "n/d",
      yTitle,
      theoryRows,
    });
  await showFigure(byId("fig-beta"), chart("alignment", "Spike alignment with β★", "|cos(v₁, β★)|", theoryBeta));
  await showFigure(
    byId("fig-sigma-beta"),
    chart("alignmentSigmaBeta", "Spike alignment with Σβ★", "|cos(v₁, Σβ★)|", theorySigma),
  );
  fillTable(
    byId<HTMLTableElement>("alignment-table"),
    [
      ["algorithm", "algorithm"],
      ["nOverD", "n/d"],
      ["alignment", "with β★"],
      ["theory", "theory"],
      ["alignmentSigmaBeta", "with Σβ★"],
    ],
    records.map((t) => ({ ...keyOf(t), ...t.scalars })),
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
