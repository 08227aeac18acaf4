/**
 * The package root for Node: installs the WebAssembly kernels synchronously from wasm/layerwise.wasm, then
 * re-exports everything of ./index.js (the platform-neutral exports, which the browser build re-exports too).
 */
import "./linalg/wasm-node.js";

export * from "./index.js";
export { getThreads, setThreads, shutdownThreads, startThreads } from "./linalg/threads.js";
