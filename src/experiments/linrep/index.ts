/** The linear representation-learning experiments (docs/linrep.md): loss curves, rates against κ, stability. */
export { linrepCurves } from "./curves.js";
export { linrepKappa } from "./kappa.js";
export { linrepStability } from "./stability.js";
