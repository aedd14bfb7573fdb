// Builds mover Jobs: one `cairn` command in one container, the repository reached through mounted files,
// the result left as one JSON line in the termination message (--result-file /dev/termination-log) with
// terminationMessagePolicy File, so nothing is ever read from logs. Pure: the caller decides names,
// placement and whether privilege is allowed.
import type { Job, Json } from '../api/core-types.ts';
import type { KubeObject } from '../api/meta.ts';
import type { MoverOverrides } from '../api/resources.ts';
import { ERROR_CODES } from '../../../mover/src/contract/error-codes.ts';
import { moverArgs, type MoverGlobals, type MoverInvocation } from '../../../mover/src/contract/mover-argv.ts';
import { ANNOTATIONS, LABELS, MANAGED_BY, labelValue } from '../api/names.ts';
import type { RepositoryAccess } from './repository-access.ts';
import type { ConsumerIds } from './pod-security.ts';
import { containerSecurityContext, podSecurityContext } from './pod-security.ts';

export const MOVER_CONTAINER = 'mover';
export const DATA_DIR = '/data';
export const CACHE_DIR = '/cache';
export const TERMINATION_LOG = '/dev/termination-log';

/**
 * Exit codes a retry cannot fix: the Job fails at once instead of burning its backoffLimit. INTERRUPTED
 * (SIGTERM) is among them because a pod deleted by hand is a request to stop; pods stopped by the cluster
 * (eviction, preemption, node shutdown) carry the DisruptionTarget condition and are retried without
 * counting against backoffLimit (the first podFailurePolicy rule).
 */
export const FINAL_EXIT_CODES = (
  [
    'USAGE', 'PARTIAL', 'WRONG_PASSWORD', 'REPO_NOT_FOUND', 'REPO_EXISTS', 'STORAGE_PERMISSION', 'AUTH_FAILED', 'BUCKET_NOT_FOUND', 'CORRUPT',
    'TARGET_NOT_EMPTY', 'NOT_FOUND', 'UNSUPPORTED', 'MAINTENANCE_OWNED', 'APPEND_ONLY', 'REFUSED', 'TARGET_ERROR', 'INTERRUPTED',
  ] as const
).map((c) => ERROR_CODES[c].exitCode);

export interface DataVolume {
  readonly claimName: string;
  readonly readOnly: boolean;
  readonly mountPath?: string;
}

export interface MoverJobSpec {
  readonly name: string;
  readonly namespace: string;
  readonly owner: KubeObject;
  readonly purpose: string;
  readonly image: string;
  readonly command: readonly string[];
  /** The operator's default pull secrets (CAIRN_MOVER_IMAGE_PULL_SECRETS); spec.mover.imagePullSecrets add to them. */
  readonly imagePullSecrets?: readonly string[];
  /** The cairn command the mover runs (its argv comes from mover/src/contract/mover-argv.ts). */
  readonly invocation: MoverInvocation;
  readonly access: RepositoryAccess;
  readonly data?: DataVolume;
  readonly overrides: Partial<MoverOverrides>;
  /** Already checked against the namespace annotation by the caller. */
  readonly privileged: boolean;
  /** The app's ids to run with (spec.mover.securityContextFrom: Consumer and a pod mounts the PVC). */
  readonly consumer?: ConsumerIds;
  /** fsGroup 65532 unless the consumer's applies (default true; see pod-security.ts). */
  readonly defaultFsGroup?: boolean;
  readonly nodeSelector?: Record<string, string>;
  readonly tolerations?: Json[];
  /** Pin to a node (co-location with the consumer of a ReadWriteOnce volume). */
  readonly nodeName?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
  readonly logLevel?: MoverGlobals['logLevel'];
  /** Commands run one after another before the main one (init containers expire-0, expire-1, ...). */
  readonly initSteps?: readonly { readonly name: string; readonly invocation: MoverInvocation }[];
  /** A PVC that holds the cache across runs (a schedule's backups with mover.cache.persistent); else per pod. */
  readonly cacheClaim?: string;
  readonly defaultActiveDeadlineSeconds?: number;
  readonly ttlSecondsAfterFinished?: number;
}

/**
 * The pod's cache volume: the claim kept across runs when there is one, else a per-pod ephemeral PVC of
 * the given class, else an emptyDir (both sized by mover.cache.capacity).
 */
function cacheVolume(claimName: string | undefined, cache: MoverOverrides['cache'] = { capacity: '1Gi', persistent: false }): Json {
  if (claimName !== undefined) return { name: 'cache', persistentVolumeClaim: { claimName } };
  if (cache.storageClassName === undefined) return { name: 'cache', emptyDir: { sizeLimit: cache.capacity } };
  return {
    name: 'cache',
    ephemeral: {
      volumeClaimTemplate: {
        metadata: { labels: { [LABELS.managedBy]: MANAGED_BY } },
        spec: { accessModes: ['ReadWriteOnce'], storageClassName: cache.storageClassName, resources: { requests: { storage: cache.capacity } } },
      },
    },
  };
}

