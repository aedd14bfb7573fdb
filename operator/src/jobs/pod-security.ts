// Security settings of mover pods. The default meets the Pod Security "restricted" profile: non-root,
// no privilege escalation, all capabilities dropped, RuntimeDefault seccomp, read-only root filesystem,
// no service-account token. A privileged mover (root plus the capabilities needed to read and restore
// files of any owner) exists only where the namespace opts in with cairn.dev/privileged-movers: "true".
import type { Json } from '../api/core-types.ts';
import type { Namespace } from '../api/core-types.ts';
import { ANNOTATIONS } from '../api/names.ts';

export const DEFAULT_MOVER_UID = 65532;

export function privilegedMoversAllowed(ns: Namespace | undefined): boolean {
  return ns?.metadata.annotations?.[ANNOTATIONS.privilegedMovers] === 'true';
}

export function podSecurityContext(privileged: boolean, overrides: Record<string, unknown> | undefined): Json {
  const base: Json = privileged
    ? { runAsUser: 0, runAsGroup: 0, runAsNonRoot: false, seccompProfile: { type: 'RuntimeDefault' } }
    : { runAsUser: DEFAULT_MOVER_UID, runAsGroup: DEFAULT_MOVER_UID, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } };
  // The user's settings (e.g. runAsUser/fsGroup of the workload) win, except that an unprivileged mover
  // always keeps runAsNonRoot and a seccomp profile.
  const merged: Json = { ...base, ...(overrides ?? {}) };
  if (!privileged) {
    merged['runAsNonRoot'] = true;
    if (merged['runAsUser'] === 0) merged['runAsUser'] = DEFAULT_MOVER_UID;
    merged['seccompProfile'] ??= { type: 'RuntimeDefault' };
  }
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
