/**
 * The fast convolution path: conv2d's chunked im2col → GEMM with the activation and max pooling fused into it, in
 * float64 and float32, checked against central differences, against the float64 path, against examples run one
 * at a time (chunk boundaries), and for the same bits on one and two threads.
 */
import { afterAll, describe, expect, it } from "vitest";
import { Matrix } from "../../src/linalg/matrix.js";
import { getThreads, setThreads } from "../../src/linalg/threads.js";
import { nn } from "../../src/index.js";
import type { Dtype } from "../../src/nn/dtype.js";
import type { KroneckerStats, Params } from "../../src/nn/types.js";
import { Rng } from "../../src/random/rng.js";
import { gaussianMatrix } from "../../src/random/matrices.js";
import { centralDifference, maxRelativeError } from "./gradcheck.js";

const { sequential, conv2d, batchNorm, relu, tanh, maxPool2d, flatten, dense, softmaxCrossEntropy } = nn;

/**
 * conv → relu → maxpool (fused: one call) → conv → batchNorm → tanh → maxpool (3×3 windows, stride 2; each its own
 * call) → conv 1×1 → relu (fused: activation only) → dense.
 */
function pipeline(dtype: Dtype): nn.Network {
  return sequential(
    [
      conv2d({ inChannels: 2, outChannels: 3, kernelSize: 5, padding: 2 }),
      relu(),
      maxPool2d(2),
      conv2d({ inChannels: 3, outChannels: 4, kernelSize: 3, padding: 1 }),
      batchNorm(4),
      tanh(),
      maxPool2d(3, 2),
      conv2d({ inChannels: 4, outChannels: 3, kernelSize: 1 }),
      relu(),
      flatten(),
      dense(3, 3),
    ],
    { inputShape: [2, 8, 8], dtype },
  );
}

function labels(rng: Rng, n: number, k: number): Int32Array {
  return Int32Array.from({ length: n }, () => rng.int(k));
}

/** The mean loss and its gradient of `net` at (params, x, y) in training mode. */
function lossAndGrads(net: nn.Network, params: Params, x: Matrix, y: Int32Array) {
  return net.lossAndGrad(params, x, y, softmaxCrossEntropy, { state: net.initState(), stats: false });
}

/** Central differences of the float64 network's loss for every parameter entry. */
function finiteDifferences(params: Params, x: Matrix, y: Int32Array): Params {
  const net = pipeline("float64");
  const loss = () => lossAndGrads(net, params, x, y).loss;
  const out: Params = {};
  for (const [key, M] of Object.entries(params)) {
    out[key] = new Matrix(
      M.rows,
      M.cols,
      M.data.map((_, k) => centralDifference(M.data, k, loss)),
    );
  }
  return out;
}

describe("conv2d → activation → max pooling, fused", () => {
  const rng = new Rng(11);
  const x = gaussianMatrix(rng, 5, 2 * 8 * 8);
  const y = labels(rng, 5, 3);
  const params = pipeline("float64").init(3);
  const fd = finiteDifferences(params, x, y);

  it("float64 gradients equal central differences (conv, relu, pooling, batch-norm, tanh)", () => {
    const { grads } = lossAndGrads(pipeline("float64"), params, x, y);
    for (const key of Object.keys(params)) {
      expect(maxRelativeError(grads[key].data, fd[key].data), key).toBeLessThan(1e-6);
    }
  });

  it("float32 gradients equal central differences to float32 accuracy, and the float64 gradients closer still", () => {
    const f32 = lossAndGrads(pipeline("float32"), params, x, y);
    const f64 = lossAndGrads(pipeline("float64"), params, x, y);
    expect(Math.abs(f32.loss - f64.loss)).toBeLessThan(1e-5 * Math.abs(f64.loss));
    for (const key of Object.keys(params)) {
      expect(maxRelativeError(f32.grads[key].data, fd[key].data), key).toBeLessThan(1e-4);
      expect(maxRelativeError(f32.grads[key].data, f64.grads[key].data), key).toBeLessThan(1e-5);
    }
  });

  it("the curvature statistics g of the fused convolution are the gradients before its activation (gᵀa/n = ∇W)", () => {
    const net = pipeline("float64");
    const pass = net.lossAndGrad(params, x, y, softmaxCrossEntropy, { state: net.initState() });
    for (const s of pass.stats.filter((s): s is KroneckerStats => s.kind === "conv2d")) {
      const n = s.batchSize;
      // [∇W | ∇b] = gᵀ a / n, computed here by a plain loop over the rows.
      const K = s.a.cols;
      const dWb = new Float64Array(s.g.cols * K);
      for (let r = 0; r < s.a.rows; r++)
        for (let o = 0; o < s.g.cols; o++)
          for (let c = 0; c < K; c++) dWb[o * K + c] += (s.g.get(r, o) * s.a.get(r, c)) / n;
      const W = pass.grads[s.weight];
      const b = pass.grads[s.bias as string];
      const expected = new Float64Array(s.g.cols * K);
      for (let o = 0; o < s.g.cols; o++) {
        expected.set(W.data.subarray(o * W.cols, (o + 1) * W.cols), o * K);
        expected[o * K + K - 1] = b.data[o];
      }
      expect(maxRelativeError(dWb, expected)).toBeLessThan(1e-12);
    }
  });
});

