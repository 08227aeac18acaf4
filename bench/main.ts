/**
 * `npm run bench`: runs every benchmark module bench/*.bench.ts (compiled to dist/bench/*.bench.js), each of
 * which times our code and its numpy peer in the same run and prints a table with the ratio ours/numpy.
 * Pass names to run a subset: `npm run bench -- linalg quadratic`.
 * Every benchmark runs our kernels on one thread unless it sets the thread count itself (threads, train), so
 * the rows compare with numpy pinned to one OpenBLAS thread like for like.
 */
import "../src/linalg/wasm-node.js";
import "../src/nn/replicas.js";
import { setThreads } from "../src/linalg/threads.js";
import { readdirSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const modules = readdirSync(here)
  .filter((f) => f.endsWith(".bench.js"))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)))
  .sort();

setThreads(1);
if (modules.length === 0) {
  console.error(`bench: no benchmark matches ${JSON.stringify(wanted)}`);
  process.exitCode = 2;
}
for (const file of modules) {
  const mod = (await import(pathToFileURL(`${here}/${file}`).href)) as { default: () => Promise<void> | void };
  await mod.default();
}
