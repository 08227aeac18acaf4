/**
 * The batch curvature of `lossAndGrad(…, { curvature: true })` against the generalised Gauss–Newton matrix built
 * explicitly: the Jacobian J of the outputs row by row (one backward pass per output entry, from a one-hot output
 * gradient), Hᵢ written out (softmax: diag p − p pᵀ; mse: I), G = (1/n) Σᵢ Jᵢᵀ Hᵢ Jᵢ.
 */
import { describe, expect, it } from "vitest";
import { Matrix } from "../../src/linalg/matrix.js";
import { Rng } from "../../src/random/rng.js";
import { gaussianMatrix } from "../../src/random/matrices.js";
import {
  batchNorm,
  conv2d,
  dense,
  flatten,
  mse,
  relu,
  sequential,
  softmaxCrossEntropy,
  tanh,
  type Loss,
  type Network,
} from "../../src/nn/index.js";
import type { Params } from "../../src/nn/types.js";

/** A "loss" whose per-example output gradient is the one-hot (i, k): its backward pass gives (1/n) ∂f_ik/∂θ. */
function probe(i: number, k: number): Loss<null> {
  const valueAndGrad = (output: Matrix) => {
    const g = new Matrix(output.rows, output.cols);
    g.data[i * output.cols + k] = 1;
    return { loss: 0, g };
  };
  return Object.assign(() => 0, { valueAndGrad, sampleTargets: () => null });
}

function flat(net: Network, p: Params): Float64Array {
  return Float64Array.from(net.paramSpecs.flatMap((s) => Array.from(p[s.key].data)));
}

function unflat(net: Network, v: Float64Array): Params {
  const out: Params = {};
  let at = 0;
  for (const s of net.paramSpecs) {
    out[s.key] = new Matrix(s.rows, s.cols, v.slice(at, at + s.rows * s.cols));
    at += s.rows * s.cols;
  }
  return out;
}

/** Rows (i, k) of the output Jacobian, each of length P (training mode, as the curvature's passes). */
function jacobian(net: Network, params: Params, x: Matrix, k: number): Float64Array[] {
  const state = net.initState();
  const rows: Float64Array[] = [];
  for (let i = 0; i < x.rows; i++) {
    for (let j = 0; j < k; j++) {
      const { grads } = net.lossAndGrad(params, x, null, probe(i, j), { state, stats: false });
      rows.push(flat(net, grads).map((g) => g * x.rows));
    }
  }
  return rows;
}

/** Hᵢ (k×k) of the loss at output row i. */
function outputHessian(kind: "softmax" | "mse", output: Matrix, i: number): number[][] {
  const k = output.cols;
  if (kind === "mse")
    return Array.from({ length: k }, (_, a) => Array.from({ length: k }, (_, b) => (a === b ? 1 : 0)));
  const z = Array.from(output.row(i));
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  const p = e.map((v) => v / s);
  return p.map((pa, a) => p.map((pb, b) => (a === b ? pa : 0) - pa * pb));
}

/** G v with G = (1/n) Σᵢ Jᵢᵀ Hᵢ Jᵢ built from the explicit Jacobian. */
function explicitGgnProduct(J: Float64Array[], output: Matrix, kind: "softmax" | "mse", v: Float64Array): Float64Array {
  const { rows: n, cols: k } = output;
  const Jv = J.map((row) => row.reduce((s, r, p) => s + r * v[p], 0));
  const out = new Float64Array(v.length);
  for (let i = 0; i < n; i++) {
    const H = outputHessian(kind, output, i);
    for (let a = 0; a < k; a++) {
      let HJv = 0;
      for (let b = 0; b < k; b++) HJv += H[a][b] * Jv[i * k + b];
      for (let p = 0; p < v.length; p++) out[p] += (J[i * k + a][p] * HJv) / n;
    }
  }
  return out;
}

function relError(a: Float64Array, b: Float64Array): number {
  let d = 0;
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i] - b[i]) ** 2;
    s += b[i] ** 2;
  }
  return Math.sqrt(d / s);
}

interface Case {
  name: string;
  net: Network;
  kind: "softmax" | "mse";
  tolerance: number;
}

const cases: Case[] = [
  {
    name: "dense–tanh–dense, softmax cross-entropy",
    net: sequential([dense(4, 5), tanh(), dense(5, 3)], { inputShape: [4] }),
    kind: "softmax",
    tolerance: 1e-7,
  },
  {
    name: "conv2d–relu–flatten–dense, softmax cross-entropy",
    net: sequential(
      [conv2d({ inChannels: 2, outChannels: 3, kernelSize: 3, padding: 1 }), relu(), flatten(), dense(3 * 4 * 4, 3)],
      { inputShape: [2, 4, 4] },
    ),
    kind: "softmax",
    tolerance: 1e-7,
  },
  {
    name: "dense–batchNorm–tanh–dense (training mode), mse",
    net: sequential([dense(4, 5), batchNorm(5), tanh(), dense(5, 2)], { inputShape: [4] }),
    kind: "mse",
    tolerance: 1e-7,
  },
  {
    name: "dense–relu–dense with float32 products, softmax cross-entropy",
    net: sequential([dense(4, 6), relu(), dense(6, 3)], { inputShape: [4], dtype: "float32" }),
    kind: "softmax",
    // The reference Jacobian comes from float32 backward passes; J v from float64 differences.
    tolerance: 1e-5,
  },
];

