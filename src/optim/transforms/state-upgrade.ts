/**
 * States saved by earlier versions, brought to the current shape before `loadState` checks them, so a checkpoint
 * keeps loading after an optimizer's state grows. Each upgrade only adds what the earlier state could not hold,
 * with the value that reproduces its behaviour; the trajectory after loading is the one the old version took
 * from that state, with the new defaults.
 *  - shampoo, soap: `pending` (refreshes in flight, added with delayed refreshes) — none: `{}`.
 *  - soap: `blocks[name]` was one Kronecker block per matrix; it is now one per tile — a single tile `[block]`.
 */
type Tree = Record<string, unknown>;

const isRecord = (v: unknown): v is Tree => typeof v === "object" && v !== null && !Array.isArray(v);

/** `state` (as decoded, of the optimizer called `optimizer`) in the current shape; other states unchanged. */
export function upgradeState(optimizer: string | null | undefined, state: unknown): unknown {
  if ((optimizer !== "shampoo" && optimizer !== "soap") || !isRecord(state)) return state;
  const upgraded: Tree = { ...state };
  if (!("pending" in upgraded)) upgraded.pending = {};
  if (optimizer === "soap" && isRecord(upgraded.blocks)) {
    upgraded.blocks = Object.fromEntries(
      Object.entries(upgraded.blocks).map(([key, block]) => [key, Array.isArray(block) ? block : [block]]),
    );
  }
  return upgraded;
}
