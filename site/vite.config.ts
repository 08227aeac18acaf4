/**
 * The explorable's static site (`npm run site` → dist/site): one HTML page per view, each running the package's
 * browser build (site/src/layerwise.ts) in Web Workers. `base: "./"` keeps every URL relative, so the folder can
 * be served from any path of any static host.
 */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import { layoutPlugin } from "./layout-plugin.js";
import { mnistPlugin } from "./mnist-plugin.js";

const here = fileURLToPath(new URL(".", import.meta.url));
export const PAGES = ["index", "linrep", "single-index", "playground", "results"];

export default defineConfig({
  root: here,
  base: "./",
  plugins: [layoutPlugin(), mnistPlugin()],
  publicDir: false,
  build: {
    outDir: resolve(here, "../dist/site"),
    emptyOutDir: true,
    target: "es2022",
    chunkSizeWarningLimit: 2048,
    rollupOptions: { input: Object.fromEntries(PAGES.map((p) => [p, resolve(here, `${p}.html`)])) },
  },
  worker: { format: "es", plugins: () => [mnistPlugin()] },
});
