import { describe, expect, it } from 'vitest';
import type { Pod } from '../api/core-types.ts';
import { consumerIds, podSecurityContext, privilegedMoverDenied } from './pod-security.ts';

const postgres = { pod: 'db-0', runAsUser: 999, runAsGroup: 999, fsGroup: 999, supplementalGroups: [1234] };

describe('mover pod security context', () => {
  it('runs as 65532 with fsGroup 65532 (OnRootMismatch) by default', () => {
    expect(podSecurityContext({ privileged: false, repositoryOnVolume: false, defaultFsGroup: true })).toEqual({
      runAsUser: 65532,
      runAsGroup: 65532,
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
      fsGroup: 65532,
      fsGroupChangePolicy: 'OnRootMismatch',
    });
    expect(podSecurityContext({ privileged: false, repositoryOnVolume: false, defaultFsGroup: false })).not.toHaveProperty('fsGroup');
  });

  it("takes the consumer's UID, GID, fsGroup and groups for an object-store repository", () => {
    expect(podSecurityContext({ privileged: false, consumer: postgres, repositoryOnVolume: false, defaultFsGroup: true })).toMatchObject({
      runAsUser: 999,
      runAsGroup: 999,
      fsGroup: 999,
      supplementalGroups: [1234],
      runAsNonRoot: true,
    });
  });

  it("takes the consumer's UID for a filesystem repository but keeps its group 65532 (fsGroup of the repository volume)", () => {
    expect(podSecurityContext({ privileged: false, consumer: postgres, repositoryOnVolume: true, defaultFsGroup: true })).toMatchObject({
      runAsUser: 999,
      runAsGroup: 999,
      fsGroup: 65532,
      supplementalGroups: [999, 1234],
    });
    // A restore that sets its own fsGroup for the new volume still holds the repository's group.
    expect(podSecurityContext({ privileged: false, overrides: { runAsUser: 1000, fsGroup: 1000 }, repositoryOnVolume: true, defaultFsGroup: true })).toMatchObject({
      runAsUser: 1000,
      fsGroup: 1000,
      supplementalGroups: [65532],
    });
  });

  it('never runs as root without privilege: a root consumer lends only its groups, and a runAsUser 0 override is refused', () => {
    const sc = podSecurityContext({ privileged: false, consumer: { pod: 'x', runAsUser: 0, runAsGroup: 0, fsGroup: 2000 }, repositoryOnVolume: false, defaultFsGroup: true });
    expect(sc).toMatchObject({ runAsUser: 65532, runAsGroup: 65532, fsGroup: 2000, supplementalGroups: [0] });
    expect(podSecurityContext({ privileged: false, overrides: { runAsUser: 0, fsGroup: 7 }, repositoryOnVolume: false, defaultFsGroup: true })).toMatchObject({
      runAsUser: 65532,
      runAsNonRoot: true,
      fsGroup: 7,
    });
  });

  it('lets spec.mover.podSecurityContext win over what it inherited', () => {
    expect(podSecurityContext({ privileged: false, consumer: postgres, overrides: { runAsUser: 1001 }, repositoryOnVolume: false, defaultFsGroup: true })).toMatchObject({
      runAsUser: 1001,
      runAsGroup: 999,
    });
  });

  it('reads the ids of the container that mounts the claim over the pod-level ones', () => {
    const pod: Pod = {
      metadata: { name: 'app-0' },
      spec: {
        securityContext: { runAsUser: 1000, runAsGroup: 1000, fsGroup: 3000 },
        containers: [
          { name: 'sidecar', securityContext: { runAsUser: 5 } },
          { name: 'app', securityContext: { runAsUser: 26 }, volumeMounts: [{ name: 'pgdata', mountPath: '/var/lib/pg' }] },
        ],
        volumes: [{ name: 'pgdata', persistentVolumeClaim: { claimName: 'data' } }],
      },
    };
    expect(consumerIds(pod, 'data')).toEqual({ pod: 'app-0', runAsUser: 26, runAsGroup: 1000, fsGroup: 3000 });
  });
});

describe('privileged movers', () => {
  const ns = (annotations: Record<string, string>, labels: Record<string, string> = {}): { metadata: { name: string; annotations: Record<string, string>; labels: Record<string, string> } } => ({
    metadata: { name: 'app', annotations, labels },
  });
  it('need the namespace annotation and a namespace that does not enforce restricted', () => {
    expect(privilegedMoverDenied(ns({ 'cairn.dev/privileged-movers': 'true' }))).toBeUndefined();
    expect(privilegedMoverDenied(ns({ 'cairn.dev/privileged-movers': 'true' }, { 'pod-security.kubernetes.io/enforce': 'baseline' }))).toBeUndefined();
    expect(privilegedMoverDenied(ns({ 'cairn.dev/privileged-movers': 'yes' }))).toContain('cairn.dev/privileged-movers');
    expect(privilegedMoverDenied(ns({ 'cairn.dev/privileged-movers': 'true' }, { 'pod-security.kubernetes.io/enforce': 'restricted' }))).toContain('enforces Pod Security "restricted"');
  });
});
