/**
 * The README and docs/ cannot rot: the README stays a newcomer's page (≤ 300 lines, no scaffolding comments),
 * every relative link and anchor resolves, and every js/ts/sh example is either run here (`run` after the
 * language), identical to a file that another test runs (`file=PATH`), or explicitly a `fragment` (a sketch, or
 * a command too long for the suite).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT, runNode } from "./cli/helpers.js";
import {
  MARKDOWN_FILES,
  anchors,
  codeBlocks,
  readMarkdown,
  relativeLinks,
  type CodeBlock,
} from "./helpers/markdown.js";
import { spawn } from "node:child_process";

const CODE_LANGS = new Set(["js", "javascript", "ts", "typescript", "sh", "bash"]);
const blocks = MARKDOWN_FILES.flatMap(codeBlocks).filter((b) => CODE_LANGS.has(b.lang));
const where = (b: CodeBlock) => `${b.file}:${b.line}`;

/** Scripts run from inside the repository, so `import … from "layerwise"` resolves to this package (dist/). */
const WORK = join(ROOT, ".vitest-tmp", "docs");
rmSync(WORK, { recursive: true, force: true });
mkdirSync(join(WORK, "bin"), { recursive: true });
// `layerwise` on the PATH of sh examples: the repository's bin, as `npm install -g` or `npx` would provide it.
writeFileSync(join(WORK, "bin", "layerwise"), `#!/bin/sh\nexec "${process.execPath}" "${ROOT}bin/layerwise.js" "$@"\n`);
chmodSync(join(WORK, "bin", "layerwise"), 0o755);
afterAll(() => rmSync(WORK, { recursive: true, force: true }));

function runShell(script: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn("bash", ["-euo", "pipefail", "-c", script], {
    cwd: ROOT,
    env: { ...process.env, PATH: `${join(WORK, "bin")}:${process.env.PATH ?? ""}` },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on("close", (status) => resolve({ status, stdout, stderr })));
}

describe("README", () => {
  it("is a newcomer's page: at most 300 lines, no scaffolding comments", () => {
    const text = readMarkdown("README.md");
    expect(text.split("\n").length).toBeLessThanOrEqual(300);
    expect(text).not.toMatch(/<!--/);
  });
});

describe("links", () => {
  it.each(MARKDOWN_FILES)("every relative link and anchor of %s resolves", (file) => {
    for (const target of relativeLinks(file)) {
      const [path, fragment] = target.split("#");
      const dest = path ? normalize(join(dirname(file), path)) : file;
      expect(existsSync(join(ROOT, dest)), `${file}: ${target}`).toBe(true);
      if (fragment && dest.endsWith(".md")) expect(anchors(dest), `${file}: ${target}`).toContain(fragment);
    }
  });
});

describe("code examples", () => {
  it("every js/ts/sh block says how it is checked: run, file=PATH or fragment", () => {
    for (const b of blocks) {
      const how = b.markers.filter((m) => m === "run" || m === "fragment" || m.startsWith("file="));
      expect(how, where(b)).toHaveLength(1);
      if (b.markers.includes("run")) expect(["js", "sh"], `${where(b)}: run takes js or sh`).toContain(b.lang);
    }
  });

  for (const b of blocks.filter((x) => x.markers.some((m) => m.startsWith("file=")))) {
    it(`${where(b)} is the text of the file another test runs`, () => {
      const file = b.markers.find((m) => m.startsWith("file="))!.slice("file=".length);
      expect(readFileSync(join(ROOT, file), "utf8").endsWith(b.code), `${where(b)} vs ${file}`).toBe(true);
    });
  }

  for (const [i, b] of blocks.filter((x) => x.markers.includes("run")).entries()) {
    it(`${where(b)} runs`, async () => {
      if (b.lang === "sh") {
        const r = await runShell(b.code);
        expect(r.status, `${where(b)}\n${r.stderr}`).toBe(0);
        return;
      }
      const script = join(WORK, `example-${i}.mjs`);
      writeFileSync(script, b.code);
      const r = await runNode([script]);
      expect(r.status, `${where(b)}\n${r.stderr}`).toBe(0);
      expect(r.stderr, where(b)).toBe("");
    }, 300_000);
  }
});
