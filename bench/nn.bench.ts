/**
 * `npm run bench -- nn`: one forward + backward pass (softmax cross-entropy, batch 128, float64) of the
 * 784-256-256-10 MLP and of a small Fashion-MNIST-sized CNN
 * (conv 1→32 3×3 pad 1, relu, maxpool 2, conv 32→64 3×3 pad 1, relu, maxpool 2, dense 3136→128, relu, dense 128→10),
 * ours (`nn.sequential(...).lossAndGrad`, with and without the curvature statistics) against a numpy peer
 * (bench/peer/nn.py, one OpenBLAS thread, convolutions by im2col + GEMM) on the same parameters and batch, timed
 * in the same run; the two losses must agree.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nn } from "../src/index.js";
import { Rng, gaussianMatrix } from "../src/random/index.js";
import { printTable, runNumpy, timeMs } from "./numpy.js";

const { sequential, dense, conv2d, relu, maxPool2d, flatten, softmaxCrossEntropy } = nn;
const BATCH = 128;
const REPEATS = 7;

interface PeerResult {
  numpy: string;
  cases: Record<string, { ms: number; loss: number }>;
}

function networks(): { name: string; kind: "mlp" | "cnn"; net: nn.Network }[] {
  return [
    {
      name: "MLP 784-256-256-10",
      kind: "mlp",
      net: sequential([dense(784, 256), relu(), dense(256, 256), relu(), dense(256, 10)], { inputShape: [784] }),
    },
    {
      name: "CNN conv32-pool-conv64-pool-128-10",
      kind: "cnn",
      net: sequential(
        [
          conv2d({ inChannels: 1, outChannels: 32, kernelSize: 3, padding: 1 }),
          relu(),
          maxPool2d(2),
          conv2d({ inChannels: 32, outChannels: 64, kernelSize: 3, padding: 1 }),
          relu(),
          maxPool2d(2),
          flatten(),
          dense(64 * 7 * 7, 128),
          relu(),
          dense(128, 10),
        ],
        { inputShape: [1, 28, 28] },
      ),
    },
  ];
}

export default function nnBench(): void {
  const rng = new Rng(2025);
  const x = gaussianMatrix(rng, BATCH, 784);
  const y = Int32Array.from({ length: BATCH }, () => rng.int(10));
  const cases = networks().map((c, i) => ({ ...c, params: c.net.init(i) }));
  const dir = mkdtempSync(join(tmpdir(), "layerwise-nn-"));
  let peer: PeerResult;
  try {
    const write = (file: string, data: Float64Array | Int32Array): string => {
      writeFileSync(join(dir, file), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      return file;
    };
    const manifest = cases.map((c, i) => ({
      name: c.name,
      kind: c.kind,
      params: Object.entries(c.params).map(([key, M]) => [key, write(`${i}_${key}.f64`, M.data), M.rows, M.cols]),
      x: [write("x.f64", x.data), x.rows, x.cols],
      y: write("y.i32", y),
      repeats: REPEATS,
    }));
    writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest));
    peer = runNumpy<PeerResult>("nn.py", [dir]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const rows = cases.map((c) => {
    const pass = (stats: boolean) => () => c.net.lossAndGrad(c.params, x, y, softmaxCrossEntropy, { stats });
    const theirs = peer.cases[c.name];
    const loss = pass(false)().loss;
    // Same parameters, same batch: the losses must agree (guards against timing different networks).
    if (Math.abs(loss - theirs.loss) > 1e-10 * Math.abs(theirs.loss)) {
      throw new Error(`nn bench: ${c.name}: our loss ${loss} but numpy's ${theirs.loss}`);
    }
    const ours = timeMs(pass(false), REPEATS);
    const withStats = timeMs(pass(true), REPEATS);
    return {
      network: c.name,
      "ours ms": ours,
      "ours + stats ms": withStats,
      "numpy ms": theirs.ms,
      "ours/numpy": ours / theirs.ms,
    };
  });
  printTable(`forward + backward, batch ${BATCH}, float64, one thread (numpy ${peer.numpy})`, rows);
}
