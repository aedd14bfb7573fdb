// Security settings of mover pods. The default meets the Pod Security "restricted" profile: non-root,
// no privilege escalation, all capabilities dropped, RuntimeDefault seccomp, read-only root filesystem,
// no service-account token. A privileged mover (root plus the capabilities needed to read and restore
// files of any owner) exists only where the namespace opts in with cairn.dev/privileged-movers: "true" and
// does not enforce the "restricted" profile.
//
// Which UID and groups an unprivileged mover runs with (podSecurityContext):
// - its own, 65532/65532, unless the pod that mounts the PVC (the "consumer") is known and
//   spec.mover.securityContextFrom is Consumer (the default): then the consumer's runAsUser, runAsGroup,
//   fsGroup and supplementalGroups, so it reads the app's 0600 files and restores files the app can use;
// - a repository on a PVC (filesystem backend) is shared through its group, 65532: the operator opens it
//   with ?shared=group, so its directories are setgid and group-writable and its blobs group-readable.
//   Its movers take the consumer's UID like any other (so they read the app's 0600 files), keep
//   fsGroup 65532 for the repository volume, add the consumer's groups, and always hold group 65532, so a
//   mover of any UID can read, write and maintain every blob;
// - fsGroup 65532 with fsGroupChangePolicy OnRootMismatch by default, so a fresh volume (a new restore
//   target, a filesystem repository) has a writable root. The kubelet leaves read-only mounts (every backup
//   source) alone. A restore into an existing PVC nobody uses gets no default fsGroup, so the kubelet does
//   not re-group files of a volume Cairn did not create;
// - spec.mover.podSecurityContext is merged last and wins, except that runAsNonRoot and a seccomp profile
//   always stay.
import type { Json, Namespace, Pod } from '../api/core-types.ts';
import { ANNOTATIONS } from '../api/names.ts';

export const DEFAULT_MOVER_UID = 65532;
/** The group that shares a filesystem repository among movers of different UIDs. */
export const REPOSITORY_GROUP = DEFAULT_MOVER_UID;

const PSA_ENFORCE = 'pod-security.kubernetes.io/enforce';

/** Why a privileged mover may not run in `ns`, or undefined when it may. */
export function privilegedMoverDenied(ns: Namespace | undefined): string | undefined {
  const name = ns?.metadata.name ?? '';
  if (ns?.metadata.annotations?.[ANNOTATIONS.privilegedMovers] !== 'true') {
    return `namespace ${name} does not carry the annotation ${ANNOTATIONS.privilegedMovers}: "true"`;
  }
  if (ns.metadata.labels?.[PSA_ENFORCE] === 'restricted') {
    return `namespace ${name} enforces Pod Security "restricted", which admits no root mover; label it ${PSA_ENFORCE}=baseline or use an unprivileged mover`;
  }
  return undefined;
}

/** The identity of the app that uses a PVC, read from a pod that mounts it. */
export interface ConsumerIds {
  readonly pod: string;
  readonly runAsUser?: number;
  readonly runAsGroup?: number;
  readonly fsGroup?: number;
  readonly supplementalGroups?: readonly number[];
}

interface SecurityContextIds {
  runAsUser?: number;
  runAsGroup?: number;
  fsGroup?: number;
  supplementalGroups?: number[];
}

/** The pod-level ids, overridden by those of the first container that mounts `claimName`. */
export function consumerIds(pod: Pod, claimName: string): ConsumerIds {
  const spec = pod.spec ?? {};
  const podSc = (spec['securityContext'] ?? {}) as SecurityContextIds;
  const volume = (spec.volumes ?? []).find((v) => v.persistentVolumeClaim?.claimName === claimName)?.name;
  const containers = (spec.containers ?? []) as { volumeMounts?: { name: string }[]; securityContext?: SecurityContextIds }[];
  const mounting = containers.find((c) => (c.volumeMounts ?? []).some((m) => m.name === volume));
  const runAsUser = mounting?.securityContext?.runAsUser ?? podSc.runAsUser;
  const runAsGroup = mounting?.securityContext?.runAsGroup ?? podSc.runAsGroup;
  return {
    pod: pod.metadata.name ?? '',
    ...(runAsUser !== undefined ? { runAsUser } : {}),
    ...(runAsGroup !== undefined ? { runAsGroup } : {}),
    ...(podSc.fsGroup !== undefined ? { fsGroup: podSc.fsGroup } : {}),
    ...(podSc.supplementalGroups !== undefined ? { supplementalGroups: podSc.supplementalGroups } : {}),
  };
}

export interface MoverSecurity {
  readonly privileged: boolean;
  /** spec.mover.podSecurityContext: merged last. */
  readonly overrides?: Record<string, unknown>;
  /** The consumer to take ids from (only when securityContextFrom is Consumer and one exists). */
  readonly consumer?: ConsumerIds;
  /** The repository is a directory on a PVC that every mover of it writes. */
  readonly repositoryOnVolume: boolean;
  /** Give the pod fsGroup 65532 unless the consumer's applies. */
  readonly defaultFsGroup: boolean;
}

export function podSecurityContext(m: MoverSecurity): Json {
  const seccompProfile = { type: 'RuntimeDefault' };
  if (m.privileged) return { runAsUser: 0, runAsGroup: 0, runAsNonRoot: false, seccompProfile, ...(m.overrides ?? {}) };
  const base: Json = { runAsUser: DEFAULT_MOVER_UID, runAsGroup: DEFAULT_MOVER_UID, runAsNonRoot: true, seccompProfile };
  let fsGroup: number | undefined = m.defaultFsGroup ? DEFAULT_MOVER_UID : undefined;
  const groups = new Set<number>();
  const c = m.consumer;
  if (c !== undefined) {
    // Root consumers keep the mover's own UID: an unprivileged mover never runs as 0.
    if (c.runAsUser !== undefined && c.runAsUser !== 0) {
      base['runAsUser'] = c.runAsUser;
      if (c.runAsGroup !== undefined) base['runAsGroup'] = c.runAsGroup;
    } else if (c.runAsGroup !== undefined) {
      groups.add(c.runAsGroup);
    }
    if (c.fsGroup !== undefined) {
      if (m.repositoryOnVolume) groups.add(c.fsGroup);
      else fsGroup = c.fsGroup;
    }
    for (const g of c.supplementalGroups ?? []) groups.add(g);
  }
  const overrides = m.overrides ?? {};
  const podFsGroup = (overrides['fsGroup'] as number | undefined) ?? fsGroup;
  if (m.repositoryOnVolume) groups.add(REPOSITORY_GROUP);
  if (podFsGroup !== undefined) groups.delete(podFsGroup);
  const merged: Json = {
    ...base,
    ...(fsGroup !== undefined ? { fsGroup, fsGroupChangePolicy: 'OnRootMismatch' } : {}),
    ...(groups.size > 0 ? { supplementalGroups: [...groups].sort((a, b) => a - b) } : {}),
    ...overrides,
  };
  merged['runAsNonRoot'] = true;
  if (merged['runAsUser'] === 0) merged['runAsUser'] = DEFAULT_MOVER_UID;
  merged['seccompProfile'] ??= seccompProfile;
  return merged;
}

export function containerSecurityContext(privileged: boolean): Json {
  return privileged
    ? {
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: false,
        capabilities: { drop: ['ALL'], add: ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID'] },
      }
    : {
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      };
}
