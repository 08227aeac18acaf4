/**
 * Deterministic delayed refreshes (src/optim/curvature/background-refresh.ts): a refresh launched at step t from
 * that step's statistics replaces the cache at step t + k exactly, so Shampoo's, SOAP's, KFAC's and EKFAC's
 * trajectories are the same bit for bit whether the refresh runs in the background thread or on the training
 * thread, whatever the kernel thread count and whether the thread is late or early; a state saved with a refresh
 * in flight resumes on the same trajectory; a failed background refresh keeps the last good cache; KFAC and EKFAC
 * with no delay reproduce the trajectory of the code before delayed refreshes.
 */
import { createHash } from "node:crypto";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { Matrix } from "../../src/linalg/matrix.js";
import { setThreads } from "../../src/linalg/threads.js";
import type { KroneckerStats, Params } from "../../src/nn/types.js";
import { naiveMatmul } from "../helpers/naive.js";
import * as optim from "../../src/optim/index.js";
import {
  dampedInverses,
  eigenbases,
  emptyKroneckerBlock,
  symmetricPower,
  type BlockSizes,
  type KroneckerBlock,
} from "../../src/optim/curvature/kronecker-block.js";
import { BACKGROUND_MIN_ORDER, refreshScheduler } from "../../src/optim/curvature/background-refresh.js";
import { spdInverse } from "../../src/optim/curvature/precision.js";
import type { RefreshSpec } from "../../src/optim/curvature/refresh-spec.js";
import {
  backgroundRefreshStats,
  setRefreshThreadLatency,
  shutdownRefreshThread,
} from "../../src/optim/curvature/refresh-thread.js";
import { Rng, gaussianMatrix } from "../../src/random/index.js";
import { bitEqual, gradientSequence, mlpPasses, randomParams } from "./fixtures.js";
import { ROOT, runNode } from "../cli/helpers.js";

// The weight's factors have orders 130 and 140 (≥ BACKGROUND_MIN_ORDER), so their refreshes go to the thread.
const SHAPES: Record<string, [number, number]> = {
  w: [BACKGROUND_MIN_ORDER + 2, BACKGROUND_MIN_ORDER + 12],
  b: [1, 5],
};
const STEPS = 11;

type Make = (extra: object) => optim.GradientTransformation<unknown>;
/** One step's input: gradients, and the layer statistics for KFAC and EKFAC. */
type Step = { grads: Params; ctx?: optim.UpdateContext };
/** A method, the parameters and steps it is run on, and the layers whose refreshes are in flight after 5 steps. */
interface Case {
  make: Make;
  params: Params;
  steps: Step[];
  inFlight: string[];
}

const params = randomParams(1, SHAPES);
const grads = gradientSequence(2, params, STEPS);
const plainSteps: Step[] = grads.map((g) => ({ grads: g }));
// A float32 140-130-10 MLP's gradients and statistics: factors of orders 141, 130 (first layer), 131, 10.
const mlpRun = mlpPasses(5, STEPS);
const mlpSteps: Step[] = mlpRun.passes.map((p) => ({ grads: p.grads, ctx: { stats: p.stats } }));
const mlpLayers = mlpRun.passes[0].stats.map((s) => s.weight);
// Factors folded every step (so that a delay changes the trajectory); inverses or bases refreshed at 1, 4, 7, 10.
const kfacOptions = { learningRate: 0.1, inverseEvery: 3, factorUpdateEvery: 1 };

