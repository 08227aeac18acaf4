/**
 * The explorable's one page template. Each site/*.html holds only what is its own — a first-line comment
 * `<!-- page: NAME | TITLE -->`, its `<main>` and its script — and this Vite plugin wraps it in the shared head and
 * navigation before Vite processes the page, marking the page's own link with aria-current.
 */
import type { Plugin } from "vite";

/** The navigation bar: page name (file stem) and link text, in order. */
export const NAV: readonly (readonly [string, string])[] = [
  ["linrep", "Linear representation"],
  ["single-index", "Single-index"],
  ["playground", "Optimizer playground"],
  ["results", "Results viewer"],
];

const PAGE_LINE = /^\s*<!--\s*page:\s*([\w-]+)\s*\|\s*([^>]*?)\s*-->\s*\n/;

/** The whole document for a page body that starts with its `<!-- page: NAME | TITLE -->` line. */
export function wrapPage(source: string, file = "page"): string {
  const match = PAGE_LINE.exec(source);
  if (!match) throw new Error(`${file}: the first line must be <!-- page: NAME | TITLE -->`);
  const [, name, title] = match;
  const body = source.slice(match[0].length).replace(/^/gm, "    ").trimEnd();
  const links = NAV.map(
    ([page, text]) => `        <a href="./${page}.html"${page === name ? ' aria-current="page"' : ""}>${text}</a>`,
  ).join("\n");
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${title}</title>
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="./style.css" />
  </head>
  <body>
    <header>
      <a class="brand" href="./index.html">layerwise</a>
      <nav>
${links}
      </nav>
    </header>
${body}
  </body>
</html>
`;
}

/** Vite plugin: runs `wrapPage` on every HTML entry before Vite resolves its scripts and styles. */
export function layoutPlugin(): Plugin {
  return {
    name: "layerwise-layout",
    transformIndexHtml: { order: "pre", handler: (html, ctx) => wrapPage(html, ctx.filename) },
  };
}
