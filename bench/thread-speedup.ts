/**
 * The two-thread tables of `bench cnn` and `bench train`: one training step of a network on 1 and 2 threads, with
 * the per-product split (shards 1) and the data-parallel pass (shards 2), timed in interleaved rounds.
 *
 * Why interleaved: on a shared machine the load drifts over seconds, so timing the four cases one after the other
 * (a few steps each) compares them at different loads; the same row spread from 1.09 to 1.99 s between runs. Here
 * every round runs a block of steps of each case in turn, on its own copy of the parameters and on the same
 * batches, so a drift in load touches all four cases alike, and the mean over the rounds after the warm-up ones is
 * reported.
 */
import { nn, optim } from "../src/index.js";
import type { Matrix } from "../src/linalg/matrix.js";
import { withoutTeam } from "../src/linalg/parallel.js";
import { setThreads, startThreads } from "../src/linalg/threads.js";
import { startReplicas } from "../src/nn/replicas.js";
import type { Params } from "../src/nn/types.js";

/** The cases of the table: kernel threads and shards. */
const CASES = [
  { threads: 1, shards: 1 },
  { threads: 2, shards: 1 },
  { threads: 1, shards: 2 },
  { threads: 2, shards: 2 },
] as const;

export interface SpeedupWorkload {
  /** Builds the network (one per case, so each keeps its own reused gradient matrices). */
  network: () => nn.Network;
  initial: Params;
  /** The batches, used in turn (wrapping around). */
  batches: readonly { x: Matrix; y: ArrayLike<number> }[];
  /** The SGD step: p ← p − lr·v with heavy-ball momentum. */
  learningRate: number;
  momentum: number;
  /** Timed rounds, untimed warm-up rounds, and steps per case per round. */
  rounds: number;
  warmupRounds: number;
  stepsPerRound: number;
}

/** One SGD step per call through the public API, as a user writes it (reused gradients donated to the update). */
function stepper(w: SpeedupWorkload, shards: number): () => void {
  const net = w.network();
  const params: Params = Object.fromEntries(Object.entries(w.initial).map(([k, m]) => [k, m.clone()]));
  const sgd = optim.sgd({ learningRate: w.learningRate, momentum: w.momentum });
  let state = sgd.init(params);
  let next = 0;
  return () => {
    const { x, y } = w.batches[next++ % w.batches.length];
    const pass = net.lossAndGrad(params, x, y, nn.softmaxCrossEntropy, { stats: false, reuseGrads: true, shards });
    const step = sgd.update(pass.grads, state, params, { donate: true });
    state = step.state;
    optim.applyUpdatesInPlace(params, step.updates);
  };
}

/** Mean ms per step of each case, and the speed-ups of two threads over one (per-product split, data-parallel). */
export async function threadSpeedupRows(w: SpeedupWorkload): Promise<Record<string, string | number>[]> {
  setThreads(2);
  startThreads();
  await startReplicas(); // startup is not timed
  const steps = CASES.map((c) => stepper(w, c.shards));
  const totals = CASES.map(() => 0);
  for (let round = 0; round < w.warmupRounds + w.rounds; round++) {
    CASES.forEach((c, i) => {
      const block = (): void => {
        for (let s = 0; s < w.stepsPerRound; s++) steps[i]();
      };
      const t0 = performance.now();
      // One thread: every product and shard on this thread, the helpers and replicas idle but kept (stopping and
      // restarting them between rounds would time their start and their cold code).
      if (c.threads === 1) withoutTeam(block);
      else block();
      if (round >= w.warmupRounds) totals[i] += performance.now() - t0;
    });
  }
  setThreads(1);
  const ms = totals.map((t) => t / (w.rounds * w.stepsPerRound));
  // The target compares the best two-thread path with what one thread does without shards.
  return [
    { path: "per-product split (shards 1)", one: ms[0], two: ms[1] },
    { path: "data-parallel (shards 2)", one: ms[2], two: ms[3] },
  ].map(({ path, one, two }) => ({
    path,
    "1 thread ms": one,
    "2 threads ms": two,
    "speed-up": one / two,
    "2 threads vs 1 thread, shards 1": ms[0] / two,
  }));
}
