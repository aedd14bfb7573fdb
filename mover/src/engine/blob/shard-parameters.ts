// Sharding parameters of kopia's sharded blob layout (repo/blob/sharded/sharded_parameters.go), stored in
// the plain-JSON root file `.shards`: `{"default":[1,3],"maxNonShardedLength":20,"overrides":[...]}`.
// A blob ID longer than maxNonShardedLength is split by peeling each shard size off its front into a
// directory name, stopping before the remainder would become empty: `p0123abc…` with [1,3] is
// `p/012/3abc….f`. Shorter IDs live at the root (`kopia.repository.f`).
import { CorruptionError } from '../errors.ts';
import { InvalidBlobIdError } from './blob-errors.ts';

export const SHARDS_FILE_NAME = '.shards';
/** Suffix of a completely written blob file (sharded.CompleteBlobSuffix). */
export const COMPLETE_BLOB_SUFFIX = '.f';

export interface ShardOverride {
  readonly prefix: string;
  readonly shards: readonly number[];
}

export interface ShardParameters {
  readonly defaultShards: readonly number[];
  readonly maxNonShardedLength: number;
  readonly overrides: readonly ShardOverride[];
}

/** What a new store writes: kopia's current default. */
export const DEFAULT_SHARD_PARAMETERS: ShardParameters = { defaultShards: [1, 3], maxNonShardedLength: 20, overrides: [] };
/** What kopia assumes when opening an existing directory that has no `.shards` file. */
export const LEGACY_SHARD_PARAMETERS: ShardParameters = { defaultShards: [3, 3], maxNonShardedLength: 20, overrides: [] };

/** Serializes like Go's json.Encoder: compact, `overrides` omitted when empty, trailing newline. */
export function serializeShardParameters(p: ShardParameters): string {
  const obj: Record<string, unknown> = { default: p.defaultShards, maxNonShardedLength: p.maxNonShardedLength };
  if (p.overrides.length > 0) obj['overrides'] = p.overrides.map((o) => ({ prefix: o.prefix, shards: o.shards }));
  return JSON.stringify(obj) + '\n';
}

function lookup(obj: Record<string, unknown>, key: string): unknown {
  // Go's encoding/json matches keys case-insensitively.
  const k = Object.keys(obj).find((x) => x.toLowerCase() === key.toLowerCase());
  return k === undefined ? undefined : obj[k];
}

function parseShardList(v: unknown, where: string): number[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((n) => Number.isInteger(n) && (n as number) > 0)) {
    throw new CorruptionError(`${where} must be a list of positive integers`);
  }
  return v as number[];
}

/** Parses a `.shards` file; `where` names the file in messages. */
export function parseShardParameters(text: string, where: string): ShardParameters {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new CorruptionError(`${where} is not valid JSON`, { cause: e, hint: 'restore the file from a backup or another copy' });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new CorruptionError(`${where} must contain a JSON object`);
  }
  const obj = raw as Record<string, unknown>;
  const maxLen = lookup(obj, 'maxNonShardedLength') ?? 0;
  if (!Number.isInteger(maxLen) || (maxLen as number) < 0) {
    throw new CorruptionError(`${where}: maxNonShardedLength must be a non-negative integer`);
  }
  const rawOverrides = lookup(obj, 'overrides') ?? [];
  if (!Array.isArray(rawOverrides)) throw new CorruptionError(`${where}: overrides must be a list`);
  const overrides = rawOverrides.map((o: unknown, i) => {
    if (typeof o !== 'object' || o === null) throw new CorruptionError(`${where}: overrides[${i}] must be an object`);
    const rec = o as Record<string, unknown>;
    const prefix = lookup(rec, 'prefix') ?? '';
    if (typeof prefix !== 'string') throw new CorruptionError(`${where}: overrides[${i}].prefix must be a string`);
    return { prefix, shards: parseShardList(lookup(rec, 'shards'), `${where}: overrides[${i}].shards`) };
  });
  return {
    defaultShards: parseShardList(lookup(obj, 'default'), `${where}: default`),
    maxNonShardedLength: maxLen as number,
    overrides,
  };
}

function shardsFor(p: ShardParameters, id: string): readonly number[] {
  for (const o of p.overrides) if (id.startsWith(o.prefix)) return o.shards;
  return p.defaultShards;
}

/**
 * Directory segments and file name (with `.f`) of a blob, relative to the store root. Rejects IDs that
 * cannot be a file name or would produce a `.`/`..` segment.
 */
export function shardedPathOf(p: ShardParameters, id: string): { dirs: string[]; file: string } {
  if (id.length === 0) throw new InvalidBlobIdError(id, 'blob IDs must not be empty');
  if (/[/\\\0]/.test(id)) throw new InvalidBlobIdError(id, 'blob IDs must not contain "/", "\\" or NUL');
  const dirs: string[] = [];
  let rest = id;
  if (id.length > p.maxNonShardedLength) {
    for (const size of shardsFor(p, id)) {
      if (rest.length <= size) break;
      dirs.push(rest.slice(0, size));
      rest = rest.slice(size);
    }
  }
  if (dirs.some((d) => d === '.' || d === '..')) {
    throw new InvalidBlobIdError(id, 'blob ID would map to a "." or ".." directory');
  }
  return { dirs, file: rest + COMPLETE_BLOB_SUFFIX };
}
