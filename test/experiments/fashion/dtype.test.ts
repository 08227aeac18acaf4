/**
 * dtype in training: the same MLP trained on MNIST digits with float32 and with float64 products (same seeds)
 * reaches the same test accuracy within half a percentage point; the experiments' `dtype` key defaults to float32
 * and refuses other values with a message naming the key, the value and the allowed values.
 */
import { describe, expect, it } from "vitest";
import { validateConfig } from "../../../src/config/validate.js";
import { fashionCnn } from "../../../src/experiments/fashion/cnn.js";
import { loadTrialData } from "../../../src/experiments/fashion/data.js";
import { MLP_DEFAULTS, fashionMlp } from "../../../src/experiments/fashion/mlp.js";
import { mlp } from "../../../src/experiments/fashion/networks.js";
import { makeOptimizer } from "../../../src/experiments/fashion/optimizers.js";
import { trainClassifier } from "../../../src/experiments/fashion/train.js";
import { anisotropy } from "../../../src/experiments/anisotropy/index.js";
import { robustness } from "../../../src/experiments/robustness/index.js";
import type { Dtype } from "../../../src/nn/dtype.js";

describe("float32 and float64 training", () => {
  it("reach the same test accuracy within 0.5 percentage point (MLP 784-128-10, sgd, 3000 MNIST digits, 3 epochs)", async () => {
    const data = await loadTrialData({ dataset: "mnist", trainSize: 3000, testSize: 2000, dataSeed: 0 });
    const accuracy = async (dtype: Dtype) => {
      const result = await trainClassifier({
        network: mlp(784, [128], 10, dtype),
        optimizer: makeOptimizer("sgd", { learningRate: 0.02, second: MLP_DEFAULTS.sgd.second }),
        layerStats: false,
        train: data.train,
        evaluation: data.test,
        epochs: 3,
        batchSize: 64,
        seed: 4,
      });
      expect(result.diverged).toBe(false);
      const last = result.epochs.at(-1)!;
      return { accuracy: last.evaluation.accuracy, trainLoss: last.trainLoss };
    };
    const r32 = await accuracy("float32");
    const r64 = await accuracy("float64");
    expect(r64.accuracy).toBeGreaterThan(0.85);
    expect(Math.abs(r32.accuracy - r64.accuracy)).toBeLessThanOrEqual(0.005);
    // Two different computations (float32 products really ran), whose losses agree closely.
    expect(r32.trainLoss).not.toBe(r64.trainLoss);
    expect(Math.abs(r32.trainLoss - r64.trainLoss)).toBeLessThan(0.01 * r64.trainLoss);
  });
});

describe("the dtype key of the real-data experiments", () => {
  for (const e of [fashionMlp, fashionCnn, anisotropy, robustness]) {
    it(`${e.name}: defaults to float32, accepts float64, refuses float16`, () => {
      const source = { name: e.name, schema: e.schema, sweepable: e.sweepable };
      expect(validateConfig(source, { dataset: "mnist", trainSize: 2000 }).dtype).toBe("float32");
      expect(validateConfig(source, { dataset: "mnist", trainSize: 2000, dtype: "float64" }).dtype).toBe("float64");
      expect(() => validateConfig(source, { dataset: "mnist", trainSize: 2000, dtype: "float16" })).toThrow(
        'field `dtype`: "float16" is not allowed; allowed: "float32", "float64"',
      );
    });
  }
});
