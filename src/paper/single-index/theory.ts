/**
 * Predicted alignment of the one-step spike with the teacher direction β★ in the single-index model
 * (docs/single-index.md): population limits and finite-sample (n, d) corrections for GD and KFAC.
 *
 * Setting: x ~ N(0, Σ), z = ⟨β★, x⟩ with ⟨β★, Σβ★⟩ = 1 (so z ~ N(0, 1)), y = σ★(z) + ε, Var ε = σ_ε².
 * Write u = Σβ★ and, for the link, c₁ = E[z σ★(z)] = E[σ★′(z)] (Stein), m₂ = E[y²] = E[σ★(z)²] + σ_ε² and
 * m₂₂ = E[y² z²] = E[σ★(z)² z²] + σ_ε².
 *
 * Mechanism. With a small initial output, ∇_W L̂ ≈ −(μ₁/√N) a vᵀ + bulk, v = Xᵀy/n, so the top right singular
 * vector of a GD update is v/‖v‖ and that of a KFAC update is (Σ̂ + λI)⁻¹v/‖·‖. (With a_j = ±1/√N the spike has
 * singular value ≈ |μ₁|‖v‖ while the bulk's spectral norm is O((1 + √(d/N)) · (E[y²(σ′ − μ₁)²] ‖Σ‖ / n)^{1/2}),
 * far smaller, and it tilts the top singular vector only at second order; the finite-N terms are neglected.)
 *
 * GD. By Stein's lemma E[v] = E[x y] = c₁ u. Split x = u z + x⊥ with x⊥ ⊥ z of covariance Σ − uuᵀ; then
 * E[y² x xᵀ] = m₂₂ uuᵀ + m₂ (Σ − uuᵀ), so
 *     E‖v‖² = c₁²‖u‖² + (1/n)[m₂ (tr Σ − ‖u‖²) + (m₂₂ − c₁²)‖u‖²],   E⟨v, β★⟩ = c₁⟨u, β★⟩ = c₁,
 * and ⟨v, β★⟩, ‖v‖² concentrate (relative fluctuations O(n^{−1/2}), O((nd)^{−1/2})), giving
 *     alignment_GD(n) ≈ |c₁| / (‖β★‖ √E‖v‖²)  →  ⟨β★, Σβ★⟩/(‖β★‖‖Σβ★‖)  as n → ∞.
 * The noise term m₂ tr Σ / n is what a finite sample adds: isotropic-in-Σ noise of total size m₂ tr Σ / n.
 *
 * KFAC. (Σ̂ + λI)⁻¹v = (XᵀX + nλI)⁻¹Xᵀy is the ridge estimate β̂ of the best linear predictor β = c₁β★ of y from
 * x, whose residual r = y − c₁z has variance τ² = m₂ − c₁² and is uncorrelated with x (it is an "effective noise"
 * made of the link's nonlinear part and ε). The deterministic equivalent of ridge regression (Hastie, Montanari,
 * Rosset & Tibshirani 2022; Bach 2024; Atanasov, Zavatone-Veth & Pehlevan 2024) gives, with the effective
 * regularisation κ_λ > 0 solving κ_λ = λ + (κ_λ/n) tr[Σ(Σ + κ_λ)⁻¹],
 *     E[β̂] ≈ (Σ + κ_λ)⁻¹Σ β,
 *     E‖β̂ − β‖² ≈ κ_λ² βᵀ(Σ + κ_λ)⁻²β + γ (κ_λ² βᵀ(Σ + κ_λ)⁻¹Σ(Σ + κ_λ)⁻¹β + τ²),
 *     γ = (1/n) tr[Σ(Σ + κ_λ)⁻²] / (1 − df₂/n),   df₂ = tr[Σ²(Σ + κ_λ)⁻²],
 * hence ⟨β̂, β★⟩ ≈ c₁ β★ᵀ(Σ + κ_λ)⁻¹Σβ★ and ‖β̂‖² = ‖β‖² + 2⟨β, β̂ − β⟩ + ‖β̂ − β‖², and
 *     alignment_KFAC(n) ≈ ⟨β̂, β★⟩/(‖β̂‖ ‖β★‖)  →  1  as n/d → ∞ with λ → 0.
 * For n > d and λ → 0 this is the least-squares result E‖β̂ − β‖² = τ² tr(Σ⁻¹)/(n − d): the error is largest along
 * Σ's small eigen-directions, which is why KFAC needs n/d well above 1 when κ is large. Unlike the GD formula this
 * one also holds for n < d (then κ_λ stays positive as λ → 0: the minimum-norm interpolator).
 * The actual update uses λ = damping · tr(Σ̂)/d; we use damping · tr(Σ)/d (tr Σ̂ concentrates).
 *
 * Everything is computed in Σ's eigenbasis: Σ = Q diag(s) Qᵀ and b = Qᵀβ★.
 */
