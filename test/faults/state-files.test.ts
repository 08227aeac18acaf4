import { describe, expect, it } from "vitest";
import { Matrix } from "../../src/linalg/matrix.js";
import * as optim from "../../src/optim/index.js";
import type { Params } from "../../src/nn/types.js";
import { bitEqual } from "../optim/fixtures.js";
import { batch, initial, makers } from "./fixtures.js";

/** `steps` steps from `initial`. */
function train(t: optim.GradientTransformation<unknown>, steps: number): { p: Params; state: unknown } {
  let p = initial;
  let state = t.init(p);
  for (let s = 0; s < steps; s++) {
    const { grads, ctx } = batch(p, s);
    const r = t.update(grads, state, p, ctx);
    state = r.state;
    p = optim.applyUpdates(p, r.updates);
  }
  return { p, state };
}

/** The saved text of a 3-step run, edited by `edit` on its parsed JSON. */
function edited(name: string, edit: (file: { state: Record<string, unknown> } & Record<string, unknown>) => void) {
  const t = makers[name]();
  const file = JSON.parse(optim.saveState(train(t, 3).state, t));
  edit(file);
  return { t, text: JSON.stringify(file) };
}

describe("state files record the optimizer, its options and a format version", () => {
  it("header", () => {
    const t = optim.sgd({
      learningRate: optim.cosine({ initial: 0.1, decaySteps: 8 }),
      momentum: 0.9,
      onFault: () => 0,
    });
    const text = optim.saveState(train(t, 2).state, t);
    const header = optim.readStateHeader(text);
    expect(header.format).toBe(2);
    expect(header.optimizer).toBe("sgd");
    expect(header.options).toEqual({ learningRate: { $function: expect.any(String) }, momentum: 0.9 });
  });

  for (const [name, make] of Object.entries(makers)) {
    it(`${name}: a real state passes the whole-tree check and resumes bit for bit`, () => {
      const t = make();
      const straight = train(t, 6);
      const half = train(t, 3);
      const text = optim.saveState(half.state, t);
      const t2 = make();
      let p = half.p;
      let state = optim.loadState(text, t2, initial);
      for (let s = 3; s < 6; s++) {
        const { grads, ctx } = batch(p, s);
        const r = t2.update(grads, state, p, ctx);
        state = r.state;
        p = optim.applyUpdates(p, r.updates);
      }
      expect(bitEqual(p, straight.p)).toBe(true);
      expect(optim.saveState(state, t2)).toBe(optim.saveState(straight.state, t));
      // Without params the structure is checked, not the shapes.
      expect(() => optim.loadState(text, make())).not.toThrow();
    });
  }
});

