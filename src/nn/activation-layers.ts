/**
 * Activation layers: a scalar function σ applied to every entry, out = σ(in), with input gradient σ′(in) ⊙ g.
 * relu, tanh and sigmoid run on the SIMD kernels of src/linalg/elementwise.ts and differentiate through their output
 * (relu′ = [out > 0], tanh′ = 1 − out², sigmoid′ = out(1 − out)), so a dense layer before them can apply them in its GEMM's epilogue
 * (`fusedActivation`); gelu keeps the scalar math of src/nn/activations.ts.
 */
import { activationBackward, applyElementwise } from "../linalg/elementwise.js";
import { Matrix } from "../linalg/matrix.js";
import { ACTIVATIONS } from "./activations.js";
import type { BuiltLayer, Layer } from "./layer.js";

/**
 * An activation computed by a SIMD kernel; its cache is its output (what its backward pass needs, and what a fused
 * product hands it).
 */
function kernelActivation(kind: "relu" | "tanh" | "sigmoid"): Layer {
  return {
    kind,
    spec: { kind, args: [] },
    build: (input): BuiltLayer<Matrix> => ({
      kind,
      inputShape: input,
      outputShape: input,
      params: [],
      state: [],
      fusedActivation: kind,
      forward(_p, x) {
        const out = applyElementwise(kind, x);
        return { out, cache: out };
      },
      backward(dOut, out, _p, request) {
        if (!request.inputGrad) return {};
        return { dIn: activationBackward(kind, out, dOut) };
      },
    }),
  };
}

/** ReLU (Nair & Hinton 2010), σ(t) = max(t, 0), σ′(t) = 1 for t > 0 and 0 otherwise (PyTorch's convention at 0). */
export function relu(): Layer {
  return kernelActivation("relu");
}

/**
 * The hyperbolic tangent σ(t) = tanh t (SIMD kernel, ≤ 4 ulps), with σ′ = 1 − σ² computed from the stored output
 * (PyTorch's nn.Tanh).
 */
export function tanh(): Layer {
  return kernelActivation("tanh");
}

/**
 * The logistic sigmoid σ(t) = 1/(1 + e⁻ᵗ) (SIMD kernel, ≤ 1 ulp), with σ′ = σ(1 − σ) computed from the stored
 * output (PyTorch's nn.Sigmoid).
 */
export function sigmoid(): Layer {
  return kernelActivation("sigmoid");
}

const { gelu: geluFn } = ACTIVATIONS;

/**
 * GELU in its exact form σ(t) = t Φ(t), σ′(t) = Φ(t) + t φ(t) (Hendrycks & Gimpel 2016; PyTorch's default,
 * approximate = "none"), with Φ through an erf accurate to about 1e-15. Its cache is its input.
 */
export function gelu(): Layer {
  return {
    kind: "gelu",
    spec: { kind: "gelu", args: [] },
    build: (input): BuiltLayer<Matrix> => ({
      kind: "gelu",
      inputShape: input,
      outputShape: input,
      params: [],
      state: [],
      forward(_p, x) {
        const out = new Matrix(x.rows, x.cols);
        const xs = x.data;
        const o = out.data;
        for (let k = 0; k < xs.length; k++) o[k] = geluFn.f(xs[k]);
        return { out, cache: x };
      },
      backward(dOut, x, _p, request) {
        if (!request.inputGrad) return {};
        const dIn = new Matrix(dOut.rows, dOut.cols);
        const g = dOut.data;
        const xs = x.data;
        const d = dIn.data;
        for (let k = 0; k < g.length; k++) d[k] = g[k] * geluFn.df(xs[k]);
        return { dIn };
      },
    }),
  };
}
