// The mover Jobs and staging objects of one SnapshotSchedule run: `snapshot create` of a PVC (directly, or
// from a CSI VolumeSnapshot or clone of it) and `snapshot expire` with the schedule's retention.
import type { Job, PersistentVolumeClaim, VolumeSnapshot } from '../../api/core-types.ts';
import type { ObjectMeta, OwnerReference } from '../../api/meta.ts';
import type { BackupRepository, MoverOverrides, MoverOverridesCache, ScheduleRun, ScheduleRunSourcesItem, SnapshotSchedule } from '../../api/resources.ts';
import { ANNOTATIONS, LABELS, MANAGED_BY, childName, labelValue } from '../../api/names.ts';
import { DATA_DIR, buildMoverJob } from '../../jobs/mover-job.ts';
import { repositoryAccess } from '../../jobs/repository-access.ts';
import type { OperatorContext } from '../../operator-context.ts';
import type { Placement } from '../placement/placement.ts';
import type { ConsumerIds } from '../../jobs/pod-security.ts';
import { expireInvocation } from '../retention/maintenance-expiry.ts';

export function sourceIdentity(s: SnapshotSchedule, pvc: string): string {
  const prefix = s.spec.sourcePathPrefix.replace(/\/+$/, '');
  return `${s.metadata.namespace ?? ''}@cairn:${prefix}/${pvc}`;
}

export const snapshotJobName = (s: SnapshotSchedule, run: ScheduleRun, pvc: string): string =>
  childName([s.metadata.name ?? '', pvc, run.id ?? '']);
export const expireJobName = (s: SnapshotSchedule, run: ScheduleRun, pvc: string): string =>
  childName([s.metadata.name ?? '', pvc, run.id ?? '', 'expire']);
export const stagingName = (s: SnapshotSchedule, run: ScheduleRun, pvc: string): string =>
  childName([s.metadata.name ?? '', pvc, run.id ?? '', 'src']);

function runLabels(s: SnapshotSchedule, run: ScheduleRun, pvc: string): Record<string, string> {
  return {
    [LABELS.schedule]: labelValue(s.metadata.name ?? ''),
    [LABELS.repository]: labelValue(s.spec.repository),
    [LABELS.run]: labelValue(run.id ?? ''),
    [LABELS.pvc]: labelValue(pvc),
  };
}

export function mergedOverrides(repo: BackupRepository, s: { spec: { mover?: MoverOverrides } }): Partial<MoverOverrides> {
  return { ...(repo.spec.mover ?? {}), ...(s.spec.mover ?? {}) };
}

/** The PVC a schedule's backups of `pvc` keep their cache in (mover.cache.persistent). */
export const cacheClaimName = (s: SnapshotSchedule, pvc: string): string => childName([s.metadata.name ?? '', pvc, 'cache']);

/** The cache settings when the schedule's backups keep their cache across runs. */
export function persistentCache(repo: BackupRepository, s: SnapshotSchedule): MoverOverridesCache | undefined {
  const cache = mergedOverrides(repo, s).cache;
  return cache?.persistent === true ? cache : undefined;
}

/**
 * The cache PVC of one source of a schedule: owned by the schedule (deleted with it), ReadWriteOnce like a
 * mover's data volume, so it binds where the first backup runs and later backups of the same PVC follow.
 */
export function buildCachePvc(s: SnapshotSchedule, pvc: string, cache: MoverOverridesCache): PersistentVolumeClaim {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name: cacheClaimName(s, pvc),
      namespace: s.metadata.namespace,
      labels: {
        [LABELS.managedBy]: MANAGED_BY,
        [LABELS.component]: 'cache',
        [LABELS.schedule]: labelValue(s.metadata.name ?? ''),
        [LABELS.repository]: labelValue(s.spec.repository),
        [LABELS.pvc]: labelValue(pvc),
      },
      ownerReferences: stagingOwner(s),
    },
    spec: {
      accessModes: ['ReadWriteOnce'],
      ...(cache.storageClassName !== undefined ? { storageClassName: cache.storageClassName } : {}),
      resources: { requests: { storage: cache.capacity } },
    },
  };
}

/** The cacheClaim of a Job of this schedule and source: its cache PVC when the cache persists. */
function cacheClaim(repo: BackupRepository, s: SnapshotSchedule, pvc: string): { cacheClaim?: string } {
  return persistentCache(repo, s) !== undefined ? { cacheClaim: cacheClaimName(s, pvc) } : {};
}

