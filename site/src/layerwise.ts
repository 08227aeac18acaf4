/**
 * The package's browser build: the same exports as the Node package root, with the WebAssembly kernels
 * fetched and instantiated from the bundled wasm/layerwise.wasm before any importer runs (top-level await).
 */
import { loadKernels } from "../../src/linalg/wasm.js";

export * from "../../src/index.js";

await loadKernels(new URL("../../wasm/layerwise.wasm", import.meta.url));
