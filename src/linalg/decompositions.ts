/**
 * The public decomposition API (the internals shared between these modules stay unexported):
 * Cholesky, LU solve and inverse, triangular solve, QR, symmetric eigendecomposition, SVD, SPD powers.
 */
export { NotSymmetricError, SYMMETRY_TOLERANCE } from "./validate.js";
export { solveTriangular, type TriangularOptions } from "./triangular.js";
export { cholesky, solveSPD } from "./cholesky.js";
export { solve, inv } from "./lu.js";
export { qr, type QRResult } from "./qr.js";
export { eigh, eigvalsh, type EighResult } from "./eigh.js";
export { svd, spectralNorm, type SVDResult } from "./svd.js";
export { spdPower, type SpdPowerOptions } from "./spd-power.js";