export function buildSnapshotJob(
  ctx: OperatorContext,
  s: SnapshotSchedule,
  repo: BackupRepository,
  run: ScheduleRun,
  src: ScheduleRunSourcesItem,
  claimName: string,
  placement: Placement,
  privileged: boolean,
  consumer?: ConsumerIds,
): Job {
  return buildMoverJob({
    name: snapshotJobName(s, run, src.pvc),
    namespace: s.metadata.namespace!,
    owner: s,
    purpose: 'snapshot',
    image: ctx.config.moverImage,
    imagePullSecrets: ctx.config.moverImagePullSecrets,
    command: ctx.config.moverCommand,
    invocation: {
      command: 'snapshot create',
      path: DATA_DIR,
      source: sourceIdentity(s, src.pvc),
      tags: { 'cairn.dev/schedule': s.metadata.name ?? '' },
      // lost+found at the root of an ext4 volume is root's and 0700: unreadable to an unprivileged mover, and
      // never the app's data. Skipping it keeps every backup of such a volume from coming out partial.
      exclude: [...new Set(['/lost+found', ...(s.spec.exclude ?? [])])],
      ...(s.spec.compression !== undefined ? { compression: s.spec.compression } : {}),
    },
    access: repositoryAccess(repo),
    data: { claimName, readOnly: true },
    overrides: mergedOverrides(repo, s),
    privileged,
    consumer,
    nodeName: placement.nodeName,
    tolerations: placement.tolerations,
    labels: runLabels(s, run, src.pvc),
    annotations: { [ANNOTATIONS.scheduledTime]: run.scheduledTime ?? run.startTime ?? '' },
    logLevel: ctx.config.moverLogLevel,
    ...cacheClaim(repo, s, src.pvc),
  });
}

export function buildExpireJob(ctx: OperatorContext, s: SnapshotSchedule, repo: BackupRepository, run: ScheduleRun, pvc: string): Job {
  const invocation = expireInvocation(s, sourceIdentity(s, pvc));
  if (invocation === undefined) throw new Error(`SnapshotSchedule ${s.metadata.name ?? ''} has no retention to apply`);
  const overrides = { ...mergedOverrides(repo, s), privileged: false };
  return buildMoverJob({
    name: expireJobName(s, run, pvc),
    namespace: s.metadata.namespace!,
    owner: s,
    purpose: 'expire',
    image: ctx.config.moverImage,
    imagePullSecrets: ctx.config.moverImagePullSecrets,
    command: ctx.config.moverCommand,
    invocation,
    access: repositoryAccess(repo),
    overrides,
    privileged: false,
    labels: runLabels(s, run, pvc),
    logLevel: ctx.config.moverLogLevel,
    ...cacheClaim(repo, s, pvc),
  });
}

/**
 * Staging objects are owned by their schedule: deleting the schedule mid-run garbage-collects them instead
 * of leaking full-size volume copies. (Not a controller reference: nothing routes their events.)
 */
function stagingOwner(s: SnapshotSchedule): OwnerReference[] {
  return [{ apiVersion: s.apiVersion, kind: s.kind, name: s.metadata.name ?? '', uid: s.metadata.uid ?? '', blockOwnerDeletion: true }];
}

/** Name, labels and owner of a run's staging object (VolumeSnapshot or PVC): the same for both kinds. */
function stagingMetadata(s: SnapshotSchedule, run: ScheduleRun, pvc: string): ObjectMeta {
  return {
    name: stagingName(s, run, pvc),
    namespace: s.metadata.namespace,
    labels: { [LABELS.managedBy]: MANAGED_BY, [LABELS.component]: 'staging', ...runLabels(s, run, pvc) },
    ownerReferences: stagingOwner(s),
  };
}

export function buildVolumeSnapshot(s: SnapshotSchedule, run: ScheduleRun, pvc: string): VolumeSnapshot {
  return {
    apiVersion: 'snapshot.storage.k8s.io/v1',
    kind: 'VolumeSnapshot',
    metadata: stagingMetadata(s, run, pvc),
    spec: {
      source: { persistentVolumeClaimName: pvc },
      ...(s.spec.volumeSnapshotClassName !== undefined ? { volumeSnapshotClassName: s.spec.volumeSnapshotClassName } : {}),
    },
  };
}

/** A temporary PVC with the source's contents, from a VolumeSnapshot or (Clone) the PVC itself. */
export function buildStagingPvc(s: SnapshotSchedule, run: ScheduleRun, source: PersistentVolumeClaim, from: 'Snapshot' | 'Clone', restoreSize?: string): PersistentVolumeClaim {
  const size = restoreSize ?? source.status?.capacity?.['storage'] ?? source.spec?.resources?.requests?.['storage'] ?? '1Gi';
  const pvc = source.metadata.name!;
  const storageClassName = s.spec.stagingStorageClassName ?? source.spec?.storageClassName;
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: stagingMetadata(s, run, pvc),
    spec: {
      accessModes: ['ReadWriteOnce'],
      ...(storageClassName !== undefined ? { storageClassName } : {}),
      resources: { requests: { storage: size } },
      dataSource:
        from === 'Snapshot'
          ? { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: stagingName(s, run, pvc) }
          : { kind: 'PersistentVolumeClaim', name: pvc },
      ...(source.spec?.volumeMode !== undefined ? { volumeMode: source.spec.volumeMode } : {}),
    },
  };
}
