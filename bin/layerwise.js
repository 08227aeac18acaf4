#!/usr/bin/env node
// The `layerwise` command: thin launcher for the compiled CLI (built into dist/ by `npm install`).
import { main } from "../dist/src/cli/main.js";

process.exitCode = await main(process.argv.slice(2));