describe("loadState refuses a damaged or foreign state with the path in the state", () => {
  const cases: [string, () => void, RegExp][] = [
    [
      "corrupt base64",
      () => {
        const { t, text } = edited("adam", (f) => {
          ((f.state.m as Record<string, { $matrix: unknown[] }>).w.$matrix as unknown[])[2] = "%%%not base64%%%";
        });
        optim.loadState(text, t);
      },
      /loadState: state\.m\.w is not valid base64 \(the file is corrupt or was edited\)/,
    ],
    [
      "corrupt base64, without the optimizer",
      () => {
        const { text } = edited("adam", (f) => {
          ((f.state.v as Record<string, { $matrix: unknown[] }>).b.$matrix as unknown[])[2] = "@@";
        });
        optim.loadState(text);
      },
      /loadState: state\.v\.b is not valid base64/,
    ],
    [
      "truncated file",
      () => {
        const t = makers.adam();
        optim.loadState(optim.saveState(t.init(initial), t).slice(0, 40), t);
      },
      /loadState: not JSON/,
    ],
    [
      "state: null",
      () => {
        const { t, text } = edited("adam", (f) => {
          f.state = null as unknown as Record<string, unknown>;
        });
        optim.loadState(text, t);
      },
      /loadState: state: expected an object with keys count, m, v, faults, got null/,
    ],
    [
      'count: "x"',
      () => {
        const { t, text } = edited("kfac", (f) => {
          f.state.count = "x";
        });
        optim.loadState(text, t);
      },
      /loadState: state\.count: expected a non-negative integer, got "x"/,
    ],
    [
      "a missing key",
      () => {
        const { t, text } = edited("adam", (f) => {
          delete f.state.v;
        });
        optim.loadState(text, t);
      },
      /loadState: state\.v is missing \(a adam state has it\)/,
    ],
    [
      "muon: a missing key in the auxiliary AdamW is named as muon's",
      () => {
        const { t, text } = edited("muon", (f) => {
          delete (f.state.aux as Record<string, unknown>).m;
        });
        optim.loadState(text, t);
      },
      /loadState: state\.aux\.m is missing \(a muon state has it\)/,
    ],
    [
      "a shape that does not fit the parameters",
      () => {
        const t = makers.adam();
        const wrong = { w: initial.w.transpose(), b: initial.b };
        optim.loadState(optim.saveState(t.init(wrong), t), makers.adam(), initial);
      },
      /loadState: state\.m\.w: expected a 3×4 matrix, got a 4×3 matrix/,
    ],
    [
      "a momentum buffer that does not fit",
      () => {
        const t = makers["sgd momentum nesterov wd"]();
        const wrong = { w: initial.w.transpose(), b: initial.b };
        const r = t.update(wrong, t.init(wrong), wrong);
        optim.loadState(optim.saveState(r.state, t), t, initial);
      },
      /loadState: state\.momentum\.w: expected a 3×4 matrix \(the parameter's shape\), got a 4×3 matrix/,
    ],
    [
      "a parameter that does not exist",
      () => {
        const t = makers.kfac();
        const text = optim.saveState(train(t, 2).state, t);
        optim.loadState(text, t, { v: initial.w, b: initial.b });
      },
      /loadState: state\.layers\.w: no parameter is named "w" \(parameters: v, b\)/,
    ],
    [
      "a NaN entry",
      () => {
        const t = makers.adam({ skipNonFinite: false });
        const nan = { w: initial.w.clone(), b: initial.b };
        nan.w.data[2] = NaN;
        optim.loadState(optim.saveState(t.update(nan, t.init(initial), initial).state, t), t);
      },
      /loadState: state\.m\.w: entry 2 is NaN; expected finite/,
    ],
  ];
  for (const [label, load, message] of cases) it(label, () => expect(load).toThrow(message));

  for (const into of ["kfac", "ekfac", "sgd", "soap"]) {
    it(`an Adam state is refused by ${into}`, () => {
      const a = makers.adam();
      const text = optim.saveState(train(a, 2).state, a);
      expect(() => optim.loadState(text, makers[into]())).toThrow(
        `loadState: the file holds a state of adam, not of ${into}`,
      );
    });
  }

  it("a format-1 file (no optimizer recorded) still loads, and its tree is checked", () => {
    const a = makers.adam();
    const v2 = JSON.parse(optim.saveState(train(a, 2).state, a));
    const v1 = JSON.stringify({ format: "layerwise-optim-state/1", state: v2.state });
    expect(optim.readStateHeader(v1)).toEqual({ format: 1, optimizer: null, options: null });
    expect(() => optim.loadState(v1, makers.adam(), initial)).not.toThrow();
    expect(() => optim.loadState(v1, makers.kfac())).toThrow(
      /loadState: state\.layers is missing \(a kfac state has it\)/,
    );
  });
});

describe("symmetric matrices are stored as their upper triangle", () => {
  it("restores them bit for bit (−0 and NaN payloads included) and stores n(n+1)/2 entries", () => {
    const nanPayload = new Float64Array(new BigUint64Array([0x7ff8_0000_dead_beefn]).buffer)[0];
    const s = Matrix.fromRows([
      [1, -0, nanPayload],
      [-0, 2, 5e-324],
      [nanPayload, 5e-324, -Infinity],
    ]);
    const nearly = s.clone();
    nearly.data[1] = 0; // +0 against −0: not bitwise symmetric, stored in full
    const text = optim.saveState({ s, nearly });
    const file = JSON.parse(text);
    expect(file.state.s.$symmetric[0]).toBe(3);
    expect(atob(file.state.s.$symmetric[1]).length).toBe(6 * 8);
    expect(file.state.nearly.$matrix).toBeDefined();
    const back = optim.loadState<{ s: Matrix; nearly: Matrix }>(text);
    const bytes = (m: Matrix): number[] => Array.from(new Uint8Array(m.data.buffer));
    expect(bytes(back.s)).toEqual(bytes(s));
    expect(bytes(back.nearly)).toEqual(bytes(nearly));
  });
});
