// Listings of what a repository holds, read behind the CLI's back (the filesystem directly, S3 through the
// admin credentials), so tests can prove "nothing was written" or "only a manifest pack and an index were
// added" by comparing a listing before and after a command.
import { lstat, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ListBucketsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { MinioServer } from '../../support/minio.ts';

/** Path (filesystem: relative path, `dir/` for directories; S3: key) -> a fingerprint of its contents. */
export type Listing = ReadonlyMap<string, string>;

export interface ListingDiff {
  readonly added: string[];
  readonly removed: string[];
  readonly changed: string[];
}

/** Every file and directory under `root` (fingerprint: type, size, mtime, inode). */
export async function listTree(root: string): Promise<Listing> {
  const out = new Map<string, string>();
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(rel === '' ? root : join(root, rel), { withFileTypes: true });
    for (const e of entries) {
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      const st = await lstat(join(root, r), { bigint: true });
      if (e.isDirectory()) {
        out.set(`${r}/`, `dir ${(st.mode & 0o7777n).toString(8)} ${st.mtimeNs}`);
        await walk(r);
      } else {
        out.set(r, `${e.isSymbolicLink() ? 'link' : 'file'} ${st.size} ${st.mtimeNs} ${st.ino} ${(st.mode & 0o7777n).toString(8)}`);
      }
    }
  };
  try {
    await stat(root);
  } catch {
    return out; // a missing directory lists as empty; callers that care check existence themselves
  }
  await walk('');
  return out;
}

export function diffListings(before: Listing, after: Listing): ListingDiff {
  const added: string[] = [];
  const removed: string[] = [];
  const changed: string[] = [];
  for (const [k, v] of after) {
    const b = before.get(k);
    if (b === undefined) added.push(k);
    else if (b !== v) changed.push(k);
  }
  for (const k of before.keys()) if (!after.has(k)) removed.push(k);
  return { added: added.sort(), removed: removed.sort(), changed: changed.sort() };
}

/** The kopia blob ID of a file of a filesystem repository (`p/abc/def…-s1.f` -> `pabcdef…-s1`), or undefined for non-blobs. */
export function blobIdOfPath(rel: string): string | undefined {
  if (rel.endsWith('/') || !rel.endsWith('.f')) return undefined;
  return rel.slice(0, -2).replace(/\//g, '');
}

/** Blob IDs of a filesystem repository. */
export async function fsBlobIds(root: string): Promise<string[]> {
  const ids: string[] = [];
  for (const k of (await listTree(root)).keys()) {
    const id = blobIdOfPath(k);
    if (id !== undefined) ids.push(id);
  }
  return ids.sort();
}

/** Reads buckets and objects of a MinIO server with its root credentials. */
export class S3Lister {
  private readonly client: S3Client;

  constructor(minio: MinioServer) {
    this.client = new S3Client({
      endpoint: minio.endpoint, region: minio.region, forcePathStyle: true, credentials: minio.credentials, maxAttempts: 2,
    });
  }

  /** Key (relative to `prefix`) -> "size etag". */
  async list(bucket: string, prefix = ''): Promise<Listing> {
    const out = new Map<string, string>();
    let token: string | undefined;
    do {
      const r = await this.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of r.Contents ?? []) out.set(o.Key!.slice(prefix.length), `${o.Size ?? 0} ${o.ETag ?? ''}`);
      token = r.IsTruncated === true ? r.NextContinuationToken : undefined;
    } while (token !== undefined);
    return out;
  }

  async buckets(): Promise<string[]> {
    const r = await this.client.send(new ListBucketsCommand({}));
    return (r.Buckets ?? []).map((b) => b.Name!).sort();
  }

  destroy(): void {
    this.client.destroy();
  }
}
