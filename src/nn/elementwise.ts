/**
 * Activation layers: a scalar function σ applied to every entry, out = σ(in), with input gradient σ′(in) ⊙ g.
 * The scalar math is the one the paper's toy models use (src/nn/activations.ts).
 */
import { Matrix } from "../linalg/matrix.js";
import { ACTIVATIONS, type Activation } from "./activations.js";
import type { BuiltLayer, Layer } from "./layer.js";

/** What the backward pass keeps: the input, and the output for σ′ expressed through it (tanh). */
interface ElementwiseCache {
  x: Matrix;
  out: Matrix;
}

function elementwise(act: Activation): Layer {
  const fromOutput = act.dfFromOutput;
  return {
    kind: act.name,
    build: (input): BuiltLayer<ElementwiseCache> => ({
      kind: act.name,
      inputShape: input,
      outputShape: input,
      params: [],
      state: [],
      forward(_p, x) {
        const out = new Matrix(x.rows, x.cols);
        const [xd, od] = [x.data, out.data];
        for (let k = 0; k < xd.length; k++) od[k] = act.f(xd[k]);
        return { out, cache: { x, out } };
      },
      backward(dOut, { x, out }, _p, request) {
        if (!request.inputGrad) return {};
        const dIn = new Matrix(dOut.rows, dOut.cols);
        const [g, d] = [dOut.data, dIn.data];
        if (fromOutput) {
          const od = out.data;
          for (let k = 0; k < g.length; k++) d[k] = g[k] * fromOutput(od[k]);
        } else {
          const xd = x.data;
          for (let k = 0; k < g.length; k++) d[k] = g[k] * act.df(xd[k]);
        }
        return { dIn };
      },
    }),
  };
}

/** ReLU, σ(t) = max(t, 0), σ′(t) = 1 for t > 0 and 0 otherwise (PyTorch's convention at 0). */
export function relu(): Layer {
  return elementwise(ACTIVATIONS.relu);
}

/** tanh, with σ′ = 1 − σ² computed from the stored output. */
export function tanh(): Layer {
  return elementwise(ACTIVATIONS.tanh);
}

/**
 * GELU in its exact form σ(t) = t Φ(t), σ′(t) = Φ(t) + t φ(t) (Hendrycks & Gimpel 2016; PyTorch's default,
 * approximate = "none"), with Φ through an erf accurate to about 1e-15.
 */
export function gelu(): Layer {
  return elementwise(ACTIVATIONS.gelu);
}
