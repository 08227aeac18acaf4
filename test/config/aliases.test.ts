/**
 * Deprecated config keys: the alias tables move old keys to the library's names before validation, with one
 * deprecation line per old key; giving both names is refused; stored runs written under the old names still
 * resume (planRun) and read under the new ones.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type KeyAlias, currentKey, renameDeprecatedKeys } from "../../src/config/aliases.js";
import { InputError } from "../../src/config/errors.js";
import { resolveConfig } from "../../src/config/resolve.js";
import { anisotropy } from "../../src/experiments/anisotropy/index.js";
import { fashionMlp } from "../../src/experiments/fashion/mlp.js";
import { linrepKappa } from "../../src/experiments/linrep/kappa.js";
import { robustness } from "../../src/experiments/robustness/index.js";
import { singleIndexRisk } from "../../src/experiments/single-index/risk.js";
import { planRun, withCurrentKeys } from "../../src/runner/run.js";
import { ResultStore } from "../../src/runner/store.js";
import { tempDir } from "../cli/helpers.js";

const tmp = tempDir("aliases");
afterAll(() => tmp.cleanup());

/** resolveConfig that collects the deprecation lines instead of printing them. */
function resolve(source: Parameters<typeof resolveConfig>[0], sets: string[], configFile?: string) {
  const warnings: string[] = [];
  const config = resolveConfig(source, { sets, configFile, warn: (line) => warnings.push(line) });
  return { config, warnings };
}

describe("renameDeprecatedKeys", () => {
  const table: KeyAlias[] = [
    { from: "lr", to: "learningRate" },
    { from: "tuning.lrFactors", to: "tuning.learningRateFactors" },
  ];

  it("moves old keys (nested ones too) without touching the caller's object, and lists those used", () => {
    const input = { lr: { kfac: 0.5 }, tuning: { steps: 3, lrFactors: [1, 2] }, k: 2 };
    const copy = structuredClone(input);
    const { config, used } = renameDeprecatedKeys(input, table);
    expect(config).toEqual({ learningRate: { kfac: 0.5 }, tuning: { steps: 3, learningRateFactors: [1, 2] }, k: 2 });
    expect(used).toEqual(table);
    expect(input).toEqual(copy);
  });

  it("leaves a config without old keys as it is", () => {
    const input = { learningRate: { kfac: 0.5 }, tuning: { steps: 3 } };
    expect(renameDeprecatedKeys(input, table)).toEqual({ config: input, used: [] });
  });

  it("refuses both names, naming both", () => {
    expect(() => renameDeprecatedKeys({ lr: {}, learningRate: {} }, table)).toThrow(InputError);
    expect(() => renameDeprecatedKeys({ tuning: { lrFactors: [1], learningRateFactors: [2] } }, table)).toThrow(
      /`tuning\.lrFactors` and `tuning\.learningRateFactors`/,
    );
  });

  it("maps a dotted --set key by its prefix only", () => {
    expect(currentKey("lr.kfac", table).key).toBe("learningRate.kfac");
    expect(currentKey("lrF", table).key).toBe("lrF");
    expect(currentKey("tuning.lrFactors", table).key).toBe("tuning.learningRateFactors");
  });
});

describe("old keys through resolveConfig", () => {
  it("linrep: lr, lrF and tuning.lrFactors land on the new keys, one warning per old key", () => {
    const file = join(tmp.dir, "old.json");
    writeFileSync(file, JSON.stringify({ lr: { amd: 0.2 }, tuning: { lrFactors: [0.5] } }));
    const { config, warnings } = resolve(linrepKappa, ["lr.kfac=0.7", "lrF=0.8", "lr.sgd=0.01"], file);
    const expected = resolve(linrepKappa, [
      "learningRate.amd=0.2",
      "learningRate.kfac=0.7",
      "learningRate.sgd=0.01",
      "headLearningRate=0.8",
      "tuning.learningRateFactors=0.5",
    ]);
    expect(config).toEqual(expected.config);
    expect(expected.warnings).toEqual([]);
    expect(warnings).toEqual([
      "lr is deprecated, use learningRate (accepted until 0.3)",
      "lrF is deprecated, use headLearningRate (accepted until 0.3)",
      "tuning.lrFactors is deprecated, use tuning.learningRateFactors (accepted until 0.3)",
    ]);
  });

  it("single-index: damping and leftDamping are the relative dampings", () => {
    const { config, warnings } = resolve(singleIndexRisk, ["damping=0.01", "leftDamping=0.1"]);
    expect(config.relativeDamping).toBe(0.01);
    expect(config.leftRelativeDamping).toBe(0.1);
    expect(config).not.toHaveProperty("damping");
    expect(warnings).toHaveLength(2);
  });

  it("fashion, anisotropy and robustness: lr, lrFactors and lrFactor (lists parsed as lists)", () => {
    expect(resolve(fashionMlp, ["lr.kfac=0.1"]).config.learningRate).toEqual({ kfac: 0.1 });
    const a = resolve(anisotropy, ["lr.sgd=0.05", "lrFactors=0.5,1"]);
    expect(a.config.learningRate).toEqual({ sgd: 0.05 });
    expect(a.config.learningRateFactors).toEqual([0.5, 1]);
    expect(a.warnings).toHaveLength(2);
    expect(resolve(robustness, ["lrFactor=1,3"]).config.learningRateFactor).toEqual([1, 3]);
  });

  it("refuses a config that gives the old and the new key", () => {
    expect(() => resolve(linrepKappa, ["lr.kfac=0.7", "learningRate.amd=0.2"])).toThrow(/both `lr` and `learningRate`/);
  });
});

describe("stored runs under the old names", () => {
  it("resume: a store written with lrFactor plans as the same run, and reads back under the new names", () => {
    const outDir = join(tmp.dir, "old-store");
    const config = resolve(robustness, ["optimizer=sgd", "architecture=mlp", "learningRateFactor=1,3"]).config;
    const { learningRateFactor, ...rest } = config;
    const old = { ...rest, lrFactor: learningRateFactor };
    mkdirSync(outDir, { recursive: true });
    const store = new ResultStore(outDir);
    store.beginRun({ experiment: robustness.name, config: old, runSeed: 0, seeds: 1, version: "0.1.0" });
    store.close();
    const request = {
      experiment: robustness,
      config,
      runSeed: 0,
      seeds: 1,
      workers: 1,
      outDir,
      fresh: false,
      progress: "none" as const,
    };
    const plan = planRun(request);
    expect(plan.clear).toBe(false);
    expect(plan.todo).toHaveLength(plan.trials.length);
    // A different value under the old name is still a different run.
    const other = { ...request, config: { ...config, learningRateFactor: [1, 10] } };
    expect(() => planRun(other)).toThrow(/`learningRateFactor` was \[1,3\], now \[1,10\]/);
    const reader = new ResultStore(outDir, { readonly: true });
    try {
      expect(withCurrentKeys(robustness, reader.run()!, []).run.config).toEqual(config);
    } finally {
      reader.close();
    }
  });
});
