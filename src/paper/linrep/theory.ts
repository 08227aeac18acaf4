/**
 * Local convergence rates of the subspace distance in linear representation learning (docs/linrep.md), in the
 * noise-free, infinite-batch (population) limit, for the layer-wise preconditioned alternating scheme (the
 * paper's equation 5), joint gradient descent and damped Gauss–Newton.
 *
 * ## Setting and notation
 * y = F★G★x, x with covariance Σ (d×d), G★ (k×d) with orthonormal rows, loss L = ½E‖y − FGx‖². Pick an
 * orthonormal basis G⊥ ((d−k)×d) of the orthogonal complement of row(G★) and write, in the coordinates
 * (u, v) = (G★x, G⊥x),
 *
 *     Σ = [[S₁₁, S₁₂], [S₂₁, S₂₂]],   S_c = S₂₂ − S₂₁ S₁₁⁻¹ S₁₂   (the Schur complement: Cov(v | u)),
 *     G = A G★ + C G⊥ = A [I, T],      T = A⁻¹C   (k×(d−k), the "tangent").
 *
 * The singular values of T are the tangents of the principal angles between row(G) and row(G★), so the
 * spectral subspace distance is d(G, G★) = sin(arctan ‖T‖₂) = ‖T‖₂ + O(‖T‖³): near the solution the distance
 * contracts at the rate at which T does.
 *
 * ## Alternating scheme with the least-squares head (eq. 5 with η_F = 1, Q_F = Σ_z)
 * G₊ = G − η P⁻¹ ∇_G L(F, G) Q⁻¹ with ∇_G L = Fᵀ R Σ, R = FG − F★G★, and F the least-squares head of the
 * current G (fit after the previous G step): F = F★G★ΣGᵀ(GΣGᵀ)⁻¹.
 * 1. Head. With G = A[I, T], GΣGᵀ = A(S₁₁ + S₁₂Tᵀ + TS₂₁ + O(T²))Aᵀ and F★G★ΣGᵀ = F★(S₁₁ + S₁₂Tᵀ)Aᵀ, so
 *    F = F★(I − T S₂₁S₁₁⁻¹ + O(T²))A⁻¹ and the head error B := FA − F★ = −F★ T S₂₁ S₁₁⁻¹ + O(T²). This is the
 *    coupling term: with a rotated Σ (S₂₁ ≠ 0) the re-fit head absorbs the part of v predictable from u.
 * 2. Residual. R = [B, FAT] in (u, v) coordinates. With W := ΣQ⁻¹ written in blocks,
 *    (RW)₂ = B W₁₂ + FAT W₂₂ = F★ T (W₂₂ − S₂₁S₁₁⁻¹W₁₂) + O(T²) = F★ T K + O(T²), and
 *    [−S₂₁S₁₁⁻¹, I] Σ = [0, S_c] gives K = S_c (Q⁻¹)₂₂ (the complement block of Q⁻¹).
 * 3. Update. C₊ = C − η P⁻¹Fᵀ F★ T K + O(T²) and A₊ = A + O(T), so T₊ = A₊⁻¹C₊ = T − η M T K + O(T²) with
 *    M = A⁻¹P⁻¹FᵀF A (using F★ = FA + O(T)), which is similar to P⁻¹FᵀF.
 * The linearised map T ↦ T − η M T K has eigenvalues 1 − η mᵢ νⱼ, where mᵢ are the eigenvalues of P⁻¹FᵀF and
 * νⱼ those of K = S_c (Q⁻¹)₂₂ (real and positive: K is a product of two SPD matrices). Hence the exact local
 * rate (for a generic start, every mode present)
 *
 *     ρ = max_{i,j} |1 − η mᵢ νⱼ|.
 *
 * - SGD step on G (P = Q = I; with the least-squares head this is alternating minimisation–descent, `amd`):
 *   mᵢ = σᵢ(F)², νⱼ = eig(S_c). Best η = 2/(σ²_max μ_max + σ²_min μ_min) gives ρ = (K−1)/(K+1) with
 *   K = κ_F² κ(S_c): the paper's 1 − c/(κ_F² κₓ). Note the correction to the naive guess: the relevant
 *   spectrum is that of the Schur complement S_c, not of Σ restricted to the complement (they agree only when
 *   row(G★) is an invariant subspace of Σ; by interlacing λ_min(Σ) ≤ μⱼ ≤ λ_max(Σ)).
 * - One-sided (P = I, Q = Σ + λI): mᵢ = σᵢ(F)², νⱼ = eig(S_c ((Σ+λI)⁻¹)₂₂); at λ = 0, νⱼ = 1 (since
 *   (Σ⁻¹)₂₂ = S_c⁻¹) and ρ = max |1 − η σᵢ(F)²|: free of κₓ, not of κ_F.
 * - Two-sided KFAC (P = FᵀF, Q = Σ + λI): mᵢ = 1, ρ = max_j |1 − η νⱼ|; at λ = 0, ρ = |1 − η|: free of both
 *   condition numbers.
 * σᵢ(F) are the singular values of the current head F = F★A⁻¹ (at the solution); they equal those of F★ when G
 * has orthonormal rows (A orthogonal), which is what the predictions below assume unless told otherwise.
 *
 * ## Joint gradient descent and damped Gauss–Newton: lower bounds on the rate
 * Joint GD on θ = (F, G) near a zero-loss point linearises to e₊ = (I − ηH)e, H the Gauss–Newton matrix
 * (δᵀHδ = E‖(δF G + F δG)x‖²). Minimising that form over the head and A-directions for a fixed complement
 * perturbation δC leaves the Schur form tr(FᵀF δC S_c δCᵀ), with smallest eigenvalue s = σ_min(F)² μ_min. The
 * Rayleigh-quotient argument (the minimiser has unit-norm δC part and norm ≥ 1) shows H has an eigenvalue
 * h ≤ s whose eigenvector has a non-zero δC part (pure head/A modes are orthogonal to that minimiser), so the
 * subspace distance contracts no faster than
 *
 *     ρ_GD ≥ 1 − η σ_min(F)² μ_min,
 *
 * and since stability needs η < 2/λ_max(H) ≤ 2/(σ_max(F)² λ_max(S₂₂)), at any stable step
 * ρ_GD > 1 − 2/(κ(F)² λ_max(S₂₂)/μ_min) ≈ 1 − 2/(κ_F² κₓ): joint SGD pays both condition numbers.
 * Damped Gauss–Newton / natural gradient, e₊ = (I − η(H + λI)⁻¹H)e, has eigenvalues 1 − η h/(h + λ) on the
 * same eigenvectors, increasing as h decreases, so
 *
 *     ρ_NGD ≥ 1 − η s/(s + λ),   s = σ_min(F)² μ_min:
 *
 * the damping that full NGD needs (H is singular along the symmetry (F, G) → (FA, A⁻¹G)) slows exactly the
 * ill-conditioned directions, where KFAC's layer-wise inverse has no such trade-off. Only bounds are given here
 * because the exact joint rates depend on the balance between F and G at the point the iterates reach.
 *
 * References: Zhang, Moniri et al., ICML 2025, §3 (eq. 5) and their rate statements; Collins et al. 2021
 * (alternating minimisation–descent); the Schur-complement step is our derivation, checked numerically in
 * test/paper/linrep/theory.test.ts against a population iteration.
 */
