/**
 * The package root for Node: installs the WebAssembly kernels synchronously from wasm/layerwise-shared.wasm, then
 * re-exports everything of ./index.js (the platform-neutral exports, which the browser build re-exports too) and
 * the thread controls of large matrix products, of the data-parallel pass's replicas and of the background refresh
 * thread (Node only).
 */
import "./linalg/wasm-node.js";
import "./nn/replicas.js";

export * from "./index.js";
export { getThreads, setThreads, shutdownThreads, startThreads } from "./linalg/threads.js";
export { startReplicas, shutdownReplicas } from "./nn/replicas.js";
export { shutdownRefreshThread } from "./optim/curvature/refresh-thread.js";
