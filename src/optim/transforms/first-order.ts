/**
 * First-order optimizers with PyTorch's update rules (torch.optim.SGD, Adam, AdamW), as transforms: `update`
 * returns the step to add to the parameters (−lr·direction). Their moment arithmetic is shared with the
 * optimizers that run Adam inside another method (Shampoo's graft, SOAP, Muon's auxiliary AdamW).
 */
import { Matrix } from "../../linalg/matrix.js";
import { pow } from "../../linalg/elementary.js";
import type { Params } from "../../nn/types.js";
import type { GradientTransformation } from "../transform.js";
import { checkBoolean, checkKnownFields, checkLearningRate, checkNumber, OptionError } from "./options.js";
import { checkSameShapes, zerosLike } from "./params.js";
import { learningRateAt, type LearningRate } from "./schedule.js";

export interface SgdOptions {
  /** Step size η > 0, or a schedule. */
  learningRate: LearningRate;
  /** Momentum μ ∈ [0, 1), default 0. */
  momentum?: number;
  /** Nesterov momentum (needs μ > 0), default false. */
  nesterov?: boolean;
  /** L2 penalty added to the gradient, default 0. */
  weightDecay?: number;
}

export interface SgdState {
  /** Updates taken so far. */
  count: number;
  /** The momentum buffers (null until the first step, or when μ = 0). */
  momentum: Params | null;
}

/** The parameters an update needs, refusing their absence (weight decay reads θ). */
export function requireParams(where: string, grads: Params, params: Params | undefined): Params {
  if (params === undefined) throw new TypeError(`${where}: update needs the current params (weight decay reads them)`);
  checkSameShapes(where, grads, "grads", params, "params");
  return params;
}

/**
 * SGD with momentum as torch.optim.SGD (dampening 0): d = ∇ + λθ; b ← d at the first step, then b ← μb + d;
 * direction d + μb (Nesterov) or b; update −η·direction. Sutskever et al. 2013 for the momentum forms.
 */
export function sgd(options: SgdOptions): GradientTransformation<SgdState> {
  const name = "sgd";
  checkKnownFields(name, options, ["learningRate", "momentum", "nesterov", "weightDecay"]);
  const lr = checkLearningRate(name, "learningRate", options.learningRate);
  const mu = checkNumber(name, "momentum", options.momentum ?? 0, 0, 1, { openHigh: true });
  const nesterov = checkBoolean(name, "nesterov", options.nesterov ?? false);
  const wd = checkNumber(name, "weightDecay", options.weightDecay ?? 0, 0, Infinity);
  if (nesterov && mu === 0)
    throw new OptionError(name, "nesterov", true, "false when momentum is 0 (Nesterov needs a momentum > 0)");
  return {
    init: () => ({ count: 0, momentum: null }),
    // Reads no layer statistics: the pass need not compute them.
    needsStats: () => false,
    update(grads, state, params, ctx) {
      const theta = wd > 0 ? requireParams(name, grads, params) : undefined;
      const eta = learningRateAt(name, lr, state.count);
      const donate = ctx?.donate === true;
      const updates: Params = {};
      const momentum: Params | null = mu > 0 ? {} : null;
      for (const [key, g] of Object.entries(grads)) {
        // Donated: u overwrites g entry by entry (each g[i] is read before u[i] is written).
        const u = donate ? g : new Matrix(g.rows, g.cols);
        if (momentum) {
          // b may reuse the previous buffer only without weight decay: with it, b first holds d = ∇ + λθ.
          const prev = state.momentum?.[key];
          const b = donate && prev && !theta ? prev : new Matrix(g.rows, g.cols);
          sgdMomentumPass(
            g.data,
            theta?.[key].data,
            wd,
            state.momentum?.[key]?.data,
            mu,
            nesterov,
            eta,
            b.data,
            u.data,
          );
          momentum[key] = b;
        } else sgdPlainPass(g.data, theta?.[key].data, wd, eta, u.data);
        updates[key] = u;
      }
      return { updates, state: { count: state.count + 1, momentum } };
    },
  };
}

/** u ← −η·(∇ + λθ) (θ absent: −η·∇), one pass. */
function sgdPlainPass(
  g: Float64Array,
  theta: Float64Array | undefined,
  wd: number,
  eta: number,
  u: Float64Array,
): void {
  const n = g.length;
  if (theta) for (let i = 0; i < n; i++) u[i] = -eta * (g[i] + wd * theta[i]);
  else for (let i = 0; i < n; i++) u[i] = -eta * g[i];
}

/**
 * One pass of SGD with momentum over a parameter: d = ∇ + λθ, b ← μ·b_prev + d (b ← d without b_prev),
 * u ← −η·(d + μb) (Nesterov) or −η·b, writing b and u. The four loops keep the branches out of the hot loop;
 * each evaluates exactly the expressions of torch.optim.SGD in the same order, so the results are bit-for-bit
 * those of the unfused rule. u may be g's array, and b may be b_prev's when there is no θ (every entry is read
 * before it is written).
 */
