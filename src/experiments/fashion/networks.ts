/** The two networks of the fashion experiments, built with `src/nn`. */
import { batchNorm } from "../../nn/batch-norm-layer.js";
import { conv2d } from "../../nn/conv2d.js";
import { dense } from "../../nn/dense.js";
import { relu } from "../../nn/activation-layers.js";
import { flatten } from "../../nn/flatten.js";
import type { Layer } from "../../nn/layer.js";
import { maxPool2d } from "../../nn/pooling.js";
import { sequential, type Network } from "../../nn/sequential.js";
import type { Dtype } from "../../nn/dtype.js";

/**
 * An MLP inputs → hidden[0] → … → classes with ReLU between the dense layers (PyTorch initialisation), its
 * products in `dtype` (src/nn/dtype.ts).
 */
export function mlp(inputs: number, hidden: readonly number[], classes: number, dtype: Dtype = "float64"): Network {
  const layers: Layer[] = [];
  let width = inputs;
  for (const h of hidden) {
    layers.push(dense(width, h), relu());
    width = h;
  }
  layers.push(dense(width, classes));
  return sequential(layers, { inputShape: [inputs], dtype });
}

/**
 * A small CNN for [channels, side, side] images: per entry c of `channels`, conv 3×3 (padding 1) → batch-norm →
 * ReLU → 2×2 max-pool; then dense `denseWidth` → ReLU → classes (the 2-conv layout of Fashion-MNIST's benchmark
 * table, with batch normalisation), its products in `dtype`.
 */
export function cnn(
  imageShape: readonly [number, number, number],
  channels: readonly number[],
  denseWidth: number,
  classes: number,
  dtype: Dtype = "float64",
): Network {
  const [inC, height, width] = imageShape;
  const layers: Layer[] = [];
  let c = inC;
  let h = height;
  let w = width;
  for (const out of channels) {
    layers.push(
      conv2d({ inChannels: c, outChannels: out, kernelSize: 3, padding: 1 }),
      batchNorm(out),
      relu(),
      maxPool2d(2),
    );
    c = out;
    h = Math.floor(h / 2);
    w = Math.floor(w / 2);
  }
  layers.push(flatten(), dense(c * h * w, denseWidth), relu(), dense(denseWidth, classes));
  return sequential(layers, { inputShape: [inC, height, width], dtype });
}
