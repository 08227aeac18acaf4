/** Seeded, platform-independent random numbers and random matrices. */
export { Rng, deriveSeed } from "./rng.js";
export { gaussianMatrix, rademacherMatrix, uniformMatrix, haarOrthogonal } from "./matrices.js";