import { gaussianExpectation, type Activation } from "../../nn/activations.js";

/** The Gaussian moments of the link that the predictions need. */
export interface LinkMoments {
  /** c₁ = E[z σ★(z)]. */
  c1: number;
  /** E[y²] = E[σ★(z)²] + σ_ε². */
  m2: number;
  /** E[y² z²] = E[σ★(z)² z²] + σ_ε². */
  m22: number;
}

/** The moments c₁, E[y²], E[y²z²] of y = σ★(z) + ε, z ~ N(0, 1), by quadrature. */
export function linkMoments(link: Activation, noise: number): LinkMoments {
  const n2 = noise * noise;
  return {
    c1: gaussianExpectation((z) => z * link.f(z)),
    m2: gaussianExpectation((z) => link.f(z) ** 2) + n2,
    m22: gaussianExpectation((z) => (link.f(z) * z) ** 2) + n2,
  };
}

/** Σ in its eigenbasis and β★'s coordinates there. */
export interface SpectralProblem {
  /** Eigenvalues s_i of Σ. */
  eigenvalues: ArrayLike<number>;
  /** b_i = ⟨q_i, β★⟩ for the matching eigenvectors q_i. */
  betaCoords: ArrayLike<number>;
}

/** β★'s coordinates in Σ's eigenbasis: b = Qᵀβ★ for `basis` Q (d×d, eigenvectors as columns, row-major). */
export function spectralCoordinates(
  basis: { rows: number; cols: number; data: Float64Array },
  beta: ArrayLike<number>,
): Float64Array {
  const d = basis.rows;
  const b = new Float64Array(basis.cols);
  for (let i = 0; i < d; i++) {
    const bi = beta[i];
    for (let j = 0; j < basis.cols; j++) b[j] += basis.data[i * basis.cols + j] * bi;
  }
  return b;
}

function sums(p: SpectralProblem) {
  const { eigenvalues: s, betaCoords: b } = p;
  let beta2 = 0;
  let u2 = 0;
  let ub = 0;
  let trace = 0;
  for (let i = 0; i < s.length; i++) {
    beta2 += b[i] * b[i];
    u2 += s[i] * s[i] * b[i] * b[i];
    ub += s[i] * b[i] * b[i];
    trace += s[i];
  }
  return { beta2, u2, ub, trace };
}

/** GD's population limit cos(β★, Σβ★) = ⟨β★, Σβ★⟩/(‖β★‖‖Σβ★‖). */
export function gdAlignmentLimit(p: SpectralProblem): number {
  const { beta2, u2, ub } = sums(p);
  return Math.abs(ub) / Math.sqrt(beta2 * u2);
}

/** GD's predicted alignment with n samples: |c₁⟨u, β★⟩| / (‖β★‖ √E‖v‖²) (see the module comment). */
export function gdAlignment(p: SpectralProblem, m: LinkMoments, n: number): number {
  const { beta2, u2, ub, trace } = sums(p);
  const ev2 = m.c1 * m.c1 * u2 + (m.m2 * (trace - u2) + (m.m22 - m.c1 * m.c1) * u2) / n;
  return Math.abs(m.c1 * ub) / Math.sqrt(beta2 * ev2);
}

