/**
 * The explorable in real Chromium (Debian's `chromium`, driven by playwright-core), served by the real
 * `layerwise explore`: every page loads without console errors and draws its figures, `runTrial` gives the same
 * numbers in the browser as in Node, moving a slider redraws the figure, Stop stops a run, and no page is wider
 * than a phone's screen. Screenshots go to .vitest-tmp/screenshots (to docs/figures/ with UPDATE_SCREENSHOTS=1).
 *
 * Without Chromium the suite is skipped, except under CI=true, where it fails.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { type Browser, type Page, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { data, experiments, type optim } from "../../src/index.js";

type GradientTransformation<S> = optim.GradientTransformation<S>;
import { ROOT, cli, startExplore, tempDir } from "../cli/helpers.js";

/** Chromium's executable: $CHROMIUM_PATH, or chromium / chromium-browser on the PATH. */
function findChromium(): string | undefined {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    for (const name of ["chromium", "chromium-browser"]) {
      if (dir && existsSync(join(dir, name))) return join(dir, name);
    }
  }
  return undefined;
}

const executablePath = findChromium();
const required = process.env.CI === "true";
if (!executablePath && !required) console.warn("explorable tests skipped: no chromium on the PATH (set CHROMIUM_PATH)");

const SHOTS =
  process.env.UPDATE_SCREENSHOTS === "1" ? join(ROOT, "docs", "figures") : join(ROOT, ".vitest-tmp", "screenshots");
const WIDE = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };

/** One trial's result as plain arrays (what page.evaluate can return), from the page or from Node. */
type PlainResult = { scalars: unknown; info: unknown; series: Record<string, [number[], number[]]> };
const plain = (r: Awaited<ReturnType<typeof experiments.runTrial>>): PlainResult => ({
  scalars: r.scalars,
  info: r.info,
  series: Object.fromEntries(
    Object.entries(r.series).map(([k, s]) => [k, [Array.from(s.steps), Array.from(s.values)]]),
  ),
});

const TRIALS: [string, Record<string, unknown>, number][] = [
  ["linrep-curves", { algorithm: "kfac", kappaX: 30, kappaF: 2, dX: 20, dY: 6, k: 3, batch: 256, steps: 40 }, 3],
  ["linrep-curves", { algorithm: "sgd", kappaX: 10, kappaF: 1, dX: 12, dY: 5, k: 2, batch: 128, steps: 30 }, 8],
  ["linrep-curves", { algorithm: "adam", kappaX: 10, kappaF: 3, dX: 12, dY: 5, k: 2, batch: 128, steps: 30 }, 2],
  ["single-index-alignment", { algorithm: "kfac", kappa: 10, nOverD: 2, d: 48, N: 96, link: "relu" }, 5],
];

