/**
 * Renders Vega-Lite specs in Node, with npm packages only: Vega-Lite compiles to Vega, a headless Vega View
 * (renderer "none") produces SVG, and resvg rasterises the SVG to PNG using the DejaVu Sans font shipped by the
 * dejavu-fonts-ttf package (no system fonts, no browser, no network), so text renders the same on a bare machine.
 */
import { createRequire } from "node:module";
import { Resvg } from "@resvg/resvg-js";
import * as vega from "vega";
import * as vegaLite from "vega-lite";
import { FIGURE_CONFIG, FIGURE_FONT } from "./charts.js";

const require = createRequire(import.meta.url);
const FONT_FILE = require.resolve("dejavu-fonts-ttf/ttf/DejaVuSans.ttf");

/** A rendered figure. */
export interface RenderedFigure {
  svg: string;
  png: Buffer;
}

/** The Vega-Lite spec with the figure font forced into its config (specs written by hand may omit it). */
function withFont(spec: Record<string, unknown>): Record<string, unknown> {
  const config = (spec.config ?? {}) as Record<string, unknown>;
  return { ...spec, config: { ...FIGURE_CONFIG, ...config, font: FIGURE_FONT } };
}

/** Compiles a Vega-Lite spec and renders it to an SVG string. Throws with Vega-Lite's message on a bad spec. */
export async function renderSvg(spec: Record<string, unknown>): Promise<string> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- vega-lite's TopLevelSpec type is huge
  const compiled = vegaLite.compile(withFont(spec) as any).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterises an SVG to PNG at `scale`× its size (2 gives crisp figures on high-density screens). */
export function svgToPng(svg: string, scale = 2): Buffer {
  const resvg = new Resvg(svg, {
    font: { fontFiles: [FONT_FILE], loadSystemFonts: false, defaultFontFamily: FIGURE_FONT },
    fitTo: { mode: "zoom", value: scale },
    background: "#ffffff",
  });
  return resvg.render().asPng();
}

/** Renders a Vega-Lite spec to SVG and PNG. */
export async function renderFigure(spec: Record<string, unknown>, pngScale = 2): Promise<RenderedFigure> {
  const svg = await renderSvg(spec);
  return { svg, png: svgToPng(svg, pngScale) };
}
