import { describe, expect, it } from "vitest";
import { Matrix } from "../../src/linalg/matrix.js";
import * as optim from "../../src/optim/index.js";

/** Each constructor call must throw an OptionError whose message names the optimizer, field, value and rule. */
const cases: [string, () => unknown, RegExp][] = [
  [
    "sgd lr typo",
    () => optim.sgd({ lr: 0.1 } as never),
    /sgd: option lr must be one of the known fields \(learningRate, /,
  ],
  [
    "sgd missing lr",
    () => optim.sgd({} as never),
    /sgd: option learningRate must be a finite number in \(0, ∞\), got undefined/,
  ],
  [
    "sgd momentum 1",
    () => optim.sgd({ learningRate: 1, momentum: 1 }),
    /sgd: option momentum must be a finite number in \[0, 1\), got 1/,
  ],
  [
    "sgd nesterov without momentum",
    () => optim.sgd({ learningRate: 1, nesterov: true }),
    /sgd: option nesterov must be false when momentum is 0/,
  ],
  [
    "sgd nesterov not boolean",
    () => optim.sgd({ learningRate: 1, momentum: 0.5, nesterov: 1 as never }),
    /option nesterov must be true or false, got 1/,
  ],
  [
    "sgd weight decay NaN",
    () => optim.sgd({ learningRate: 1, weightDecay: NaN }),
    /option weightDecay must be a finite number in \[0, ∞\), got NaN/,
  ],
  [
    "adam b1 = 1",
    () => optim.adam({ learningRate: 1, b1: 1 }),
    /adam: option b1 must be a finite number in \[0, 1\), got 1/,
  ],
  [
    "adam eps 0",
    () => optim.adam({ learningRate: 1, eps: 0 }),
    /adam: option eps must be a finite number in \(0, ∞\), got 0/,
  ],
  [
    "adamw negative decay",
    () => optim.adamw({ learningRate: 1, weightDecay: -1 }),
    /adamw: option weightDecay .* got -1/,
  ],
  [
    "kfac fisher",
    () => optim.kfac({ learningRate: 1, fisher: "exact" as never }),
    /kfac: option fisher must be one of "empirical", "sampled", got "exact"/,
  ],
  [
    "kfac inverseEvery 0",
    () => optim.kfac({ learningRate: 1, inverseEvery: 0 }),
    /kfac: option inverseEvery must be an integer ≥ 1, got 0/,
  ],
  [
    "kfac damping 0",
    () => optim.kfac({ learningRate: 1, damping: 0 }),
    /kfac: option damping must be a finite number in \(0, ∞\), got 0/,
  ],
  [
    "kfac emaDecay 1",
    () => optim.kfac({ learningRate: 1, emaDecay: 1 }),
    /kfac: option emaDecay must be a finite number in \[0, 1\), got 1/,
  ],
  ["kfac klClip 0", () => optim.kfac({ learningRate: 1, klClip: 0 }), /kfac: option klClip .* got 0/],
  [
    "ekfac maxFailures 0",
    () => optim.ekfac({ learningRate: 1, maxFailures: 0 }),
    /ekfac: option maxFailures must be an integer ≥ 1, got 0/,
  ],
  [
    "shampoo graft",
    () => optim.shampoo({ learningRate: 1, graft: "adagrad" as never }),
    /shampoo: option graft must be one of "none", "sgd", "adam", got "adagrad"/,
  ],
  [
    "shampoo beta2 0",
    () => optim.shampoo({ learningRate: 1, beta2: 0 }),
    /shampoo: option beta2 must be a finite number in \(0, 1\], got 0/,
  ],
  [
    "shampoo max dim",
    () => optim.shampoo({ learningRate: 1, maxPreconditionerDim: 0 }),
    /option maxPreconditionerDim must be an integer ≥ 1, got 0/,
  ],
  [
    "shampoo start 0.5",
    () => optim.shampoo({ learningRate: 1, startPreconditioningStep: 0.5 }),
    /option startPreconditioningStep must be an integer ≥ 1, got 0.5/,
  ],
  [
    "soap every 1.5",
    () => optim.soap({ learningRate: 1, preconditionEvery: 1.5 }),
    /soap: option preconditionEvery must be an integer ≥ 1, got 1.5/,
  ],
  [
    "muon coefficients",
    () => optim.muon({ learningRate: 1, coefficients: [1, 2] as never }),
    /muon: option coefficients must be three finite numbers/,
  ],
  ["muon lr negative", () => optim.muon({ learningRate: -1 }), /muon: option learningRate .* got -1/],
  [
    "newtonSchulz steps",
    () => optim.newtonSchulz(new Matrix(2, 2), { steps: -1 }),
    /newtonSchulz: option steps must be an integer ≥ 0, got -1/,
  ],
  ["clip 0", () => optim.clipByGlobalNorm(0), /clipByGlobalNorm: option maxNorm .* got 0/],
  [
    "warmup steps",
    () => optim.linearWarmup({ peak: 1, warmupSteps: 0 }),
    /linearWarmup: option warmupSteps must be an integer ≥ 1, got 0/,
  ],
];

describe("bad options are refused at construction", () => {
  for (const [label, make, message] of cases) {
    it(label, () => {
      expect(make).toThrow(optim.OptionError);
      expect(make).toThrow(message);
    });
  }

  it("good options with every default are accepted", () => {
    for (const make of [
      () => optim.sgd({ learningRate: 0.1 }),
      () => optim.adam({ learningRate: 0.1 }),
      () => optim.adamw({ learningRate: 0.1 }),
      () => optim.kfac({ learningRate: 0.1 }),
      () => optim.ekfac({ learningRate: 0.1 }),
      () => optim.shampoo({ learningRate: 0.1 }),
      () => optim.soap({ learningRate: 0.1 }),
      () => optim.muon({ learningRate: 0.1 }),
    ])
      expect(make).not.toThrow();
  });
});
