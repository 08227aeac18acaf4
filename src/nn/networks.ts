/**
 * Named architectures of the optimizer-benchmark literature, built with `sequential`, so results compare with
 * published ones.
 */
import { show } from "../config/errors.js";
import { batchNorm } from "./batch-norm-layer.js";
import { conv2d } from "./conv2d.js";
import { dense } from "./dense.js";
import type { Dtype } from "./dtype.js";
import { relu } from "./activation-layers.js";
import { flatten } from "./flatten.js";
import type { InitScheme } from "./init.js";
import type { Layer } from "./layer.js";
import { booleanOption, checkKeys, integerOption } from "./options.js";
import { maxPool2d } from "./pooling.js";
import { sequential, type Network } from "./sequential.js";

/** Options of `twoConvTwoDense`. */
export interface TwoConvTwoDenseOptions {
  /** [channels, height, width] of one image; default [1, 28, 28] (Fashion-MNIST). */
  inputShape?: readonly [number, number, number];
  /** Output classes; default 10. */
  classes?: number;
  /** Output channels of the two convolutions; default [32, 64]. */
  channels?: readonly [number, number];
  /** Width of the hidden dense layer; default 1024. */
  denseWidth?: number;
  /** Batch normalisation after each convolution, before its ReLU (not in DeepOBS's original); default false. */
  batchNorm?: boolean;
  /** Precision of the products (`sequential`'s dtype); default "float64". */
  dtype?: Dtype;
  /** Weight initialisation (`sequential`'s init); default "pytorch". */
  init?: InitScheme;
}

/**
 * DeepOBS's `fmnist_2c2d` / `mnist_2c2d` network (Schneider, Balles & Hennig, "DeepOBS: a deep learning optimizer
 * benchmark suite", ICLR 2019, §3): conv 5×5 'same' 32 → ReLU → max-pool 2×2 → conv 5×5 'same' 64 → ReLU →
 * max-pool 2×2 → dense 1024 → ReLU → dense classes. On 28×28 images the dense layer sees 64·7·7 = 3136 inputs.
 * With `batchNorm`, each convolution is followed by batch normalisation before its ReLU. 'Same' padding is 2 on
 * each side for the odd 5×5 kernel; the 2×2 pools floor odd sizes (PyTorch's MaxPool2d).
 */
export function twoConvTwoDense(options: TwoConvTwoDenseOptions = {}): Network {
  const where = "twoConvTwoDense";
  checkKeys(where, options, ["inputShape", "classes", "channels", "denseWidth", "batchNorm", "dtype", "init"]);
  const inputShape = options.inputShape ?? [1, 28, 28];
  if (!Array.isArray(inputShape) || inputShape.length !== 3) {
    throw new RangeError(`${where}: inputShape must be [channels, height, width], got ${show(inputShape)}`);
  }
  const [inC, height, width] = inputShape.map((v, i) => integerOption(where, `inputShape[${i}]`, v));
  if (height < 4 || width < 4) {
    throw new RangeError(`${where}: inputShape needs height and width ≥ 4 (two 2×2 pools), got ${show(inputShape)}`);
  }
  const channels = options.channels ?? [32, 64];
  if (!Array.isArray(channels) || channels.length !== 2) {
    throw new RangeError(`${where}: channels must be a pair [first, second], got ${show(channels)}`);
  }
  const [c1, c2] = channels.map((v, i) => integerOption(where, `channels[${i}]`, v));
  const classes = integerOption(where, "classes", options.classes ?? 10);
  const denseWidth = integerOption(where, "denseWidth", options.denseWidth ?? 1024);
  const withBatchNorm = booleanOption(where, "batchNorm", options.batchNorm, false);
  const stage = (inChannels: number, outChannels: number): Layer[] => [
    conv2d({ inChannels, outChannels, kernelSize: 5, padding: 2 }),
    ...(withBatchNorm ? [batchNorm(outChannels)] : []),
    relu(),
    maxPool2d(2),
  ];
  const flat = c2 * Math.floor(Math.floor(height / 2) / 2) * Math.floor(Math.floor(width / 2) / 2);
  const layers = [
    ...stage(inC, c1),
    ...stage(c1, c2),
    flatten(),
    dense(flat, denseWidth),
    relu(),
    dense(denseWidth, classes),
  ];
  return sequential(layers, { inputShape: [inC, height, width], dtype: options.dtype, init: options.init });
}
