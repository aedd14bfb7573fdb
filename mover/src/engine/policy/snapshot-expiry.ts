// Expiring snapshots by retention policy (kopia snapshot/policy/expire.go, cli/command_snapshot_expire.go):
// per source, the retention policy given on the command line or else the source's stored effective policy
// decides which snapshots to keep (with kopia's reasons: latest-N, hourly-N, …, plus Cairn's within-N) and
// which to delete. Deleting a snapshot is a manifest tombstone; the data goes at the next full
// maintenance. A plan that would delete every (complete) snapshot of a source is refused unless allowed.
import { CairnError } from '../errors.ts';
import type { StoredPolicy } from './effective-policy.ts';
import { effectiveKeepLatest, evaluateRetention, type RetentionPolicy } from './retention-policy.ts';
import { toRetentionSnapshot } from './snapshot-retention.ts';
import { deleteSnapshot, listSnapshots } from '../snapshot/snapshot-manager.ts';
import type { SnapshotManifest } from '../snapshot/snapshot-manifest.ts';
import { formatSourceInfo, type SourceInfo } from '../snapshot/source-info.ts';
import type { ManifestStore } from '../manifest/manifest-store.ts';
import { effectivePolicyOf, loadStoredPolicies } from './policy-store.ts';

export interface ExpiryOptions {
  /** Only this source (default: every source with snapshots). */
  readonly source?: SourceInfo | undefined;
  /** The policy to apply to every source; undefined = each source's stored effective policy. */
  readonly policy?: RetentionPolicy | undefined;
  /** IANA zone the calendar periods are read in. */
  readonly timeZone: string;
  /** 'kopia' = kopia's UTC period names with local weeks/cutoffs (agrees with `kopia snapshot expire`). */
  readonly calendar: 'zoned' | 'kopia';
  /** Evaluation time (keep-within). */
  readonly now: Date;
}

export interface ExpiryEntry {
  readonly snapshot: SnapshotManifest;
  /** Reasons to keep it (kopia order); empty = delete. */
  readonly reasons: readonly string[];
}

export interface SourceExpiry {
  readonly source: SourceInfo;
  readonly policy: RetentionPolicy;
  readonly policyFrom: 'flags' | 'stored';
  /** Newest first. */
  readonly entries: readonly ExpiryEntry[];
  readonly deleteIds: readonly string[];
  /** Every snapshot, or every complete one, would go. */
  readonly wouldDeleteAll: boolean;
}

export class DeleteAllRefusedError extends CairnError {
  constructor(sources: readonly string[]) {
    super('REFUSED', `the retention policy would delete every snapshot of ${sources.join(', ')}; nothing was deleted`, {
      hint: 'check the policy (a keep-* value of 0 keeps nothing of that kind), or pass --allow-delete-all if that is intended',
    });
  }
}

/**
 * A policy given on the command line, read literally: counts not given are 0, and all counts 0 keeps
 * nothing (beyond keep-within and pins). Stored policies follow kopia instead, where all counts 0 means
 * "keep everything" (EffectiveKeepLatest).
 */
export function literalRetentionPolicy(p: RetentionPolicy): RetentionPolicy {
  return effectiveKeepLatest(p) === Number.MAX_SAFE_INTEGER ? { ...p, keepLatest: -1 } : p;
}

function sourceKey(s: SourceInfo): string {
  return JSON.stringify([s.host, s.userName, s.path]);
}

/** Decides, per source, which snapshots the policy keeps (and why) and which it deletes. */
export async function planExpiry(manifests: ManifestStore, options: ExpiryOptions): Promise<SourceExpiry[]> {
  const snapshots = await listSnapshots(manifests, options.source);
  const stored: StoredPolicy[] = options.policy === undefined ? await loadStoredPolicies(manifests) : [];
  const groups = new Map<string, SnapshotManifest[]>();
  for (const m of snapshots) {
    const k = sourceKey(m.source);
    groups.set(k, [...(groups.get(k) ?? []), m]);
  }
  const out: SourceExpiry[] = [];
  for (const list of groups.values()) {
    const source = list[0]!.source;
    const policy = options.policy ?? effectivePolicyOf(stored, source).retention;
    const decision = evaluateRetention(list.map(toRetentionSnapshot), policy, { timeZone: options.timeZone, calendar: options.calendar, now: options.now });
    const byId = new Map(list.map((m) => [m.id, m]));
    const entries: ExpiryEntry[] = [];
    const order = [...list].reverse(); // newest first
    for (const m of order) entries.push({ snapshot: m, reasons: decision.keep.get(m.id) ?? [] });
    out.push({
      source, policy, policyFrom: options.policy === undefined ? 'stored' : 'flags', entries,
      deleteIds: decision.delete.filter((id) => byId.has(id)),
      wouldDeleteAll: decision.wouldDeleteAll || decision.wouldDeleteAllComplete,
    });
  }
  return out.sort((a, b) => (formatSourceInfo(a.source) < formatSourceInfo(b.source) ? -1 : 1));
}

/** Throws DeleteAllRefusedError when a plan empties a source and that is not allowed. */
export function checkDeleteAll(plans: readonly SourceExpiry[], allowDeleteAll: boolean): void {
  if (allowDeleteAll) return;
  const bad = plans.filter((p) => p.wouldDeleteAll && p.deleteIds.length > 0).map((p) => formatSourceInfo(p.source));
  if (bad.length > 0) throw new DeleteAllRefusedError(bad);
}

/** Deletes the planned snapshots (manifest tombstones); the caller flushes. Returns the deleted IDs. */
export async function applyExpiry(manifests: ManifestStore, plans: readonly SourceExpiry[]): Promise<string[]> {
  const deleted: string[] = [];
  for (const p of plans) {
    for (const id of p.deleteIds) {
      await deleteSnapshot(manifests, id);
      deleted.push(id);
    }
  }
  return deleted;
}

/**
 * Retention reasons of every snapshot under its source's stored policy, as `kopia snapshot list` shows
 * them (computed, never stored); empty for snapshots the policy would expire.
 */
export async function retentionReasons(manifests: ManifestStore, options: Omit<ExpiryOptions, 'policy'>): Promise<Map<string, readonly string[]>> {
  const out = new Map<string, readonly string[]>();
  for (const p of await planExpiry(manifests, options)) for (const e of p.entries) out.set(e.snapshot.id, e.reasons);
  return out;
}
