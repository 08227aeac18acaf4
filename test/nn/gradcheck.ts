/** Central finite differences for the layer and network tests. */
import { Matrix } from "../../src/linalg/matrix.js";
import { Rng } from "../../src/random/rng.js";
import { gaussianMatrix } from "../../src/random/matrices.js";
import type { ForwardContext, Layer, Shape } from "../../src/nn/layer.js";
import type { Params } from "../../src/nn/types.js";

/** (f(v + h) − f(v − h)) / 2h for entry k of `arr`, restoring it afterwards. */
export function centralDifference(arr: Float64Array, k: number, f: () => number, h = 1e-6): number {
  const saved = arr[k];
  arr[k] = saved + h;
  const up = f();
  arr[k] = saved - h;
  const down = f();
  arr[k] = saved;
  return (up - down) / (2 * h);
}

/** max_k |a_k − b_k| / (1 + |b_k|). */
export function maxRelativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let k = 0; k < a.length; k++) worst = Math.max(worst, Math.abs(a[k] - b[k]) / (1 + Math.abs(b[k])));
  return worst;
}

/**
 * Builds `layer` for `shape`, draws parameters, inputs x (n rows) and a weighting R, and compares the layer's
 * backward pass for f = Σ R ⊙ forward(x) with central differences of f: the input gradient dIn = ∂f/∂x and the
 * parameter gradients, which the layer returns divided by n (mean-loss convention).
 */
export function layerGradientErrors(
  layer: Layer,
  shape: Shape,
  n: number,
  seed: number,
  ctx: ForwardContext = { train: true },
): { input: number; params: Record<string, number>; built: ReturnType<Layer["build"]> } {
  const rng = new Rng(seed);
  const built = layer.build(shape, 0);
  const params: Params = {};
  for (const spec of built.params) params[spec.key] = gaussianMatrix(rng, spec.rows, spec.cols);
  const x = gaussianMatrix(
    rng,
    n,
    shape.reduce((a, b) => a * b, 1),
  );
  const probe = built.forward(params, x, ctx).out;
  const R = gaussianMatrix(rng, probe.rows, probe.cols);
  const f = (): number => {
    const out = built.forward(params, x, ctx).out;
    let s = 0;
    for (let k = 0; k < out.data.length; k++) s += R.data[k] * out.data[k];
    return s;
  };
  const { cache } = built.forward(params, x, ctx);
  const back = built.backward(R, cache, params, { grads: true, inputGrad: true });
  const fdInput = x.data.map((_, k) => centralDifference(x.data, k, f));
  const result = {
    input: maxRelativeError((back.dIn as Matrix).data, fdInput),
    params: {} as Record<string, number>,
    built,
  };
  for (const spec of built.params) {
    const p = params[spec.key].data;
    const fdP = p.map((_, k) => centralDifference(p, k, f) / n);
    result.params[spec.key] = maxRelativeError((back.grads as Params)[spec.key].data, fdP);
  }
  return result;
}
