/** Versions recorded with every run and printed in reports, so any figure can be traced to the code behind it. */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as vega from "vega";
import * as vegaLite from "vega-lite";

/** The layerwise package.json, found by walking up from this module (works from src/ and dist/src/). */
function findPackageJson(): { version: string } {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, "package.json");
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version: string };
      if (pkg.name === "layerwise") return pkg;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error("layerwise: cannot find the package's package.json");
    dir = parent;
  }
}

/** The layerwise package version. */
export const packageVersion: string = findPackageJson().version;

/** Versions of layerwise, Node and the libraries that shape stored results and figures. */
export function versions(): Record<string, string> {
  const require = createRequire(import.meta.url);
  const dependency = (name: string): string => {
    try {
      return (require(`${name}/package.json`) as { version: string }).version;
    } catch {
      return "unknown";
    }
  };
  return {
    layerwise: packageVersion,
    node: process.versions.node,
    "better-sqlite3": dependency("better-sqlite3"),
    vega: vega.version,
    "vega-lite": vegaLite.version,
    "@resvg/resvg-js": dependency("@resvg/resvg-js"),
    zod: dependency("zod"),
  };
}