/** KFAC's population limit: 1 (the ridge estimate is consistent for c₁β★). */
export function kfacAlignmentLimit(): number {
  return 1;
}

/**
 * The effective regularisation κ_λ of ridge regression: the root of 1 − λ/κ − (1/n) Σ_i s_i/(s_i + κ) = 0, which is
 * increasing in κ, found by bisection (needs λ > 0, or λ = 0 with n < rank).
 */
export function effectiveRegularization(eigenvalues: ArrayLike<number>, n: number, lambda: number): number {
  const g = (k: number) => {
    let t = 0;
    for (let i = 0; i < eigenvalues.length; i++) t += eigenvalues[i] / (eigenvalues[i] + k);
    return 1 - lambda / k - t / n;
  };
  let hi = 1;
  while (g(hi) < 0) hi *= 2;
  let lo = hi / 2;
  while (lo > 1e-300 && g(lo) > 0) lo /= 2;
  for (let it = 0; it < 200; it++) {
    const mid = 0.5 * (lo + hi);
    if (g(mid) > 0) hi = mid;
    else lo = mid;
    if (hi - lo <= 1e-15 * hi) break;
  }
  return 0.5 * (lo + hi);
}

/**
 * KFAC's predicted alignment with n samples and input-factor damping λ (absolute), from the deterministic
 * equivalent of the ridge estimate (Σ̂ + λI)⁻¹Xᵀy/n (see the module comment).
 */
export function kfacAlignment(p: SpectralProblem, m: LinkMoments, n: number, lambda: number): number {
  const { eigenvalues: s, betaCoords: b } = p;
  const d = s.length;
  if (lambda === 0 && n > d + 1) {
    // Least squares: E[β̂] = β and E‖β̂ − β‖² = τ² tr(Σ⁻¹)/(n − d − 1) (inverse-Wishart mean).
    let beta2 = 0;
    let trInv = 0;
    for (let i = 0; i < d; i++) {
      beta2 += b[i] * b[i];
      trInv += 1 / s[i];
    }
    const tau2 = m.m2 - m.c1 * m.c1;
    const c2 = m.c1 * m.c1;
    return Math.sqrt((c2 * beta2) / (c2 * beta2 + (tau2 * trInv) / (n - d - 1)));
  }
  const k = effectiveRegularization(s, n, lambda);
  const tau2 = m.m2 - m.c1 * m.c1;
  let beta2 = 0; // ‖β★‖²
  let shrunk = 0; // β★ᵀ(Σ + κ)⁻¹Σβ★
  let biasIso = 0; // β★ᵀ(Σ + κ)⁻²β★
  let biasSigma = 0; // β★ᵀ(Σ + κ)⁻¹Σ(Σ + κ)⁻¹β★
  let biasFirst = 0; // β★ᵀ(Σ + κ)⁻¹β★
  let df2 = 0;
  let trVar = 0; // tr[Σ(Σ + κ)⁻²]
  for (let i = 0; i < d; i++) {
    const si = s[i];
    const bi2 = b[i] * b[i];
    const r = 1 / (si + k);
    beta2 += bi2;
    shrunk += bi2 * si * r;
    biasIso += bi2 * r * r;
    biasSigma += bi2 * si * r * r;
    biasFirst += bi2 * r;
    df2 += si * si * r * r;
    trVar += si * r * r;
  }
  const c2 = m.c1 * m.c1;
  const gamma = trVar / n / (1 - df2 / n);
  const errNorm2 = c2 * k * k * biasIso + gamma * (c2 * k * k * biasSigma + tau2);
  const norm2 = c2 * beta2 - 2 * c2 * k * biasFirst + errNorm2;
  return Math.abs(m.c1 * shrunk) / Math.sqrt(norm2 * beta2);
}