describe.skipIf(!executablePath && !required)("the explorable in Chromium", () => {
  let browser: Browser;
  let server: Awaited<ReturnType<typeof startExplore>>;
  const results = tempDir("explorable");

  beforeAll(async () => {
    if (!executablePath) {
      throw new Error("CI=true but Chromium is missing: install Debian's chromium (apt-get install chromium)");
    }
    mkdirSync(SHOTS, { recursive: true });
    server = await startExplore();
    browser = await chromium.launch({ executablePath, headless: true });
  });
  afterAll(async () => {
    await browser?.close();
    if (server) expect(await server.stop()).toBe(0);
    results.cleanup();
  });

  /** Opens `page` of the site; `errors` collects console errors and uncaught exceptions. */
  async function open(path: string, viewport = WIDE): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage({ viewport });
    const errors: string[] = [];
    page.on("console", (m) => void (m.type() === "error" && errors.push(m.text())));
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(server.url + path);
    await page.waitForFunction(() => typeof window.layerwise?.experiments?.runTrial === "function");
    return { page, errors };
  }

  /** Waits until the page's run is done and its figures are drawn (`<body data-ready>`, set by the page). */
  const finished = async (page: Page) => {
    await page.waitForFunction(() => document.body.dataset.ready === "true", null, { timeout: 100_000 });
    expect(await page.locator("#status").textContent()).toMatch(/^Done: \d+ trials? in/);
  };
  const svgOf = (page: Page, id: string) => page.locator(`#${id} svg.marks`).evaluate((el) => el.outerHTML);
  const noOverflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

  it("the home page exposes the package as window.layerwise, with the Node package's exports", async () => {
    const { page, errors } = await open("index.html");
    const names = await page.evaluate(() => Object.keys(window.layerwise).sort());
    expect(names).toEqual(Object.keys(await import("../../src/index.js")).sort());
    expect(await noOverflow(page)).toBe(true);
    await page.screenshot({ path: join(SHOTS, "explorable-home.png") });
    expect(errors).toEqual([]);
    await page.close();
  });

  it("runTrial gives exactly the numbers Node gives for the same name, config and seed", async () => {
    const { page, errors } = await open("index.html");
    for (const [name, config, seed] of TRIALS) {
      const inBrowser = await page.evaluate(
        async ([n, c, s]) => {
          const r = await window.layerwise.experiments.runTrial(n, c, s);
          const series = Object.fromEntries(
            Object.entries(r.series).map(([k, v]) => [k, [Array.from(v.steps), Array.from(v.values)]]),
          );
          return { scalars: r.scalars, info: r.info, series };
        },
        [name, config, seed] as const,
      );
      expect(inBrowser).toEqual(plain(await experiments.runTrial(name, config, seed)));
    }
    expect(errors).toEqual([]);
    await page.close();
  });

  it("linear representation: trains every selected algorithm, draws both figures and the table; Stop stops", async () => {
    const { page, errors } = await open("linrep.html");
    await finished(page);
    expect(await page.locator("#steps-table tbody tr").count()).toBe(5);
    const kfac = page.locator("#steps-table tbody tr", { hasText: "two-sided KFAC" });
    expect(Number(await kfac.locator("td").nth(1).textContent())).toBeLessThanOrEqual(5); // KFAC: a few steps
    expect(await page.locator("#fig-subspace svg.marks").count()).toBe(1);
    expect(await page.locator("#fig-loss svg.marks").count()).toBe(1);
    await page.screenshot({ path: join(SHOTS, "explorable-linrep.png"), fullPage: true });

    await page.locator("#steps").fill("1000");
    await page.waitForFunction(() => /^Running/.test(document.getElementById("status")!.textContent!));
    await page.locator("#stop").click();
    expect(await page.locator("#status").textContent()).toBe("Stopped.");
    expect(await page.locator("#stop").isDisabled()).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("single-index: moving the κ slider reruns the trials and changes the figure", async () => {
    const { page, errors } = await open("single-index.html");
    await finished(page);
    expect(await page.locator("#alignment-table tbody tr").count()).toBe(12); // GD and KFAC at 6 ratios
    await page.screenshot({ path: join(SHOTS, "explorable-single-index.png"), fullPage: true });
    const before = await svgOf(page, "fig-beta");

    await page.locator("#kappa").fill("2");
    expect(await page.locator("#kappa-value").textContent()).toBe("100");
    await finished(page);
    const after = await svgOf(page, "fig-beta");
    expect(after).not.toBe(before);
    // At κ = 100 the GD spike is far from β★ while KFAC's still aligns: the table shows it at the largest n/d.
    const cell = (algorithm: string) =>
      page.locator("#alignment-table tbody tr", { hasText: algorithm }).last().locator("td").nth(2).textContent();
    expect(Number(await cell("kfac"))).toBeGreaterThan(Number(await cell("gd")) + 0.2);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("optimizer playground: two optimizers train the MLP on the same MNIST digits as Node, side by side", async () => {
    const { page, errors } = await open("playground.html");
    await page.locator("#stop").click(); // the page starts a 200-step run on load; train a short one instead
    // The digits the page trains on are the Node package's, unpacked from the site's compact asset.
    const digest = (d: { train: { x: { data: ArrayLike<number> }; y: ArrayLike<number> } }) => {
      let sum = 0;
      for (let i = 0; i < d.train.x.data.length; i += 97) sum += d.train.x.data[i] * (i % 13);
      return [sum, Array.from(d.train.y).slice(0, 50)];
    };
    const inBrowser = await page.evaluate(async () => {
      const d = await window.layerwise.data.loadMnistDigits();
      let sum = 0;
      for (let i = 0; i < d.train.x.data.length; i += 97) sum += d.train.x.data[i] * (i % 13);
      return [sum, Array.from(d.train.y).slice(0, 50)];
    });
    expect(inBrowser).toEqual(digest(await data.loadMnistDigits()));

    // A few KFAC and Shampoo steps on the digits give the same losses in the browser as in Node.
    const steps = async (lw: typeof import("../../src/index.js")) => {
      const digits = await lw.data.loadMnistDigits();
      const batch = lw.data.selectRows(
        digits.train,
        Array.from({ length: 64 }, (_, i) => i),
      );
      const net = lw.nn.sequential([lw.nn.dense(784, 16), lw.nn.tanh(), lw.nn.dense(16, 10)], { inputShape: [784] });
      const losses: number[] = [];
      const optimizers = [
        lw.optim.kfac({ learningRate: 0.1, inverseEvery: 2 }),
        lw.optim.shampoo({ learningRate: 0.01 }),
      ] as GradientTransformation<unknown>[];
      for (const opt of optimizers) {
        let params = net.init(4);
        let state = opt.init(params);
        for (let t = 0; t < 4; t++) {
          const r = net.lossAndGrad(params, batch.x, batch.y, lw.nn.softmaxCrossEntropy);
          losses.push(r.loss);
          const u = opt.update(r.grads, state, params, { stats: r.stats, loss: r.loss });
          state = u.state;
          params = lw.optim.applyUpdates(params, u.updates);
        }
      }
      return losses;
    };
    const browserLosses = await page.evaluate(`(${steps.toString()})(window.layerwise)`);
    expect(browserLosses).toEqual(await steps(await import("../../src/index.js")));

    await page.locator("#side-1 select").selectOption("adam");
    expect(await page.locator("#side-1 [name=learningRate]").inputValue()).toBe("0.003");
    await page.locator("#steps").fill("50");
    await page.locator("#run").click();
    await finished(page);
    const rows = page.locator("#final-table tbody tr");
    expect(await rows.count()).toBe(2);
    for (const [i, name] of [
      [0, "A: sgd"],
      [1, "B: adam"],
    ] as const) {
      const cells = rows.nth(i).locator("td");
      expect(await cells.nth(0).textContent()).toBe(name);
      expect(await cells.nth(1).textContent()).toBe("50");
      expect(Number(await cells.nth(3).textContent())).toBeGreaterThan(0.6); // far above chance (0.1) in 50 steps
    }
    expect(await page.locator("#fig-loss svg.marks").count()).toBe(1);
    expect(await page.locator("#fig-accuracy svg.marks").count()).toBe(1);
    await page.screenshot({ path: join(SHOTS, "explorable-playground.png"), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it("results viewer: opens a results directory written by the CLI and an export, and shows their figures", async () => {
    const dir = join(results.dir, "single-index-alignment");
    const args = ["--set", "d=16", "--set", "N=32", "--set", "kappa=1,10", "--set", "nOverD=1,4"];
    const run = await cli([
      "run",
      "single-index-alignment",
      ...args,
      "--set",
      "algorithm=gd,kfac",
      "--workers",
      "1",
      "--out",
      dir,
    ]);
    expect(run.status, run.stderr).toBe(0);
    const exported = await cli(["export", "--format", "json", "--out", dir]);
    expect(exported.status, exported.stderr).toBe(0);
    writeFileSync(join(results.dir, "export.json"), exported.stdout);

    const { page, errors } = await open("results.html");
    await page.setInputFiles("#directory", dir);
    await page.waitForFunction(() => /^Opened/.test(document.getElementById("status")!.textContent!));
    // report.html: its summary table and its one figure; summary.json: the table and a chart.
    expect(await page.locator(".report-figure img").count()).toBe(1);
    expect(await page.locator(".figure svg.marks").count()).toBe(1);
    // Every table of the report (summary, and claims where the experiment has them) and summary.json's 8 rows.
    expect(await page.locator("table").count()).toBeGreaterThanOrEqual(2);
    const summary = page.locator("section.result", { hasText: "summary.json" });
    expect(await summary.locator("tbody tr").count()).toBe(8); // 2 algorithms × 2 κ × 2 n/d
    await page.screenshot({ path: join(SHOTS, "explorable-results.png"), fullPage: true });

    await page.setInputFiles("#files", join(results.dir, "export.json"));
    await page.waitForFunction(() => document.querySelectorAll(".figure svg.marks").length === 1);
    const rows = await page.locator("tbody tr").count();
    expect(rows).toBe(8); // 2 algorithms × 2 κ × 2 n/d, summarised again from the exported trials
    expect(errors).toEqual([]);
    await page.close();
  });

  it("at phone width no page is wider than the screen", async () => {
    for (const path of ["index.html", "single-index.html", "results.html", "playground.html", "linrep.html"]) {
      const { page, errors } = await open(path, PHONE);
      if (path === "single-index.html") await finished(page);
      if (path === "linrep.html") await page.waitForFunction(() => document.querySelector("#fig-subspace svg"));
      if (path === "playground.html") await page.waitForFunction(() => document.querySelector("#fig-accuracy svg"));
      expect(await noOverflow(page), path).toBe(true);
      if (path === "single-index.html") {
        // Controls come first at phone width; the picture shows the figures below them.
        await page.locator(".figures").evaluate((el) => el.scrollIntoView());
        await page.screenshot({ path: join(SHOTS, "explorable-phone.png") });
      }
      expect(errors, path).toEqual([]);
      await page.close();
    }
  });
});
