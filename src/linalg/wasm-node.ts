/**
 * Node-only loader of the WebAssembly kernels: importing this module finds the shared-memory form of the chosen
 * build, wasm/layerwise-shared.wasm (or layerwise-relaxed-shared.wasm, see below), by walking up from here (works
 * from src/ under vitest and from dist/) and installs it synchronously, so every Node entry point (the package
 * root, the CLI, pool workers, benchmarks, tests) can use the kernels as soon as its imports are evaluated. The
 * shared memory lets large products use helper threads (./threads.ts). Browsers load wasm/layerwise.wasm (own,
 * non-shared memory) with `loadKernels(url)` from ./wasm.js instead.
 *
 * The environment variable LAYERWISE_SIMD picks the build (./simd-build.js): `plain` (the default: the same bits
 * on every machine, so stored results reproduce), `relaxed` (fused multiply-add in the GEMM micro-kernels) or
 * `auto` (relaxed where the engine supports it).
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { setFlagsFromString } from "node:v8";
import { KERNEL_FILES, chooseSimdBuild, parseSimdChoice, relaxedSimdSupported, type SimdBuild } from "./simd-build.js";
import { type Kernels, initKernels, kernelsLoaded } from "./wasm.js";
import "./threads.js";

/** wasm/<file>'s shared-memory form (layerwise.wasm → layerwise-shared.wasm), the one Node loads. */
export function sharedMemoryFile(file: string): string {
  return file.replace(/\.wasm$/, "-shared.wasm");
}

/** Finds wasm/<file> (by default the plain build) in this module's directory or the nearest one above it. */
export function locateWasm(file: string = KERNEL_FILES.plain): string {
  const wasmFile = join("wasm", file);
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, wasmFile);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error(
        `layerwise: cannot find ${wasmFile} above ${fileURLToPath(import.meta.url)}; run "npm run build" to compile the kernels`,
      );
    }
    dir = parent;
  }
}

/** Node 20 (V8 11.3) compiles relaxed SIMD only with this flag, which takes effect for modules compiled later. */
function enableRelaxedSimdFlag(): void {
  setFlagsFromString("--experimental-wasm-relaxed-simd");
}

/**
 * The build to load for the value of LAYERWISE_SIMD (`plain` when unset): when relaxed SIMD is asked for and the
 * engine refuses it, the V8 flag is set and support probed again. `probe` and `enable` are parameters so tests
 * can stand in an engine without relaxed SIMD.
 */
export function resolveNodeSimdBuild(
  value: string | undefined,
  probe: () => boolean = relaxedSimdSupported,
  enable: () => void = enableRelaxedSimdFlag,
): SimdBuild {
  const choice = parseSimdChoice(value, "plain");
  if (choice === "plain") return "plain";
  if (!probe()) enable();
  return chooseSimdBuild(choice, probe());
}

/**
 * A separate instance of one build's kernels on its own memory, for running the two builds side by side (tests
 * and benchmarks compare them); the package's own kernels are not affected. The relaxed build needs relaxed SIMD
 * (on Node 20, the V8 flag that `resolveNodeSimdBuild("relaxed")` sets).
 */
export function instantiateBuild(build: SimdBuild): Kernels {
  const imports = {
    env: {
      abort(): never {
        throw new Error(`layerwise: WebAssembly kernel aborted (${KERNEL_FILES[build]})`);
      },
    },
  };
  const module = new WebAssembly.Module(readFileSync(locateWasm(KERNEL_FILES[build])));
  return new WebAssembly.Instance(module, imports).exports as unknown as Kernels;
}

/** The build this process loaded its kernels from. */
export const simdBuild: SimdBuild = resolveNodeSimdBuild(process.env.LAYERWISE_SIMD);

if (!kernelsLoaded()) initKernels(readFileSync(locateWasm(sharedMemoryFile(KERNEL_FILES[simdBuild]))));
