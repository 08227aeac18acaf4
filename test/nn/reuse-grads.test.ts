/**
 * `lossAndGrad`'s `reuseGrads`: the gradients land in matrices the network owns, the same objects on every such
 * call, holding exactly what a call without it returns.
 */
import { describe, expect, it } from "vitest";
import { nn } from "../../src/index.js";
import { Rng } from "../../src/random/rng.js";
import { gaussianMatrix } from "../../src/random/matrices.js";

const { sequential, conv2d, batchNorm, relu, maxPool2d, flatten, dense, softmaxCrossEntropy } = nn;

describe("lossAndGrad with reuseGrads", () => {
  for (const dtype of ["float64", "float32"] as const) {
    it(`${dtype}: writes the gradients of each call into the same matrices, equal to fresh ones`, () => {
      const net = sequential(
        [
          conv2d({ inChannels: 1, outChannels: 3, kernelSize: 3, padding: 1 }),
          relu(),
          maxPool2d(2),
          conv2d({ inChannels: 3, outChannels: 2, kernelSize: 3 }),
          batchNorm(2),
          relu(),
          flatten(),
          dense(2, 5),
          relu(),
          dense(5, 3),
        ],
        { inputShape: [1, 6, 6], dtype },
      );
      const params = net.init(5);
      const rng = new Rng(6);
      const batches = [0, 1].map(() => ({
        x: gaussianMatrix(rng, 4, 36),
        y: Int32Array.from({ length: 4 }, () => rng.int(3)),
      }));
      const state = net.initState();
      const pass = (b: (typeof batches)[number], reuseGrads: boolean) =>
        net.lossAndGrad(params, b.x, b.y, softmaxCrossEntropy, { state, stats: false, reuseGrads }).grads;
      const first = pass(batches[0], true);
      const firstValues = Object.fromEntries(Object.entries(first).map(([k, M]) => [k, M.data.slice()]));
      expect(firstValues).toEqual(
        Object.fromEntries(Object.entries(pass(batches[0], false)).map(([k, M]) => [k, M.data])),
      );
      const second = pass(batches[1], true);
      const fresh = pass(batches[1], false);
      for (const key of ["0.weight", "0.bias", "3.weight", "3.bias", "7.weight", "7.bias", "9.weight", "9.bias"]) {
        expect(second[key], key).toBe(first[key]);
        expect(second[key].data, key).toEqual(fresh[key].data);
        expect(second[key].data, key).not.toEqual(firstValues[key]);
      }
    });
  }

  it("refuses a value that is not a boolean", () => {
    const net = sequential([dense(2, 2)], { inputShape: [2] });
    const x = gaussianMatrix(new Rng(1), 2, 2);
    expect(() =>
      net.lossAndGrad(net.init(0), x, Int32Array.of(0, 1), softmaxCrossEntropy, {
        reuseGrads: 1 as unknown as boolean,
      }),
    ).toThrow(/reuseGrads/);
  });
});
