/** Flattening [C, H, W] images to feature vectors, as PyTorch's nn.Flatten before a dense layer. */
import { shapeSize, type Layer } from "./layer.js";

/**
 * Reshapes each example from [C, H, W] to [C·H·W]. Rows are already NCHW-flattened, so the data pass through
 * unchanged in both directions; only the shape seen by the next layer changes.
 */
export function flatten(): Layer {
  return {
    kind: "flatten",
    spec: { kind: "flatten", args: [] },
    build: (input) => ({
      kind: "flatten",
      inputShape: input,
      outputShape: [shapeSize(input)],
      params: [],
      state: [],
      forward: (_p, x) => ({ out: x, cache: null }),
      backward: (dOut, _cache, _p, request) => (request.inputGrad ? { dIn: dOut } : {}),
    }),
  };
}
