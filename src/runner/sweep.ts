/**
 * Sweeps: a resolved config whose sweepable keys hold lists expands into points (the cartesian product of those
 * lists, in the order of `sweepable`, the first key varying slowest), and each point is repeated `seeds` times.
 * A trial's seed is deriveSeed(runSeed, pointIndex, repeat), so results never depend on worker count or order.
 * An experiment may leave points of the product out (`Experiment.includes`); the others keep their index in the
 * whole product, so their seeds and store keys do not depend on which points are left out.
 */
import { deriveSeed } from "../random/rng.js";

/** One trial of a sweep. */
export interface PlannedTrial {
  pointIndex: number;
  repeat: number;
  seed: number;
  /** The resolved config with each sweepable list replaced by one of its values. */
  point: Record<string, unknown>;
}

/** The points of the sweep: the cartesian product of the sweepable lists, first key slowest. */
export function expandPoints(config: Record<string, unknown>, sweepable: readonly string[]): Record<string, unknown>[] {
  let points: Record<string, unknown>[] = [{ ...config }];
  for (const key of sweepable) {
    const values = config[key];
    if (!Array.isArray(values)) throw new TypeError(`sweep: config key "${key}" must hold a list to sweep over`);
    points = points.flatMap((p) => values.map((v: unknown) => ({ ...p, [key]: v })));
  }
  return points;
}

/** Every trial of the sweep at the points `includes` keeps (default: all), ordered by point then repeat. */
export function planTrials(
  config: Record<string, unknown>,
  sweepable: readonly string[],
  seeds: number,
  runSeed: number,
  includes: (point: Record<string, unknown>) => boolean = () => true,
): PlannedTrial[] {
  return expandPoints(config, sweepable).flatMap((point, pointIndex) =>
    includes(point)
      ? Array.from({ length: seeds }, (_, repeat) => ({
          pointIndex,
          repeat,
          seed: deriveSeed(runSeed, pointIndex, repeat),
          point,
        }))
      : [],
  );
}
