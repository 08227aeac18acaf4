/**
 * The fully connected layer s = W a + b (PyTorch's nn.Linear): weight out×in, bias 1×out.
 */
import { ShapeError } from "../linalg/errors.js";
import { matmul } from "../linalg/blas.js";
import { Matrix } from "../linalg/matrix.js";
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
 */
export function dense(inFeatures: number, outFeatures: number, options: DenseOptions = {}): Layer {
  const where = "dense";
  checkKeys(where, options, ["bias"]);
  const inF = integerOption(where, "inFeatures", inFeatures);
  const outF = integerOption(where, "outFeatures", outFeatures);
  const bias = booleanOption(where, "bias", options.bias, true);
  return { kind: "dense", build: (input, index) => buildDense(input, index, inF, outF, bias) };
}

function buildDense(input: Shape, index: number, inF: number, outF: number, hasBias: boolean): BuiltLayer<Matrix> {
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
    forward(p, x) {
      const out = matmul(x, p[weight], { transB: true });
      if (bias) addRowToEachRow(out, p[bias].data);
      return { out, cache: x };
    },
    backward(dOut, x, p, request) {
      const n = dOut.rows;
      const result: { dIn?: Matrix; grads?: Record<string, Matrix>; g: Matrix } = { g: dOut };
      if (request.grads) {
        const dW = matmul(dOut, x, { transA: true });
        scaleInPlace(dW.data, 1 / n);
        result.grads = { [weight]: dW };
        if (bias) result.grads[bias] = columnMeans(dOut);
      }
      if (request.inputGrad) result.dIn = matmul(dOut, p[weight]);
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

/** out[i, :] += b for every row i. */
export function addRowToEachRow(out: Matrix, b: Float64Array): void {
  const { rows, cols, data } = out;
  for (let i = 0; i < rows; i++) for (let j = 0, k = i * cols; j < cols; j++, k++) data[k] += b[j];
}

/** The column means of G as a 1×cols matrix (the bias gradient (1/n) 1ᵀG). */
export function columnMeans(G: Matrix): Matrix {
  const { rows, cols, data } = G;
  const out = new Matrix(1, cols);
  const s = out.data;
  for (let i = 0; i < rows; i++) for (let j = 0, k = i * cols; j < cols; j++, k++) s[j] += data[k];
  scaleInPlace(s, 1 / rows);
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
