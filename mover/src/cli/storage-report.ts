// What a run asked of storage (requests and bytes) and how the local cache served it: logged once at the end
// of every command and part of `snapshot create --json`, so an operator can see a cache working (or a run
// listing and downloading far more than it should). Counts only, never blob IDs or secrets.
import type { StorageCounts } from '../engine/blob/counting-store.ts';
import type { BlobCacheStats } from '../engine/content/blob-cache.ts';
import { formatBytes, formatCount } from './format-units.ts';

export interface StorageReport extends StorageCounts {
  /** Present when a local cache was in use. */
  readonly cache?: Readonly<BlobCacheStats>;
}

export function storageReport(counts: StorageCounts, cache: BlobCacheStats | undefined): StorageReport {
  return { ...counts, ...(cache === undefined ? {} : { cache: { ...cache } }) };
}

/** e.g. `storage: 12 gets (1.20 MB), 3 lists, 2 puts (25.1 MB), cache 140 hits / 2 misses` */
export function formatStorageReport(r: StorageReport): string {
  const parts = [`${formatCount(r.gets)} gets (${formatBytes(r.getBytes)})`, `${formatCount(r.lists)} lists`];
  if (r.puts > 0) parts.push(`${formatCount(r.puts)} puts (${formatBytes(r.putBytes)})`);
  if (r.deletes > 0) parts.push(`${formatCount(r.deletes)} deletes`);
  if (r.cache !== undefined) {
    let c = `cache ${formatCount(r.cache.hits)} hits / ${formatCount(r.cache.misses)} misses`;
    if (r.cache.invalid > 0) c += `, ${formatCount(r.cache.invalid)} invalid`;
    parts.push(c);
  }
  return `storage: ${parts.join(', ')}`;
}
