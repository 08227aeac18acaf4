/**
 * `time-to-target` (docs/time-to-target.md): AlgoPerf-style time to a validation target on three workloads
 * (fashion-mlp, fashion-cnn, mnist-autoencoder). Every optimizer gets a random-search tuning study of the same
 * number of trials and the same example budget (kfac-auto: one trial, nothing to tune), every trial runs over
 * seed replicates; the target is the best first-order validation metric, and each optimizer's best trial reports
 * its steps and seconds to the target and its final test metric.
 */
import type { z } from "zod";
import type { Experiment } from "../types.js";
import { preflightData } from "../fashion/data.js";
import { timeToTargetClaims } from "./claims.js";
import { timeToTargetSchema, type TimeToTargetConfig, type TimeToTargetPoint } from "./schema.js";
import { timeToTargetPlots, timeToTargetRows } from "./summary.js";
import { isStudyTrial, runTimeToTargetTrial } from "./trial.js";

export const timeToTarget: Experiment<TimeToTargetConfig, TimeToTargetPoint> = {
  name: "time-to-target",
  paperOrder: "4.5",
  description:
    "AlgoPerf-style time to a validation target: tuned first-order vs layer-wise optimizers on fashion-mlp, fashion-cnn and the MNIST deep autoencoder",
  schema: timeToTargetSchema as unknown as z.ZodType<TimeToTargetConfig>,
  sweepable: ["workload", "optimizer", "trial", "replicate"],
  includes: isStudyTrial,
  quick: {
    workload: ["fashion-mlp"],
    optimizer: ["sgd", "adam", "kfac", "kfac-auto"],
    trial: [0, 1],
    replicate: [0],
    settings: {
      "fashion-mlp": {
        trainSize: 2000,
        validationSize: 500,
        testSize: 500,
        epochs: 2,
        evaluations: 8,
        batchSizes: [32, 128],
      },
    },
  },
  quickSeeds: 1,
  preflight: preflightData,
  run: runTimeToTargetTrial,
  summarize: (trials) => timeToTargetRows(trials),
  plots: timeToTargetPlots,
  claims: timeToTargetClaims,
};
