/**
 * Deprecated config keys: each experiment lists its renamed keys (old dotted path → new dotted path) so that
 * configs written before the renaming still run for one release. The old key's value moves to the new path
 * before zod sees the config; each old key used gives one deprecation line, and a config that gives both the old
 * and the new key is refused (it is not clear which one the user means).
 */
import { InputError } from "./errors.js";

/** One renamed key: `from` (old) and `to` (new), dotted paths such as "tuning.lrFactors". */
export interface KeyAlias {
  from: string;
  to: string;
}

/** The release until which old keys are accepted. */
export const ALIASES_ACCEPTED_UNTIL = "0.3";

type Json = Record<string, unknown>;

const isPlainObject = (v: unknown): v is Json => v !== null && typeof v === "object" && !Array.isArray(v);

/** The deprecation line for one old key, e.g. "lr is deprecated, use learningRate (accepted until 0.3)". */
export function deprecationMessage(alias: KeyAlias): string {
  return `${alias.from} is deprecated, use ${alias.to} (accepted until ${ALIASES_ACCEPTED_UNTIL})`;
}

/** The object holding the last segment of `path`, or undefined when a segment on the way is missing. */
function parentOf(input: Json, path: readonly string[], create: boolean): Json | undefined {
  let node = input;
  for (const key of path.slice(0, -1)) {
    if (!isPlainObject(node[key])) {
      if (!create || node[key] !== undefined) return undefined;
      node[key] = {};
    }
    node = node[key] as Json;
  }
  return node;
}

/** Copies the objects along `path` so that moving a key never changes the caller's object. */
function copyAlong(input: Json, path: readonly string[]): Json {
  const out: Json = { ...input };
  let node = out;
  for (const key of path.slice(0, -1)) {
    if (!isPlainObject(node[key])) break;
    node[key] = { ...(node[key] as Json) };
    node = node[key] as Json;
  }
  return out;
}

/**
 * `input` with every old key of `aliases` moved to its new path, and the aliases that were used (in table
 * order). Throws `InputError` when a config gives both the old and the new key.
 */
export function renameDeprecatedKeys(input: Json, aliases: readonly KeyAlias[]): { config: Json; used: KeyAlias[] } {
  let config = input;
  const used: KeyAlias[] = [];
  for (const alias of aliases) {
    const from = alias.from.split(".");
    const fromParent = parentOf(config, from, false);
    const last = from[from.length - 1];
    if (!fromParent || !Object.hasOwn(fromParent, last)) continue;
    const to = alias.to.split(".");
    const toParent = parentOf(config, to, false);
    if (toParent && Object.hasOwn(toParent, to[to.length - 1])) {
      throw new InputError(
        `config gives both \`${alias.from}\` and \`${alias.to}\`; \`${alias.from}\` is the deprecated name of ` +
          `\`${alias.to}\`: give only \`${alias.to}\``,
      );
    }
    config = copyAlong(copyAlong(config, from), to);
    const source = parentOf(config, from, false)!;
    const value = source[last];
    delete source[last];
    const target = parentOf(config, to, true);
    if (!target) throw new InputError(`config: \`${alias.to}\` is not a group of settings, cannot move ${alias.from}`);
    target[to[to.length - 1]] = value;
    used.push(alias);
  }
  return { config, used };
}

/** The dotted key with its deprecated prefix replaced by the new one ("lr.kfac" → "learningRate.kfac"). */
export function currentKey(key: string, aliases: readonly KeyAlias[]): { key: string; alias?: KeyAlias } {
  for (const alias of aliases) {
    if (key === alias.from || key.startsWith(`${alias.from}.`)) {
      return { key: alias.to + key.slice(alias.from.length), alias };
    }
  }
  return { key };
}