export function buildMoverJob(s: MoverJobSpec): Job {
  const o = s.overrides;
  const labels: Record<string, string> = {
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.component]: 'mover',
    [LABELS.ownerKind]: s.owner.kind ?? '',
    [LABELS.ownerName]: labelValue(s.owner.metadata.name ?? ''),
    [LABELS.purpose]: s.purpose,
    ...s.labels,
  };
  const volumes: Json[] = [...s.access.volumes, { name: 'tmp', emptyDir: { sizeLimit: '256Mi' } }];
  const mounts: Json[] = [...s.access.mounts, { name: 'tmp', mountPath: '/tmp' }];
  volumes.push(cacheVolume(s.cacheClaim, o.cache));
  mounts.push({ name: 'cache', mountPath: CACHE_DIR });
  if (s.data !== undefined) {
    volumes.push({ name: 'data', persistentVolumeClaim: { claimName: s.data.claimName, readOnly: s.data.readOnly } });
    mounts.push({ name: 'data', mountPath: s.data.mountPath ?? DATA_DIR, readOnly: s.data.readOnly });
  }
  // every step of the pod (init containers and the main one) shares the cache volume: index blobs and metadata
  // packs one step read or wrote are not downloaded again by the next
  const globals: MoverGlobals = { ...s.access.globals, resultFile: TERMINATION_LOG, logLevel: s.logLevel ?? 'info', cacheDir: CACHE_DIR };
  const container: Json = {
    name: MOVER_CONTAINER,
    image: o.image ?? s.image,
    imagePullPolicy: 'IfNotPresent',
    command: [...s.command],
    args: moverArgs(globals, s.invocation),
    env: [{ name: 'HOME', value: '/tmp' }, ...s.access.env],
    volumeMounts: mounts,
    securityContext: containerSecurityContext(s.privileged),
    terminationMessagePath: TERMINATION_LOG,
    terminationMessagePolicy: 'File',
    ...(o.resources !== undefined ? { resources: o.resources } : { resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '2Gi' } } }),
  };
  const nodeSelector = { ...(o.nodeSelector ?? {}), ...(s.nodeSelector ?? {}) };
  const tolerations = [...(o.tolerations ?? []), ...(s.tolerations ?? [])];
  const pullSecrets = [...new Set([...(s.imagePullSecrets ?? []), ...(o.imagePullSecrets ?? []).map((x) => x.name)])];
  const podSpec: Json = {
    restartPolicy: 'Never',
    ...(pullSecrets.length > 0 ? { imagePullSecrets: pullSecrets.map((name) => ({ name })) } : {}),
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    securityContext: podSecurityContext({
      privileged: s.privileged,
      overrides: o.podSecurityContext,
      consumer: s.consumer,
      repositoryOnVolume: s.access.onVolume,
      defaultFsGroup: s.defaultFsGroup ?? true,
    }),
    ...(s.initSteps !== undefined && s.initSteps.length > 0
      ? { initContainers: s.initSteps.map((step) => ({ ...container, name: step.name, args: moverArgs(globals, step.invocation) })) }
      : {}),
    containers: [container],
    volumes,
    ...(Object.keys(nodeSelector).length > 0 ? { nodeSelector } : {}),
    ...(tolerations.length > 0 ? { tolerations } : {}),
    ...(s.nodeName !== undefined
      ? {
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [s.nodeName] }] }],
              },
            },
          },
        }
      : {}),
  };
  const annotations = {
    ...s.annotations,
    // Which pod's UID/GIDs the mover took, for whoever wonders why it runs as 999.
    ...(s.consumer !== undefined && !s.privileged ? { [ANNOTATIONS.securityContextFrom]: `pod/${s.consumer.pod}` } : {}),
  };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: s.name,
      namespace: s.namespace,
      labels,
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
      ownerReferences: [
        {
          apiVersion: s.owner.apiVersion ?? '',
          kind: s.owner.kind ?? '',
          name: s.owner.metadata.name ?? '',
          uid: s.owner.metadata.uid ?? '',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      backoffLimit: o.backoffLimit ?? 2,
      activeDeadlineSeconds: o.activeDeadlineSeconds ?? s.defaultActiveDeadlineSeconds ?? 6 * 3600,
      ttlSecondsAfterFinished: s.ttlSecondsAfterFinished ?? 7 * 86_400,
      podFailurePolicy: {
        rules: [
          { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
          { action: 'FailJob', onExitCodes: { containerName: MOVER_CONTAINER, operator: 'In', values: FINAL_EXIT_CODES } },
        ],
      },
      // The user's pod labels and annotations (sidecar injection switches) go on the pods only; Cairn's
      // labels win, since the operator finds its pods by them.
      template: {
        metadata: {
          labels: { ...(o.podLabels ?? {}), ...labels },
          ...(s.annotations !== undefined || o.podAnnotations !== undefined ? { annotations: { ...(o.podAnnotations ?? {}), ...s.annotations } } : {}),
        },
        spec: podSpec,
      },
    },
  };
}
