/**
 * The optimizers as exported: each constructor under the fault policy of faults.ts (on by default), so its
 * options also take `skipNonFinite`, `faultTolerance` and `onFault`, and its state carries `faults`.
 */
import { guarded } from "./faults.js";
import { adam as adamRaw, adamw as adamwRaw, sgd as sgdRaw } from "./transforms/first-order.js";
import { muon as muonRaw } from "./transforms/muon.js";
import { ekfac as ekfacRaw, kfac as kfacRaw } from "./curvature/kfac.js";
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
/** KFAC (see curvature/kfac.ts) under the fault policy. */
export const kfac = guarded("kfac", kfacRaw);
/** EKFAC (see curvature/kfac.ts) under the fault policy. */
export const ekfac = guarded("ekfac", ekfacRaw);
/** Shampoo (see curvature/shampoo.ts) under the fault policy. */
export const shampoo = guarded("shampoo", shampooRaw);
/** SOAP (see curvature/soap.ts) under the fault policy. */
export const soap = guarded("soap", soapRaw);
