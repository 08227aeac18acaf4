/**
 * The `mnist` package's default export in the browser: the ten digit classes unpacked from the binary asset the
 * site's build writes (see site/mnist-plugin.ts for the format), fetched once, relative to this bundle.
 */
import { decodeMnist } from "./mnist-decode.js";

/** The asset's name (a variable, not a literal, so the bundler leaves the URL to be resolved at run time). */
const FILE = "mnist-digits.bin";

const response = await fetch(new URL(FILE, import.meta.url));
if (!response.ok) throw new Error(`mnist: cannot fetch the digits (${response.status})`);
const digits = decodeMnist(new Uint8Array(await response.arrayBuffer()));
export default digits;
