/**
 * Node-only loader of the WebAssembly kernels: importing this module finds wasm/layerwise-shared.wasm (the build
 * with a shared memory, so large products can use helper threads: ./threads.ts) by walking up from here (works
 * from src/ under vitest and from dist/) and installs it synchronously, so every Node entry point (the package
 * root, the CLI, pool workers, benchmarks, tests) can use the kernels as soon as its imports are evaluated.
 * Browsers load wasm/layerwise.wasm with `loadKernels(url)` from ./wasm.js instead.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { initKernels, kernelsLoaded } from "./wasm.js";
import "./threads.js";

const WASM_FILE = join("wasm", "layerwise-shared.wasm");

/** Finds wasm/layerwise-shared.wasm in this module's directory or the nearest one above it. */
export function locateWasm(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, WASM_FILE);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error(
        `layerwise: cannot find ${WASM_FILE} above ${fileURLToPath(import.meta.url)}; run "npm run build" to compile the kernels`,
      );
    }
    dir = parent;
  }
}

if (!kernelsLoaded()) initKernels(readFileSync(locateWasm()));
