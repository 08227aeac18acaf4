/**
 * `layerwise explore` through the real CLI (it serves dist/site, built by `pretest`): prints its URL, serves the
 * pages and the kernels with the right types, refuses paths outside the site, and exits 2 on a bad --port.
 * Also the static server's path resolution against a throwaway directory.
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { resolveRequestPath } from "../../src/cli/static-server.js";
import { ROOT, cli, startExplore, tempDir } from "./helpers.js";

describe("layerwise explore", () => {
  it("serves the pages, the bundles and the kernels on 127.0.0.1 and stops cleanly on Ctrl+C", async () => {
    const { url, stop } = await startExplore();
    try {
      const home = await fetch(url);
      expect(home.status).toBe(200);
      expect(home.headers.get("content-type")).toBe("text/html; charset=utf-8");
      const html = await home.text();
      expect(html).toContain("<title>layerwise · explorable</title>");
      for (const page of [
        "linrep.html",
        "single-index.html",
        "playground.html",
        "results.html",
        "assets/mnist-digits.bin",
      ]) {
        expect((await fetch(url + page)).status).toBe(200);
      }
      const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(html)![1];
      const js = await fetch(url + script);
      expect(js.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
      const wasmName = readdirSync(join(ROOT, "dist", "site", "assets")).find((f) => /^layerwise-.*\.wasm$/.test(f));
      expect(wasmName).toBeDefined();
      const wasm = await fetch(`${url}assets/${wasmName}`);
      expect(wasm.headers.get("content-type")).toBe("application/wasm");
      expect(WebAssembly.validate(new Uint8Array(await wasm.arrayBuffer()))).toBe(true);
      expect((await fetch(`${url}nothing.html`)).status).toBe(404);
      expect((await fetch(`${url}%2e%2e/%2e%2e/package.json`)).status).toBe(404);
      expect((await fetch(url, { method: "POST" })).status).toBe(405);
    } finally {
      expect(await stop()).toBe(0);
    }
  });

  it("exits 2 with a message naming the flag and what is allowed on a bad --port or argument", async () => {
    for (const port of ["70000", "8080.5", "http"]) {
      const r = await cli(["explore", "--port", port]);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toContain(`--port ${port}: expected an integer from 0 to 65535`);
    }
    const r = await cli(["explore", "site"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unexpected argument "site"');
    expect((await cli(["explore", "--prot", "1"])).stderr).toContain("did you mean --port");
  });

  it("documents itself in --help and in the command list", async () => {
    expect((await cli(["explore", "--help"])).stdout).toContain("Usage: layerwise explore [--port P]");
    expect((await cli(["--help"])).stdout).toMatch(/explore +serve the interactive explorable/);
  });
});

describe("the browser build (dist/site, built by pretest)", () => {
  it("imports no Node built-in module: the core, the experiments and the pages are platform-neutral", () => {
    const assets = join(ROOT, "dist", "site", "assets");
    const scripts = readdirSync(assets).filter((f) => f.endsWith(".js"));
    expect(scripts.length).toBeGreaterThan(3);
    for (const f of scripts) {
      expect(readFileSync(join(assets, f), "utf8"), f).not.toMatch(/(from\s*|import\s*\(?\s*|require\(\s*)["'`]node:/);
    }
    expect(readdirSync(assets).filter((f) => /^layerwise-.*\.wasm$/.test(f))).toHaveLength(1);
  });
});

describe("static server path resolution", () => {
  const tmp = tempDir("static");
  afterAll(() => tmp.cleanup());
  const root = join(tmp.dir, "site");
  mkdirSync(join(root, "assets"), { recursive: true });
  writeFileSync(join(root, "index.html"), "home");
  writeFileSync(join(root, "assets", "a.js"), "js");
  writeFileSync(join(root, ".secret"), "no");
  writeFileSync(join(tmp.dir, "outside.txt"), "no");

  it("maps URL paths to files inside the root only", () => {
    expect(resolveRequestPath(root, "/")).toBe(join(root, "index.html"));
    expect(resolveRequestPath(root, "/assets/a.js")).toBe(join(root, "assets", "a.js"));
    expect(resolveRequestPath(root, "/assets/%61.js")).toBe(join(root, "assets", "a.js"));
    expect(resolveRequestPath(root, "/assets/")).toBeNull(); // a directory without index.html
    expect(resolveRequestPath(root, "/../outside.txt")).toBeNull();
    expect(resolveRequestPath(root, "/%2e%2e/outside.txt")).toBeNull();
    expect(resolveRequestPath(root, "/assets/..%2f..%2foutside.txt")).toBeNull();
    expect(resolveRequestPath(root, "/.secret")).toBeNull();
    expect(resolveRequestPath(root, "/%E0%A4%A")).toBeNull(); // malformed escape
    expect(resolveRequestPath(root, "/index.html%00.js")).toBeNull();
  });
});
