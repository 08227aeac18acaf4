/**
 * Seeded parameter initialisation following PyTorch's conventions (torch.nn.init).
 */
import { Matrix } from "../linalg/matrix.js";
import type { Rng } from "../random/rng.js";
import type { ParamSpec } from "./layer.js";

/** The initialisation schemes `sequential` accepts. */
export const INIT_SCHEMES = ["pytorch", "he", "glorot"] as const;
export type InitScheme = (typeof INIT_SCHEMES)[number];

/**
 * A fresh parameter. Batch-norm scale 1 and shift 0 under every scheme. Dense and conv2d weights (fan_in = inputs
 * per output, fan_out = outputs per input, including the kernel area for conv2d):
 * - "pytorch": nn.Linear/nn.Conv2d's default, kaiming_uniform_(a = √5), i.e. W ~ U(−1/√fan_in, 1/√fan_in),
 *   and bias ~ U(−1/√fan_in, 1/√fan_in);
 * - "he": kaiming_normal_(nonlinearity = "relu", mode = "fan_in"), W ~ N(0, 2/fan_in) (He et al. 2015), bias 0;
 * - "glorot": xavier_uniform_, W ~ U(−√(6/(fan_in + fan_out)), +√(6/(fan_in + fan_out))) (Glorot & Bengio
 *   2010), bias 0.
 */
export function initParam(spec: ParamSpec, scheme: InitScheme, rng: Rng): Matrix {
  const m = new Matrix(spec.rows, spec.cols);
  if (spec.role === "scale") m.data.fill(1);
  else if (scheme === "pytorch" && spec.role !== "shift") fillUniform(m.data, 1 / Math.sqrt(spec.fanIn), rng);
  else if (scheme === "he" && spec.role === "weight") fillNormal(m.data, Math.sqrt(2 / spec.fanIn), rng);
  else if (scheme === "glorot" && spec.role === "weight") {
    fillUniform(m.data, Math.sqrt(6 / (spec.fanIn + spec.fanOut)), rng);
  }
  return m;
}

function fillUniform(d: Float64Array, bound: number, rng: Rng): void {
  for (let k = 0; k < d.length; k++) d[k] = bound * (2 * rng.uniform() - 1);
}

function fillNormal(d: Float64Array, std: number, rng: Rng): void {
  rng.fillNormal(d);
  for (let k = 0; k < d.length; k++) d[k] *= std;
}