describe("the fused pooling epilogue", () => {
  // max σ(y + b) = σ(max y + b) for a monotone σ: pooling the GEMM result before the bias and the activation gives
  // the same bits as the layers one after the other, also for overlapping windows and sizes pooling leaves a rest of.
  const cases = [
    { act: relu, kernel: 2, stride: 2, size: 7 },
    { act: tanh, kernel: 3, stride: 2, size: 8 },
  ];
  for (const dtype of ["float64", "float32"] as const) {
    for (const { act, kernel, stride, size } of cases) {
      it(`${dtype}: conv → ${act().kind} → maxPool2d(${kernel}, ${stride}) on ${size}×${size} equals the layers run apart`, () => {
        const conv = () => conv2d({ inChannels: 3, outChannels: 5, kernelSize: 3, padding: 1 });
        const fused = sequential([conv(), act(), maxPool2d(kernel, stride)], { inputShape: [3, size, size], dtype });
        const convOnly = sequential([conv()], { inputShape: [3, size, size], dtype });
        const after = sequential([act(), maxPool2d(kernel, stride)], { inputShape: [5, size, size], dtype });
        const params = fused.init(4);
        const x = gaussianMatrix(new Rng(12), 6, 3 * size * size);
        expect(fused.forward(params, x).data).toEqual(after.forward({}, convOnly.forward(params, x)).data);
      });
    }
  }
});

describe("conv2d in chunks of examples", () => {
  // 8 channels of 32×32 and a 5×5 kernel: 1024 patch rows of 200 entries per example, so the 4 MiB patch budget
  // holds 2 examples in float64 and 5 in float32, and a batch of 7 runs in chunks of 2+2+2+1 and 5+2.
  const layer = conv2d({ inChannels: 8, outChannels: 6, kernelSize: 5, padding: 2 });
  const rng = new Rng(5);
  const x = gaussianMatrix(rng, 7, 8 * 32 * 32);
  const dOut = gaussianMatrix(rng, 7, 6 * 32 * 32);

  for (const dtype of ["float64", "float32"] as const) {
    it(`${dtype}: a batch gives what its examples give one at a time (forward, input and weight gradients)`, () => {
      const built = layer.build([8, 32, 32], 0, { dtype });
      const params: Params = {};
      for (const spec of built.params) params[spec.key] = gaussianMatrix(new Rng(9), spec.rows, spec.cols);
      const request = { grads: true, inputGrad: true };
      const batch = built.forward(params, x, { train: true });
      const back = built.backward(dOut, batch.cache, params, request);
      const dW = new Float64Array(params["0.weight"].data.length);
      const db = new Float64Array(6);
      for (let i = 0; i < x.rows; i++) {
        const xi = new Matrix(1, x.cols, x.data.slice(i * x.cols, (i + 1) * x.cols));
        const di = new Matrix(1, dOut.cols, dOut.data.slice(i * dOut.cols, (i + 1) * dOut.cols));
        const one = built.forward(params, xi, { train: true });
        expect(batch.out.data.subarray(i * batch.out.cols, (i + 1) * batch.out.cols)).toEqual(one.out.data);
        const b1 = built.backward(di, one.cache, params, request);
        expect((back.dIn as Matrix).data.subarray(i * x.cols, (i + 1) * x.cols)).toEqual((b1.dIn as Matrix).data);
        b1.grads!["0.weight"].data.forEach((v, k) => (dW[k] += v / x.rows));
        b1.grads!["0.bias"].data.forEach((v, k) => (db[k] += v / x.rows));
      }
      // The weight gradient sums over every position of the batch: rounding differs with the order.
      const tolerance = dtype === "float32" ? 1e-5 : 1e-12;
      expect(maxRelativeError(back.grads!["0.weight"].data, dW)).toBeLessThan(tolerance);
      expect(maxRelativeError(back.grads!["0.bias"].data, db)).toBeLessThan(1e-12);
    });
  }
});

describe("threads", () => {
  const before = getThreads();
  afterAll(() => setThreads(before));

  for (const dtype of ["float64", "float32"] as const) {
    it(`${dtype}: the 2c2d network's loss and gradients are the same bits on one and two threads`, () => {
      const net = nn.twoConvTwoDense({ dtype, denseWidth: 64 });
      const params = net.init(1);
      const rng = new Rng(2);
      const x = gaussianMatrix(rng, 12, 784);
      const y = labels(rng, 12, 10);
      const run = (threads: number) => {
        setThreads(threads);
        return net.lossAndGrad(params, x, y, softmaxCrossEntropy, { stats: false });
      };
      const one = run(1);
      const two = run(2);
      expect(two.loss).toBe(one.loss);
      for (const key of Object.keys(params)) expect(two.grads[key].data, key).toEqual(one.grads[key].data);
    });
  }
});
