#!/usr/bin/env node
// The `layerwise` command: thin launcher for the compiled CLI (built into dist/ by `npm install`).
// Importing the CLI loads the kernels, which validates $LAYERWISE_SIMD: a bad value is invalid input (exit 2).
let main;
try {
  ({ main } = await import("../dist/src/cli/main.js"));
} catch (error) {
  if (error?.name !== "InputError") throw error;
  console.error(error.message);
  process.exit(2);
}

process.exitCode = await main(process.argv.slice(2));
