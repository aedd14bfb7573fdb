// An in-memory ContentWriter for unit tests of the object and manifest layers (never the proof of a
// feature: the real content manager has its own tests). Content IDs are prefix + first 16 bytes of
// SHA-256, like an unkeyed HMAC-SHA256-128. Records what callers asked for so tests can assert it.
import { createHash } from 'node:crypto';
import { contentIdPrefix } from '../../content/content-id.ts';
import { ContentIdSet } from '../../content/content-id-set.ts';
import type { ContentInfo } from '../../content/content-info.ts';
import type { ContentWriter, PreparedContent, ResumeStats, WriteContentOptions } from '../../content/content-store.ts';
import type { ContentPreparerSpec } from '../../content/content-preparer.ts';
import type { PackContentsReader } from '../../content/pack-contents-reader.ts';
import { NotFoundError, UnsupportedError } from '../../errors.ts';

interface StoredContent {
  readonly data: Buffer;
  readonly compression: string | undefined;
  deleted: boolean;
  timestampSeconds: number;
}

export class MemoryContentStore implements ContentWriter {
  readonly contents = new Map<string, StoredContent>();
  /** Every writeContent call, in order (including dedup hits). */
  readonly writes: { contentId: string; length: number; prefix: string; compression: string | undefined }[] = [];
  readonly reads: string[] = [];
  flushCount = 0;
  /** Delay of getContent in milliseconds (to observe read-ahead). */
  readDelayMs = 0;
  /** Concurrent getContent calls now and at most. */
  activeReads = 0;
  maxActiveReads = 0;
  /** When set, writeContent rejects with this error. */
  failWrites: Error | undefined;
  private clockSeconds = 1_700_000_000;

  async getContent(contentId: string): Promise<Buffer> {
    this.reads.push(contentId);
    this.activeReads++;
    this.maxActiveReads = Math.max(this.maxActiveReads, this.activeReads);
    try {
      if (this.readDelayMs > 0) await new Promise((r) => setTimeout(r, this.readDelayMs));
    } finally {
      this.activeReads--;
    }
    const c = this.contents.get(contentId);
    if (c === undefined || c.deleted) throw new NotFoundError(`content ${contentId} not found`);
    return Buffer.from(c.data);
  }

  async resumeInterruptedSessions(): Promise<ResumeStats> {
    return { sessions: 0, packs: 0, bytes: 0, contents: 0, skipped: 0 }; // nothing is ever left half-written in memory
  }

  preparerSpec(): ContentPreparerSpec {
    throw new UnsupportedError('MemoryContentStore keeps plain contents, it does not seal them', { hint: 'use the content manager (snapshot/test-support/memory-repository.ts) to test uploads' });
  }

  packReader(): PackContentsReader {
    throw new UnsupportedError('MemoryContentStore keeps contents, not packs', { hint: 'use the content manager or FakeRepository to test pack reads' });
  }

  contentInfo(contentId: string): ContentInfo | undefined {
    const c = this.contents.get(contentId);
    return c === undefined ? undefined : this.info(contentId, c);
  }

  hasContent(contentId: string): boolean {
    return this.contentInfo(contentId)?.deleted === false;
  }

  *iterateContents(options: { readonly prefix?: string; readonly includeDeleted?: boolean } = {}): Iterable<ContentInfo> {
    for (const [id, c] of [...this.contents.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (options.prefix !== undefined && !id.startsWith(options.prefix)) continue;
      if (c.deleted && options.includeDeleted !== true) continue;
      yield this.info(id, c);
    }
  }

  /** Tombstones included, as the content manager's indexedEntry. */
  indexedEntry(contentId: string): ContentInfo | undefined {
    return this.contentInfo(contentId);
  }

  contentIdSet(options: { readonly extraCapacity?: number; readonly unprefixedOnly?: boolean } = {}): ContentIdSet {
    const live = [...this.iterateContents()].filter((c) => options.unprefixedOnly !== true || contentIdPrefix(c.contentId) === '');
    return ContentIdSet.fromContents(live, options.extraCapacity);
  }

  async writeContent(data: Uint8Array, options: WriteContentOptions): Promise<string> {
    if (this.failWrites !== undefined) throw this.failWrites;
    const contentId = options.prefix + createHash('sha256').update(data).digest().subarray(0, 16).toString('hex');
    this.writes.push({ contentId, length: data.length, prefix: options.prefix, compression: options.compression });
    await Promise.resolve();
    const existing = this.contents.get(contentId);
    if (existing === undefined || existing.deleted) {
      this.contents.set(contentId, { data: Buffer.from(data), compression: options.compression, deleted: false, timestampSeconds: this.tick() });
    }
    return contentId;
  }

  async addPreparedContent(_content: PreparedContent): Promise<void> {
    throw new Error('MemoryContentStore does not take prepared contents');
  }

  async flush(): Promise<void> {
    this.flushCount++;
  }

  async deleteContent(contentId: string): Promise<void> {
    const c = this.contents.get(contentId);
    if (c === undefined) throw new NotFoundError(`content ${contentId} not found`);
    c.deleted = true;
    c.timestampSeconds = this.tick();
  }

  /** Bytes as stored (for golden assertions). */
  raw(contentId: string): Buffer {
    const c = this.contents.get(contentId);
    if (c === undefined) throw new Error(`no content ${contentId}`);
    return c.data;
  }

  private tick(): number {
    return this.clockSeconds++;
  }

  private info(contentId: string, c: StoredContent): ContentInfo {
    return {
      contentId, packBlobId: 'pmemory', packOffset: 0, packedLength: c.data.length, originalLength: c.data.length,
      timestampSeconds: c.timestampSeconds, deleted: c.deleted, compressionHeaderId: 0, formatVersion: 2, encryptionKeyId: 0,
    };
  }
}