import { Matrix } from "../../linalg/matrix.js";
import { matmul } from "../../linalg/blas.js";
import { cholesky, eigh, inv, solve, spectralNorm } from "../../linalg/index.js";
import { log } from "../../linalg/elementary.js";

/** The geometry the rates depend on: the input covariance, the target subspace and the head's spectrum. */
export interface LinrepGeometry {
  /** Σₓ (d×d, symmetric positive definite). */
  sigma: Matrix;
  /** G★ (k×d) with orthonormal rows. */
  Gstar: Matrix;
  /** Singular values of the head F near the solution (σ(F★) when G has orthonormal rows). */
  headSingularValues: ArrayLike<number>;
}

/** A predicted rate and whether it is the exact linearised rate or a lower bound on it. */
export interface RatePrediction {
  rate: number;
  kind: "exact" | "lower-bound";
}

/** Left preconditioner of the G step: P_G = I or P_G = FᵀF (the backward Kronecker factor). */
export type LeftPreconditioner = "identity" | "gauss-newton";
/** Right preconditioner of the G step: Q_G = I or Q_G = Σ + λI (the forward Kronecker factor). */
export type RightPreconditioner = "identity" | "covariance";

export interface AlternatingStep {
  /** η_G. */
  eta: number;
  left: LeftPreconditioner;
  right: RightPreconditioner;
  /** λ_G added to Q_G = Σ (only with right = "covariance"). */
  damping?: number;
}

/**
 * An orthonormal basis G⊥ ((d−k)×d, rows) of the orthogonal complement of row(G★): the eigenvectors of the
 * projector I − G★ᵀG★ with eigenvalue 1.
 */
