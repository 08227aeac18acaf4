/**
 * Page 4: a viewer for what the CLI writes. Reads dropped or chosen files in the page (nothing leaves it):
 * `summary.json` (table + a chart of any two columns), `report.html` (its figures and tables), `figures/*.svg`,
 * and the JSON of `layerwise export --format json`, whose figures are redrawn with the experiment's own plots.
 * Dropped content is never inserted as HTML: text goes through textContent, figures only as SVG images.
 */
import { findExperiment } from "../../src/experiments/index.js";
import type { TrialRecord } from "../../src/results/records.js";
import { byId, fillTable, showFigure } from "./shell.js";

/** A file with its path inside the dropped directory ("" for single files). */
interface Picked {
  path: string;
  file: File;
}

const output = byId("output");
const status = byId("status");

/** Every file under a dropped entry (directories read recursively). */
async function entryFiles(entry: FileSystemEntry): Promise<Picked[]> {
  if (entry.isFile) {
    const file = await new Promise<File>((ok, fail) => (entry as FileSystemFileEntry).file(ok, fail));
    return [{ path: entry.fullPath.replace(/^\//, ""), file }];
  }
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  const out: Picked[] = [];
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((ok, fail) => reader.readEntries(ok, fail));
    if (batch.length === 0) return out;
    for (const child of batch) out.push(...(await entryFiles(child)));
  }
}

/** A new section for one opened file, titled `title`. */
function section(title: string, subtitle = ""): HTMLElement {
  const el = document.createElement("section");
  el.className = "result";
  const h = document.createElement("h2");
  h.textContent = title;
  el.appendChild(h);
  if (subtitle) {
    const p = document.createElement("p");
    p.className = "note";
    p.textContent = subtitle;
    el.appendChild(p);
  }
  output.appendChild(el);
  return el;
}

function table(parent: HTMLElement, rows: readonly Record<string, unknown>[]): void {
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const wrap = document.createElement("div");
  wrap.className = "table-wrap";
  const t = document.createElement("table");
  fillTable(
    t,
    keys.map((k) => [k, k]),
    rows,
  );
  wrap.appendChild(t);
  parent.appendChild(wrap);
}

function figureBox(parent: HTMLElement): HTMLElement {
  const box = document.createElement("div");
  box.className = "figure";
  parent.appendChild(box);
  return box;
}

/** summary.json: the rows as a table and a line chart of a chosen y column against a chosen x column. */
async function showSummary(where: HTMLElement, rows: Record<string, unknown>[]): Promise<void> {
  table(where, rows);
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const numeric = keys.filter((k) => rows.every((r) => r[k] === null || typeof r[k] === "number"));
  const labels = keys.filter((k) => !numeric.includes(k));
  // Summary rows lead with the point's settings (algorithm, κ, n/d, …): the shortest prefix of the columns that
  // tells the rows apart. Its numeric columns are the swept settings; the x axis defaults to the last of them.
  const prefix = keys.slice(0, keys.findIndex((_, i) => isKey(rows, keys.slice(0, i + 1))) + 1 || keys.length);
  const settings = prefix.filter((k) => numeric.includes(k));
  const measured = numeric.filter((k) => !settings.includes(k) && new Set(rows.map((r) => r[k])).size > 1);
  if (numeric.length < 2) return;
  const x0 = settings.at(-1) ?? numeric[0];
  const y0 = measured[0] ?? numeric.find((k) => k !== x0)!;
  const pickers = document.createElement("div");
  pickers.className = "pickers";
  const picker = (name: string, options: string[], value: string) => {
    const label = document.createElement("label");
    label.textContent = `${name} `;
    const select = document.createElement("select");
    for (const o of options) select.add(new Option(o, o, false, o === value));
    label.appendChild(select);
    pickers.appendChild(label);
    return select;
  };
  const x = picker("x", numeric, x0);
  const y = picker("y", numeric, y0);
  const color = picker(
    "colour",
    ["(none)", ...labels, ...numeric],
    labels.includes("algorithm") ? "algorithm" : "(none)",
  );
  where.appendChild(pickers);
  const box = figureBox(where);
  const draw = () => {
    // One line per combination of the other swept settings (e.g. per κ when x is n/d).
    const others = settings.filter((k) => k !== x.value && k !== color.value);
    return showFigure(box, {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      title: `${y.value} vs ${x.value}`,
      data: { values: rows.filter((r) => typeof r[x.value] === "number" && typeof r[y.value] === "number") },
      mark: { type: "line", point: true },
      encoding: {
        x: { field: x.value, type: "quantitative" },
        y: { field: y.value, type: "quantitative", scale: { zero: false } },
        ...(color.value === "(none)" ? {} : { color: { field: color.value, type: "nominal" } }),
        detail: others.map((field) => ({ field, type: "nominal" })),
        tooltip: keys.map((k) => ({ field: k })),
      },
      height: 260,
    });
  };
  pickers.addEventListener("change", () => void draw());
  await draw();
}

/** Whether the columns `columns` together tell every row apart. */
function isKey(rows: readonly Record<string, unknown>[], columns: readonly string[]): boolean {
  return new Set(rows.map((r) => JSON.stringify(columns.map((c) => r[c])))).size === rows.length;
}

/** `layerwise export --format json`: the experiment's own figures and summary, from the stored trials. */
async function showExport(
  where: HTMLElement,
  data: { run: { experiment: string; config: unknown }; trials: TrialRecord[] },
) {
  const experiment = findExperiment(data.run.experiment);
  if (!experiment) throw new Error(`unknown experiment "${data.run.experiment}"`);
  table(where, experiment.summarize(data.trials, data.run.config));
  for (const plot of experiment.plots(data.trials, data.run.config)) await showFigure(figureBox(where), plot.spec);
}

/** report.html: each section's summary table and figures (SVG images), rebuilt from text and data URIs only. */
function showReport(where: HTMLElement, html: string): void {
  const doc = new DOMParser().parseFromString(html, "text/html");
  const sections = [...doc.querySelectorAll("section")];
  if (sections.length === 0) throw new Error("no experiment sections found: is this a layerwise report.html?");
  for (const s of sections) {
    const h = document.createElement("h3");
    h.textContent = s.querySelector("h2")?.textContent ?? s.id;
    where.appendChild(h);
    for (const t of s.querySelectorAll("table:not(.kv)")) {
      const heads = [...t.querySelectorAll("thead th")].map((th) => th.textContent ?? "");
      const rows = [...t.querySelectorAll("tbody tr")].map((tr) =>
        Object.fromEntries([...tr.children].map((td, i) => [heads[i] ?? String(i), td.textContent ?? ""])),
      );
      table(where, rows);
    }
    for (const f of s.querySelectorAll("figure")) {
      const src = f.querySelector("img")?.getAttribute("src") ?? "";
      if (!src.startsWith("data:image/svg+xml")) continue;
      const figure = document.createElement("figure");
      figure.className = "report-figure";
      const img = document.createElement("img");
      img.src = src;
      img.alt = f.querySelector("figcaption")?.textContent ?? "figure";
      const caption = document.createElement("figcaption");
      caption.textContent = img.alt;
      figure.append(img, caption);
      where.appendChild(figure);
    }
  }
}

function showSvg(where: HTMLElement, file: File): void {
  const img = document.createElement("img");
  img.className = "report-figure";
  img.alt = file.name;
  img.src = URL.createObjectURL(file);
  where.appendChild(img);
}

const directoryOf = (path: string) => path.slice(0, path.lastIndexOf("/") + 1);

/** Shows every understood file of `picked`; figures/*.svg next to a report.html are left to the report. */
async function open(picked: Picked[]): Promise<void> {
  output.replaceChildren();
  const reportDirs = new Set(picked.filter((p) => p.file.name === "report.html").map((p) => directoryOf(p.path)));
  const shown: string[] = [];
  const skipped: string[] = [];
  const order = (p: Picked) => (p.file.name.endsWith(".html") ? 0 : p.file.name.endsWith(".json") ? 1 : 2);
  for (const p of [...picked].sort((a, b) => order(a) - order(b) || a.path.localeCompare(b.path))) {
    const name = p.path || p.file.name;
    try {
      if (p.file.name.endsWith(".html")) {
        showReport(section(name, "report.html: its tables and figures"), await p.file.text());
      } else if (p.file.name.endsWith(".json")) {
        const data = JSON.parse(await p.file.text()) as unknown;
        if (Array.isArray(data)) await showSummary(section(name, "summary rows"), data as Record<string, unknown>[]);
        else if (data && typeof data === "object" && "run" in data && "trials" in data) {
          await showExport(section(name, "exported trials, figures redrawn"), data as never);
        } else throw new Error("expected a summary.json (a list of rows) or an export ({ run, trials })");
      } else if (p.file.name.endsWith(".svg") && !reportDirs.has(directoryOf(p.path).replace(/figures\/$/, ""))) {
        showSvg(section(name), p.file);
      } else {
        skipped.push(name);
        continue;
      }
      shown.push(name);
    } catch (e) {
      section(name, `Cannot show this file: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  status.textContent =
    `Opened ${shown.length} file${shown.length === 1 ? "" : "s"}.` +
    (skipped.length > 0 ? ` Not shown: ${skipped.length} (store, PNG copies of figures, other files).` : "");
}

const drop = byId("drop");
drop.addEventListener("dragover", (event) => {
  event.preventDefault();
  drop.classList.add("over");
});
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (event) => {
  event.preventDefault();
  drop.classList.remove("over");
  const entries = [...(event.dataTransfer?.items ?? [])]
    .map((item) => item.webkitGetAsEntry())
    .filter((e): e is FileSystemEntry => e !== null);
  void Promise.all(entries.map(entryFiles)).then((lists) => open(lists.flat()));
});
for (const id of ["files", "directory"]) {
  const input = byId<HTMLInputElement>(id);
  input.addEventListener(
    "change",
    () => void open([...(input.files ?? [])].map((file) => ({ path: file.webkitRelativePath, file }))),
  );
}
status.textContent = "Nothing opened yet.";
