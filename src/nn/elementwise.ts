/**
 * Activation layers: a scalar function σ applied to every entry, out = σ(in), with input gradient σ′(in) ⊙ g.
 * The scalar math is the one the paper's toy models use (src/nn/activations.ts).
 */
import { Matrix } from "../linalg/matrix.js";
import { tanh as tanhOf } from "../linalg/elementary.js";
import { ACTIVATIONS } from "./activations.js";
import type { BuiltLayer, Layer } from "./layer.js";

/** What the backward pass keeps: the input and the output (σ′ is cheaper from the output for relu and tanh). */
interface ElementwiseCache {
  x: Matrix;
  out: Matrix;
}

/**
 * The two loops of one activation. Each activation has its own loop functions (not one loop calling σ through
 * a shared closure) so every call site stays monomorphic and the JIT inlines σ.
 */
interface ElementwiseKernels {
  forward(x: Float64Array, out: Float64Array): void;
  backward(g: Float64Array, x: Float64Array, out: Float64Array, dIn: Float64Array): void;
}

function elementwise(kind: string, kernels: ElementwiseKernels): Layer {
  return {
    kind,
    build: (input): BuiltLayer<ElementwiseCache> => ({
      kind,
      inputShape: input,
      outputShape: input,
      params: [],
      state: [],
      forward(_p, x) {
        const out = new Matrix(x.rows, x.cols);
        kernels.forward(x.data, out.data);
        return { out, cache: { x, out } };
      },
      backward(dOut, { x, out }, _p, request) {
        if (!request.inputGrad) return {};
        const dIn = new Matrix(dOut.rows, dOut.cols);
        kernels.backward(dOut.data, x.data, out.data, dIn.data);
        return { dIn };
      },
    }),
  };
}

const { relu: reluFn, gelu: geluFn } = ACTIVATIONS;

const RELU: ElementwiseKernels = {
  forward(x, out) {
    for (let k = 0; k < x.length; k++) out[k] = reluFn.f(x[k]);
  },
  backward(g, x, _out, dIn) {
    for (let k = 0; k < g.length; k++) dIn[k] = reluFn.df(x[k]) * g[k];
  },
};

const TANH: ElementwiseKernels = {
  forward(x, out) {
    for (let k = 0; k < x.length; k++) out[k] = tanhOf(x[k]);
  },
  backward(g, _x, out, dIn) {
    for (let k = 0; k < g.length; k++) dIn[k] = g[k] * (1 - out[k] * out[k]);
  },
};

const GELU: ElementwiseKernels = {
  forward(x, out) {
    for (let k = 0; k < x.length; k++) out[k] = geluFn.f(x[k]);
  },
  backward(g, x, _out, dIn) {
    for (let k = 0; k < g.length; k++) dIn[k] = g[k] * geluFn.df(x[k]);
  },
};

/** ReLU (Nair & Hinton 2010), σ(t) = max(t, 0), σ′(t) = 1 for t > 0 and 0 otherwise (PyTorch's convention at 0). */
export function relu(): Layer {
  return elementwise("relu", RELU);
}

/** The hyperbolic tangent σ(t) = tanh t, with σ′ = 1 − σ² computed from the stored output (PyTorch's nn.Tanh). */
export function tanh(): Layer {
  return elementwise("tanh", TANH);
}

/**
 * GELU in its exact form σ(t) = t Φ(t), σ′(t) = Φ(t) + t φ(t) (Hendrycks & Gimpel 2016; PyTorch's default,
 * approximate = "none"), with Φ through an erf accurate to about 1e-15.
 */
export function gelu(): Layer {
  return elementwise("gelu", GELU);
}
