// The legacy (v0) index blob manager (kopia repo/content/indexblob/index_blob_manager_v0.go), used when
// the repository has epochs disabled (format v1 or never upgraded). Index blobs are `n<hash>[-<session>]`;
// compaction logs `m<hash>` (blobcrypto JSON {"inputMetadata":[…],"outputMetadata":[…]}) retire their
// inputs once all their outputs exist. After an upgrade to epochs kopia writes a poison `n000…` blob.
import type { BlobMetadata, BlobStore } from '../blob/blob-store.ts';
import { listAll } from '../blob/blob-store.ts';
import { BlobNotFoundError } from '../blob/blob-errors.ts';
import { decryptBlob, encryptBlob } from '../crypto/blob-crypto.ts';
import type { ContentEncryptor } from '../crypto/content-encryptor.ts';
import type { KeyedHasher } from '../crypto/keyed-hasher.ts';
import { CorruptionError, UnsupportedError } from '../errors.ts';
import type { ActiveIndexSet, IndexBlobManager } from './index-blob-manager.ts';

export const LEGACY_INDEX_PREFIX = 'n';
export const LEGACY_COMPACTION_LOG_PREFIX = 'm';
export const LEGACY_INDEX_POISON_BLOB_ID = 'n00000000000000000000000000000000-repository_unreadable_by_this_kopia_version_upgrade_required';

interface CompactionLog {
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}

function parseCompactionLog(json: Buffer, blobId: string): CompactionLog {
  let v: unknown;
  try {
    v = JSON.parse(json.toString('utf8'));
  } catch (e) {
    throw new CorruptionError(`compaction log ${blobId} is not JSON`, { cause: e, hint: 'the compaction log blob is damaged' });
  }
  const ids = (list: unknown): string[] =>
    Array.isArray(list) ? list.map((m) => (typeof m === 'object' && m !== null ? (m as Record<string, unknown>)['id'] : undefined))
      .filter((x): x is string => typeof x === 'string') : [];
  const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  return { inputs: ids(o['inputMetadata']), outputs: ids(o['outputMetadata']) };
}

export class LegacyIndexBlobManager implements IndexBlobManager {
  private readonly store: BlobStore;
  private readonly hasher: KeyedHasher;
  private readonly encryptor: ContentEncryptor;
  private readonly now: () => Date;

  constructor(store: BlobStore, hasher: KeyedHasher, encryptor: ContentEncryptor, now: () => Date) {
    this.store = store;
    this.hasher = hasher;
    this.encryptor = encryptor;
    this.now = now;
  }

  async listActiveIndexBlobs(): Promise<ActiveIndexSet> {
    const [indexBlobs, logs] = await Promise.all([listAll(this.store, LEGACY_INDEX_PREFIX), listAll(this.store, LEGACY_COMPACTION_LOG_PREFIX)]);
    if (indexBlobs.some((b) => b.id === LEGACY_INDEX_POISON_BLOB_ID)) {
      throw new UnsupportedError('the repository was upgraded to epoch-managed indexes but its configuration says epochs are disabled', {
        hint: 'reopen the repository after the kopia upgrade completes (kopia repository upgrade)',
      });
    }
    const active = new Map(indexBlobs.map((b) => [b.id, b]));
    const valid: CompactionLog[] = [];
    for (const m of logs) {
      let data: Buffer;
      try {
        data = await this.store.get(m.id);
      } catch (e) {
        if (e instanceof BlobNotFoundError) continue;
        throw e;
      }
      const log = parseCompactionLog(decryptBlob(this.encryptor, m.id, data), m.id);
      if (log.outputs.every((o) => active.has(o))) valid.push(log);
    }
    for (const log of valid) for (const i of log.inputs) active.delete(i);
    return { blobs: [...active.values()], deletionWatermarkSeconds: 0 };
  }

  async writeIndexBlobs(shards: readonly Uint8Array[], sessionId: string): Promise<BlobMetadata[]> {
    const out: BlobMetadata[] = [];
    for (const shard of shards) {
      const { blobId, data } = encryptBlob(this.hasher, this.encryptor, LEGACY_INDEX_PREFIX, sessionId, shard);
      await this.store.put(blobId, data);
      out.push({ id: blobId, length: data.length, timestamp: this.now() });
    }
    return out;
  }

  invalidate(): void {}
}
