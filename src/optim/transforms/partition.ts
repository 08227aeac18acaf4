/**
 * Routing parameters to different transforms (optax's multi_transform): each parameter gets a label, by name or by
 * a function of its name and value, and each label its own transform, which sees only its parameters. Typical use:
 * Muon for the hidden weight matrices and AdamW for the output head and the biases, as Muon's authors advise.
 */
import type { Params, UpdateContext } from "../../nn/types.js";
import { statsRequest, unionStats, upgradeParts, type GradientTransformation } from "../transform.js";
import type { Matrix } from "../../linalg/matrix.js";
import { OptionError } from "./options.js";

/** A parameter's label: a record from parameter name to label, or a function of the name and the parameter. */
export type ParamLabels = Readonly<Record<string, string>> | ((key: string, param: Matrix) => string);

/** The state of `partition`: each label's transform state, by label. */
export type PartitionState = Record<string, unknown>;

/**
 * partition(transforms, labels): every parameter goes to transforms[label(key)]; each transform's `init` and
 * `update` receive only its own parameters (gradients, params, and the layer statistics of `ctx` whose weight and
 * bias both belong to it: a layer split between two labels gives its statistics to neither), and the updates are
 * merged back in the gradients' key order; the pass is asked for the statistics any of them asks for. A label with no transform, or a parameter the
 * record of labels does not name, is an error naming it. A label with no parameters keeps an empty state.
 */
export function partition(
  transforms: Readonly<Record<string, GradientTransformation<unknown>>>,
  labels: ParamLabels,
): GradientTransformation<PartitionState> {
  const name = "partition";
  if (typeof transforms !== "object" || transforms === null || Object.keys(transforms).length === 0) {
    throw new OptionError(name, "transforms", transforms, "a non-empty record from label to transform");
  }
  if (typeof labels !== "function" && (typeof labels !== "object" || labels === null)) {
    throw new OptionError(name, "labels", labels, "a record from parameter name to label, or a function");
  }
  const labelOf = (key: string, p: Matrix): string => {
    const label = typeof labels === "function" ? labels(key, p) : labels[key];
    if (label === undefined) throw new OptionError(name, `labels["${key}"]`, label, "the label of every parameter");
    if (!(label in transforms)) {
      throw new OptionError(name, `label of "${key}"`, label, `one of ${Object.keys(transforms).join(", ")}`);
    }
    return label;
  };
  /** The trees split by label (every label present, possibly empty). */
  const split = (tree: Params): Record<string, Params> => {
    const out: Record<string, Params> = Object.fromEntries(Object.keys(transforms).map((l) => [l, {}]));
    for (const [key, p] of Object.entries(tree)) out[labelOf(key, p)][key] = p;
    return out;
  };
  /** ctx with only the layer statistics whose parameters are all in `group`. */
  const restrict = (ctx: UpdateContext | undefined, group: Params): UpdateContext | undefined => {
    if (!ctx?.stats) return ctx;
    const stats = ctx.stats.filter((s) => s.weight in group && (s.bias === undefined || s.bias in group));
    return { ...ctx, stats };
  };
  return {
    init(params) {
      const groups = split(params);
      return Object.fromEntries(Object.entries(transforms).map(([l, t]) => [l, t.init(groups[l])]));
    },
    needsStats: (state) => unionStats(Object.entries(transforms).map(([l, t]) => statsRequest(t, state[l]))),
    upgradeState: upgradeParts<PartitionState>(transforms),
    update(grads, state, params, ctx) {
      const groups = split(grads);
      const paramGroups = params ? split(params) : undefined;
      const updates: Params = {};
      const next: PartitionState = {};
      for (const [label, t] of Object.entries(transforms)) {
        if (!(label in state)) throw new TypeError(`partition: the state has no entry for label "${label}"`);
        const r = t.update(groups[label], state[label], paramGroups?.[label], restrict(ctx, groups[label]));
        Object.assign(updates, r.updates);
        next[label] = r.state;
      }
      const ordered: Params = {};
      for (const key of Object.keys(grads)) ordered[key] = updates[key];
      return { updates: ordered, state: next };
    },
  };
}
