/** Vitest setup: install the WebAssembly kernels from wasm/layerwise.wasm before any test module runs. */
import "../src/linalg/wasm-node.js";