export function complementBasis(Gstar: Matrix): Matrix {
  const { rows: k, cols: d } = Gstar;
  const projector = matmul(Gstar, Gstar, { transA: true });
  for (let i = 0; i < d * d; i++) projector.data[i] = -projector.data[i];
  for (let i = 0; i < d; i++) projector.data[i * d + i] += 1;
  const { vectors } = eigh(projector); // ascending: the k zeros first, then d−k ones
  const basis = new Matrix(d - k, d);
  for (let r = 0; r < d - k; r++) for (let c = 0; c < d; c++) basis.data[r * d + c] = vectors.get(c, k + r);
  return basis;
}

/** The block B Σ Cᵀ of a d×d matrix in the bases B (rows) and C (rows). */
function block(S: Matrix, B: Matrix, C: Matrix): Matrix {
  return matmul(matmul(B, S), C, { transB: true });
}

/**
 * S_c = S₂₂ − S₂₁S₁₁⁻¹S₁₂, the Schur complement of the G★ block of Σ in the basis `complement` (= Cov(G⊥x | G★x)).
 */
export function schurComplement(sigma: Matrix, Gstar: Matrix, complement: Matrix = complementBasis(Gstar)): Matrix {
  const s11 = block(sigma, Gstar, Gstar);
  const s21 = block(sigma, complement, Gstar);
  const s22 = block(sigma, complement, complement);
  const correction = matmul(matmul(s21, inv(s11)), s21, { transB: true });
  const m = s22.rows;
  const out = new Matrix(m, m);
  for (let i = 0; i < m * m; i++) out.data[i] = s22.data[i] - correction.data[i];
  symmetrize(out);
  return out;
}

function symmetrize(A: Matrix): void {
  const n = A.rows;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const v = 0.5 * (A.data[i * n + j] + A.data[j * n + i]);
      A.data[i * n + j] = A.data[j * n + i] = v;
    }
  }
}

/**
 * The eigenvalues νⱼ (ascending) of K = S_c (Q⁻¹)₂₂, the complement-side factor of the linearised G update:
 * Q = I gives eig(S_c); Q = Σ + λI gives eig(S_c ((Σ+λI)⁻¹)₂₂) (all ones at λ = 0). Computed as the
 * eigenvalues of the symmetric Lᵀ S_c L with (Q⁻¹)₂₂ = L Lᵀ.
 */
export function complementFactors(sigma: Matrix, Gstar: Matrix, right: RightPreconditioner, damping = 0): Float64Array {
  const complement = complementBasis(Gstar);
  const sc = schurComplement(sigma, Gstar, complement);
  if (right === "identity") return eigh(sc).values;
  const d = sigma.rows;
  const q = sigma.clone();
  for (let i = 0; i < d; i++) q.data[i * d + i] += damping;
  const qInv22 = block(inv(q), complement, complement);
  symmetrize(qInv22);
  const L = cholesky(qInv22);
  const k = matmul(matmul(L, sc, { transA: true }), L);
  symmetrize(k);
  return eigh(k).values;
}

/**
 * The linearised distance curve from a given point: iterates T ↦ T − η M T K (module comment) from the point's
 * own tangent T = A⁻¹C (G = A G★ + C G⊥), with K = S_c (Q⁻¹)₂₂ and M = A⁻¹P⁻¹FᵀF A taken from `heads[t]` (the
 * head F and the representation G's scale A at step t, for example as a run reached them; the last one given
 * stays in force). Returns the spectral distances d_t = ‖T_t‖₂/√(1 + ‖T_t‖₂²) for t = 0 … count−1.
 *
 * Unlike the asymptotic rate ρ (the slowest mode at a fixed head), this keeps every mode with its amplitude at
 * the start, so it predicts the transient: while several modes of similar rate are present the distance falls
 * faster than ρᵗ. Passing the head along matters because G's scale A drifts by O(ηT) per step with the
 * least-squares head (the loss does not see A, but the step does), which over a long phase changes σ(F) = σ(F★A⁻¹)
 * and with it every head-side factor mᵢ. G must be k×d (as many hidden units as the rank of G★), G G★ᵀ invertible.
 */
