// Points the real kopia CLI (e2e/support/kopia.ts) at a repository on the filesystem or on MinIO, with
// the same password the `cairn` CLI helpers use, and reads its JSON snapshot listing.
import { createKopia, type Kopia } from '../../support/kopia.ts';
import type { MinioServer } from '../../support/minio.ts';
import { TEST_PASSWORD } from './cairn-cli.ts';

export type KopiaStorage =
  | { readonly kind: 'filesystem'; readonly path: string }
  | { readonly kind: 's3'; readonly minio: MinioServer; readonly bucket: string; readonly prefix: string };

export function kopiaStorageArgs(storage: KopiaStorage): string[] {
  if (storage.kind === 'filesystem') return ['filesystem', `--path=${storage.path}`];
  const { minio, bucket, prefix } = storage;
  const endpoint = new URL(minio.endpoint);
  return [
    's3', `--bucket=${bucket}`, `--prefix=${prefix}`, `--endpoint=${endpoint.host}`, `--region=${minio.region}`,
    `--access-key=${minio.accessKey}`, `--secret-access-key=${minio.secretKey}`,
    ...(endpoint.protocol === 'http:' ? ['--disable-tls'] : []),
  ];
}

/** A fresh isolated kopia connected to an existing repository. */
export async function connectKopia(storage: KopiaStorage): Promise<Kopia> {
  const kopia = await createKopia({ password: TEST_PASSWORD });
  await kopia.ok(['repository', 'connect', ...kopiaStorageArgs(storage)]);
  return kopia;
}

/** A fresh isolated kopia that creates a repository with kopia's defaults (plus `extra` flags). */
export async function createKopiaRepository(storage: KopiaStorage, extra: readonly string[] = []): Promise<Kopia> {
  const kopia = await createKopia({ password: TEST_PASSWORD });
  await kopia.ok(['repository', 'create', ...kopiaStorageArgs(storage), ...extra]);
  return kopia;
}

/** One entry of `kopia snapshot list --all --json`. */
export interface KopiaSnapshot {
  readonly id: string;
  readonly source: { readonly host: string; readonly userName: string; readonly path: string };
  readonly startTime: string;
  readonly stats: { readonly fileCount: number; readonly dirCount: number; readonly totalSize: number; readonly errorCount: number };
  readonly rootEntry: { readonly obj: string; readonly mode: string; readonly mtime: string };
}

export async function kopiaSnapshots(kopia: Kopia): Promise<KopiaSnapshot[]> {
  return kopia.json<KopiaSnapshot[]>(['snapshot', 'list', '--all']);
}
