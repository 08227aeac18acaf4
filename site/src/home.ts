/** The home page: only sets `window.layerwise` (see shell.ts) for use from the console. */
import "./shell.js";
