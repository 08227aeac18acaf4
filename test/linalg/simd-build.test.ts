/**
 * The two builds of the kernels (wasm/layerwise.wasm, plain SIMD; wasm/layerwise-relaxed.wasm, relaxed_madd in the
 * GEMM micro-kernels) and the choice between them: both builds' GEMM and SYRK (float64 and float32) within the
 * documented bound γ_m·(|α|·Σ|a||b| + |β||c|) of an accurate reference and within twice that of each other; the
 * relaxed build's madd is one of the two results relaxed_madd allows; LAYERWISE_SIMD is validated; detection falls
 * back to the plain build where the engine has no relaxed SIMD.
 *
 * Both builds are instantiated here as separate raw instances (the V8 flag Node 20 needs is set in this test
 * process), so their kernels run on the same bytes in memory.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { SIMD_CHOICES, chooseSimdBuild, parseSimdChoice, type SimdBuild } from "../../src/linalg/simd-build.js";
import { instantiateBuild, resolveNodeSimdBuild } from "../../src/linalg/wasm-node.js";
import { Rng } from "../../src/random/index.js";

const ROOT = join(import.meta.dirname, "..", "..");

/** The raw exports of one build, on its own memory. */
interface RawKernels {
  memory: WebAssembly.Memory;
  __heap_base: WebAssembly.Global;
  dgemm(...args: number[]): void;
  dsyrk(...args: number[]): void;
  sgemm(...args: number[]): void;
  ssyrk(...args: number[]): void;
}

resolveNodeSimdBuild("relaxed"); // sets the V8 flag where the engine needs it (Node 20)
const BUILDS: Record<SimdBuild, RawKernels> = {
  plain: instantiateBuild("plain") as unknown as RawKernels,
  relaxed: instantiateBuild("relaxed") as unknown as RawKernels,
};

type Dtype = "float64" | "float32";

/**
 * Runs `call(pA, pB, pC)` on instance `k` with A, B and C copied in (as float64 or float32) at the start of its
 * heap; returns C afterwards (as float64 numbers).
 */
function runRaw(
  k: RawKernels,
  dtype: Dtype,
  A: Float64Array,
  B: Float64Array,
  C: Float64Array,
  call: (pA: number, pB: number, pC: number) => void,
): Float64Array {
  const size = dtype === "float64" ? 8 : 4;
  const align = (x: number) => Math.ceil(x / 64) * 64;
  const pA = align(Number(k.__heap_base.value));
  const pB = align(pA + A.length * size);
  const pC = align(pB + B.length * size);
  const end = pC + C.length * size;
  if (end > k.memory.buffer.byteLength) k.memory.grow(Math.ceil((end - k.memory.buffer.byteLength) / 65536));
  const View = dtype === "float64" ? Float64Array : Float32Array;
  new View(k.memory.buffer, pA, A.length).set(A);
  new View(k.memory.buffer, pB, B.length).set(B);
  new View(k.memory.buffer, pC, C.length).set(C);
  call(pA, pB, pC);
  return Float64Array.from(new View(k.memory.buffer, pC, C.length));
}

/** Error-free transformation of a product (Dekker / Veltkamp split): a·b = p + e exactly. */
function twoProduct(a: number, b: number): [number, number] {
  const split = (x: number): [number, number] => {
    const c = 134217729 * x; // 2^27 + 1
    const hi = c - (c - x);
    return [hi, x - hi];
  };
  const p = a * b;
  const [ah, al] = split(a);
  const [bh, bl] = split(b);
  return [p, al * bl - (p - ah * bh - al * bh - ah * bl)];
}

/**
 * α·Σ_p x_p·y_p + β·c computed twice as accurately as float64 (compensated dot product, Ogita, Rump & Oishi,
 * "Accurate sum and dot product", SIAM J. Sci. Comput. 26(6), 2005: Dot2), and the magnitude
 * |α|·Σ|x_p||y_p| + |β||c| that scales the error bound.
 */
function accurate(x: number[], y: number[], alpha: number, beta: number, c: number): [number, number] {
  let s = 0;
  let err = 0;
  let mag = 0;
  for (let p = 0; p < x.length; p++) {
    const [prod, pe] = twoProduct(alpha * x[p], y[p]); // α is a power of two in these tests: α·x is exact
    const t = s + prod;
    const z = t - s;
    err += s - (t - z) + (prod - z) + pe;
    s = t;
    mag += Math.abs(alpha * x[p] * y[p]);
  }
  return [s + err + beta * c, mag + Math.abs(beta * c)];
}

