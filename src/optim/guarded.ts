/**
 * The optimizers as exported: each constructor under the fault policy of faults.ts (on by default), so its
 * options also take `skipNonFinite`, `faultTolerance` and `onFault`, and its state carries `faults`.
 */
import type { GradientTransformation } from "./transform.js";
import { guarded, type FaultOptions, type Guarded } from "./faults.js";
import type { AdaptiveState } from "./curvature/adaptive.js";
import { adam as adamRaw, adamw as adamwRaw, sgd as sgdRaw } from "./transforms/first-order.js";
import { muon as muonRaw } from "./transforms/muon.js";
import {
  ekfac as ekfacRaw,
  kfac as kfacRaw,
  type AdaptiveKfacOptions,
  type KfacOptions,
  type KfacState,
} from "./curvature/kfac.js";
import { shampoo as shampooRaw } from "./curvature/shampoo.js";
import { soap as soapRaw } from "./curvature/soap.js";

/** SGD (see transforms/first-order.ts) under the fault policy. */
export const sgd = guarded("sgd", sgdRaw);
/** Adam (see transforms/first-order.ts) under the fault policy. */
export const adam = guarded("adam", adamRaw);
/** AdamW (see transforms/first-order.ts) under the fault policy. */
export const adamw = guarded("adamw", adamwRaw);
/** Muon (see transforms/muon.ts) under the fault policy. */
export const muon = guarded("muon", muonRaw);
// kfac and ekfac have two forms (a learning rate, or `adaptive: true`); `guarded` would keep only the last
// overload's type, so both forms are spelled out here around one guarded constructor each.
type KfacFamily = (
  options: KfacOptions | AdaptiveKfacOptions,
) => GradientTransformation<KfacState | AdaptiveState<KfacState>>;
const guardedKfac = guarded("kfac", kfacRaw as KfacFamily);
const guardedEkfac = guarded("ekfac", ekfacRaw as KfacFamily);

/** KFAC (see curvature/kfac.ts) under the fault policy. */
export function kfac(options: KfacOptions & FaultOptions): GradientTransformation<Guarded<KfacState>>;
/** Adaptive KFAC (see curvature/adaptive.ts) under the fault policy. */
export function kfac(
  options: AdaptiveKfacOptions & FaultOptions,
): GradientTransformation<Guarded<AdaptiveState<KfacState>>>;
export function kfac(options: (KfacOptions | AdaptiveKfacOptions) & FaultOptions): GradientTransformation<never> {
  return guardedKfac(options) as GradientTransformation<never>;
}

/** EKFAC (see curvature/kfac.ts) under the fault policy. */
export function ekfac(options: KfacOptions & FaultOptions): GradientTransformation<Guarded<KfacState>>;
/** Adaptive EKFAC (see curvature/adaptive.ts) under the fault policy. */
export function ekfac(
  options: AdaptiveKfacOptions & FaultOptions,
): GradientTransformation<Guarded<AdaptiveState<KfacState>>>;
export function ekfac(options: (KfacOptions | AdaptiveKfacOptions) & FaultOptions): GradientTransformation<never> {
  return guardedEkfac(options) as GradientTransformation<never>;
}
/** Shampoo (see curvature/shampoo.ts) under the fault policy. */
export const shampoo = guarded("shampoo", shampooRaw);
/** SOAP (see curvature/soap.ts) under the fault policy. */
export const soap = guarded("soap", soapRaw);