const METHODS: Record<string, Case> = {
  shampoo: {
    make: (extra) =>
      optim.shampoo({
        learningRate: 0.01,
        preconditionEvery: 3,
        startPreconditioningStep: 1,
        ...extra,
      }) as optim.GradientTransformation<unknown>,
    params,
    steps: plainSteps,
    inFlight: ["w"],
  },
  soap: {
    make: (extra) =>
      optim.soap({ learningRate: 0.01, preconditionEvery: 3, ...extra }) as optim.GradientTransformation<unknown>,
    params,
    steps: plainSteps,
    inFlight: ["w"],
  },
  kfac: {
    make: (extra) => optim.kfac({ ...kfacOptions, ...extra }) as optim.GradientTransformation<unknown>,
    params: mlpRun.params,
    steps: mlpSteps,
    inFlight: mlpLayers,
  },
  // Blocked factors (141 → 71 + 70, 130 → 65 + 65): the block sizes travel with the refresh.
  ekfac: {
    make: (extra) =>
      optim.ekfac({ ...kfacOptions, maxPreconditionerDim: 100, ...extra }) as optim.GradientTransformation<unknown>,
    params: mlpRun.params,
    steps: mlpSteps,
    inFlight: mlpLayers,
  },
};

/** Every step's updates and the final state of `t` over the case's steps [from, to), starting from `state`. */
function run(
  c: Case,
  t: optim.GradientTransformation<unknown>,
  state: unknown,
  from = 0,
  to = STEPS,
  between?: () => void,
  each?: (state: unknown) => void,
): { updates: Params[]; state: unknown } {
  const updates: Params[] = [];
  for (let s = from; s < to; s++) {
    const r = t.update(c.steps[s].grads, state, c.params, c.steps[s].ctx);
    updates.push(r.updates);
    state = r.state;
    each?.(state);
    between?.();
  }
  return { updates, state };
}

const sameSteps = (a: Params[], b: Params[]): boolean => a.length === b.length && a.every((u, i) => bitEqual(u, b[i]));

afterEach(() => setRefreshThreadLatency(0));
afterAll(async () => {
  setThreads(1);
  await shutdownRefreshThread();
});

describe.each(Object.entries(METHODS))("%s with a refresh delay", (_name, c) => {
  const { make } = c;
  const reference = (): Params[] => {
    const t = make({ refreshDelay: 3, backgroundRefresh: false });
    return run(c, t, t.init(c.params)).updates;
  };

  it("gives the same steps in the background thread as on the training thread, whatever the thread count and timing", async () => {
    const expected = reference();
    // The delay changes the trajectory (else the comparisons below would prove nothing).
    const undelayed = make({ refreshDelay: 0, backgroundRefresh: false });
    expect(sameSteps(run(c, undelayed, undelayed.init(c.params)).updates, expected)).toBe(false);

    const background = (): Params[] => {
      const t = make({ refreshDelay: 3 });
      return run(c, t, t.init(c.params)).updates;
    };
    const before = backgroundRefreshStats().answered;
    expect(sameSteps(background(), expected)).toBe(true);
    // The thread answered the refreshes launched at the steps due before the end (at least two per run).
    expect(backgroundRefreshStats().answered - before).toBeGreaterThanOrEqual(2);

    setThreads(2);
    expect(sameSteps(background(), expected)).toBe(true);
    setThreads(1);

    // A late thread: the training loop waits for it.
    await shutdownRefreshThread();
    setRefreshThreadLatency(300);
    expect(sameSteps(background(), expected)).toBe(true);
    await shutdownRefreshThread();
    setRefreshThreadLatency(0);

    // The thread shut down with a refresh in flight (after 5 steps): the training thread computes it at its due step.
    const cut = make({ refreshDelay: 3 });
    const first = run(c, cut, cut.init(c.params), 0, 5);
    await shutdownRefreshThread();
    expect(sameSteps([...first.updates, ...run(c, cut, first.state, 5).updates], expected)).toBe(true);

    // A slow training loop: the answers are ready long before their due step.
    const t = make({ refreshDelay: 3 });
    const slow = run(c, t, t.init(c.params), 0, STEPS, () =>
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 30),
    );
    expect(sameSteps(slow.updates, expected)).toBe(true);
  });

  it("resumes a state saved with a refresh in flight on the same trajectory", () => {
    const t = make({ refreshDelay: 3 });
    const straight = run(c, t, t.init(c.params));
    // Shampoo and KFAC launched at step 4 (due at 7), SOAP after Adam step 3 (due after 6): in flight after 5 steps.
    const half = run(c, t, t.init(c.params), 0, 5);
    const pending = (half.state as { pending: Record<string, unknown> }).pending;
    expect(Object.keys(pending)).toEqual(c.inFlight);
    const text = optim.saveState(half.state);
    const t2 = make({ refreshDelay: 3 });
    const resumed = run(c, t2, optim.loadState(text, t2, c.params), 5);
    expect(sameSteps([...half.updates, ...resumed.updates], straight.updates)).toBe(true);
    expect(optim.saveState(resumed.state)).toBe(optim.saveState(straight.state));
  });
});

