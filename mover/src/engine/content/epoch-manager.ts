// Epoch-managed index blobs (kopia internal/epoch/epoch_manager.go, protocol of kopia issue #1090).
// Read side: list xe/xw/xs/xr/xn, derive the committed state (epoch-sets.ts) and the active index set;
// the state is cached for EpochRefreshFrequency. Write side: an index blob is stored as
// `xn<writeEpoch>_<hash>-<sessionID>-c<shards>` using a state that stays valid for at least 75% of the
// refresh period; a write that outlived its state is retried (for a new epoch the partial shards are
// deleted first), and one that completes two or more epochs late is deleted and reported, as kopia does.
// Storage listing timestamps are the only clock that matters for epochs; now() only bounds cache age.
import type { BlobMetadata, BlobStore } from '../blob/blob-store.ts';
import { listAll } from '../blob/blob-store.ts';
import { encryptBlob } from '../crypto/blob-crypto.ts';
import type { ContentEncryptor } from '../crypto/content-encryptor.ts';
import type { KeyedHasher } from '../crypto/keyed-hasher.ts';
import type { EpochParameters } from '../format/repository-config.ts';
import { SlowIndexWriteError } from './content-errors.ts';
import { completeIndexSet, epochSnapshotFromListings, type EpochSnapshot } from './epoch-sets.ts';
import type { ActiveIndexSet, IndexBlobManager } from './index-blob-manager.ts';

export const EPOCH_MARKER_PREFIX = 'xe';
export const UNCOMPACTED_INDEX_PREFIX = 'xn';
export const SINGLE_EPOCH_COMPACTION_PREFIX = 'xs';
export const RANGE_CHECKPOINT_PREFIX = 'xr';
export const DELETION_WATERMARK_PREFIX = 'xw';

const MAX_WRITE_ATTEMPTS = 10;

export function uncompactedEpochBlobPrefix(epoch: number): string {
  return `${UNCOMPACTED_INDEX_PREFIX}${epoch}_`;
}

export interface EpochManagerOptions {
  readonly hasher: KeyedHasher;
  readonly encryptor: ContentEncryptor;
  readonly now: () => Date;
}

export class EpochManager implements IndexBlobManager {
  private readonly store: BlobStore;
  private readonly params: EpochParameters;
  private readonly options: EpochManagerOptions;
  private state: EpochSnapshot | undefined;
  private refreshing: Promise<EpochSnapshot> | undefined;

  constructor(store: BlobStore, params: EpochParameters, options: EpochManagerOptions) {
    this.store = store;
    this.params = params;
    this.options = options;
  }

  /** The committed state, refreshed when it expires within `ensureMinMs` (kopia committedState). */
  async current(ensureMinMs = 0): Promise<EpochSnapshot> {
    const s = this.state;
    if (s !== undefined && this.options.now().getTime() + ensureMinMs <= s.validUntilMs) return s;
    if (this.refreshing === undefined) {
      this.refreshing = this.refresh().finally(() => {
        this.refreshing = undefined;
      });
    }
    return this.refreshing;
  }

  /** Lists storage again now. */
  async refresh(): Promise<EpochSnapshot> {
    const validUntilMs = this.options.now().getTime() + this.params.epochRefreshFrequencyMs;
    const [epochMarkers, watermarks, singleEpochCompactions, rangeCheckpoints, uncompacted] = await Promise.all([
      listAll(this.store, EPOCH_MARKER_PREFIX),
      listAll(this.store, DELETION_WATERMARK_PREFIX),
      listAll(this.store, SINGLE_EPOCH_COMPACTION_PREFIX),
      listAll(this.store, RANGE_CHECKPOINT_PREFIX),
      listAll(this.store, UNCOMPACTED_INDEX_PREFIX),
    ]);
    const s = epochSnapshotFromListings({ epochMarkers, watermarks, singleEpochCompactions, rangeCheckpoints, uncompacted }, validUntilMs);
    this.state = s;
    return s;
  }

  invalidate(): void {
    this.state = undefined;
  }

  async listActiveIndexBlobs(): Promise<ActiveIndexSet> {
    const s = await this.current();
    return { blobs: completeIndexSet(s), deletionWatermarkSeconds: s.deletionWatermarkSeconds };
  }

  /** Writes the shards of one index as `xn<writeEpoch>_…-<sessionId>-c<count>` (kopia WriteIndex). */
  async writeIndexBlobs(shards: readonly Uint8Array[], sessionId: string): Promise<BlobMetadata[]> {
    const suffix = `${sessionId}-c${shards.length}`;
    // the ciphertext does not depend on the name's epoch part, so encrypt once
    const encrypted = shards.map((s) => encryptBlob(this.options.hasher, this.options.encryptor, '', suffix, s));
    let written = new Map<string, BlobMetadata>();
    let writtenForEpoch = -1;
    for (let attempt = 0; ; attempt++) {
      if (attempt >= MAX_WRITE_ATTEMPTS) {
        throw new SlowIndexWriteError(`index blob write for session ${sessionId} could not complete within one epoch refresh period after ${attempt} attempts`);
      }
      const s = await this.current((3 * this.params.epochRefreshFrequencyMs) / 4);
      if (s.writeEpoch !== writtenForEpoch) {
        await this.deleteAll(written.keys());
        written = new Map();
        writtenForEpoch = s.writeEpoch;
      }
      let tooSlow = false;
      for (const e of encrypted) {
        const blobId = uncompactedEpochBlobPrefix(s.writeEpoch) + e.blobId;
        if (written.has(blobId)) continue;
        if (this.options.now().getTime() >= s.validUntilMs) {
          tooSlow = true;
          break;
        }
        await this.store.put(blobId, e.data);
        written.set(blobId, { id: blobId, length: e.data.length, timestamp: this.options.now() });
      }
      if (tooSlow) {
        this.invalidate();
        continue;
      }
      this.invalidate();
      break;
    }
    const after = await this.current();
    if (after.writeEpoch >= writtenForEpoch + 2) {
      await this.deleteAll(written.keys()).catch(() => undefined);
      throw new SlowIndexWriteError(
        `index blobs ${[...written.keys()].join(', ')} were written for epoch ${writtenForEpoch} but the write epoch is already ${after.writeEpoch}`,
      );
    }
    return [...written.values()];
  }

  private async deleteAll(ids: Iterable<string>): Promise<void> {
    for (const id of ids) await this.store.delete(id);
  }
}
