// Builds the WebAssembly kernels (asm/index.ts) into wasm/, one file per variant. Every variant compiles the
// same sources with the common flags plus its own; add a variant by adding an entry to VARIANTS.
//
//   layerwise.wasm                 the plain build: its own (non-shared) memory; browsers and the fallback.
//   layerwise-shared.wasm          imports a shared memory (SharedArrayBuffer-backed), so worker threads can
//                                  run kernels on the same data (src/linalg/threads.ts); Node loads this one.
//   layerwise-relaxed[-shared].wasm  the same two with relaxed SIMD: the GEMM micro-kernels accumulate with
//                                  relaxed_madd (fused multiply-add where the CPU has it); opt-in, see
//                                  src/linalg/simd-build.ts.
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";

const COMMON = ["--optimizeLevel", "3", "--shrinkLevel", "0", "--runtime", "stub", "--noAssert", "--enable", "simd"];

/** 65536 pages = 4 GiB, the most a 32-bit memory can address: a shared memory must declare a maximum. */
// A fresh memory is zero-filled, so the static workspaces need no (1.5 MiB of) zero segments in the file.
const SHARED = [
  "--enable",
  "threads",
  "--importMemory",
  "--zeroFilledMemory",
  "--sharedMemory",
  "--maximumMemory",
  "65536",
];

const RELAXED = ["--enable", "relaxed-simd"];

const VARIANTS = [
  { name: "layerwise", flags: [] },
  { name: "layerwise-shared", flags: SHARED },
  { name: "layerwise-relaxed", flags: RELAXED },
  { name: "layerwise-relaxed-shared", flags: [...SHARED, ...RELAXED] },
];

const asc = createRequire(import.meta.url).resolve("assemblyscript/bin/asc.js");

/** Compiles asm/index.ts with the common flags and `flags` into wasm/<name>.wasm (and its text form). */
async function buildVariant(name, flags) {
  const outputs = ["--outFile", `wasm/${name}.wasm`, "--textFile", `wasm/${name}.wat`];
  const child = spawn(process.execPath, [asc, "asm/index.ts", ...outputs, ...COMMON, ...flags], { stdio: "inherit" });
  const code = await new Promise((resolve, reject) => child.on("error", reject).on("exit", resolve));
  if (code !== 0) throw new Error(`asc failed for wasm/${name}.wasm (exit code ${code})`);
}

mkdirSync("wasm", { recursive: true });
await Promise.all(VARIANTS.map((v) => buildVariant(v.name, v.flags)));
