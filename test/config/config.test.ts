import fc from "fast-check";
import { z } from "zod";
import { describe, expect, it } from "vitest";
import { InputError } from "../../src/config/errors.js";
import { jsonErrorOffset } from "../../src/config/json.js";
import { resolveConfig } from "../../src/config/resolve.js";
import { closest, editDistance } from "../../src/config/suggest.js";

/** Levenshtein distance by its recursive definition (exponential; for short strings only). */
function naiveDistance(a: string, b: string): number {
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  const cost = a[a.length - 1] === b[b.length - 1] ? 0 : 1;
  return Math.min(
    naiveDistance(a.slice(0, -1), b) + 1,
    naiveDistance(a, b.slice(0, -1)) + 1,
    naiveDistance(a.slice(0, -1), b.slice(0, -1)) + cost,
  );
}

describe("editDistance and closest", () => {
  it("equals the recursive definition", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }), (a, b) => {
        expect(editDistance(a, b)).toBe(naiveDistance(a, b));
      }),
      { numRuns: 200 },
    );
  });
  it("suggests near names only", () => {
    expect(closest("kapa", ["kappa", "d", "steps", "kappaF"])).toEqual(["kappa", "kappaF"]);
    expect(closest("zzzzzz", ["kappa", "steps"])).toEqual([]);
  });
});

describe("jsonErrorOffset", () => {
  it("agrees with JSON.parse on validity", () => {
    fc.assert(
      fc.property(fc.oneof(fc.json(), fc.string({ maxLength: 12 })), (text) => {
        let valid = true;
        try {
          JSON.parse(text);
        } catch {
          valid = false;
        }
        expect(jsonErrorOffset(text) === undefined).toBe(valid);
      }),
      { numRuns: 300 },
    );
  });
  it("points at the offending character", () => {
    expect(jsonErrorOffset('{"a": [1, 2,]}')).toBe(12);
    expect(jsonErrorOffset('{"a" 1}')).toBe(5);
  });
});

const source = {
  name: "demo",
  schema: z.strictObject({
    kappa: z.array(z.number().min(1)).min(1).default([1, 10]),
    algorithm: z.array(z.enum(["gd", "kfac"])).default(["gd"]),
    d: z.int().min(1).max(100).default(10),
    rotate: z.boolean().default(true),
    optimizer: z.strictObject({ lr: z.number().positive().default(0.1) }).default({ lr: 0.1 }),
  }),
  sweepable: ["kappa", "algorithm"],
};

describe("resolveConfig", () => {
  it("fills defaults and parses --set values by the field's type", () => {
    const c = resolveConfig(source, {
      sets: ["kappa=1,100", "d=5", "rotate=false", "optimizer.lr=0.5", "algorithm=kfac"],
    });
    expect(c).toEqual({ kappa: [1, 100], algorithm: ["kfac"], d: 5, rotate: false, optimizer: { lr: 0.5 } });
  });
  it("applies base, then --config, then --set", () => {
    const c = resolveConfig(source, { base: { d: 2, rotate: false }, sets: ["d=3"] });
    expect(c.d).toBe(3);
    expect(c.rotate).toBe(false);
  });
  const message = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      return (e as Error).message;
    }
    throw new Error("expected an InputError");
  };
  it("names field, value and what is allowed", () => {
    expect(message(() => resolveConfig(source, { sets: ["d=500"] }))).toContain(
      "field `d`: 500 is out of range; allowed: <= 100",
    );
    expect(message(() => resolveConfig(source, { sets: ["kappa=1,0.5"] }))).toContain(
      "field `kappa[1]`: 0.5 is out of range; allowed: >= 1",
    );
    expect(message(() => resolveConfig(source, { sets: ["algorithm=adam"] }))).toContain(
      '"adam" is not allowed; allowed: "gd", "kfac"',
    );
    expect(message(() => resolveConfig(source, { sets: ["optimizer.lrr=1"] }))).toContain(
      "did you mean `optimizer.lr`",
    );
    expect(message(() => resolveConfig(source, { sets: ["optimizer=1"] }))).toContain("group of settings");
    expect(message(() => resolveConfig(source, { sets: ["rotate=yes"] }))).toContain("expected a boolean");
    expect(message(() => resolveConfig(source, { sets: ["kappa="] }))).toContain("allowed: >= 1 items");
  });
});
