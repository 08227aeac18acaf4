// Entry point of the WebAssembly module: every kernel the TypeScript bridge (src/linalg/wasm.ts) calls.
// Kernels take byte offsets into linear memory (allocated by the bridge) and never allocate themselves.
export * from "./blas";
export * from "./lapack";
export * from "./elementwise";
export * from "./blas32";
export * from "./elementary";
export * from "./convert";
export * from "./optim";
export * from "./random";
export * from "./two-layer";
export * from "./conv";
