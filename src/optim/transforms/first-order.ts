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
    update(grads, state, params) {
      const theta = wd > 0 ? requireParams(name, grads, params) : undefined;
      const eta = learningRateAt(name, lr, state.count);
      const updates: Params = {};
      const momentum: Params | null = mu > 0 ? {} : null;
      for (const [key, g] of Object.entries(grads)) {
        const n = g.data.length;
        const d = new Float64Array(n);
        for (let i = 0; i < n; i++) d[i] = theta ? g.data[i] + wd * theta[key].data[i] : g.data[i];
        let dir = d;
        if (momentum) {
          const prev = state.momentum?.[key]?.data;
          const b = new Float64Array(n);
          for (let i = 0; i < n; i++) b[i] = prev ? mu * prev[i] + d[i] : d[i];
          momentum[key] = new Matrix(g.rows, g.cols, b);
          if (nesterov) {
            dir = new Float64Array(n);
            for (let i = 0; i < n; i++) dir[i] = d[i] + mu * b[i];
          } else dir = b;
        }
        const u = new Matrix(g.rows, g.cols);
        for (let i = 0; i < n; i++) u.data[i] = -eta * dir[i];
        updates[key] = u;
      }
      return { updates, state: { count: state.count + 1, momentum } };
    },
  };
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

/** m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g² (new arrays; Kingma & Ba 2015, Algorithm 1). */
export function adamMoments(
  g: Float64Array,
  m: Float64Array,
  v: Float64Array,
  h: AdamHyper,
): { m: Float64Array; v: Float64Array } {
  const n = g.length;
  const m2 = new Float64Array(n);
  const v2 = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    m2[i] = h.b1 * m[i] + (1 - h.b1) * g[i];
    v2[i] = h.b2 * v[i] + (1 - h.b2) * g[i] * g[i];
  }
  return { m: m2, v: v2 };
}

/**
 * Adam's direction at step t (1-based) as PyTorch computes it: (m/(1−β₁ᵗ)) / (√v/√(1−β₂ᵗ) + ε), i.e. ε outside the
 * bias-corrected square root.
 */
export function adamDirection(m: Float64Array, v: Float64Array, t: number, h: AdamHyper): Float64Array {
  const bc1 = 1 - pow(h.b1, t);
  const bc2Sqrt = Math.sqrt(1 - pow(h.b2, t));
  const out = new Float64Array(m.length);
  for (let i = 0; i < m.length; i++) out[i] = m[i] / bc1 / (Math.sqrt(v[i]) / bc2Sqrt + h.eps);
  return out;
}

function adamLike(name: string, lr: LearningRate, h: AdamHyper, wd: number): GradientTransformation<AdamState> {
  return {
    init: (params) => ({ count: 0, m: zerosLike(params), v: zerosLike(params) }),
    update(grads, state, params) {
      const theta = wd > 0 ? requireParams(name, grads, params) : undefined;
      checkSameShapes(name, grads, "grads", state.m, "state");
      const t = state.count + 1;
      const eta = learningRateAt(name, lr, state.count);
      const updates: Params = {};
      const m: Params = {};
      const v: Params = {};
      for (const [key, g] of Object.entries(grads)) {
        const next = adamMoments(g.data, state.m[key].data, state.v[key].data, h);
        m[key] = new Matrix(g.rows, g.cols, next.m);
        v[key] = new Matrix(g.rows, g.cols, next.v);
        const d = adamDirection(next.m, next.v, t, h);
        const u = new Matrix(g.rows, g.cols);
        for (let i = 0; i < d.length; i++)
          u.data[i] = theta ? -eta * wd * theta[key].data[i] - eta * d[i] : -eta * d[i];
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
