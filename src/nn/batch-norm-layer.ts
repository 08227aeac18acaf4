/**
 * The batch-normalisation layer of a `sequential` network (PyTorch's BatchNorm1d after dense layers, BatchNorm2d
 * after convolutions), on the kernels of batch-norm.ts.
 */
import { ShapeError } from "../linalg/errors.js";
import { Matrix } from "../linalg/matrix.js";
import { batchNormBackward, batchNormForward, batchNormWithStatistics, type BatchNormCache } from "./batch-norm.js";
import { scaleInPlace } from "./dense.js";
import { checkKeys, integerOption, numberOption } from "./options.js";
import { formatShape, type BuiltLayer, type Layer, type NetworkState, type ParamSpec } from "./layer.js";
import type { DiagonalStats } from "./types.js";

/** Options of `batchNorm`. */
export interface BatchNormOptions {
  /** Weight of the new batch in the running averages, in (0, 1]; default 0.1 (PyTorch's). */
  momentum?: number;
  /** Added to the variance before the square root, ≥ 0; default 1e-5. */
  eps?: number;
}

/**
 * Batch normalisation over `channels` channels (Ioffe & Szegedy 2015) with PyTorch's semantics. Inputs [C] are
 * normalised per feature over the batch; inputs [C, H, W] per channel over batch and positions (M = n·H·W
 * entries). Training mode: out = γ (x − μ_B)/√(σ²_B + ε) + β with the batch mean and biased variance, and the
 * running buffers move as r_mean ← (1 − m) r_mean + m μ_B, r_var ← (1 − m) r_var + m σ²_B · M/(M − 1)
 * (unbiased). Evaluation mode uses r_mean and r_var. Parameters "<i>.weight" (γ, init 1) and "<i>.bias" (β,
 * init 0), buffers "<i>.running_mean" (init 0) and "<i>.running_var" (init 1). Its curvature block is diagonal,
 * from the per-example gradients of γ and β.
 */
export function batchNorm(channels: number, options: BatchNormOptions = {}): Layer {
  const where = "batchNorm";
  checkKeys(where, options, ["momentum", "eps"]);
  const C = integerOption(where, "channels", channels);
  const momentum = numberOption(where, "momentum", options.momentum ?? 0.1, (v) => v > 0 && v <= 1, "in (0, 1]");
  const eps = numberOption(where, "eps", options.eps ?? 1e-5, (v) => v >= 0, "≥ 0");
  return {
    kind: "batchNorm",
    spec: { kind: "batchNorm", args: [C, { momentum, eps }] },
    build(input, index): BuiltLayer<BatchNormCache> {
      if (input[0] !== C) {
        throw new ShapeError(
          `layer ${index} (batchNorm): channels is ${C} but the layer receives shape ${formatShape(input)} (${input[0]} channels)`,
        );
      }
      const spatial = input.length === 3 ? input[1] * input[2] : 1;
      const weight = `${index}.weight`;
      const bias = `${index}.bias`;
      const runningMean = `${index}.running_mean`;
      const runningVar = `${index}.running_var`;
      const params: ParamSpec[] = [
        { key: weight, rows: 1, cols: C, role: "scale", fanIn: 1, fanOut: 1 },
        { key: bias, rows: 1, cols: C, role: "shift", fanIn: 1, fanOut: 1 },
      ];
      return {
        kind: "batchNorm",
        inputShape: input,
        outputShape: input,
        params,
        state: [
          { key: runningMean, length: C, initial: 0 },
          { key: runningVar, length: C, initial: 1 },
        ],
        forward(p, x, ctx) {
          const bn = { gamma: p[weight].data, beta: p[bias].data, eps };
          if (!ctx.train) {
            const state = ctx.state as NetworkState; // sequential checks that eval mode has state
            return batchNormWithStatistics(x, bn, state[runningMean], state[runningVar], spatial);
          }
          const count = x.rows * spatial;
          if (count < 2) {
            throw new ShapeError(
              `layer ${index} (batchNorm): training mode needs more than one value per channel, got a batch of ${x.rows} with ${spatial} per channel`,
            );
          }
          const { out, cache, mean, variance } = batchNormForward(x, bn, spatial);
          if (ctx.nextState && ctx.state) {
            const [oldMean, oldVar] = [ctx.state[runningMean], ctx.state[runningVar]];
            const unbias = count / (count - 1);
            ctx.nextState[runningMean] = oldMean.map((r, c) => (1 - momentum) * r + momentum * mean[c]);
            ctx.nextState[runningVar] = oldVar.map((r, c) => (1 - momentum) * r + momentum * variance[c] * unbias);
          }
          return { out, cache };
        },
        backward(dOut, cache, _p, request) {
          const { dH, dGamma, dBeta, perExampleGamma, perExampleBeta } = batchNormBackward(dOut, cache, {
            perExample: true,
          });
          const n = dOut.rows;
          scaleInPlace(dGamma, 1 / n);
          scaleInPlace(dBeta, 1 / n);
          return {
            dIn: request.inputGrad ? dH : undefined,
            grads: request.grads ? { [weight]: new Matrix(1, C, dGamma), [bias]: new Matrix(1, C, dBeta) } : undefined,
            perExample: { [weight]: perExampleGamma as Matrix, [bias]: perExampleBeta as Matrix },
          };
        },
        stats(_cache, result, sampled): DiagonalStats {
          return {
            kind: "batchNorm",
            weight,
            bias,
            perExample: result.perExample as Record<string, Matrix>,
            perExampleSampled: sampled?.perExample,
            batchSize: (result.perExample as Record<string, Matrix>)[weight].rows,
          };
        },
      };
    },
  };
}
