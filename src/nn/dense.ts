/**
 * The fully connected layer s = W a + b (PyTorch's nn.Linear): weight out×in, bias 1×out.
 */
import { colSums } from "../linalg/elementwise.js";
import { ShapeError } from "../linalg/errors.js";
import { Matrix } from "../linalg/matrix.js";
import { productFor, type ProductInto } from "./dtype.js";
import { booleanOption, checkKeys, integerOption } from "./options.js";
import { formatShape, type BuiltLayer, type Layer, type ParamSpec, type Shape } from "./layer.js";
import type { KroneckerStats } from "./types.js";

/** Options of `dense`. */
export interface DenseOptions {
  /** Add a learned bias b (default true). */
  bias?: boolean;
}

/**
 * A fully connected layer with `inFeatures` inputs and `outFeatures` outputs: for a batch X (n×in, one example per
 * row), S = X Wᵀ + 1 bᵀ. Backward with per-example output gradients G (n×out): ∇_W L = Gᵀ X / n,
 * ∇_b L = 1ᵀ G / n, input gradients G W. Its curvature statistics are a = [X | 1] and g = G, so
 * ∇_[W|b] L = gᵀ a / n (Martens & Grosse 2015, §3).
 *
 * Each pass is one GEMM call: the forward pass adds the bias and applies a following activation in the GEMM's
 * epilogue (`sequential` fuses them), ∇_W L takes its 1/n as the GEMM's α, and ∇_b L is a column-sum kernel. The
 * products run in the network's dtype (src/nn/dtype.ts).
 */
export function dense(inFeatures: number, outFeatures: number, options: DenseOptions = {}): Layer {
  const where = "dense";
  checkKeys(where, options, ["bias"]);
  const inF = integerOption(where, "inFeatures", inFeatures);
  const outF = integerOption(where, "outFeatures", outFeatures);
  const bias = booleanOption(where, "bias", options.bias, true);
  return {
    kind: "dense",
    spec: { kind: "dense", args: [inF, outF, { bias }] },
    build: (input, index, options) =>
      buildDense(input, index, inF, outF, bias, productFor(options?.dtype ?? "float64")),
  };
}

function buildDense(
  input: Shape,
  index: number,
  inF: number,
  outF: number,
  hasBias: boolean,
  product: ProductInto,
): BuiltLayer<Matrix> {
  if (input.length !== 1) {
    throw new ShapeError(
      `layer ${index} (dense): needs flat inputs but receives shape ${formatShape(input)}; put flatten() before it`,
    );
  }
  if (input[0] !== inF) {
    throw new ShapeError(`layer ${index} (dense): inFeatures is ${inF} but the layer receives ${input[0]} features`);
  }
  const weight = `${index}.weight`;
  const bias = hasBias ? `${index}.bias` : undefined;
  const params: ParamSpec[] = [{ key: weight, rows: outF, cols: inF, role: "weight", fanIn: inF, fanOut: outF }];
  if (bias) params.push({ key: bias, rows: 1, cols: outF, role: "bias", fanIn: inF, fanOut: outF });
  return {
    kind: "dense",
    inputShape: input,
    outputShape: [outF],
    params,
    state: [],
    appliesActivation: true,
    forward(p, x, _ctx, activation) {
      const out = product(new Matrix(x.rows, outF), x, p[weight], {
        transB: true,
        bias: bias ? p[bias].data : undefined,
        activation,
      });
      return { out, cache: x };
    },
    backward(dOut, x, p, request) {
      const n = dOut.rows;
      const result: { dIn?: Matrix; grads?: Record<string, Matrix>; g: Matrix } = { g: dOut };
      if (request.grads) {
        const into = request.gradsInto;
        const dW = into?.[weight] ?? new Matrix(outF, inF);
        result.grads = { [weight]: product(dW, dOut, x, { transA: true, alpha: 1 / n }) };
        if (bias) result.grads[bias] = columnMeans(dOut, into?.[bias]);
      }
      if (request.inputGrad) result.dIn = product(new Matrix(n, inF), dOut, p[weight]);
      return result;
    },
    stats(x, result, sampled): KroneckerStats {
      return {
        kind: "dense",
        weight,
        bias,
        a: bias ? appendOnesColumn(x) : x,
        g: result.g as Matrix,
        gSampled: sampled?.g,
        batchSize: x.rows,
        positions: 1,
      };
    },
  };
}

/**
 * The column means of G as a 1×cols matrix (the bias gradient (1/n) 1ᵀG; sums by the SIMD column-sum kernel),
 * written into `into` when given.
 */
function columnMeans(G: Matrix, into?: Matrix): Matrix {
  const out = into ?? new Matrix(1, G.cols);
  out.data.set(colSums(G));
  scaleInPlace(out.data, 1 / G.rows);
  return out;
}

/** v ← c·v. */
export function scaleInPlace(v: Float64Array, c: number): void {
  for (let k = 0; k < v.length; k++) v[k] *= c;
}

/** [X | 1]: X with a trailing column of ones (the bias input of the Kronecker factor A). */
function appendOnesColumn(X: Matrix): Matrix {
  const { rows, cols, data } = X;
  const out = new Matrix(rows, cols + 1);
  const o = out.data;
  for (let i = 0; i < rows; i++) {
    o.set(data.subarray(i * cols, (i + 1) * cols), i * (cols + 1));
    o[i * (cols + 1) + cols] = 1;
  }
  return out;
}