const UNIT_ROUNDOFF: Record<Dtype, number> = { float64: 2 ** -53, float32: 2 ** -24 };

/** γ_m = m·u/(1 − m·u) with m = k + 2⌈k/256⌉ (the documented bound; 256 is the depth of one packed block). */
function gamma(k: number, dtype: Dtype): number {
  const m = k + 2 * Math.ceil(k / 256);
  const u = UNIT_ROUNDOFF[dtype];
  return (m * u) / (1 - m * u);
}

function randomValues(rng: Rng, count: number, dtype: Dtype): Float64Array {
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = dtype === "float64" ? rng.normal() : Math.fround(rng.normal());
  return out;
}

interface Product {
  name: string;
  dtype: Dtype;
  m: number;
  n: number;
  k: number;
  /** Computes C on instance `k` of the given build. */
  run(kernels: RawKernels): Float64Array;
  /** The accurate value and the magnitude of entry (i, j). */
  reference(i: number, j: number): [number, number];
}

/** GEMM C ← α·op(A)·op(B) + β·C on random row-major inputs (α a power of two, so α·a is exact in the reference). */
function gemmCase(dtype: Dtype, m: number, n: number, k: number, tA: boolean, tB: boolean, seed: number): Product {
  const rng = new Rng(seed);
  const [alpha, beta] = [0.5, dtype === "float64" ? -1.3 : Math.fround(-1.3)];
  const A = randomValues(rng, m * k, dtype);
  const B = randomValues(rng, k * n, dtype);
  const C = randomValues(rng, m * n, dtype);
  const [lda, ldb] = [tA ? m : k, tB ? k : n];
  const a = (i: number, p: number) => (tA ? A[p * lda + i] : A[i * lda + p]);
  const b = (p: number, j: number) => (tB ? B[j * ldb + p] : B[p * ldb + j]);
  const gemm = dtype === "float64" ? "dgemm" : "sgemm";
  return {
    name: `${gemm} ${m}×${n}×${k}${tA ? " Aᵀ" : ""}${tB ? " Bᵀ" : ""}`,
    dtype,
    m,
    n,
    k,
    run: (kern) =>
      runRaw(kern, dtype, A, B, C, (pA, pB, pC) => kern[gemm](+tA, +tB, m, n, k, alpha, pA, lda, pB, ldb, beta, pC, n)),
    reference: (i, j) =>
      accurate(
        Array.from({ length: k }, (_, p) => a(i, p)),
        Array.from({ length: k }, (_, p) => b(p, j)),
        alpha,
        beta,
        C[i * n + j],
      ),
  };
}

/** SYRK C ← α·X·Xᵀ + β·C (X = A, or Aᵀ with trans); only C's upper triangle is an input. */
function syrkCase(dtype: Dtype, n: number, k: number, trans: boolean, seed: number): Product {
  const rng = new Rng(seed);
  const [alpha, beta] = [2, 0.75];
  const A = randomValues(rng, n * k, dtype);
  const C = randomValues(rng, n * n, dtype);
  const lda = trans ? n : k;
  const x = (i: number, p: number) => (trans ? A[p * lda + i] : A[i * lda + p]);
  const syrk = dtype === "float64" ? "dsyrk" : "ssyrk";
  return {
    name: `${syrk} n=${n} k=${k}${trans ? " AᵀA" : " AAᵀ"}`,
    dtype,
    m: n,
    n,
    k,
    run: (kern) =>
      runRaw(kern, dtype, A, new Float64Array(0), C, (pA, _pB, pC) =>
        kern[syrk](+trans, n, k, alpha, pA, lda, beta, pC, n),
      ),
    reference: (i, j) =>
      accurate(
        Array.from({ length: k }, (_, p) => x(i, p)),
        Array.from({ length: k }, (_, p) => x(j, p)),
        alpha,
        beta,
        C[Math.min(i, j) * n + Math.max(i, j)],
      ),
  };
}

const PRODUCTS: Product[] = [];
let seed = 1;
for (const dtype of ["float64", "float32"] as const) {
  // 37×29 leaves partial micro-tiles on both edges; k = 600 spans three packed blocks (β = 1 after the first).
  for (const [tA, tB] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ] as const) {
    PRODUCTS.push(gemmCase(dtype, 37, 29, 600, tA, tB, seed++));
  }
  PRODUCTS.push(gemmCase(dtype, 64, 64, 64, false, false, seed++));
  PRODUCTS.push(syrkCase(dtype, 45, 300, false, seed++));
  PRODUCTS.push(syrkCase(dtype, 45, 300, true, seed++));
}