function sgdMomentumPass(
  g: Float64Array,
  theta: Float64Array | undefined,
  wd: number,
  prev: Float64Array | undefined,
  mu: number,
  nesterov: boolean,
  eta: number,
  b: Float64Array,
  u: Float64Array,
): void {
  const n = g.length;
  // Weight decay is folded into a read of the gradient: d is g itself when there is none.
  let d = g;
  if (theta) {
    d = b; // b's buffer holds d until b overwrites it entry by entry below (b[i] reads d[i] first)
    for (let i = 0; i < n; i++) d[i] = g[i] + wd * theta[i];
  }
  if (prev && nesterov)
    for (let i = 0; i < n; i++) {
      const di = d[i];
      const bi = mu * prev[i] + di;
      b[i] = bi;
      u[i] = -eta * (di + mu * bi);
    }
  else if (prev) heavyBallPass(d, prev, mu, eta, b, u);
  else if (nesterov)
    for (let i = 0; i < n; i++) {
      const di = d[i];
      b[i] = di;
      u[i] = -eta * (di + mu * di);
    }
  else
    for (let i = 0; i < n; i++) {
      const di = d[i];
      b[i] = di;
      u[i] = -eta * di;
    }
}

/**
 * b ← μ·b_prev + d, u ← −η·b: the common case of `sgdMomentumPass` (momentum, no Nesterov), four entries per
 * iteration because V8 runs that form 1.5× faster (fewer bound checks and loop tests per entry); the same
 * expressions per entry, so the same bits.
 */
function heavyBallPass(
  d: Float64Array,
  prev: Float64Array,
  mu: number,
  eta: number,
  b: Float64Array,
  u: Float64Array,
): void {
  const n = d.length;
  const body = n - (n & 3);
  let i = 0;
  for (; i < body; i += 4) {
    const b0 = mu * prev[i] + d[i];
    const b1 = mu * prev[i + 1] + d[i + 1];
    const b2 = mu * prev[i + 2] + d[i + 2];
    const b3 = mu * prev[i + 3] + d[i + 3];
    b[i] = b0;
    b[i + 1] = b1;
    b[i + 2] = b2;
    b[i + 3] = b3;
    u[i] = -eta * b0;
    u[i + 1] = -eta * b1;
    u[i + 2] = -eta * b2;
    u[i + 3] = -eta * b3;
  }
  for (; i < n; i++) {
    const bi = mu * prev[i] + d[i];
    b[i] = bi;
    u[i] = -eta * bi;
  }
}

export interface AdamOptions {
  /** Step size η > 0, or a schedule. */
  learningRate: LearningRate;
  /** First-moment decay β₁ ∈ [0, 1), default 0.9. */
  b1?: number;
  /** Second-moment decay β₂ ∈ [0, 1), default 0.999. */
  b2?: number;
  /** ε > 0 added to √v̂, default 1e-8. */
  eps?: number;
}

export interface AdamWOptions extends AdamOptions {
  /** Decoupled weight decay λ ≥ 0, default 0.01. */
  weightDecay?: number;
}

export interface AdamState {
  count: number;
  /** First moments m (zeros at init). */
  m: Params;
  /** Second moments v (zeros at init). */
  v: Params;
}

/** Adam's hyper-parameters after validation. */
export interface AdamHyper {
  b1: number;
  b2: number;
  eps: number;
}

/** Validates b1, b2, eps of an Adam-like optimizer (defaults 0.9, 0.999, 1e-8 unless given). */
export function adamHyper(
  name: string,
  options: { b1?: number; b2?: number; eps?: number },
  defaults: AdamHyper = { b1: 0.9, b2: 0.999, eps: 1e-8 },
): AdamHyper {
  return {
    b1: checkNumber(name, "b1", options.b1 ?? defaults.b1, 0, 1, { openHigh: true }),
    b2: checkNumber(name, "b2", options.b2 ?? defaults.b2, 0, 1, { openHigh: true }),
    eps: checkNumber(name, "eps", options.eps ?? defaults.eps, 0, Infinity, { openLow: true }),
  };
}

/** What `adamPass` writes to its output: the bare direction, or the update −η·direction (− ηλ·θ with θ). */
export interface AdamStepScale {
  /** Step size η. */
  eta: number;
  /** Decoupled weight decay λ (read only with theta). */
  wd: number;
  /** The parameter θ, for the decoupled decay; omitted: none. */
  theta?: Float64Array;
}

