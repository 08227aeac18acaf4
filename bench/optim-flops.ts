/**
 * The flop model of one training step of an MLP (dense layers with biases) under each optimizer at its
 * constructor defaults, for the whole-step table of optim.bench.ts. Conventions: a product of m×k by k×n is 2mnk
 * flops, a Gram matrix (syrk) of k rows of width n is n²k, an SPD inverse (Cholesky, then the inverse from it) n³,
 * a symmetric eigendecomposition with vectors 9n³ (Golub & Van Loan §8.3: tridiagonalisation 4n³/3, implicit QR
 * and back-transformation), a QR factorisation with Q formed 8n³/3. Element-wise passes are not counted (they are
 * memory-bound and the same order for every method). Work done every k steps counts 1/k per step.
 */

export type FlopMethod = "sgd" | "adam" | "kfac" | "ekfac" | "shampoo" | "soap" | "muon";

/** Refresh and statistics periods at the constructors' defaults (see docs/second-order-cost.md). */
const KFAC_FACTOR_EVERY = 10;
const KFAC_INVERSE_EVERY = 10;
const EKFAC_SCALING_EVERY = 1;
const SHAMPOO_ROOT_EVERY = 100;
const SOAP_BASIS_EVERY = 10;
const MUON_NS_STEPS = 5;

const product = (m: number, n: number, k: number): number => 2 * m * n * k;
const gram = (n: number, k: number): number => n * n * k;

/** KFAC's apply G⁻¹∇A⁻¹ for an o×i gradient at n rows: the cheaper of the plain and the factored (low-rank) form. */
function kfacApply(o: number, i: number, n: number): number {
  const plain = product(o, i, o) + product(o, i, i);
  const lowRank = product(n, o, o) + product(n, i, i) + product(o, i, n);
  return Math.min(plain, lowRank);
}

/** Flops of one step (forward, backward, update) of the MLP `widths` at batch n under `method`. */
export function stepFlops(method: FlopMethod, widths: readonly number[], n: number): number {
  let total = 0;
  for (let l = 0; l + 1 < widths.length; l++) {
    const [fanIn, o] = [widths[l], widths[l + 1]];
    const i = fanIn + 1; // [W | b] as one block
    // Forward X·Wᵀ, weight gradient gᵀX, and (above the first layer) the input gradient g·W.
    total += product(n, o, fanIn) * (l === 0 ? 2 : 3);
    switch (method) {
      case "sgd":
      case "adam":
        break;
      case "kfac":
        total += kfacApply(o, i, n);
        total += (gram(i, n) + gram(o, n)) / KFAC_FACTOR_EVERY;
        total += (i ** 3 + o ** 3) / KFAC_INVERSE_EVERY;
        break;
      case "ekfac": {
        // Every EKFAC_SCALING_EVERY steps the per-example projections gQ_G, aQ_A, their squared product (the
        // scalings) and the gradient rotated in from them ((gQ_G)ᵀ(aQ_A)/n); on the other steps the rotation in
        // the cheaper way (KFAC's apply with the bases); every step the rotation back (two products).
        const rotateIn = kfacApply(o, i, n);
        const withScalings = product(n, o, o) + product(n, i, i) + 2 * product(o, i, n);
        total += (withScalings + (EKFAC_SCALING_EVERY - 1) * rotateIn) / EKFAC_SCALING_EVERY;
        total += product(o, i, o) + product(o, i, i);
        total += (gram(i, n) + gram(o, n)) / KFAC_FACTOR_EVERY;
        total += (9 * (i ** 3 + o ** 3)) / KFAC_INVERSE_EVERY;
        break;
      }
      case "shampoo":
        // The weight only (biases take the diagonal form): grams GGᵀ and GᵀG, the two-sided apply, roots by eigh
        // and V·diag·Vᵀ every SHAMPOO_ROOT_EVERY steps.
        total += gram(o, fanIn) + gram(fanIn, o) + product(o, fanIn, o) + product(o, fanIn, fanIn);
        total += (10 * (o ** 3 + fanIn ** 3)) / SHAMPOO_ROOT_EVERY;
        break;
      case "soap": {
        // Grams, the gradient rotated in and the step rotated out (two products each); every SOAP_BASIS_EVERY
        // steps one power step S·Q and QR per side, and the first moment rotated out and back in.
        const rotation = product(o, fanIn, o) + product(o, fanIn, fanIn);
        total += gram(o, fanIn) + gram(fanIn, o) + 2 * rotation;
        total += (2 * rotation + (2 + 8 / 3) * (o ** 3 + fanIn ** 3)) / SOAP_BASIS_EVERY;
        break;
      }
      case "muon": {
        // Per Newton–Schulz iteration on the r×c orientation (r ≤ c): A = XXᵀ, A², and BX.
        const [r, c] = o <= fanIn ? [o, fanIn] : [fanIn, o];
        if (r > 1) total += MUON_NS_STEPS * (gram(r, c) + gram(r, r) + product(r, c, r));
        break;
      }
    }
  }
  return total;
}
