import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Node tests load the WebAssembly kernels the way Node entry points do (the browser loads them by URL).
    setupFiles: ["test/setup-wasm.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores: run test files two at a time so CLI-spawning suites do not starve each other.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
