// Snapshot records (the Snapshot CRs that index a repository's snapshots): written when a mover reports a
// snapshot, removed when retention (after a run, or in maintenance) reports it deleted. Records are an index:
// the repository is the truth, so removing a record never touches data.
import type { BackupRepository, Snapshot, SnapshotSchedule } from '../../api/resources.ts';
import { LABELS, MANAGED_BY, childName, labelValue } from '../../api/names.ts';
import type { KubeObject } from '../../api/meta.ts';
import type { OperatorContext } from '../../operator-context.ts';
import { isAlreadyExists, isNotFound } from '../../runtime/kube-client.ts';
import { SNAPSHOTS } from '../../runtime/resource-type.ts';
import type { MoverResult, SnapshotSummary } from '../../../../mover/src/contract/mover-result.ts';

export const recordName = (pvc: string, snapshotId: string): string => childName([pvc, snapshotId.slice(0, 16)]);

/** Create the record of `result`'s snapshot of `pvc` (idempotent: an existing record is kept). Returns its name. */
export async function recordSnapshot(ctx: OperatorContext, s: SnapshotSchedule, pvc: string, fallbackSource: string, result: MoverResult): Promise<string> {
  const snap: SnapshotSummary = result.snapshot!;
  const ns = s.metadata.namespace!;
  const name = recordName(pvc, snap.id);
  const record: Snapshot = {
    apiVersion: 'cairn.dev/v1alpha1',
    kind: 'Snapshot',
    metadata: {
      name,
      namespace: ns,
      labels: {
        [LABELS.managedBy]: MANAGED_BY,
        [LABELS.repository]: labelValue(s.spec.repository),
        [LABELS.schedule]: labelValue(s.metadata.name ?? ''),
        [LABELS.pvc]: labelValue(pvc),
      },
    },
    spec: {
      repository: s.spec.repository,
      schedule: s.metadata.name,
      sourcePVC: pvc,
      snapshotId: snap.id,
      source: snap.source !== '' ? snap.source : fallbackSource,
      startTime: snap.startTime,
      endTime: snap.endTime,
      durationSeconds: result.durationSeconds,
      bytes: snap.bytes,
      files: snap.files,
      dirs: snap.dirs,
      bytesUploaded: snap.bytesUploaded,
      partial: snap.partial,
      skippedCount: snap.skippedCount,
    },
  };
  try {
    const created = await ctx.client.create<Snapshot>(SNAPSHOTS, ns, record);
    if (snap.retentionReasons !== undefined && snap.retentionReasons.length > 0) {
      await ctx.status.update(SNAPSHOTS, created, (): Snapshot['status'] => ({ retentionReasons: [...snap.retentionReasons!] }));
    }
    ctx.events.record(s, 'Normal', 'SnapshotCreated', `snapshot ${snap.id} of PVC ${pvc}: ${snap.files} files, ${snap.bytes} bytes`);
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
  }
  return name;
}

/**
 * Remove the records of `repository` whose snapshots retention deleted (optionally only those of one PVC),
 * and say so in an Event on `about`.
 */
export async function deleteSnapshotRecords(
  ctx: OperatorContext,
  about: KubeObject,
  repository: Pick<BackupRepository['metadata'], 'name' | 'namespace'>,
  ids: readonly string[],
  pvc?: string,
): Promise<void> {
  if (ids.length === 0) return;
  const wanted = new Set(ids);
  const ns = repository.namespace!;
  for (const rec of ctx.caches.snapshots.list(ns)) {
    if (rec.spec.repository !== repository.name || !wanted.has(rec.spec.snapshotId) || (pvc !== undefined && rec.spec.sourcePVC !== pvc)) continue;
    try {
      await ctx.client.delete(SNAPSHOTS, ns, rec.metadata.name!);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
  ctx.events.record(about, 'Normal', 'RetentionApplied', `retention removed ${ids.length} snapshot(s)${pvc !== undefined ? ` of PVC ${pvc}` : ''}`);
}