describe("shampoo's delayed roots", () => {
  it("are the roots of step t's statistics, used from step t + k, the previous roots until then", () => {
    const eps = 1e-12;
    const t = optim.shampoo({
      learningRate: 0.01,
      preconditionEvery: 3,
      startPreconditioningStep: 1,
      refreshDelay: 2,
      eps,
    });
    const states: optim.ShampooState[] = [];
    let state = t.init(params);
    for (const g of grads.slice(0, 7)) {
      state = t.update(g, state, params).state;
      states.push(state);
    }
    const block = (s: number) => states[s - 1].blocks.w[0];
    // Step 1: the first roots, used at once. Step 4 launches from its statistics; steps 4 and 5 keep step 1's roots.
    expect(block(1).leftCache!.data).toEqual(symmetricPower(block(1).left!, -0.25, eps).data);
    expect(block(4).leftCache).toBe(block(1).leftCache);
    expect(block(5).leftCache).toBe(block(1).leftCache);
    // Step 6 = 4 + 2: the roots of step 4's statistics (bit for bit: the same function of the same numbers).
    expect(block(6).leftCache!.data).toEqual(symmetricPower(block(4).left!, -0.25, eps).data);
    expect(block(6).rightCache!.data).toEqual(symmetricPower(block(4).right!, -0.25, eps).data);
    expect(block(7).leftCache).toBe(block(6).leftCache);
  });

  it("refuses a delay longer than the refresh period", () => {
    expect(() => optim.shampoo({ learningRate: 1, preconditionEvery: 10, refreshDelay: 11 })).toThrow(
      /shampoo: option refreshDelay must be an integer from 0 to preconditionEvery \(10\), got 11/,
    );
    expect(() => optim.soap({ learningRate: 1, refreshDelay: -1 })).toThrow(
      /soap: option refreshDelay must be an integer ≥ 0/,
    );
    expect(() => optim.soap({ learningRate: 1, backgroundRefresh: "yes" as never })).toThrow(
      /soap: option backgroundRefresh must be true or false/,
    );
  });
});

