/**
 * Layers rebuilt from their specs (`Layer.spec`): the factory named by the spec's kind, called with its arguments.
 * A worker thread builds its replica of a network this way (src/nn/replica-worker.ts).
 */
import { show } from "../config/errors.js";
import { gelu, relu, sigmoid, tanh } from "./activation-layers.js";
import { batchNorm } from "./batch-norm-layer.js";
import { conv2d } from "./conv2d.js";
import { dense } from "./dense.js";
import { flatten } from "./flatten.js";
import type { Layer, LayerSpec } from "./layer.js";
import { avgPool2d, maxPool2d } from "./pooling.js";

/** Every layer factory of this package, by the kind its spec names. */
const FACTORIES: Record<string, (...args: never[]) => Layer> = {
  dense,
  conv2d,
  batchNorm,
  relu,
  tanh,
  sigmoid,
  gelu,
  flatten,
  maxPool2d,
  avgPool2d,
};

/** The layer `spec` describes; throws on an unknown kind. */
export function layerFromSpec(spec: LayerSpec): Layer {
  const factory = Object.hasOwn(FACTORIES, spec.kind) ? FACTORIES[spec.kind] : undefined;
  if (!factory) throw new RangeError(`layerFromSpec: unknown layer kind ${show(spec.kind)}`);
  return (factory as (...args: unknown[]) => Layer)(...spec.args);
}