export function linearisedDistances(
  sigma: Matrix,
  Gstar: Matrix,
  heads: readonly { G: Matrix; F: Matrix }[],
  step: AlternatingStep,
  count: number,
): Float64Array {
  validateStep(step.eta, step.damping ?? 0);
  if (heads.length === 0) throw new RangeError("linearisedDistances: heads must hold at least the starting point");
  const complement = complementBasis(Gstar);
  const scaleOf = (G: Matrix) => matmul(G, Gstar, { transB: true }); // A = G G★ᵀ
  let T = solve(scaleOf(heads[0].G), matmul(heads[0].G, complement, { transB: true }));
  const sc = schurComplement(sigma, Gstar, complement);
  let K = sc;
  if (step.right === "covariance") {
    const d = sigma.rows;
    const q = sigma.clone();
    for (let i = 0; i < d; i++) q.data[i * d + i] += step.damping ?? 0;
    K = matmul(sc, block(inv(q), complement, complement));
  }
  const headFactor = (h: { G: Matrix; F: Matrix }) => {
    const A = scaleOf(h.G);
    return solve(A, matmul(matmul(h.F, h.F, { transA: true }), A));
  };
  let M: Matrix | null = null;
  const out = new Float64Array(count);
  for (let t = 0; t < count; t++) {
    const tan = spectralNorm(T);
    out[t] = tan / Math.sqrt(1 + tan * tan);
    if (step.left === "identity" && (M === null || t < heads.length))
      M = headFactor(heads[Math.min(t, heads.length - 1)]);
    const TK = matmul(T, K);
    const update = M ? matmul(M, TK) : TK;
    const next = T.clone();
    for (let i = 0; i < next.data.length; i++) next.data[i] -= step.eta * update.data[i];
    T = next;
  }
  return out;
}

/** ρ = max over i, j of |1 − η mᵢ νⱼ|: the spectral radius of T ↦ T − η M T K. */
export function contractionFactor(eta: number, head: ArrayLike<number>, complement: ArrayLike<number>): number {
  let rho = 0;
  for (let i = 0; i < head.length; i++) {
    for (let j = 0; j < complement.length; j++) rho = Math.max(rho, Math.abs(1 - eta * head[i] * complement[j]));
  }
  return rho;
}

/** The head factors mᵢ: eigenvalues of P⁻¹FᵀF, i.e. σᵢ(F)² for P = I and 1 for P = FᵀF. */
function headFactors(geometry: LinrepGeometry, left: LeftPreconditioner): Float64Array {
  const s = Float64Array.from(geometry.headSingularValues);
  return left === "identity" ? s.map((v) => v * v) : s.map(() => 1);
}

/**
 * The exact local rate ρ = max |1 − η mᵢ νⱼ| of the spectral subspace distance for the alternating scheme
 * (eq. 5) with the least-squares head, population limit (derivation in the module comment).
 */
export function alternatingRate(geometry: LinrepGeometry, step: AlternatingStep): RatePrediction {
  validateStep(step.eta, step.damping ?? 0);
  const nu = complementFactors(geometry.sigma, geometry.Gstar, step.right, step.damping ?? 0);
  return { rate: contractionFactor(step.eta, headFactors(geometry, step.left), nu), kind: "exact" };
}

/** s = σ_min(F)² μ_min(S_c): the smallest curvature of the loss along a change of subspace. */
export function smallestSubspaceCurvature(geometry: LinrepGeometry): number {
  const mu = complementFactors(geometry.sigma, geometry.Gstar, "identity");
  const sigmaMin = Math.min(...Array.from(geometry.headSingularValues));
  return sigmaMin * sigmaMin * mu[0];
}

/** Lower bound ρ_GD ≥ |1 − η s| on joint gradient descent's local rate (module comment). */
export function jointGradientRateBound(geometry: LinrepGeometry, eta: number): RatePrediction {
  validateStep(eta, 0);
  return { rate: Math.abs(1 - eta * smallestSubspaceCurvature(geometry)), kind: "lower-bound" };
}

/** Lower bound ρ_NGD ≥ |1 − η s/(s + λ)| on damped Gauss–Newton's local rate (module comment). */
export function dampedGaussNewtonRateBound(geometry: LinrepGeometry, eta: number, damping: number): RatePrediction {
  validateStep(eta, damping);
  const s = smallestSubspaceCurvature(geometry);
  return { rate: Math.abs(1 - (eta * s) / (s + damping)), kind: "lower-bound" };
}

function validateStep(eta: number, damping: number): void {
  if (!(eta > 0) || !Number.isFinite(eta))
    throw new RangeError(`step size eta must be a finite number > 0, got ${eta}`);
  if (!(damping >= 0) || !Number.isFinite(damping)) {
    throw new RangeError(`damping must be a finite number ≥ 0, got ${damping}`);
  }
}

/**
 * Steps to reach `target` from `initialDistance` if the distance contracted geometrically at `rate` from the
 * start: ⌈log(target/d₀)/log ρ⌉ (0 when d₀ ≤ target, 1 when ρ = 0, null when ρ ≥ 1). The early phase far from
 * the solution is not linear, so this is the linear-phase extrapolation drawn against measured steps.
 */
export function predictedStepsToTarget(rate: number, initialDistance: number, target: number): number | null {
  if (initialDistance <= target) return 0;
  if (!(rate < 1)) return null;
  if (rate <= 0) return 1;
  return Math.max(1, Math.ceil(log(target / initialDistance) / log(rate)));
}
