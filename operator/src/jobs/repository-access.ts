// How a mover reaches a BackupRepository: the --repo URL and the volumes that carry the password, storage
// credentials and CA bundle as files (never environment variables or command-line arguments).
import type { BackupRepository } from '../api/resources.ts';
import type { Json } from '../api/core-types.ts';
import type { MoverGlobals } from '../../../mover/src/contract/mover-argv.ts';

export const PASSWORD_DIR = '/etc/cairn/repository';
export const S3_CREDENTIALS_DIR = '/etc/cairn/s3';
export const CA_DIR = '/etc/cairn/ca';
export const FILESYSTEM_ROOT = '/repository';

export interface RepositoryAccess {
  readonly url: string;
  /** The repository flags of every mover command. */
  readonly globals: Pick<MoverGlobals, 'repo' | 'passwordFile' | 's3CredentialsDir'>;
  readonly volumes: Json[];
  readonly mounts: Json[];
  /** Secrets the mover mounts (so the operator can check they exist). */
  readonly secretNames: string[];
  /** CAIRN_USER and CAIRN_HOSTNAME: the client identity every mover of this repository presents. */
  readonly env: Json[];
  /** The repository is a directory on a PVC (filesystem backend) that every mover mounts read-write. */
  readonly onVolume: boolean;
}

/** The user every mover presents to a repository (kopia's username). */
export const MOVER_USER = 'cairn';

/**
 * The client identity (kopia's username@hostname) of every mover of one repository. Maintenance ownership is
 * keyed by it, so it must not change from one Job to the next: the default (the process user and the pod's
 * random hostname) made every maintenance after the first fail with "owned by another client". It names the
 * BackupRepository, `<name>.<namespace>` (namespaces have no dots, so the split is unambiguous). Snapshot
 * sources are unaffected: they are passed explicitly as <namespace>@cairn:/pvc/<pvc>.
 */
export function moverIdentity(repo: BackupRepository): { readonly user: string; readonly host: string } {
  return { user: MOVER_USER, host: `${repo.metadata.name ?? ''}.${repo.metadata.namespace ?? ''}` };
}

/**
 * `readOnly` mounts a filesystem repository's volume read-only (restores): the kubelet then leaves it alone
 * even when the pod's fsGroup is the restore target's, not the repository's.
 */
export function repositoryAccess(repo: BackupRepository, options: { readonly readOnly?: boolean } = {}): RepositoryAccess {
  const { storage, passwordSecretRef } = repo.spec;
  const volumes: Json[] = [
    {
      name: 'repository-password',
      secret: { secretName: passwordSecretRef.name, items: [{ key: passwordSecretRef.key, path: 'password' }], defaultMode: 0o444 },
    },
  ];
  const mounts: Json[] = [{ name: 'repository-password', mountPath: PASSWORD_DIR, readOnly: true }];
  let s3CredentialsDir: string | undefined;
  const secretNames = [passwordSecretRef.name];
  let url: string;
  if (storage.s3 !== undefined) {
    const s3 = storage.s3;
    const prefix = s3.prefix.replace(/^\/+/, '');
    const params = new URLSearchParams();
    if (s3.endpoint !== undefined && s3.endpoint !== '') params.set('endpoint', s3.endpoint.replace(/\/$/, ''));
    params.set('region', s3.region);
    if (s3.caBundle !== undefined) {
      params.set('ca', `${CA_DIR}/ca.pem`);
      const items = [{ key: s3.caBundle.key, path: 'ca.pem' }];
      volumes.push(
        s3.caBundle.secretName !== undefined
          ? { name: 'repository-ca', secret: { secretName: s3.caBundle.secretName, items, defaultMode: 0o444 } }
          : { name: 'repository-ca', configMap: { name: s3.caBundle.configMapName, items, defaultMode: 0o444 } },
      );
      mounts.push({ name: 'repository-ca', mountPath: CA_DIR, readOnly: true });
      if (s3.caBundle.secretName !== undefined) secretNames.push(s3.caBundle.secretName);
    }
    url = `s3://${s3.bucket}/${prefix}?${params.toString()}`;
    volumes.push({ name: 'repository-s3', secret: { secretName: s3.credentialsSecretRef.name, defaultMode: 0o444 } });
    mounts.push({ name: 'repository-s3', mountPath: S3_CREDENTIALS_DIR, readOnly: true });
    s3CredentialsDir = S3_CREDENTIALS_DIR;
    secretNames.push(s3.credentialsSecretRef.name);
  } else if (storage.filesystem !== undefined) {
    const fs = storage.filesystem;
    volumes.push({ name: 'repository-volume', persistentVolumeClaim: { claimName: fs.claimName } });
    mounts.push({ name: 'repository-volume', mountPath: FILESYSTEM_ROOT, ...(options.readOnly === true ? { readOnly: true } : {}) });
    const sub = fs.path.replace(/^\/+/, '').replace(/\/+$/, '');
    // Movers of several UIDs (each app's) share the repository through its group; see pod-security.ts.
    url = `file://${FILESYSTEM_ROOT}${sub === '' ? '' : `/${sub}`}?shared=group`;
  } else {
    throw new Error(`BackupRepository ${repo.metadata.name ?? ''} has no storage backend`);
  }
  const globals = { repo: url, passwordFile: `${PASSWORD_DIR}/password`, ...(s3CredentialsDir !== undefined ? { s3CredentialsDir } : {}) };
  const id = moverIdentity(repo);
  const env = [
    { name: 'CAIRN_USER', value: id.user },
    { name: 'CAIRN_HOSTNAME', value: id.host },
  ];
  return { url, globals, volumes, mounts, secretNames, env, onVolume: storage.filesystem !== undefined };
}
