/** The explorable's page template: every page is wrapped with the same head and navigation, its own link marked. */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { NAV, wrapPage } from "../../site/layout-plugin.js";

const SITE = path.resolve(__dirname, "../../site");
const PAGES = ["index", ...NAV.map(([page]) => page)];

describe("site page template", () => {
  for (const page of PAGES) {
    it(`${page}.html gets the shared head and navigation, with its own link current`, () => {
      const html = wrapPage(readFileSync(path.join(SITE, `${page}.html`), "utf8"), page);
      expect(html.startsWith("<!doctype html>")).toBe(true);
      expect(html).toContain('<link rel="stylesheet" href="./style.css" />');
      expect(html.match(/<title>layerwise · [^<]+<\/title>/)).not.toBeNull();
      for (const [other] of NAV) expect(html).toContain(`href="./${other}.html"`);
      const current = [...html.matchAll(/href="\.\/([\w-]+)\.html" aria-current="page"/g)].map((m) => m[1]);
      expect(current).toEqual(page === "index" ? [] : [page]);
      expect(html.match(/<main>/g)?.length).toBe(1);
    });
  }

  it("refuses a page without its page line, naming the file", () => {
    expect(() => wrapPage("<main></main>", "broken.html")).toThrow(/broken\.html: the first line must be/);
  });
});
