// Retention applied to snapshot manifests: group by source (kopia GroupBySource) and evaluate each group with
// that source's policy. Still pure: the caller lists the manifests and resolves the policies.
import type { SnapshotManifest } from '../snapshot/snapshot-manifest.ts';
import type { SourceInfo } from '../snapshot/source-info.ts';
import { evaluateRetention } from './retention-policy.ts';
import type { EvaluateRetentionOptions, RetentionDecision, RetentionPolicy, RetentionSnapshot } from './retention-policy.ts';

/** The retention view of a snapshot manifest (incomplete = non-empty `incomplete` field, as kopia). */
export function toRetentionSnapshot(m: SnapshotManifest): RetentionSnapshot {
  return {
    id: m.id,
    startTime: m.startTime,
    endTime: m.endTime,
    incomplete: m.incomplete !== undefined && m.incomplete !== '',
    pins: m.pins,
  };
}

export interface SourceRetention {
  readonly source: SourceInfo;
  readonly policy: RetentionPolicy;
  readonly decision: RetentionDecision;
}

/** Evaluates every source's snapshots with the policy `policyFor` returns; sources in first-seen order. */
export function evaluateRetentionBySource(
  manifests: readonly SnapshotManifest[],
  policyFor: (source: SourceInfo) => RetentionPolicy,
  options: EvaluateRetentionOptions,
): SourceRetention[] {
  const groups = new Map<string, { source: SourceInfo; snaps: RetentionSnapshot[] }>();
  for (const m of manifests) {
    const key = JSON.stringify([m.source.host, m.source.userName, m.source.path]);
    let g = groups.get(key);
    if (g === undefined) {
      g = { source: m.source, snaps: [] };
      groups.set(key, g);
    }
    g.snaps.push(toRetentionSnapshot(m));
  }
  return [...groups.values()].map(({ source, snaps }) => {
    const policy = policyFor(source);
    return { source, policy, decision: evaluateRetention(snaps, policy, options) };
  });
}
