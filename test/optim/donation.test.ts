/**
 * Buffer donation (`ctx.donate`): a transform that reuses the gradients' and the previous state's arrays must give
 * the same updates and states bit for bit as one that allocates, step after step; it must really reuse them (the
 * point of donating); and the combinators that feed one gradient to two transforms (graft) or a transform's
 * output to the next (chain) must stay correct when their caller donates.
 */
import { describe, expect, it } from "vitest";
import { Matrix } from "../../src/linalg/matrix.js";
import * as optim from "../../src/optim/index.js";
import type { GradientTransformation } from "../../src/optim/transform.js";
import type { Params } from "../../src/nn/types.js";
import { bitEqual, gradientSequence, randomParams } from "./fixtures.js";

const SHAPES: Record<string, [number, number]> = { w: [6, 4], b: [1, 6] };
const start = randomParams(21, SHAPES);
const grads = gradientSequence(22, start, 6);

const copy = (p: Params): Params =>
  Object.fromEntries(Object.entries(p).map(([k, m]) => [k, new Matrix(m.rows, m.cols, m.data.slice())]));

/** Runs `make()` twice over the same gradients, with and without donation; compares every step's results. */
function sameWithDonation(make: () => GradientTransformation<unknown>): { reusedGrads: boolean } {
  const plain = make();
  const donating = make();
  let statePlain = plain.init(start);
  let stateDonating = donating.init(copy(start));
  let params = copy(start);
  let reusedGrads = true;
  for (const g of grads) {
    const mine = copy(g); // donated, so a private copy
    const a = plain.update(g, statePlain, params);
    const b = donating.update(mine, stateDonating, params, { donate: true });
    expect(bitEqual(b.updates, a.updates)).toBe(true);
    expect(JSON.stringify(optim.saveState(b.state))).toBe(JSON.stringify(optim.saveState(a.state)));
    reusedGrads &&= Object.keys(mine).every((k) => b.updates[k] === mine[k]);
    statePlain = a.state;
    stateDonating = b.state;
    params = optim.applyUpdates(params, a.updates);
  }
  return { reusedGrads };
}

describe("buffer donation", () => {
  for (const [label, make] of [
    ["sgd", () => optim.sgd({ learningRate: 0.1 })],
    ["sgd + momentum", () => optim.sgd({ learningRate: 0.1, momentum: 0.9 })],
    ["sgd + momentum + weight decay", () => optim.sgd({ learningRate: 0.1, momentum: 0.9, weightDecay: 0.05 })],
    ["sgd + nesterov", () => optim.sgd({ learningRate: 0.1, momentum: 0.8, nesterov: true })],
    ["adam", () => optim.adam({ learningRate: 0.01 })],
    ["adamw", () => optim.adamw({ learningRate: 0.01, weightDecay: 0.1 })],
  ] as const) {
    it(`${label}: same bits as without donation, written into the donated gradients`, () => {
      expect(sameWithDonation(make as () => GradientTransformation<unknown>).reusedGrads).toBe(true);
    });
  }

  it("sgd with momentum reuses the previous momentum buffer", () => {
    const t = optim.sgd({ learningRate: 0.1, momentum: 0.9 });
    const first = t.update(copy(grads[0]), t.init(start), start, { donate: true });
    const buffer = first.state.momentum!.w;
    const second = t.update(copy(grads[1]), first.state, start, { donate: true });
    expect(second.state.momentum!.w).toBe(buffer);
  });

  it("graft and chain stay correct when their caller donates", () => {
    const grafted = () =>
      optim.graft(optim.sgd({ learningRate: 0.1, momentum: 0.9 }), optim.adam({ learningRate: 0.01 }));
    const chained = () => optim.chain(optim.clipByGlobalNorm(0.5), optim.sgd({ learningRate: 0.1, momentum: 0.9 }));
    sameWithDonation(grafted as () => GradientTransformation<unknown>);
    sameWithDonation(chained as () => GradientTransformation<unknown>);
  });
});
