/**
 * The README and docs/*.md as the docs tests read them: fenced code blocks with their info string, relative
 * link targets, and GitHub's heading anchors.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../cli/helpers.js";

/** README.md and every docs/*.md, as paths relative to the repository root. */
export const MARKDOWN_FILES = [
  "README.md",
  ...readdirSync(join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => `docs/${f}`),
];

export const readMarkdown = (file: string): string => readFileSync(join(ROOT, file), "utf8");

/** A fenced code block: its language, the words after it (markers such as `run`), its text and first line. */
export interface CodeBlock {
  file: string;
  line: number;
  lang: string;
  markers: string[];
  code: string;
}

/** Every ``` fenced block of `file`. */
export function codeBlocks(file: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const lines = readMarkdown(file).split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*(.*)$/.exec(lines[i]);
    if (!open) continue;
    const end = lines.findIndex((l, j) => j > i && l.startsWith("```"));
    blocks.push({
      file,
      line: i + 1,
      lang: open[1],
      markers: open[2].split(/\s+/).filter(Boolean),
      code: lines.slice(i + 1, end).join("\n") + "\n",
    });
    i = end;
  }
  return blocks;
}

/** The text of `file` outside fenced blocks (where links and headings count). */
export function prose(file: string): string {
  return readMarkdown(file)
    .split(/^```[\s\S]*?^```/m)
    .join("");
}

/** Relative link and image targets of `file` (markdown `](…)` and HTML `src="…"`), with their line. */
export function relativeLinks(file: string): string[] {
  const text = prose(file);
  const targets = [...text.matchAll(/\]\(([^)\s]+)\)/g), ...text.matchAll(/src="([^"]+)"/g)].map((m) => m[1]);
  return targets.filter((t) => !/^(https?:|mailto:)/.test(t));
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens. */
export function anchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}_\- ]/gu, "")
    .replace(/ /g, "-");
}

/** The anchors of every heading of `file`. */
export function anchors(file: string): Set<string> {
  return new Set([...prose(file).matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchor(m[1])));
}
