// The maintenance parameters manifest (kopia repo/maintenance/maintenance_params.go, cleanup_logs.go):
// labels {type: maintenance}, payload
//   {"owner":"user@host","quick":{"enabled":true,"interval":<ns>},"full":{…},
//    "logRetention":{"maxTotalSize":…,"maxCount":…,"maxAge":<ns>},"extendObjectLocks":false,"listParallelism":0}
// Only the owner runs maintenance, so Cairn and kopia never maintain one repository at the same time.
// Several manifests can exist (two clients racing); the latest one counts (kopia PickLatestID), and
// writing replaces all of them (kopia ReplaceManifests). Keys Cairn does not model are kept.
import { CairnError } from '../errors.ts';
import { isJsonObject } from '../format/go-json.ts';
import type { ManifestStore } from '../manifest/manifest-store.ts';
import { compareRfc3339Nano } from '../manifest/rfc3339-nano.ts';

export const MAINTENANCE_MANIFEST_LABELS = { type: 'maintenance' } as const;
const NS_PER_MS = 1_000_000;
const HOUR = 3_600_000;

export interface CycleParams {
  readonly enabled: boolean;
  readonly intervalMs: number;
}

export interface LogRetention {
  readonly maxTotalSize: number;
  readonly maxCount: number;
  readonly maxAgeMs: number;
}

export interface MaintenanceParams {
  readonly owner: string;
  readonly quick: CycleParams;
  readonly full: CycleParams;
  readonly logRetention: LogRetention;
  readonly extendObjectLocks: boolean;
  readonly listParallelism: number;
  /** The payload as read (unmodeled keys survive a rewrite). */
  readonly raw: Readonly<Record<string, unknown>>;
}

/** kopia defaultLogRetention. */
export const DEFAULT_LOG_RETENTION: LogRetention = { maxTotalSize: 1 << 30, maxCount: 10_000, maxAgeMs: 30 * 24 * HOUR };

/** kopia DefaultParams (owner unset). */
export const DEFAULT_MAINTENANCE_PARAMS: MaintenanceParams = {
  owner: '',
  quick: { enabled: true, intervalMs: HOUR },
  full: { enabled: true, intervalMs: 24 * HOUR },
  logRetention: DEFAULT_LOG_RETENTION,
  extendObjectLocks: false,
  listParallelism: 0,
  raw: {},
};

/** Another client owns maintenance of this repository. */
export class MaintenanceOwnedError extends CairnError {
  readonly owner: string;
  constructor(owner: string, me: string) {
    super('MAINTENANCE_OWNED', `maintenance of this repository is owned by "${owner}", not by "${me}"`, {
      hint: owner === ''
        ? 'claim it with `cairn maintenance set-owner`'
        : `run maintenance as ${owner}, or move ownership with \`cairn maintenance set-owner\` (kopia: \`kopia maintenance set --owner=me\`) once that client no longer runs it`,
    });
    this.owner = owner;
  }
}

/** kopia LogRetentionOptions.OrDefault: all three zero means the defaults. */
export function effectiveLogRetention(r: LogRetention): LogRetention {
  return r.maxCount === 0 && r.maxAgeMs === 0 && r.maxTotalSize === 0 ? DEFAULT_LOG_RETENTION : r;
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

function cycle(v: unknown): CycleParams {
  const o = isJsonObject(v) ? v : {};
  return { enabled: o['enabled'] === true, intervalMs: Math.floor(num(o['interval']) / NS_PER_MS) };
}

export function decodeMaintenanceParams(payload: unknown): MaintenanceParams {
  const o = isJsonObject(payload) ? payload : {};
  const lr = isJsonObject(o['logRetention']) ? o['logRetention'] : {};
  return {
    owner: typeof o['owner'] === 'string' ? o['owner'] : '',
    quick: cycle(o['quick']),
    full: cycle(o['full']),
    logRetention: { maxTotalSize: num(lr['maxTotalSize']), maxCount: num(lr['maxCount']), maxAgeMs: Math.floor(num(lr['maxAge']) / NS_PER_MS) },
    extendObjectLocks: o['extendObjectLocks'] === true,
    listParallelism: num(o['listParallelism']),
    raw: o,
  };
}

export function encodeMaintenanceParams(p: MaintenanceParams): Record<string, unknown> {
  const out: Record<string, unknown> = {
    owner: p.owner,
    quick: { enabled: p.quick.enabled, interval: p.quick.intervalMs * NS_PER_MS },
    full: { enabled: p.full.enabled, interval: p.full.intervalMs * NS_PER_MS },
    logRetention: { maxTotalSize: p.logRetention.maxTotalSize, maxCount: p.logRetention.maxCount, maxAge: p.logRetention.maxAgeMs * NS_PER_MS },
    extendObjectLocks: p.extendObjectLocks,
    listParallelism: p.listParallelism,
  };
  for (const [k, v] of Object.entries(p.raw)) if (!(k in out)) out[k] = v;
  return out;
}

export interface StoredMaintenanceParams {
  /** The defaults (owner "") when the repository has no maintenance manifest. */
  readonly params: MaintenanceParams;
  /** IDs of all maintenance manifests (the latest one was read). */
  readonly manifestIds: readonly string[];
}

/** kopia GetParams. */
export async function readMaintenanceParams(manifests: Pick<ManifestStore, 'find' | 'get'>): Promise<StoredMaintenanceParams> {
  const found = (await manifests.find(MAINTENANCE_MANIFEST_LABELS))
    .sort((a, b) => compareRfc3339Nano(a.modified, b.modified) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const latest = found.at(-1); // kopia PickLatestID: newest modification time, then greatest ID
  if (latest === undefined) return { params: DEFAULT_MAINTENANCE_PARAMS, manifestIds: [] };
  const entry = await manifests.get<unknown>(latest.id);
  return { params: decodeMaintenanceParams(entry.payload), manifestIds: found.map((f) => f.id) };
}

/** kopia SetParams (ReplaceManifests): the caller flushes. */
export async function writeMaintenanceParams(manifests: Pick<ManifestStore, 'find' | 'put' | 'delete'>, params: MaintenanceParams): Promise<string> {
  const old = await manifests.find(MAINTENANCE_MANIFEST_LABELS);
  for (const m of old) await manifests.delete(m.id);
  return manifests.put(MAINTENANCE_MANIFEST_LABELS, encodeMaintenanceParams(params));
}
