/**
 * Keeps the layering of src/ (docs/architecture.md): every room sits on a floor and imports only from rooms on
 * lower floors (or from itself), the library never imports the paper's wing or the platform, and no two files
 * import each other, directly or round a longer circle. The import graph is read from the sources themselves.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const SRC = path.resolve(__dirname, "../../src");

/** Floors from the ground up; rooms on one floor may not import each other. */
const FLOORS: string[][] = [
  ["config"],
  ["linalg"],
  ["random"],
  ["nn", "data"],
  ["optim"],
  ["paper/metrics"],
  ["paper/linrep", "paper/single-index"],
  ["results"],
  ["report"],
  ["experiments"],
  ["runner"],
  ["cli"],
  ["index.ts"],
  ["node.ts"],
];
const LIBRARY = ["config", "linalg", "random", "nn", "data", "optim"];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return name.endsWith(".ts") ? [full] : [];
  });
}

/** The room of a file: its folder under src/ (two levels for paper/), or the file name at the root. */
function roomOf(file: string): string {
  const parts = path.relative(SRC, file).split(path.sep);
  if (parts.length === 1) return parts[0];
  return parts[0] === "paper" ? `paper/${parts[1]}` : parts[0];
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const targets: string[] = [];
  for (const match of text.matchAll(/(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)) {
    targets.push(path.resolve(path.dirname(file), match[1]).replace(/\.js$/, ".ts"));
  }
  return targets.filter((t) => t.startsWith(SRC) && t.endsWith(".ts"));
}

const files = sourceFiles(SRC);
const graph = new Map(files.map((f) => [f, importsOf(f)]));
const floorOf = new Map(FLOORS.flatMap((rooms, level) => rooms.map((room) => [room, level] as const)));
const rel = (f: string) => path.relative(SRC, f);

describe("src/ layering", () => {
  it("puts every room on a floor", () => {
    const unplaced = [...new Set(files.map(roomOf))].filter((room) => !floorOf.has(room));
    expect(unplaced).toEqual([]);
  });

  it("imports only from lower floors", () => {
    const upward: string[] = [];
    for (const [file, targets] of graph) {
      const from = roomOf(file);
      for (const target of targets) {
        const to = roomOf(target);
        if (from !== to && floorOf.get(to)! >= floorOf.get(from)!) upward.push(`${rel(file)} -> ${rel(target)}`);
      }
    }
    expect(upward).toEqual([]);
  });

  it("keeps the library free of the paper's wing and the platform", () => {
    const leaks: string[] = [];
    for (const [file, targets] of graph) {
      if (!LIBRARY.includes(roomOf(file))) continue;
      for (const target of targets) {
        if (!LIBRARY.includes(roomOf(target))) leaks.push(`${rel(file)} -> ${rel(target)}`);
      }
    }
    expect(leaks).toEqual([]);
  });

  it("has no circles between files", () => {
    // Tarjan's strongly connected components: any component with more than one file is a circle.
    let index = 0;
    const order = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const circles: string[][] = [];
    const visit = (v: string): void => {
      order.set(v, index);
      low.set(v, index++);
      stack.push(v);
      onStack.add(v);
      for (const w of graph.get(v) ?? []) {
        if (!graph.has(w)) continue;
        if (!order.has(w)) {
          visit(w);
          low.set(v, Math.min(low.get(v)!, low.get(w)!));
        } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, order.get(w)!));
      }
      if (low.get(v) === order.get(v)) {
        const component: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          component.push(rel(w));
        } while (w !== v);
        if (component.length > 1) circles.push(component.sort());
      }
    };
    for (const file of files) if (!order.has(file)) visit(file);
    expect(circles).toEqual([]);
  });
});