/**
 * One fused pass of Adam over a parameter (Kingma & Ba 2015, Algorithm 1, with torch.optim.Adam's ε outside the
 * bias-corrected square root), for step t (1-based):
 *   m' = β₁m + (1−β₁)g,  v' = β₂v + (1−β₂)g²,  d = (m'/(1−β₁ᵗ)) / (√v'/√(1−β₂ᵗ) + ε),
 * writing m' to mOut, v' to vOut and to out either d (`scale` null) or the update −η·d, or −ηλ·θ − η·d with θ
 * (AdamW's decoupled decay). The outputs are arrays of g's length; each may be its own input's array (mOut = m,
 * vOut = v, out = g: every entry is read before it is written), but out must not alias m or v. The expressions and their order are those of the per-step formulas, so fusing the passes
 * changes no bit.
 */
export function adamPass(
  g: Float64Array,
  m: Float64Array,
  v: Float64Array,
  t: number,
  h: AdamHyper,
  mOut: Float64Array,
  vOut: Float64Array,
  out: Float64Array,
  scale: AdamStepScale | null = null,
): void {
  const { b1, b2, eps } = h;
  const c1 = 1 - b1;
  const c2 = 1 - b2;
  const bc1 = 1 - pow(b1, t);
  const bc2Sqrt = Math.sqrt(1 - pow(b2, t));
  const n = g.length;
  if (scale === null) {
    for (let i = 0; i < n; i++) {
      const gi = g[i];
      const mi = b1 * m[i] + c1 * gi;
      const vi = b2 * v[i] + c2 * gi * gi;
      mOut[i] = mi;
      vOut[i] = vi;
      out[i] = mi / bc1 / (Math.sqrt(vi) / bc2Sqrt + eps);
    }
    return;
  }
  const eta = scale.eta;
  const theta = scale.theta;
  if (theta) {
    const decay = -eta * scale.wd;
    for (let i = 0; i < n; i++) {
      const gi = g[i];
      const mi = b1 * m[i] + c1 * gi;
      const vi = b2 * v[i] + c2 * gi * gi;
      mOut[i] = mi;
      vOut[i] = vi;
      out[i] = decay * theta[i] - eta * (mi / bc1 / (Math.sqrt(vi) / bc2Sqrt + eps));
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    const gi = g[i];
    const mi = b1 * m[i] + c1 * gi;
    const vi = b2 * v[i] + c2 * gi * gi;
    mOut[i] = mi;
    vOut[i] = vi;
    out[i] = -eta * (mi / bc1 / (Math.sqrt(vi) / bc2Sqrt + eps));
  }
}

function adamLike(name: string, lr: LearningRate, h: AdamHyper, wd: number): GradientTransformation<AdamState> {
  return {
    init: (params) => ({ count: 0, m: zerosLike(params), v: zerosLike(params) }),
    // Reads no layer statistics: the pass need not compute them.
    needsStats: () => false,
    update(grads, state, params, ctx) {
      const theta = wd > 0 ? requireParams(name, grads, params) : undefined;
      checkSameShapes(name, grads, "grads", state.m, "state");
      const t = state.count + 1;
      const eta = learningRateAt(name, lr, state.count);
      const donate = ctx?.donate === true;
      const updates: Params = {};
      const m: Params = {};
      const v: Params = {};
      for (const [key, g] of Object.entries(grads)) {
        const mk = donate ? state.m[key] : new Matrix(g.rows, g.cols);
        const vk = donate ? state.v[key] : new Matrix(g.rows, g.cols);
        const u = donate ? g : new Matrix(g.rows, g.cols);
        adamPass(g.data, state.m[key].data, state.v[key].data, t, h, mk.data, vk.data, u.data, {
          eta,
          wd,
          theta: theta?.[key].data,
        });
        m[key] = mk;
        v[key] = vk;
        updates[key] = u;
      }
      return { updates, state: { count: t, m, v } };
    },
  };
}

/**
 * Adam (Kingma & Ba 2015) with torch.optim.Adam's arithmetic: m ← β₁m + (1−β₁)∇, v ← β₂v + (1−β₂)∇²,
 * update −η·(m/(1−β₁ᵗ)) / (√v/√(1−β₂ᵗ) + ε).
 */
export function adam(options: AdamOptions): GradientTransformation<AdamState> {
  checkKnownFields("adam", options, ["learningRate", "b1", "b2", "eps"]);
  const lr = checkLearningRate("adam", "learningRate", options.learningRate);
  return adamLike("adam", lr, adamHyper("adam", options), 0);
}

/**
 * AdamW (Loshchilov & Hutter 2019) as torch.optim.AdamW: Adam's update plus the decoupled decay −η·λ·θ
 * (PyTorch multiplies θ by 1 − ηλ before the Adam step; the sum is the same).
 */
export function adamw(options: AdamWOptions): GradientTransformation<AdamState> {
  checkKnownFields("adamw", options, ["learningRate", "b1", "b2", "eps", "weightDecay"]);
  const lr = checkLearningRate("adamw", "learningRate", options.learningRate);
  const wd = checkNumber("adamw", "weightDecay", options.weightDecay ?? 0.01, 0, Infinity);
  return adamLike("adamw", lr, adamHyper("adamw", options), wd);
}
