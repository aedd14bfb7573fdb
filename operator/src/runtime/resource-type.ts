// The API resources the operator touches, and how their REST paths are built.

export interface ResourceType {
  readonly group: string; // '' for the core group
  readonly version: string;
  readonly plural: string;
  readonly kind: string;
  readonly namespaced: boolean;
  readonly apiVersion: string;
}

function rt(group: string, version: string, plural: string, kind: string, namespaced = true): ResourceType {
  return { group, version, plural, kind, namespaced, apiVersion: group === '' ? version : `${group}/${version}` };
}

export const CAIRN_GROUP = 'cairn.dev';
export const CAIRN_VERSION = 'v1alpha1';
export const CAIRN_API_VERSION = `${CAIRN_GROUP}/${CAIRN_VERSION}` as const;

export const BACKUP_REPOSITORIES = rt(CAIRN_GROUP, CAIRN_VERSION, 'backuprepositories', 'BackupRepository');
export const SNAPSHOT_SCHEDULES = rt(CAIRN_GROUP, CAIRN_VERSION, 'snapshotschedules', 'SnapshotSchedule');
export const RESTORES = rt(CAIRN_GROUP, CAIRN_VERSION, 'restores', 'Restore');
export const SNAPSHOTS = rt(CAIRN_GROUP, CAIRN_VERSION, 'snapshots', 'Snapshot');

export const JOBS = rt('batch', 'v1', 'jobs', 'Job');
export const PODS = rt('', 'v1', 'pods', 'Pod');
export const PVCS = rt('', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim');
export const SECRETS = rt('', 'v1', 'secrets', 'Secret');
export const CONFIG_MAPS = rt('', 'v1', 'configmaps', 'ConfigMap');
export const NAMESPACES = rt('', 'v1', 'namespaces', 'Namespace', false);
export const LEASES = rt('coordination.k8s.io', 'v1', 'leases', 'Lease');
export const EVENTS = rt('events.k8s.io', 'v1', 'events', 'Event');
/** core/v1 Events: what the Job controller writes (FailedCreate), read by field selector on the Job's uid. */
export const CORE_EVENTS = rt('', 'v1', 'events', 'Event');
export const VOLUME_SNAPSHOTS = rt('snapshot.storage.k8s.io', 'v1', 'volumesnapshots', 'VolumeSnapshot');
export const CRDS = rt('apiextensions.k8s.io', 'v1', 'customresourcedefinitions', 'CustomResourceDefinition', false);

export function resourcePath(type: ResourceType, namespace?: string, name?: string, subresource?: string): string {
  let p = type.group === '' ? `/api/${type.version}` : `/apis/${type.group}/${type.version}`;
  if (type.namespaced && namespace !== undefined) p += `/namespaces/${encodeURIComponent(namespace)}`;
  p += `/${type.plural}`;
  if (name !== undefined) p += `/${encodeURIComponent(name)}`;
  if (subresource !== undefined) p += `/${subresource}`;
  return p;
}
