/**
 * The real Fashion-MNIST, as `apt-get install dataset-fashion-mnist` installs it: it passes the pre-flight, has
 * the published split sizes and balanced classes, and a tiny fashion-mlp run trains on it. Skipped (with the
 * reason in the suite's name) when it is not installed; required under CI=true (helpers/fashion-data.ts).
 */
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { checkFashionMnist, fashionMnistDir, findFashionMnistFiles } from "../../src/data/fashion-mnist.js";
import { readIdxFile } from "../../src/data/idx.js";
import { cli, tempDir } from "../cli/helpers.js";
import { describeWithFashion } from "../helpers/fashion-data.js";

describeWithFashion("the installed Fashion-MNIST", () => {
  const tmp = tempDir("fashion-real");
  afterAll(() => tmp.cleanup());

  it("passes the pre-flight and has 60 000 / 10 000 images with 6 000 / 1 000 of each class", async () => {
    await checkFashionMnist();
    const files = await findFashionMnistFiles(fashionMnistDir());
    for (const [file, n] of [
      [files.trainLabels, 60_000],
      [files.testLabels, 10_000],
    ] as const) {
      const labels = await readIdxFile(file);
      expect(labels.dims).toEqual([n]);
      const counts = new Array<number>(10).fill(0);
      for (const y of labels.data) counts[y]++;
      expect(counts).toEqual(new Array<number>(10).fill(n / 10));
    }
    expect((await readIdxFile(files.testImages)).dims).toEqual([10_000, 28, 28]);
  });

  it("a tiny fashion-mlp run trains on it (dataset=auto resolves to it)", async () => {
    const r = await cli([
      "run",
      "fashion-mlp",
      "--json",
      "--workers",
      "1",
      "--out",
      join(tmp.dir, "run"),
      ...["--set", "dataset=auto", "--set", "optimizer=adam", "--set", "trainSize=1000", "--set", "testSize=500"],
      ...["--set", "epochs=1", "--set", "hidden=32"],
    ]);
    expect(r.status, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout.trim().split("\n").at(-1)!) as {
      config: { dataset: string };
      summary: { dataset: string; testAccuracy: number }[];
    };
    expect(json.config.dataset).toBe("fashion-mnist");
    expect(json.summary[0].dataset).toBe("fashion-mnist");
    // Ten classes: chance is 0.1; one epoch of Adam on 1 000 images is far above it.
    expect(json.summary[0].testAccuracy).toBeGreaterThan(0.5);
  }, 300_000);
});
