/** Vitest setup: install the WebAssembly kernels (wasm/layerwise-shared.wasm) before any test module runs. */
import "../src/linalg/wasm-node.js";
import "../src/nn/replicas.js";