describe("the relaxed-SIMD build against the plain build and an accurate reference", () => {
  for (const product of PRODUCTS) {
    it(`${product.name}: both builds within γ_m·(|α|Σ|a||b| + |β||c|) of the reference, and within twice that of each other`, () => {
      const plain = product.run(BUILDS.plain);
      const relaxed = product.run(BUILDS.relaxed);
      const g = gamma(product.k, product.dtype);
      const violations: string[] = [];
      for (let i = 0; i < product.m; i++) {
        for (let j = 0; j < product.n; j++) {
          const [exact, magnitude] = product.reference(i, j);
          const e = i * product.n + j;
          const bound = g * magnitude;
          // The reference itself is off by about u64·|exact| (Dot2); the bound is many times larger.
          const slack = 2 ** -52 * Math.abs(exact);
          if (!(Math.abs(plain[e] - exact) <= bound + slack))
            violations.push(`plain (${i}, ${j}) ${plain[e]} vs ${exact}`);
          if (!(Math.abs(relaxed[e] - exact) <= bound + slack))
            violations.push(`relaxed (${i}, ${j}) ${relaxed[e]} vs ${exact}`);
          if (!(Math.abs(relaxed[e] - plain[e]) <= 2 * bound))
            violations.push(`relaxed vs plain (${i}, ${j}) ${relaxed[e]} vs ${plain[e]}`);
        }
      }
      expect(violations.slice(0, 5)).toEqual([]);
    });
  }

  it("SYRK of the relaxed build is exactly symmetric, as the plain build's", () => {
    for (const product of PRODUCTS.filter((p) => p.name.includes("syrk"))) {
      const C = product.run(BUILDS.relaxed);
      for (let i = 0; i < product.n; i++)
        for (let j = 0; j < i; j++) expect(C[i * product.n + j]).toBe(C[j * product.n + i]);
    }
  });

  /**
   * c = −fl(x²)·1 + x·x with x = 1 + 2^−30 (float64) or 1 + 2^−13 (float32): a multiply then an add gives exactly 0;
   * a fused multiply-add gives the rounding error of x², 2^−60 or 2^−26. relaxed_madd may do either; the plain
   * build must do the first.
   */
  it("a 1×1×2 product exposes the rounding: plain gives 0, relaxed one of the two results relaxed_madd allows", () => {
    const fused: Record<string, boolean> = {};
    for (const [dtype, x, residual] of [
      ["float64", 1 + 2 ** -30, 2 ** -60],
      ["float32", 1 + 2 ** -13, 2 ** -26],
    ] as const) {
      const square = dtype === "float64" ? x * x : Math.fround(x * x);
      expect(dtype === "float64" ? twoProduct(x, x)[1] : x * x - square).toBe(residual); // x² − fl(x²)
      const A = Float64Array.of(1, x);
      const B = Float64Array.of(-square, x);
      const gemm = dtype === "float64" ? "dgemm" : "sgemm";
      const run = (kern: RawKernels) =>
        runRaw(kern, dtype, A, B, new Float64Array(1), (pA, pB, pC) =>
          kern[gemm](0, 0, 1, 1, 2, 1, pA, 2, pB, 1, 0, pC, 1),
        )[0];
      expect(run(BUILDS.plain)).toBe(0);
      const relaxed = run(BUILDS.relaxed);
      expect([0, residual]).toContain(relaxed);
      fused[dtype] = relaxed !== 0;
    }
    // Either both lane types fuse (the CPU has FMA and the engine uses it) or neither does.
    expect(fused.float64).toBe(fused.float32);
    console.info(`relaxed_madd on this machine: ${fused.float64 ? "fused (one rounding)" : "multiply + add"}`);
  });
});

