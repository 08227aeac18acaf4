/**
 * The package's browser build: the same exports as the Node package root, with the WebAssembly kernels
 * fetched and instantiated before any importer runs (top-level await). Browsers that support relaxed SIMD get
 * wasm/layerwise-relaxed.wasm (fused multiply-add in the GEMM micro-kernels), the others wasm/layerwise.wasm;
 * both URLs are written out in full so the bundler emits both files.
 */
import { relaxedSimdSupported } from "../../src/linalg/simd-build.js";
import { loadKernels } from "../../src/linalg/wasm.js";

export * from "../../src/index.js";

await loadKernels(
  relaxedSimdSupported()
    ? new URL("../../wasm/layerwise-relaxed.wasm", import.meta.url)
    : new URL("../../wasm/layerwise.wasm", import.meta.url),
);
