/**
 * Which of the two builds of the WebAssembly kernels to load.
 *
 * `asm/` is compiled twice from one source: wasm/layerwise.wasm with plain 128-bit SIMD, and
 * wasm/layerwise-relaxed.wasm with the relaxed-SIMD proposal enabled, whose GEMM micro-kernels accumulate with
 * `f64x2.relaxed_madd` / `f32x4.relaxed_madd` (c + a·b). The engine lowers relaxed_madd to a fused multiply-add
 * (one rounding) where the CPU has one and to a multiply and an add (two roundings) where it has not, so the
 * relaxed build's last bits depend on the machine, while the plain build gives the same bits everywhere. Both
 * obey the same error bound (see the "numerical core" section of the README): entry (i, j) of a GEMM is within
 * γ_m·(|α|·Σ_p |a_ip||b_pj| + |β||c_ij|) of the exact value, γ_m = m·u/(1 − m·u), m = k + 2⌈k/256⌉, so the two
 * builds agree to within twice that.
 *
 * Each build also exists in a shared-memory form (file name + "-shared", scripts/build-wasm.mjs), which Node
 * loads so that large products can use helper threads (./wasm-node.ts, ./threads.ts).
 *
 * The plain build is the default everywhere: its numbers are the same on every machine and engine, which the
 * explorable's promise (a trial gives the same bits in the browser as in Node) and stored results rely on. Node's
 * loader (./wasm-node.js) loads the relaxed build when LAYERWISE_SIMD asks for it; in a browser, pass the URL of
 * KERNEL_FILES.relaxed to `loadKernels` when `relaxedSimdSupported()`. This module has no platform imports.
 */
import { InputError } from "../config/errors.js";

/** The two builds of the kernels. */
export const SIMD_BUILDS = ["plain", "relaxed"] as const;
export type SimdBuild = (typeof SIMD_BUILDS)[number];

/** What a user may ask for: a build, or `auto` (relaxed where the engine supports it, else plain). */
export const SIMD_CHOICES = ["plain", "relaxed", "auto"] as const;
export type SimdChoice = (typeof SIMD_CHOICES)[number];

/** File name (under wasm/) of each build. */
export const KERNEL_FILES: Record<SimdBuild, string> = {
  plain: "layerwise.wasm",
  relaxed: "layerwise-relaxed.wasm",
};

/**
 * The smallest module that uses relaxed SIMD: one function (v128, v128, v128) → v128 whose body is
 * `local.get 0; local.get 1; local.get 2; f64x2.relaxed_madd` (opcode 0xfd 0x107, LEB128-encoded as 0x87 0x02).
 */
const RELAXED_PROBE = new Uint8Array([
  ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // "\0asm", version 1
  ...[0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b], // type section: (v128 v128 v128) → v128
  ...[0x03, 0x02, 0x01, 0x00], // function section: one function of type 0
  ...[0x0a, 0x0d, 0x01, 0x0b, 0x00], // code section: one body of 11 bytes, no locals
  ...[0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x87, 0x02, 0x0b], // local.get ×3, f64x2.relaxed_madd, end
]);

/**
 * Whether this engine compiles relaxed-SIMD code now (WebAssembly.validate of a module using
 * `f64x2.relaxed_madd`). Browsers ship relaxed SIMD; Node 20 has it behind the V8 flag
 * `--experimental-wasm-relaxed-simd`, which ./wasm-node.js sets when a user asks for the relaxed build.
 */
export function relaxedSimdSupported(): boolean {
  return typeof WebAssembly.validate === "function" && WebAssembly.validate(RELAXED_PROBE);
}

/**
 * Validates a requested build (the LAYERWISE_SIMD environment variable in Node; `source` names it in the
 * message). `undefined` or the empty string means `fallback`. Throws `InputError` for anything else.
 */
export function parseSimdChoice(
  value: string | undefined,
  fallback: SimdChoice,
  source = "LAYERWISE_SIMD",
): SimdChoice {
  if (value === undefined || value === "") return fallback;
  if ((SIMD_CHOICES as readonly string[]).includes(value)) return value as SimdChoice;
  throw new InputError(
    `layerwise: ${source}=${JSON.stringify(value)} is not a kernel build; allowed: ${SIMD_CHOICES.join(", ")}`,
  );
}

/**
 * The build to load for `choice` when the engine does (`supported`) or does not support relaxed SIMD: `auto`
 * falls back to plain; an explicit `relaxed` on an engine without it is an error (a user who asked for it
 * should not silently get the other build).
 */
export function chooseSimdBuild(choice: SimdChoice, supported: boolean, source = "LAYERWISE_SIMD"): SimdBuild {
  if (choice === "plain") return "plain";
  if (supported) return "relaxed";
  if (choice === "auto") return "plain";
  throw new InputError(
    `layerwise: ${source}=relaxed but this engine does not support relaxed SIMD (WebAssembly.validate refused f64x2.relaxed_madd); use plain or auto`,
  );
}
