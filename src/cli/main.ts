/** The `layerwise` command line. */
import { readFileSync } from "node:fs";

const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };

/** Runs the CLI with `argv` (without node and script); returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  if (argv[0] === "--version" || argv[0] === "-v") {
    process.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  process.stdout.write(`layerwise ${pkg.version}\nUsage: layerwise --version | --help\n`);
  return argv.length === 0 || argv[0] === "--help" ? 0 : 2;
}
