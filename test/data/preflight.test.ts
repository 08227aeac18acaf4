/**
 * The run's pre-flight (runner/preflight.ts with the data experiments' `preflightData`): schemas parse without
 * reading the disk, dataset=auto is resolved once before any trial (and the config validated again for what it
 * resolved to), and missing or corrupt Fashion-MNIST files stop a run at its start with exit 2, the file, the
 * problem and the fix. Everything here runs on look-alike files or the embedded digits; the real dataset's checks
 * are in fashion-real.test.ts.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InputError } from "../../src/config/errors.js";
import { validateConfig } from "../../src/config/validate.js";
import { DatasetInvalidError, DatasetNotFoundError, checkFashionMnist } from "../../src/data/fashion-mnist.js";
import { anisotropy } from "../../src/experiments/anisotropy/index.js";
import { fashionCnn } from "../../src/experiments/fashion/cnn.js";
import { fashionMlp } from "../../src/experiments/fashion/mlp.js";
import { robustness } from "../../src/experiments/robustness/index.js";
import type { Experiment } from "../../src/experiments/types.js";
import { preflightConfig } from "../../src/runner/preflight.js";
import { runTrial } from "../../src/runner/programmatic.js";
import { cli, tempDir } from "../cli/helpers.js";
import { writeFakeFashion } from "../helpers/fashion-data.js";

const tmp = tempDir("preflight");
afterAll(() => tmp.cleanup());
const empty = join(tmp.dir, "empty");
mkdirSync(empty);
const good = writeFakeFashion(join(tmp.dir, "good"), { train: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], test: [9, 8, 7] });
const DATA_EXPERIMENTS = [fashionMlp, fashionCnn, anisotropy, robustness] as unknown as Experiment[];

/** A copy of the look-alike with `file` replaced by `bytes`. */
function broken(name: string, file: string, bytes: (original: Buffer) => Uint8Array): string {
  const dir = writeFakeFashion(join(tmp.dir, name), { train: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], test: [9, 8, 7] });
  writeFileSync(join(dir, file), bytes(readFileSync(join(dir, file))));
  return dir;
}

describe("schemas never read the disk", () => {
  it("every data experiment's defaults and quick config parse with a data directory that does not exist", () => {
    for (const e of DATA_EXPERIMENTS) {
      for (const input of [{}, e.quick ?? {}, { dataset: "fashion-mnist", dataDir: join(tmp.dir, "nowhere") }]) {
        expect(() => validateConfig(e, input), `${e.name} ${JSON.stringify(input)}`).not.toThrow();
      }
    }
  });
});

describe("preflightConfig", () => {
  it("resolves dataset=auto to mnist when the directory is empty, says so, and validates the sizes again", async () => {
    const notes: string[] = [];
    const config = validateConfig(fashionMlp, { dataset: "auto", dataDir: empty, trainSize: 500 });
    const checked = await preflightConfig(fashionMlp, config, (n) => notes.push(n));
    expect(checked.dataset).toBe("mnist");
    expect({ ...checked, dataset: "auto" }).toEqual(config);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toContain(`Fashion-MNIST not found in ${empty}`);
    expect(notes[0]).toContain("apt-get install dataset-fashion-mnist");
    // anisotropy's default trainSize (10 000) fits Fashion-MNIST but not the 8 000 digits auto falls back to.
    const big = validateConfig(anisotropy, { dataset: "auto", dataDir: empty });
    await expect(preflightConfig(anisotropy, big)).rejects.toThrow(/trainSize.*mnist has 8000 training examples/s);
  });

  it("resolves dataset=auto to fashion-mnist when the files are there, without a note", async () => {
    const notes: string[] = [];
    const config = validateConfig(fashionMlp, { dataset: "auto", dataDir: good });
    const checked = await preflightConfig(fashionMlp, config, (n) => notes.push(n));
    expect(checked.dataset).toBe("fashion-mnist");
    expect(notes).toEqual([]);
  });

  it("refuses missing files: the directory, what is missing, the install command and the alternative", async () => {
    const config = validateConfig(fashionCnn, { dataDir: empty });
    const error = await preflightConfig(fashionCnn, config).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetNotFoundError);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `Fashion-MNIST not found in ${empty} \\(missing train-images-idx3-ubyte\\.gz.*apt-get install dataset-fashion-mnist.*dataset=mnist`,
      ),
    );
  });

  it("refuses a corrupt, truncated or mislabelled file, naming it, the problem and the fix", async () => {
    const cases: [string, string, (b: Buffer) => Uint8Array, RegExp][] = [
      ["magic", "train-labels-idx1-ubyte", (b) => Uint8Array.from([1, ...b.subarray(1)]), /bad magic number/],
      ["truncated", "t10k-labels-idx1-ubyte", (b) => b.subarray(0, b.length - 1), /truncated/],
      ["gzip", "t10k-images-idx3-ubyte.gz", (b) => b.subarray(0, b.length - 20), /cannot decompress/],
      ["label", "train-labels-idx1-ubyte", (b) => Uint8Array.from([...b.subarray(0, -1), 12]), /label 12 at index 9/],
    ];
    for (const [name, file, edit, problem] of cases) {
      const dir = broken(name, file, edit);
      const error = await checkFashionMnist(dir).catch((e: unknown) => e);
      expect(error, name).toBeInstanceOf(DatasetInvalidError);
      const message = (error as Error).message;
      expect(message, name).toContain(join(dir, file));
      expect(message, name).toMatch(problem);
      expect(message, name).toContain("apt-get install --reinstall dataset-fashion-mnist");
    }
    await expect(checkFashionMnist(good)).resolves.toBeUndefined();
  });

  it("is taken by experiments.runTrial: a missing directory rejects with the InputError before training", async () => {
    await expect(runTrial("fashion-mlp", { dataDir: empty, epochs: 1 }, 0)).rejects.toThrow(DatasetNotFoundError);
  });
});

describe("the CLI runs the pre-flight once, before any trial", () => {
  it("a corrupt file: exit 2 with the file and the fix, and no output directory", async () => {
    const dir = broken("cli-truncated", "train-labels-idx1-ubyte", (b) => b.subarray(0, b.length - 3));
    const out = join(tmp.dir, "out-corrupt");
    const r = await cli(["run", "fashion-mlp", "--set", `dataDir=${dir}`, "--set", "optimizer=sgd,adam", "--out", out]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain(join(dir, "train-labels-idx1-ubyte"));
    expect(r.stderr).toContain("--reinstall");
    expect(r.stderr.split("\n").filter((l) => l.includes("unusable"))).toHaveLength(1);
    expect(existsSync(out)).toBe(false);
  });

  it("dataset=auto with $LAYERWISE_DATA_DIR empty: trains on the embedded digits and says so", async () => {
    const out = join(tmp.dir, "out-auto");
    const r = await cli(
      [
        "run",
        "fashion-mlp",
        "--json",
        "--workers",
        "1",
        "--out",
        out,
        ...["--set", "dataset=auto", "--set", "optimizer=adam", "--set", "trainSize=300", "--set", "testSize=100"],
        ...["--set", "epochs=1", "--set", "hidden=16"],
      ],
      { LAYERWISE_DATA_DIR: empty },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(`Fashion-MNIST not found in ${empty}, so dataset=auto uses the MNIST digits`);
    const json = JSON.parse(r.stdout.trim().split("\n").at(-1)!) as { config: { dataset: string } };
    expect(json.config.dataset).toBe("mnist");
  }, 300_000);
});
