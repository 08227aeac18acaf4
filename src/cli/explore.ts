/**
 * `layerwise explore [--port P]`: serves the explorable (the static site `npm run site` builds into dist/site)
 * on 127.0.0.1 and prints its URL; runs until interrupted (Ctrl+C).
 */
import { existsSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { InputError } from "../config/errors.js";
import { integerFlag, parseFlags } from "./args.js";
import { serveStatic } from "./static-server.js";

export const EXPLORE_HELP = `Usage: layerwise explore [--port P]

Serves the explorable (interactive pages running the experiments in your browser) on 127.0.0.1 and prints its
URL; Ctrl+C stops it. --port P: the port, 0 to 65535 (default 4173; 0 picks a free one).
The pages are static files (dist/site, built by "npm run site"): any static host can serve them too.`;

const DEFAULT_PORT = 4173;

/** dist/site, next to the compiled CLI's dist/src. */
const SITE_DIR = fileURLToPath(new URL("../../site/", import.meta.url));

/** The `explore` command; resolves with exit code 0 once the server is stopped by SIGINT or SIGTERM. */
export async function explore(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags("explore", argv, {
    help: { type: "boolean", short: "h" },
    port: { type: "string" },
  });
  if (values.help) return (process.stdout.write(`${EXPLORE_HELP}\n`), 0);
  if (positionals.length > 0)
    throw new InputError(`explore: unexpected argument "${positionals[0]}"; usage: layerwise explore [--port P]`);
  const port = integerFlag("port", values.port, DEFAULT_PORT, 0, 65535);
  if (!existsSync(`${SITE_DIR}index.html`)) {
    throw new Error(`explore: the site is not built (no ${SITE_DIR}index.html); run "npm run site" first`);
  }
  let server;
  try {
    server = await serveStatic(SITE_DIR, port);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE" || code === "EACCES") {
      throw new Error(`explore: cannot listen on 127.0.0.1:${port} (${code}); choose another port with --port`);
    }
    throw e;
  }
  const { port: bound } = server.address() as AddressInfo;
  process.stdout.write(`layerwise explore: serving the explorable at http://127.0.0.1:${bound}/ (Ctrl+C to stop)\n`);
  return new Promise((resolve) => {
    const stop = () => server.close(() => resolve(0));
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}
