/** The single-index experiments (docs/single-index.md): the one-step spike's alignment and the readout's risk. */
export { singleIndexAlignment } from "./alignment.js";
export { singleIndexRisk } from "./risk.js";