describe("batch curvature (generalised Gauss–Newton)", () => {
  for (const { name, net, kind, tolerance } of cases) {
    it(`${name}: J v, vᵀ G w and G v equal the explicitly built GGN`, () => {
      const rng = new Rng(17);
      const n = 5;
      const params = net.init(3);
      const x = gaussianMatrix(
        rng,
        n,
        net.inputShape.reduce((a, b) => a * b, 1),
      );
      const k = net.outputShape[0];
      const y = kind === "mse" ? gaussianMatrix(rng, n, k) : Int32Array.from({ length: n }, (_, i) => i % k);
      const pass =
        kind === "mse"
          ? net.lossAndGrad(params, x, y as Matrix, mse, { state: net.initState(), curvature: true })
          : net.lossAndGrad(params, x, y as Int32Array, softmaxCrossEntropy, {
              state: net.initState(),
              curvature: true,
            });
      const curvature = pass.curvature;
      if (!curvature) throw new Error("no curvature returned");
      const J = jacobian(net, params, x, k);
      const P = J[0].length;
      const v = Float64Array.from({ length: P }, () => rng.normal());
      const w = Float64Array.from({ length: P }, () => rng.normal());

      const Jv = J.map((row) => row.reduce((s, r, p) => s + r * v[p], 0));
      expect(relError(curvature.outputJvp(unflat(net, v)).data, Float64Array.from(Jv))).toBeLessThan(tolerance);

      const Gv = explicitGgnProduct(J, pass.output, kind, v);
      expect(relError(flat(net, curvature.ggnProduct(unflat(net, v))), Gv)).toBeLessThan(tolerance);

      const wGv = w.reduce((s, wi, p) => s + wi * Gv[p], 0);
      const inner = curvature.outputInner(curvature.outputJvp(unflat(net, w)), curvature.outputJvp(unflat(net, v)));
      expect(Math.abs(inner - wGv)).toBeLessThan(tolerance * Math.abs(wGv) * 10);
      expect(curvature.batchSize).toBe(n);
    });
  }

  it("a direction with missing keys counts them as zero; lossAt is the batch loss in training mode", () => {
    const net = sequential([dense(3, 4), batchNorm(4), relu(), dense(4, 2)], { inputShape: [3] });
    const rng = new Rng(5);
    const params = net.init(1);
    const x = gaussianMatrix(rng, 6, 3);
    const y = Int32Array.from([0, 1, 0, 1, 1, 0]);
    const state = net.initState();
    const pass = net.lossAndGrad(params, x, y, softmaxCrossEntropy, { state, curvature: true });
    const c = pass.curvature;
    if (!c) throw new Error("no curvature returned");
    const only = { "3.bias": new Matrix(1, 2, Float64Array.from([1, -1])) };
    const full: Params = {};
    for (const [key, p] of Object.entries(params))
      full[key] = key === "3.bias" ? only["3.bias"] : new Matrix(p.rows, p.cols);
    expect(Array.from(c.outputJvp(only).data)).toEqual(Array.from(c.outputJvp(full).data));
    // A shift of the last bias moves every logit row by (1, −1) exactly.
    for (let i = 0; i < 6; i++)
      expect(Array.from(c.outputJvp(only).row(i))).toEqual([1, -1].map((e) => expect.closeTo(e, 9)));
    expect(c.lossAt(params)).toBe(pass.loss);
    const moved: Params = { ...params, "3.bias": new Matrix(1, 2, Float64Array.from([0.3, -0.2])) };
    const reference = net.lossAndGrad(moved, x, y, softmaxCrossEntropy, { state, stats: false }).loss;
    expect(c.lossAt(moved)).toBe(reference);
  });

  it("each loss's outputHessianProduct is the central difference of its per-example gradients", () => {
    const rng = new Rng(8);
    const z = gaussianMatrix(rng, 4, 3, 2);
    const u = gaussianMatrix(rng, 4, 3);
    const labels = Int32Array.from([0, 2, 1, 2]);
    const targets = gaussianMatrix(rng, 4, 3);
    const h = 1e-5;
    const at = (c: number) =>
      new Matrix(
        4,
        3,
        z.data.map((v, i) => v + c * u.data[i]),
      );
    const softmaxGrad = (c: number) => softmaxCrossEntropy.valueAndGrad(at(c), labels).g.data;
    const mseGrad = (c: number) => mse.valueAndGrad(at(c), targets).g.data;
    for (const [grad, Hu] of [
      [softmaxGrad, softmaxCrossEntropy.outputHessianProduct!(z, u)],
      [mseGrad, mse.outputHessianProduct!(z, u)],
    ] as const) {
      const fd = grad(h).map((g, i) => (g - grad(-h)[i]) / (2 * h));
      expect(relError(Hu.data, fd)).toBeLessThan(1e-8);
    }
  });

  it("refuses a loss without an output Hessian product, naming what to use", () => {
    const net = sequential([dense(2, 2)], { inputShape: [2] });
    const x = new Matrix(1, 2, Float64Array.from([1, 2]));
    expect(() => net.lossAndGrad(net.init(0), x, null, probe(0, 0), { curvature: true })).toThrow(
      /outputHessianProduct.*softmaxCrossEntropy/,
    );
  });
});
