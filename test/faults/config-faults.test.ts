/**
 * Bad input refused at the boundary (exit 2 in the CLI): every case names the field or flag, the value and what is
 * allowed, and the config's ranges agree with what the optimizers accept.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseFlags, integerFlag } from "../../src/cli/args.js";
import { InputError } from "../../src/config/errors.js";
import { resolveConfig } from "../../src/config/resolve.js";
import { lookupExperiment } from "../../src/runner/registry.js";
import { OPTIMIZERS } from "../../src/experiments/fashion/optimizers.js";
import { Matrix } from "../../src/linalg/matrix.js";
import { accuracy } from "../../src/nn/losses.js";

/** The InputError message of resolving `sets` for `experiment`. */
function refusal(experiment: string, sets: string[]): string {
  try {
    resolveConfig(lookupExperiment(experiment)!, { sets });
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as Error).message;
  }
  throw new Error(`${experiment} ${sets.join(" ")} was accepted`);
}

describe("config refusals", () => {
  const cases: [string, string[], (string | RegExp)[], RegExp?][] = [
    [
      "fashion-mlp",
      ["second.kfac=0"],
      ["field `second.kfac`: kfac: option damping must be a finite number in (0, ∞), got 0"],
    ],
    [
      "fashion-mlp",
      ["second.sgd=1"],
      ["field `second.sgd`: sgd: option momentum must be a finite number in [0, 1), got 1"],
    ],
    ["fashion-cnn", ["second.adam=0"], ["adam: option eps must be a finite number in (0, ∞), got 0"]],
    ["anisotropy", ["second.ekfac=0"], ["field `second.ekfac`: ekfac: option damping"]],
    ["robustness", ["secondValues.muon=0.5,1"], ["field `secondValues.muon[1]`: muon: option momentum", "got 1"]],
    [
      "linrep-curves",
      ["damping.sgd=5"],
      ["field `damping.sgd`: sgd has no damping; damping applies to one-sided, kfac, ngd only"],
    ],
    ["linrep-kappa", ["damping.adam=0.1"], ["adam has no damping"]],
    // Two bounds (zod's safe-integer one and the field's) used to be printed both.
    ["quadratic", ["steps=1e30"], ["field `steps`: 1e+30 is out of range; allowed: <= 1000000"], /9007199254740991/],
    // "lr" is not a typo of "d": the keys are listed instead of a far-fetched suggestion.
    ["quadratic", ["lr=0.1"], ["unknown key `lr`; valid keys: kappa,"], /did you mean/],
  ];
  for (const [experiment, sets, patterns, absent] of cases) {
    it(`${experiment} ${sets.join(" ")}`, () => {
      const message = refusal(experiment, sets);
      for (const p of patterns) expect(message).toContain(p);
      if (absent) expect(message).not.toMatch(absent);
    });
  }

  it("property: a second hyperparameter is accepted exactly in the optimizer's range", () => {
    // Independent reference: momentum (sgd, muon) in [0, 1), every other second hyperparameter > 0.
    const allowed = (o: string, v: number): boolean => (o === "sgd" || o === "muon" ? v >= 0 && v < 1 : v > 0);
    const value = fc.oneof(
      fc.constantFrom(0, 1, -0, 1e-300, 0.999999, 1.000001, -1e-12),
      fc.double({ min: -2, max: 3, noNaN: true }),
    );
    fc.assert(
      fc.property(fc.constantFrom(...OPTIMIZERS), value, (o, v) => {
        let accepted = true;
        try {
          resolveConfig(lookupExperiment("fashion-mlp")!, { base: { second: { [o]: v } } });
        } catch (e) {
          if (!(e instanceof InputError)) throw e;
          // Data files missing on this machine are refused too; only the second hyperparameter matters here.
          accepted = !e.message.includes(`field \`second.${o}\``);
        }
        expect(accepted).toBe(allowed(o, v));
      }),
      { seed: 24, numRuns: 150 },
    );
  });
});

describe("flag refusals", () => {
  it("a negative number after a flag reaches the flag's own check", () => {
    const { values } = parseFlags("run", ["selftest", "--seeds", "-3"], { seeds: { type: "string" } });
    expect(() => integerFlag("seeds", values.seeds, 1, 1, 1_000_000)).toThrow(
      "--seeds -3: expected an integer from 1 to 1000000",
    );
    expect(parseFlags("run", ["--seed", "-0.5"], { seed: { type: "string" } }).values.seed).toBe("-0.5");
    // A flag that takes no value still does not swallow what follows.
    expect(() => parseFlags("run", ["--fresh", "-3"], { fresh: { type: "boolean" } })).toThrow(InputError);
  });
});

describe("library messages name the function that was called", () => {
  it("nn.accuracy with a wrong label count", () => {
    expect(() => accuracy(new Matrix(3, 2), [0, 1])).toThrow(/^accuracy: 2 targets for 3 outputs/);
  });
});
