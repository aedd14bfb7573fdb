// Merging index blobs into one compacted set (kopia indexblob ManagerV1.CompactEpoch, index
// OneUseBuilder.BuildShards): every entry of the input blobs goes through kopia's merge rule (the winner
// per content: newer timestamp, then live over deleted, then greater pack ID), deleted entries included —
// dropping a tombstone could resurrect an older live entry of another index. The result is written as
// `<outputPrefix><hash>-s<16 hex>-c<N>` blobs (blobcrypto), a complete set once all N exist; more than
// 16e6 entries are split into shards by FNV-32a of the content ID, as kopia does.
import { randomBytes } from 'node:crypto';
import type { BlobStore } from '../blob/blob-store.ts';
import { decryptBlob, encryptBlob } from '../crypto/blob-crypto.ts';
import type { ContentEncryptor } from '../crypto/content-encryptor.ts';
import type { KeyedHasher } from '../crypto/keyed-hasher.ts';
import { IndexBuilder } from './index-builder.ts';
import { buildIndex, openIndex } from './index-codec.ts';

/** kopia DefaultIndexShardSize: the most entries one compacted index blob holds. */
export const DEFAULT_INDEX_SHARD_SIZE = 16_000_000;

export interface IndexCompactionOptions {
  readonly store: BlobStore;
  readonly hasher: KeyedHasher;
  readonly encryptor: ContentEncryptor;
  /** 1 or 2 (the repository's index version). */
  readonly indexVersion: number;
  readonly shardSize?: number;
  /** Called after each output blob is stored (tests use it to interrupt a compaction half-way). */
  readonly onBlobWritten?: (blobId: string) => void | Promise<void>;
}

/** The merged entries of the given index blobs (each read, decrypted and parsed). */
export async function mergeIndexBlobs(store: BlobStore, encryptor: ContentEncryptor, blobIds: readonly string[]): Promise<IndexBuilder> {
  const merged = new IndexBuilder();
  for (const id of blobIds) {
    const seg = openIndex(decryptBlob(encryptor, id, await store.get(id)), id, encryptor.overhead);
    for (let pos = 0; pos < seg.entryCount; pos++) merged.add(seg.info(pos));
  }
  return merged;
}

function fnv32a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Splits the entries into shards of at most `shardSize` (kopia OneUseBuilder.shard); empty shards are dropped. */
export function shardEntries(all: IndexBuilder, shardSize: number): IndexBuilder[] {
  if (all.size === 0) return [];
  const count = Math.ceil(all.size / shardSize);
  if (count <= 1) return [all];
  const shards = Array.from({ length: count }, () => new IndexBuilder());
  for (const info of all.entries()) shards[fnv32a(info.contentId) % count]!.add(info);
  return shards.filter((s) => s.size > 0);
}

/**
 * Compacts `blobIds` into a new complete set named `<outputPrefix>…-s<set>-c<N>`; returns the IDs written
 * (none when the inputs hold no entries, as kopia writes nothing then).
 */
export async function compactIndexBlobs(options: IndexCompactionOptions, blobIds: readonly string[], outputPrefix: string): Promise<string[]> {
  const merged = await mergeIndexBlobs(options.store, options.encryptor, blobIds);
  const shards = shardEntries(merged, options.shardSize ?? DEFAULT_INDEX_SHARD_SIZE);
  const suffix = `s${randomBytes(8).toString('hex')}-c${shards.length}`;
  const written: string[] = [];
  for (const shard of shards) {
    const data = buildIndex(shard, options.indexVersion);
    const blob = encryptBlob(options.hasher, options.encryptor, outputPrefix, suffix, data);
    await options.store.put(blob.blobId, blob.data);
    written.push(blob.blobId);
    await options.onBlobWritten?.(blob.blobId);
  }
  return written;
}