/** SHA-256 of every step's updates (keys in order, float64 bytes). */
function fingerprint(updates: Params[]): string {
  const h = createHash("sha256");
  for (const u of updates)
    for (const key of Object.keys(u).sort()) {
      const d = u[key].data;
      h.update(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
    }
  return h.digest("hex");
}

describe("kfac and ekfac with refreshDelay: 0", () => {
  // The fingerprints of these runs computed by the code before delayed refreshes existed (commit b8e3590), with
  // the same options less refreshDelay: blocked factors (maxPreconditionerDim 100), momentum, factors every 2 steps.
  const PREVIOUS: [string, "float32" | "float64", string][] = [
    ["kfac", "float32", "e42b27789789ad42b2fd8f46da4e08cce3fc00aefd086facfc25d69692e1ad4a"],
    ["kfac", "float64", "41be6aab943218a8148269ebc1845dc4698179d47ed2b588682a19d99cd349f3"],
    ["ekfac", "float32", "24074f8113b578580d4d4b8171d2f187159324c6c66a2565a68fcdc0a12a9a57"],
    ["ekfac", "float64", "eb505a945520652733abe7f65d51edce109930677bba8e866dab16abb5b37e78"],
  ];
  it.each(PREVIOUS)(
    "%s (%s) reproduces the trajectory of the code before delayed refreshes bit for bit",
    (name, precision, previous) => {
      const c = METHODS[name];
      const options = { inverseEvery: 3, factorUpdateEvery: 2, maxPreconditionerDim: 100, momentum: 0.5, precision };
      const t = c.make({ learningRate: 0.1, ...options, refreshDelay: 0 });
      expect(fingerprint(run(c, t, t.init(c.params)).updates)).toBe(previous);
    },
  );
});

describe("kfac's and ekfac's default refreshDelay", () => {
  it.each(["kfac", "ekfac"])("%s: the whole refresh period when it is above 1, none at a period of 1", (name) => {
    const c = METHODS[name];
    const steps = (extra: Record<string, unknown>): Params[] => {
      const t = c.make(extra);
      return run(c, t, t.init(c.params)).updates;
    };
    const byDefault = steps({});
    expect(sameSteps(byDefault, steps({ refreshDelay: 3 }))).toBe(true);
    expect(sameSteps(byDefault, steps({ refreshDelay: 0 }))).toBe(false);
    const everyStep = steps({ inverseEvery: 1 });
    expect(sameSteps(everyStep, steps({ inverseEvery: 1, refreshDelay: 0 }))).toBe(true);
    expect(sameSteps(everyStep, steps({ inverseEvery: 1, refreshDelay: 1 }))).toBe(false);
  });
});

describe("kfac's delayed inverses", () => {
  it("are the damped inverses of step t's factors, used from step t + k, the previous inverses until then", () => {
    const damping = 1e-3;
    const t = optim.kfac({ ...kfacOptions, damping, refreshDelay: 2 });
    const c: Case = { ...METHODS.kfac, make: () => t as optim.GradientTransformation<unknown> };
    const states: optim.KfacState[] = [];
    run(c, t as optim.GradientTransformation<unknown>, t.init(c.params), 0, 7, undefined, (s) =>
      states.push(s as optim.KfacState),
    );
    const rule = dampedInverses(damping, (X) => spdInverse("float32", X));
    for (const key of mlpLayers) {
      const block = (s: number) => states[s - 1].layers[key];
      // Step 1: the first inverses, used at once. Step 4 launches from its factors; steps 4 and 5 keep step 1's.
      expect(block(1).leftCache!.data).toEqual(rule(block(1)).leftCache!.data);
      expect(block(4).leftCache).toBe(block(1).leftCache);
      expect(block(5).rightCache).toBe(block(1).rightCache);
      // Step 6 = 4 + 2: the inverses of step 4's factors (which differ from step 6's: factors fold every step).
      const expected = rule(block(4));
      expect(block(6).leftCache!.data).toEqual(expected.leftCache!.data);
      expect(block(6).rightCache!.data).toEqual(expected.rightCache!.data);
      expect(block(6).right!.data).not.toEqual(block(4).right!.data);
      expect(block(7).leftCache).toBe(block(6).leftCache);
    }
  });

  it("refuses a delay longer than inverseEvery", () => {
    expect(() => optim.kfac({ learningRate: 1, refreshDelay: 11 })).toThrow(
      /kfac: option refreshDelay must be an integer from 0 to inverseEvery \(10\), got 11/,
    );
    expect(() => optim.ekfac({ learningRate: 1, inverseEvery: 3, refreshDelay: 4 })).toThrow(
      /ekfac: option refreshDelay must be an integer from 0 to inverseEvery \(3\), got 4/,
    );
  });
});

describe("ekfac's delayed eigenbasis", () => {
  /** (1/n) Σᵢ (gᵢQ_G)² ⊗ (aᵢQ_A)², entry by entry: the batch's second moments in the basis (George et al. eq. 11). */
  function naiveMoments(s: KroneckerStats, QG: Matrix, QA: Matrix): Matrix {
    const gp = naiveMatmul(s.g, QG, false, false);
    const ap = naiveMatmul(s.a, QA, false, false);
    const out = new Matrix(QG.cols, QA.cols);
    for (let i = 0; i < s.batchSize; i++)
      for (let k = 0; k < QG.cols; k++)
        for (let j = 0; j < QA.cols; j++)
          out.data[k * QA.cols + j] += (gp.get(i, k) ** 2 * ap.get(i, j) ** 2) / s.batchSize;
    return out;
  }

  it("lands at t + k with the scalings of step t's eigenvalues; the scalings are always re-estimated in the basis in use", () => {
    const decay = 0.95;
    // Bases launched at 4 and 7 (due at 6 and 9); scalings re-estimated at 1, 5, 9.
    const t = optim.ekfac({
      ...kfacOptions,
      precision: "float64",
      emaDecay: decay,
      scalingUpdateEvery: 4,
      refreshDelay: 2,
    });
    const c: Case = { ...METHODS.kfac, make: () => t as optim.GradientTransformation<unknown> };
    const states: optim.KfacState[] = [];
    run(c, t as optim.GradientTransformation<unknown>, t.init(c.params), 0, 9, undefined, (s) =>
      states.push(s as optim.KfacState),
    );
    const outer = (l: Float64Array, r: Float64Array): Float64Array => {
      const out = new Float64Array(l.length * r.length);
      for (let i = 0; i < l.length; i++) for (let j = 0; j < r.length; j++) out[i * r.length + j] = l[i] * r[j];
      return out;
    };
    for (const key of mlpLayers) {
      const block = (s: number) => states[s - 1].layers[key];
      const scaling = (s: number) => states[s - 1].scalings[key];
      const stats = (s: number) => mlpSteps[s - 1].ctx!.stats!.find((x) => x.weight === key) as KroneckerStats;
      const reestimated = (s: number, from: Float64Array): Float64Array => {
        const batch = naiveMoments(stats(s), block(s).leftCache!, block(s).rightCache!);
        return from.map((x, i) => decay * x + (1 - decay) * batch.data[i]);
      };
      // Step 5: the basis of step 1 still in use, and the scalings re-estimated in it.
      expect(block(5).leftCache).toBe(block(1).leftCache);
      expectNear(scaling(5).data, reestimated(5, scaling(4).data));
      // Step 6: the eigenbasis of step 4's factors, with the scalings reset to their eigenvalues (no re-estimate).
      const at4 = eigenbases()(block(4));
      expect(block(6).leftCache!.data).toEqual(at4.leftCache!.data);
      expect(block(6).rightCache!.data).toEqual(at4.rightCache!.data);
      expect(scaling(6).data).toEqual(outer(at4.leftValues!, at4.rightValues!));
      // Step 9: step 7's basis lands and the same step re-estimates the scalings in it.
      const at7 = eigenbases()(block(7));
      expect(block(9).leftCache!.data).toEqual(at7.leftCache!.data);
      expectNear(scaling(9).data, reestimated(9, outer(at7.leftValues!, at7.rightValues!)));
    }
  });
});

function expectNear(x: Float64Array, y: Float64Array): void {
  expect(x.length).toBe(y.length);
  const scale = y.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const worst = x.reduce((m, v, i) => Math.max(m, Math.abs(v - y[i])), 0);
  expect(worst / scale).toBeLessThan(1e-10);
}

describe("a failed background refresh", () => {
  const n = BACKGROUND_MIN_ORDER;
  const X = gaussianMatrix(new Rng(3), n, n);
  const withNaN = (M: Matrix): Matrix => {
    const bad = M.clone();
    bad.data[7] = NaN;
    return bad;
  };
  const good = new Matrix(n, n, Matrix.identity(n).data);
  const negative = Matrix.identity(n).data.map((x) => -x);
  // Per rule: a block whose refresh fails (NaN statistics, or KFAC's factor not positive definite after damping).
  const CASES: [string, RefreshSpec, KroneckerBlock, BlockSizes | undefined, RegExp][] = [
    [
      "shampoo's roots",
      { rule: "inverseRoots", power: -0.25, eps: 1e-12 },
      { ...emptyKroneckerBlock(), left: withNaN(X), leftCache: good },
      undefined,
      /left factor has NaN\/Inf entries/,
    ],
    [
      "kfac's inverses",
      { rule: "dampedInverses", damping: 1e-3, precision: "float32" },
      { ...emptyKroneckerBlock(), left: new Matrix(n, n, negative), right: good, leftCache: good, rightCache: good },
      undefined,
      /positive definite/,
    ],
    [
      "ekfac's blocked eigenbases",
      { rule: "eigenbases" },
      { ...emptyKroneckerBlock(), left: withNaN(new Matrix(1, 2 * (n / 2) ** 2)), leftCache: good },
      { left: [n / 2, n / 2], right: [] },
      /left factor has NaN\/Inf entries/,
    ],
  ];
  it.each(CASES)(
    "keeps the block's last good cache and reports the error at the due step (%s)",
    (_, spec, block, sizes, error) => {
      const warnings: string[] = [];
      for (const backgroundRefresh of [true, false]) {
        const before = backgroundRefreshStats().answered;
        const s = refreshScheduler("test", spec, { backgroundRefresh }, 5, (m) => warnings.push(m));
        const pending = s.launch(block, 7, sizes);
        const done = s.complete(block, pending);
        expect(done.error).toMatch(error);
        expect(done.result).toBeNull();
        expect(done.block).toBe(block);
        expect(done.block.leftCache).toBe(good);
        expect(backgroundRefreshStats().answered - before).toBe(backgroundRefresh ? 1 : 0);
      }
      expect(warnings).toEqual([]);
    },
  );

  it.each(["kfac", "ekfac"])("%s: reported once at the due step, the layer keeps its preconditioner", (name) => {
    const warnings: string[] = [];
    const c = METHODS[name];
    const t = c.make({ refreshDelay: 3, backgroundRefresh: false, onWarning: (m: string) => warnings.push(m) });
    // Launched at step 4 (due at 7) from statistics that turn non-finite while in flight.
    const half = run(c, t, t.init(c.params), 0, 5);
    const state = half.state as optim.KfacState;
    const key = mlpLayers[0];
    state.pending[key].left!.data[0] = NaN;
    const states: optim.KfacState[] = [];
    run(c, t, state, 5, 8, undefined, (s) => states.push(s as optim.KfacState));
    const [step6, step7, step8] = states;
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(new RegExp(`"${key.replace(/[.]/g, "\\.")}".*left factor has NaN/Inf entries`));
    expect(step6.layers[key].failures).toBe(0);
    expect(step7.layers[key].failures).toBe(1);
    expect(step7.layers[key].leftCache).toBe(state.layers[key].leftCache);
    expect(step7.layers[key].rightCache).toBe(state.layers[key].rightCache);
    // The other layer's refresh landed; the next step counts no failure.
    expect(step7.layers[mlpLayers[1]].leftCache).not.toBe(state.layers[mlpLayers[1]].leftCache);
    expect(step8.layers[key].failures).toBe(0);
  });
});

describe("the compiled worker (dist/, built by `pretest`)", () => {
  it("answers refreshes and never keeps the process alive (a script that leaves a refresh in flight exits by itself)", async () => {
    // Launches at steps 3 and 5 (due at 5 and 7): the first is answered, the second left in flight at exit.
    const script = `
      import { optim, Matrix } from ${JSON.stringify(`${ROOT}dist/src/node.js`)};
      import { backgroundRefreshStats } from ${JSON.stringify(`${ROOT}dist/src/optim/curvature/refresh-thread.js`)};
      const n = ${BACKGROUND_MIN_ORDER};
      const p = { w: new Matrix(n, n) };
      const t = optim.shampoo({ learningRate: 0.01, preconditionEvery: 2, startPreconditioningStep: 1, onWarning: (m) => console.log(m) });
      let s = t.init(p);
      for (let i = 1; i <= 6; i++) {
        const g = new Matrix(n, n);
        for (let k = 0; k < g.data.length; k++) g.data[k] = Math.sin(k * i);
        s = t.update({ w: g }, s, p).state;
      }
      console.log(backgroundRefreshStats().answered, Object.keys(s.pending).join());`;
    const child = await runNode(["--input-type=module", "-e", script]);
    expect(child.stderr).toBe("");
    expect(child.status).toBe(0);
    expect(child.stdout.trim()).toBe("1 w");
  });
});
