/** The README's example (examples/train-mlp.mjs, which test/docs.test.ts keeps identical to it) runs and learns the digits. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, runNode } from "./cli/helpers.js";

/** The output the README shows for its example: the text block right after the example's code block. */
function readmeOutput(): string {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const block = /```text\n(kfac {2}epoch 1[^`]*)```/.exec(readme);
  if (!block) throw new Error("README.md: no output block starting with 'kfac  epoch 1' after the example");
  return block[1].trim();
}

describe("examples/train-mlp.mjs", () => {
  it("trains KFAC and Adam to at least 0.9 test accuracy in two epochs and prints what the README shows", async () => {
    const r = await runNode(["examples/train-mlp.mjs"]);
    expect(r.status, r.stderr).toBe(0);
    const final = (name: string): number => {
      const lines = r.stdout.split("\n").filter((l) => l.startsWith(name) && l.includes("epoch 2"));
      expect(lines).toHaveLength(1);
      return Number(/test accuracy ([0-9.]+)/.exec(lines[0])![1]);
    };
    expect(final("kfac")).toBeGreaterThanOrEqual(0.9);
    expect(final("adam")).toBeGreaterThanOrEqual(0.9);
    // Fixed seeds: the README prints exactly what a user gets.
    expect(r.stdout.trim()).toBe(readmeOutput());
  }, 300_000);
});
