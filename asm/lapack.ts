// LAPACK-like kernels (float64): factorizations and decompositions. Pointers are byte offsets.
export { dpotrf, dgetrf, dlaswp, dtrsm } from "./lapack-factor";
export { dsyev, dsyevWorkBytes } from "./lapack-eigen";
export { dgesvd, dgesvdWorkBytes } from "./lapack-svd";
export { dgeqrf, dorgqr, dgeqrfWorkBytes } from "./lapack-qr";
export { nonFiniteIndex, symmetryGap } from "./lapack-check";
export { dsytrd, dsytrdWorkBytes, dormtr, dormtrWorkBytes, dstql, dstqlWorkBytes } from "./lapack-dc";