describe("choosing the build", () => {
  it("LAYERWISE_SIMD accepts plain, relaxed and auto, defaults when unset or empty, and names the allowed values otherwise", () => {
    for (const value of SIMD_CHOICES) expect(parseSimdChoice(value, "plain")).toBe(value);
    expect(parseSimdChoice(undefined, "plain")).toBe("plain");
    expect(parseSimdChoice("", "auto")).toBe("auto");
    for (const bad of ["fma", "Relaxed", " plain", "1"]) {
      expect(() => parseSimdChoice(bad, "plain")).toThrow(
        `layerwise: LAYERWISE_SIMD=${JSON.stringify(bad)} is not a kernel build; allowed: plain, relaxed, auto`,
      );
    }
  });

  it("auto falls back to plain without relaxed SIMD; an explicit relaxed there is an error", () => {
    expect(chooseSimdBuild("plain", true)).toBe("plain");
    expect(chooseSimdBuild("auto", true)).toBe("relaxed");
    expect(chooseSimdBuild("relaxed", true)).toBe("relaxed");
    expect(chooseSimdBuild("auto", false)).toBe("plain");
    expect(() => chooseSimdBuild("relaxed", false)).toThrow(/LAYERWISE_SIMD=relaxed but this engine does not support/);
  });

  it("Node's resolution sets the V8 flag only when relaxed SIMD is asked for and missing, then probes again", () => {
    const engine = (supportedAfterFlag: boolean) => {
      let flagged = false;
      const log: string[] = [];
      return {
        probe: () => (log.push("probe"), flagged && supportedAfterFlag),
        enable: () => ((flagged = true), log.push("enable")),
        log,
      };
    };
    // An engine that lacks relaxed SIMD even with the flag (an old V8): auto falls back, relaxed is refused.
    const old = engine(false);
    expect(resolveNodeSimdBuild("auto", old.probe, old.enable)).toBe("plain");
    expect(old.log).toEqual(["probe", "enable", "probe"]);
    const oldAgain = engine(false);
    expect(() => resolveNodeSimdBuild("relaxed", oldAgain.probe, oldAgain.enable)).toThrow(
      /does not support relaxed SIMD/,
    );
    // Node 20: available once the flag is set.
    const node20 = engine(true);
    expect(resolveNodeSimdBuild("relaxed", node20.probe, node20.enable)).toBe("relaxed");
    // plain (and unset) never probes nor flags; a bad value is refused before anything else.
    const untouched = engine(true);
    expect(resolveNodeSimdBuild(undefined, untouched.probe, untouched.enable)).toBe("plain");
    expect(resolveNodeSimdBuild("plain", untouched.probe, untouched.enable)).toBe("plain");
    expect(() => resolveNodeSimdBuild("fast", untouched.probe, untouched.enable)).toThrow(
      /allowed: plain, relaxed, auto/,
    );
    expect(untouched.log).toEqual([]);
  });

  /**
   * Runs `node …args` to completion without blocking this worker's event loop (a blocked test worker cannot answer
   * vitest's calls, which time out on a loaded machine).
   */
  function runNode(
    args: string[],
    env: NodeJS.ProcessEnv,
  ): Promise<{ status: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      child.on("error", reject);
      child.on("close", (status) => resolve({ status, stdout, stderr }));
    });
  }

  /** Imports the built package (dist/, built by `pretest`) in a fresh Node with LAYERWISE_SIMD set. */
  function packageWith(value: string | undefined) {
    const env = { ...process.env };
    if (value === undefined) delete env.LAYERWISE_SIMD;
    else env.LAYERWISE_SIMD = value;
    const url = pathToFileURL(join(ROOT, "dist", "src", "linalg", "wasm-node.js")).href;
    const root = pathToFileURL(join(ROOT, "dist", "src", "node.js")).href;
    const script = [
      `const { simdBuild } = await import(${JSON.stringify(url)});`,
      `const { Matrix, linalg } = await import(${JSON.stringify(root)});`,
      `const C = linalg.matmul(new Matrix(2, 3, [1, 2, 3, 4, 5, 6]), new Matrix(3, 2, [7, 8, 9, 10, 11, 12]));`,
      `console.log(JSON.stringify({ simdBuild, C: Array.from(C.data) }));`,
    ].join("\n");
    return runNode(["--input-type=module", "-e", script], env);
  }

  it("the package loads plain by default, relaxed with LAYERWISE_SIMD=relaxed or auto (Node 20: via the V8 flag), and refuses a bad value", async () => {
    const expected = [58, 64, 139, 154];
    for (const [value, build] of [
      [undefined, "plain"],
      ["plain", "plain"],
      ["relaxed", "relaxed"],
      ["auto", "relaxed"],
    ] as const) {
      const r = await packageWith(value);
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ simdBuild: build, C: expected });
    }
    const bad = await packageWith("avx512");
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('LAYERWISE_SIMD="avx512" is not a kernel build; allowed: plain, relaxed, auto');
  });

  it("the CLI reports a bad LAYERWISE_SIMD as invalid input: exit 2, the message and no stack trace", async () => {
    const r = await runNode([join(ROOT, "bin", "layerwise.js"), "list"], { ...process.env, LAYERWISE_SIMD: "fma" });
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(
      'layerwise: LAYERWISE_SIMD="fma" is not a kernel build; allowed: plain, relaxed, auto',
    );
    expect(r.stdout).toBe("");
  });
});
