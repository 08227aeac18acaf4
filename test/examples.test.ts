/** The README's "Training a network" example runs as published and learns the digits. */
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";

describe("examples/train-mlp.mjs", () => {
  it("trains KFAC and Adam to at least 0.9 test accuracy in two epochs", () => {
    const out = execFileSync(process.execPath, ["examples/train-mlp.mjs"], { encoding: "utf8" });
    const final = (name: string): number => {
      const lines = out.split("\n").filter((l) => l.startsWith(name) && l.includes("epoch 2"));
      expect(lines).toHaveLength(1);
      return Number(/test accuracy ([0-9.]+)/.exec(lines[0])![1]);
    };
    expect(final("kfac")).toBeGreaterThanOrEqual(0.9);
    expect(final("adam")).toBeGreaterThanOrEqual(0.9);
  });
});
