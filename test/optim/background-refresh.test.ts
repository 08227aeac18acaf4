/**
 * Deterministic delayed refreshes (src/optim/curvature/background-refresh.ts): a refresh launched at step t from
 * that step's statistics replaces the cache at step t + k exactly, so Shampoo's and SOAP's trajectories are the
 * same bit for bit whether the refresh runs in the background thread or on the training thread, whatever the
 * kernel thread count and whether the thread is late or early; a state saved with a refresh in flight resumes on
 * the same trajectory; a failed background refresh keeps the last good cache.
 */
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { Matrix } from "../../src/linalg/matrix.js";
import { setThreads } from "../../src/linalg/threads.js";
import type { Params } from "../../src/nn/types.js";
import * as optim from "../../src/optim/index.js";
import { emptyKroneckerBlock, symmetricPower } from "../../src/optim/curvature/kronecker-block.js";
import { BACKGROUND_MIN_ORDER, refreshScheduler } from "../../src/optim/curvature/background-refresh.js";
import {
  backgroundRefreshStats,
  setRefreshThreadLatency,
  shutdownRefreshThread,
} from "../../src/optim/curvature/refresh-thread.js";
import { Rng, gaussianMatrix } from "../../src/random/index.js";
import { bitEqual, gradientSequence, randomParams } from "./fixtures.js";
import { ROOT, runNode } from "../cli/helpers.js";

// The weight's factors have orders 130 and 140 (≥ BACKGROUND_MIN_ORDER), so their refreshes go to the thread.
const SHAPES: Record<string, [number, number]> = {
  w: [BACKGROUND_MIN_ORDER + 2, BACKGROUND_MIN_ORDER + 12],
  b: [1, 5],
};
const STEPS = 11;

type Make = (extra: optim.ShampooOptions | optim.SoapOptions | object) => optim.GradientTransformation<unknown>;
const METHODS: Record<string, Make> = {
  shampoo: (extra) =>
    optim.shampoo({
      learningRate: 0.01,
      preconditionEvery: 3,
      startPreconditioningStep: 1,
      ...extra,
    }) as optim.GradientTransformation<unknown>,
  soap: (extra) =>
    optim.soap({ learningRate: 0.01, preconditionEvery: 3, ...extra }) as optim.GradientTransformation<unknown>,
};

const params = randomParams(1, SHAPES);
const grads = gradientSequence(2, params, STEPS);

/** Every step's updates and the final state of `t` over `grads[from..to)`, starting from `state`. */
function run(
  t: optim.GradientTransformation<unknown>,
  state: unknown,
  from = 0,
  to = STEPS,
  between?: () => void,
): { updates: Params[]; state: unknown } {
  const updates: Params[] = [];
  for (let s = from; s < to; s++) {
    const r = t.update(grads[s], state, params);
    updates.push(r.updates);
    state = r.state;
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

describe.each(Object.entries(METHODS))("%s with a refresh delay", (name, make) => {
  const reference = (): Params[] => {
    const t = make({ refreshDelay: 3, backgroundRefresh: false });
    return run(t, t.init(params)).updates;
  };

  it("gives the same steps in the background thread as on the training thread, whatever the thread count and timing", async () => {
    const expected = reference();
    // The delay changes the trajectory (else the comparisons below would prove nothing).
    const undelayed = make({ refreshDelay: 0, backgroundRefresh: false });
    expect(sameSteps(run(undelayed, undelayed.init(params)).updates, expected)).toBe(false);

    const background = (): Params[] => {
      const t = make({ refreshDelay: 3 });
      return run(t, t.init(params)).updates;
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
    const first = run(cut, cut.init(params), 0, 5);
    await shutdownRefreshThread();
    expect(sameSteps([...first.updates, ...run(cut, first.state, 5).updates], expected)).toBe(true);

    // A slow training loop: the answers are ready long before their due step.
    const t = make({ refreshDelay: 3 });
    const slow = run(t, t.init(params), 0, STEPS, () =>
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 30),
    );
    expect(sameSteps(slow.updates, expected)).toBe(true);
  });

  it("resumes a state saved with a refresh in flight on the same trajectory", () => {
    const t = make({ refreshDelay: 3 });
    const straight = run(t, t.init(params));
    // Shampoo launched at step 4 (due at 7), SOAP after Adam step 3 (due after 6): both in flight after 5 steps.
    const half = run(t, t.init(params), 0, 5);
    const pending = (half.state as { pending: Record<string, unknown> }).pending;
    expect(Object.keys(pending)).toEqual(["w"]);
    const text = optim.saveState(half.state);
    const t2 = make({ refreshDelay: 3 });
    const resumed = run(t2, optim.loadState(text, t2, params), 5);
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

describe("a failed background refresh", () => {
  it("keeps the block's last good cache and reports the error at the due step", () => {
    const n = BACKGROUND_MIN_ORDER;
    const rng = new Rng(3);
    const X = gaussianMatrix(rng, n, n);
    const bad = X.clone();
    bad.data[7] = NaN;
    const good = new Matrix(n, n, Matrix.identity(n).data);
    const block = { ...emptyKroneckerBlock(), left: bad, right: null, leftCache: good };
    const warnings: string[] = [];
    for (const backgroundRefresh of [true, false]) {
      const before = backgroundRefreshStats().answered;
      const s = refreshScheduler(
        "shampoo",
        { rule: "inverseRoots", power: -0.25, eps: 1e-12 },
        { backgroundRefresh },
        5,
        (m) => warnings.push(m),
      );
      const pending = s.launch(block, 7);
      const done = s.complete(block, pending);
      expect(done.error).toMatch(/left factor has NaN\/Inf entries/);
      expect(done.result).toBeNull();
      expect(done.block).toBe(block);
      expect(done.block.leftCache).toBe(good);
      expect(backgroundRefreshStats().answered - before).toBe(backgroundRefresh ? 1 : 0);
    }
    expect(warnings).toEqual([]);
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
