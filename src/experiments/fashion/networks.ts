/** The MLP of the fashion experiments, built with `src/nn` (their CNN is `twoConvTwoDense`, src/nn/networks.ts). */
import { dense } from "../../nn/dense.js";
import { relu } from "../../nn/activation-layers.js";
import type { Layer } from "../../nn/layer.js";
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
