/** The README's example (examples/train-mlp.mjs, which test/docs.test.ts keeps identical to it) runs and learns the digits. */
import { describe, expect, it } from "vitest";
import { runNode } from "./cli/helpers.js";

describe("examples/train-mlp.mjs", () => {
  it("trains KFAC and Adam to at least 0.9 test accuracy in two epochs", async () => {
    const r = await runNode(["examples/train-mlp.mjs"]);
    expect(r.status, r.stderr).toBe(0);
    const final = (name: string): number => {
      const lines = r.stdout.split("\n").filter((l) => l.startsWith(name) && l.includes("epoch 2"));
      expect(lines).toHaveLength(1);
      return Number(/test accuracy ([0-9.]+)/.exec(lines[0])![1]);
    };
    expect(final("kfac")).toBeGreaterThanOrEqual(0.9);
    expect(final("adam")).toBeGreaterThanOrEqual(0.9);
  }, 300_000);
});
