// The committed content index of a repository (kopia committed_content_index.go, loadPackIndexesLocked):
// the active index blobs, fetched in parallel, decrypted, parsed and merged into one MergedIndex.
// Parsed blobs are kept by ID (index blobs are immutable) so a refresh only fetches new ones; when blobs
// disappear (compaction) the merged table is rebuilt. Index blobs this process wrote stay in use for
// 15 minutes even if a listing does not show them yet.
import type { BlobStore } from '../blob/blob-store.ts';
import { BlobNotFoundError } from '../blob/blob-errors.ts';
import { decryptBlob } from '../crypto/blob-crypto.ts';
import type { ContentEncryptor } from '../crypto/content-encryptor.ts';
import { CairnError } from '../errors.ts';
import type { IndexBlobManager } from './index-blob-manager.ts';
import { openIndex } from './index-codec.ts';
import type { IndexSegment } from './index-segment.ts';
import { MergedIndex } from './merged-index.ts';
import { mapBounded } from '../util/for-each-bounded.ts';

const LOAD_ATTEMPTS = 5;
const OWN_WRITES_MS = 15 * 60_000;

export interface CommittedIndexOptions {
  readonly now: () => Date;
  /** Index blobs fetched at the same time. */
  readonly fetchParallelism: number;
  /** Age after which maybeRefresh() reloads (kopia indexRefreshFrequency, 15 min). */
  readonly refreshMs: number;
}

export class CommittedIndex {
  private readonly store: BlobStore;
  private readonly indexBlobs: IndexBlobManager;
  private readonly encryptor: ContentEncryptor;
  private readonly options: CommittedIndexOptions;
  private merged = new MergedIndex();
  private inUse: string[] = [];
  private readonly cache = new Map<string, IndexSegment>();
  private readonly ownWrites = new Map<string, number>();
  private refreshAfterMs = 0;
  private loading: Promise<void> | undefined;

  constructor(store: BlobStore, indexBlobs: IndexBlobManager, encryptor: ContentEncryptor, options: CommittedIndexOptions) {
    this.store = store;
    this.indexBlobs = indexBlobs;
    this.encryptor = encryptor;
    this.options = options;
  }

  /** The merged view; replaced by a new object when a refresh drops index blobs. */
  get index(): MergedIndex {
    return this.merged;
  }

  /** IDs of the index blobs in use. */
  get indexBlobIds(): readonly string[] {
    return this.inUse;
  }

  /** Lists and loads the active index blobs now (kopia Refresh). */
  async refresh(): Promise<void> {
    if (this.loading === undefined) {
      this.loading = this.load().finally(() => {
        this.loading = undefined;
      });
    }
    return this.loading;
  }

  /** Refreshes when the last load is older than the refresh period. */
  async maybeRefresh(): Promise<void> {
    if (this.options.now().getTime() >= this.refreshAfterMs) await this.refresh();
  }

  /** Uses an index blob this process has just written, without listing or fetching it. */
  addOwnIndexBlob(blobId: string, plaintext: Buffer): void {
    const seg = openIndex(plaintext, blobId, this.encryptor.overhead);
    this.cache.set(blobId, seg);
    this.ownWrites.set(blobId, this.options.now().getTime());
    if (!this.inUse.includes(blobId)) {
      this.merged.addSegment(seg);
      this.inUse = [...this.inUse, blobId];
    }
  }

  private async load(): Promise<void> {
    let lastError: unknown;
    for (let attempt = 0; attempt < LOAD_ATTEMPTS; attempt++) {
      this.indexBlobs.invalidate();
      const set = await this.indexBlobs.listActiveIndexBlobs();
      const ids = set.blobs.map((b) => b.id);
      let segments: IndexSegment[];
      try {
        segments = await mapBounded(ids, this.options.fetchParallelism, (id) => this.segment(id));
      } catch (e) {
        // compaction removed a blob between listing and fetching: list again
        if (e instanceof BlobNotFoundError) {
          lastError = e;
          continue;
        }
        throw e;
      }
      const nowMs = this.options.now().getTime();
      const listed = new Set(ids);
      for (const [id, at] of this.ownWrites) {
        if (nowMs - at > OWN_WRITES_MS) this.ownWrites.delete(id);
        else if (!listed.has(id)) {
          const seg = this.cache.get(id);
          if (seg !== undefined) {
            ids.push(id);
            segments.push(seg);
          }
        }
      }
      this.use(ids, segments, set.deletionWatermarkSeconds);
      this.refreshAfterMs = nowMs + this.options.refreshMs;
      return;
    }
    throw new CairnError('UNREACHABLE', `index blobs kept disappearing while loading the index (${LOAD_ATTEMPTS} attempts)`, {
      cause: lastError,
      retryable: true,
      hint: 'another client is compacting the index right now; retry in a minute',
    });
  }

  private use(ids: string[], segments: IndexSegment[], watermark: number): void {
    const old = new Set(this.inUse);
    const keep = new Set(ids);
    // the first load builds a presized table (growing it step by step re-hashes every entry again)
    const superset = this.inUse.length > 0 && this.inUse.every((id) => keep.has(id));
    if (superset) {
      for (let i = 0; i < ids.length; i++) if (!old.has(ids[i]!)) this.merged.addSegment(segments[i]!);
      this.merged.deletionWatermarkSeconds = watermark;
      this.inUse = [...this.inUse, ...ids.filter((id) => !old.has(id))];
    } else {
      this.merged = new MergedIndex(segments, watermark);
      this.inUse = ids;
    }
    for (const id of this.cache.keys()) if (!keep.has(id)) this.cache.delete(id);
  }

  private async segment(id: string): Promise<IndexSegment> {
    const cached = this.cache.get(id);
    if (cached !== undefined) return cached;
    const data = await this.store.get(id);
    const seg = openIndex(decryptBlob(this.encryptor, id, data), id, this.encryptor.overhead);
    this.cache.set(id, seg);
    return seg;
  }
}
