/**
 * The package as published: `npm pack` ships what the README needs (its links resolve inside the tarball, a
 * LICENSE) and nothing else (no benchmarks, test helpers, source maps without their sources, or .wat text). With
 * LAYERWISE_PACK_TEST=1 (set by .ci/run; it installs the tarball's dependencies, minutes) the tarball is installed
 * into an empty project, where the README's example, `npx layerwise list`, a quick `run --json` and `report` work.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, runNode, runProcess, tempDir, type CliResult } from "./cli/helpers.js";
import { codeBlocks, relativeLinks } from "./helpers/markdown.js";

function run(command: string, args: string[], cwd: string): Promise<CliResult> {
  return runProcess(command, args, { npm_config_yes: "true" }, cwd);
}

const tmp = tempDir("pack");
afterAll(() => tmp.cleanup());
let tarball = "";
let files: string[] = [];
const unpacked = join(tmp.dir, "unpacked");

beforeAll(async () => {
  // Scripts off: the suite's pretest has built dist/ and the site already.
  const packed = await run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", tmp.dir], ROOT);
  expect(packed.status, packed.stderr).toBe(0);
  const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  tarball = join(tmp.dir, info.filename);
  files = info.files.map((f) => f.path);
  mkdirSync(unpacked);
  const untar = await run("tar", ["xzf", tarball, "-C", unpacked, "--strip-components=1"], tmp.dir);
  expect(untar.status, untar.stderr).toBe(0);
}, 300_000);

describe("npm pack", () => {
  it("ships the CLI, the compiled library with its typings, the kernels, the site, the docs and a LICENSE", () => {
    for (const f of [
      "bin/layerwise.js",
      "dist/src/node.js",
      "dist/src/node.d.ts",
      "dist/src/cli/main.js",
      "dist/src/runner/pool-worker.js",
      "dist/site/index.html",
      "wasm/layerwise.wasm",
      "wasm/layerwise-shared.wasm",
      "README.md",
      "LICENSE",
      "docs/optimizers.md",
      "examples/train-mlp.mjs",
    ]) {
      expect(files, f).toContain(f);
    }
  });

  it("ships nothing else: no benchmarks, tests, source maps or .wat text", () => {
    const extra = files.filter(
      (f) =>
        /^dist\/(bench|test)\//.test(f) || f.endsWith(".map") || f.endsWith(".wat") || /^(src|test|bench)\//.test(f),
    );
    expect(extra).toEqual([]);
  });

  it("every relative link of the README and of the docs it ships resolves inside the package", () => {
    const shipped = [
      "README.md",
      ...readdirSync(join(unpacked, "docs"))
        .filter((f) => f.endsWith(".md"))
        .map((f) => `docs/${f}`),
    ];
    for (const file of shipped) {
      for (const target of relativeLinks(file)) {
        const path = target.split("#")[0];
        if (path)
          expect(existsSync(join(unpacked, normalize(join(dirname(file), path)))), `${file}: ${target}`).toBe(true);
      }
    }
  });
});

describe.runIf(process.env.LAYERWISE_PACK_TEST === "1")("the packed tarball installed into an empty project", () => {
  const project = join(tmp.dir, "project");
  const npx = (args: string[]) => run("npx", ["--no-install", "layerwise", ...args], project);

  beforeAll(async () => {
    mkdirSync(project);
    writeFileSync(
      join(project, "package.json"),
      JSON.stringify({ name: "try-layerwise", private: true, type: "module" }),
    );
    // Offline: the dependencies come from the npm cache `npm ci` filled; nothing is fetched at test time.
    const install = await run("npm", ["install", "--offline", "--no-audit", "--no-fund", tarball], project);
    expect(install.status, install.stderr).toBe(0);
  }, 900_000);

  it("runs the README's example", async () => {
    const example = codeBlocks("README.md").find((b) => b.markers.includes("file=examples/train-mlp.mjs"))!;
    writeFileSync(join(project, "example.mjs"), example.code);
    const r = await runNode(["example.mjs"], {}, project);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^kfac {2}epoch 2: test accuracy 0\.9\d\d$/m);
    expect(r.stdout).toMatch(/^adam {2}epoch 2: test accuracy 0\.9\d\d$/m);
  }, 300_000);

  it("runs `layerwise list`, a quick `run --json` and `report`", async () => {
    const list = await npx(["list"]);
    expect(list.status, list.stderr).toBe(0);
    expect(list.stdout).toContain("linrep-kappa");
    const out = join(project, "results", "quadratic");
    const r = await npx(["run", "quadratic", "--set", "kappa=10", "--workers", "1", "--json", "--out", out]);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim().split("\n").at(-1)!)).toMatchObject({ experiment: "quadratic" });
    const report = await npx(["report", "--out", out]);
    expect(report.status, report.stderr).toBe(0);
    expect(existsSync(join(out, "report.html"))).toBe(true);
  }, 300_000);
});
