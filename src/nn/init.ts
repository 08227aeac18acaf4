/**
 * Seeded parameter initialisation following PyTorch's conventions (torch.nn.init).
 */
import { Matrix } from "../linalg/matrix.js";
import type { Rng } from "../random/rng.js";
import type { ParamSpec } from "./layer.js";

/** The initialisation schemes `sequential` accepts. */
export const INIT_SCHEMES = ["pytorch", "he", "glorot", "sparse"] as const;
export type InitScheme = (typeof INIT_SCHEMES)[number];

/**
 * A fresh parameter. Batch-norm scale 1 and shift 0 under every scheme. Dense and conv2d weights (fan_in = inputs
 * per output, fan_out = outputs per input, including the kernel area for conv2d):
 * - "pytorch": nn.Linear/nn.Conv2d's default, kaiming_uniform_(a = √5), i.e. W ~ U(−1/√fan_in, 1/√fan_in),
 *   and bias ~ U(−1/√fan_in, 1/√fan_in);
 * - "he": kaiming_normal_(nonlinearity = "relu", mode = "fan_in"), W ~ N(0, 2/fan_in) (He et al. 2015), bias 0;
 * - "glorot": xavier_uniform_, W ~ U(−√(6/(fan_in + fan_out)), +√(6/(fan_in + fan_out))) (Glorot & Bengio
 *   2010), bias 0;
 * - "sparse": the sparse initialisation of Martens (2010, "Deep learning via Hessian-free optimization"), used by
 *   Martens & Grosse (2015, §13) for the deep autoencoders: each output unit gets `SPARSE_INCOMING` nonzero
 *   incoming weights ~ N(0, 1) at uniformly drawn positions (all of them when fan_in is smaller), the rest 0;
 *   bias 0. Large, sparse weights keep deep logistic networks out of the saturated-or-linear regime where they
 *   sit on a plateau.
 */
export function initParam(spec: ParamSpec, scheme: InitScheme, rng: Rng): Matrix {
  const m = new Matrix(spec.rows, spec.cols);
  if (spec.role === "scale") m.data.fill(1);
  else if (scheme === "pytorch" && spec.role !== "shift") fillUniform(m.data, 1 / Math.sqrt(spec.fanIn), rng);
  else if (scheme === "he" && spec.role === "weight") fillNormal(m.data, Math.sqrt(2 / spec.fanIn), rng);
  else if (scheme === "glorot" && spec.role === "weight") {
    fillUniform(m.data, Math.sqrt(6 / (spec.fanIn + spec.fanOut)), rng);
  } else if (scheme === "sparse" && spec.role === "weight") fillSparseRows(m, SPARSE_INCOMING, rng);
  return m;
}

/** Nonzero incoming weights per unit of the "sparse" scheme (Martens 2010 used 15). */
export const SPARSE_INCOMING = 15;

/** Each row of `m` (one unit's incoming weights): `k` positions drawn without replacement, each ~ N(0, 1). */
function fillSparseRows(m: Matrix, k: number, rng: Rng): void {
  // A partial Fisher–Yates shuffle per row; the order left by the previous row does not bias the draw.
  const order = Int32Array.from({ length: m.cols }, (_, j) => j);
  const nonzero = Math.min(k, m.cols);
  for (let r = 0; r < m.rows; r++) {
    for (let j = 0; j < nonzero; j++) {
      const t = j + rng.int(m.cols - j);
      [order[j], order[t]] = [order[t], order[j]];
      m.data[r * m.cols + order[j]] = rng.normal();
    }
  }
}

function fillUniform(d: Float64Array, bound: number, rng: Rng): void {
  for (let k = 0; k < d.length; k++) d[k] = bound * (2 * rng.uniform() - 1);
}

function fillNormal(d: Float64Array, std: number, rng: Rng): void {
  rng.fillNormal(d);
  for (let k = 0; k < d.length; k++) d[k] *= std;
}
