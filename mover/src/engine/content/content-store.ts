// What the layers above need from the content layer (CABS). Implemented by the content manager.
import type { ContentInfo } from './content-info.ts';
import type { ContentIdSet } from './content-id-set.ts';
import type { CommitGate } from '../util/commit-gate.ts';
import type { PackContentsReader } from './pack-contents-reader.ts';
import type { ContentPreparerSpec } from './content-preparer.ts';
import type { PreparedContent } from './prepare-content.ts';

export type { PreparedContent };

export interface ContentReader {
  /** Reads, decrypts and decompresses a content (also a deleted one not yet dropped, as kopia does). NotFoundError when unknown; CorruptionError when it fails authentication. */
  getContent(contentId: string): Promise<Buffer>;
  /** The winning index entry, or undefined. Deleted entries are returned with deleted=true. */
  contentInfo(contentId: string): ContentInfo | undefined;
  /**
   * True when a live (not deleted) copy of the content is indexed or pending: contentInfo's answer without
   * building the entry (an unchanged backup asks once per file whether its object may be reused).
   */
  hasContent(contentId: string): boolean;
  /** Iterates all index entries (merged view). */
  iterateContents(options?: { readonly prefix?: string; readonly includeDeleted?: boolean }): Iterable<ContentInfo>;
  /** The winning entry whatever its state, tombstones below the watermark included. */
  indexedEntry(contentId: string): ContentInfo | undefined;
  /** The pack reader: many contents of one pack by ranged reads, verified (restore, verify, GC). */
  packReader(): PackContentsReader;
  /** Live content IDs as a compact set that can be shared with worker threads. */
  contentIdSet(options?: { readonly extraCapacity?: number; readonly unprefixedOnly?: boolean }): ContentIdSet;
}

export interface WriteContentOptions {
  /** "" for file data, "k" directory listings, "x" indirect objects, "m" manifests. */
  readonly prefix: string;
  /** Kopia compressor name, or undefined / "none" for no compression. */
  readonly compression?: string | undefined;
}


export interface FlushOptions {
  /** The index blob write is the run's commit point: it passes this gate (refused once the run is aborted). */
  readonly gate?: CommitGate | undefined;
}

/** What resuming interrupted sessions found (interrupted-sessions.ts). */
export interface ResumeStats {
  readonly sessions: number;
  readonly packs: number;
  /** Stored bytes of the packs whose contents are now reused. */
  readonly bytes: number;
  readonly contents: number;
  readonly skipped: number;
}

export interface ContentWriter extends ContentReader {
  /** Stores the content unless a live copy exists; returns its ID either way. */
  writeContent(data: Uint8Array, options: WriteContentOptions): Promise<string>;
  /** Appends a content prepared by a worker unless a live copy exists. */
  addPreparedContent(content: PreparedContent): Promise<void>;
  /** Writes pending packs, then the index blob for them (the commit point for contents). */
  flush(options?: FlushOptions): Promise<void>;
  /** Indexes the packs this client's interrupted sessions stored (interrupted-sessions.ts) with the next flush. */
  resumeInterruptedSessions(options?: { readonly maxAgeMs?: number }): Promise<ResumeStats>;
  /**
   * An opaque spec from which worker threads prepare file-data contents (content-preparer.ts): the
   * repository's hash, encryption and the given compression (none for index v1), and the IDs it already
   * has. Optional for test fakes.
   */
  preparerSpec(options: { readonly compression: string | undefined }): ContentPreparerSpec;
  /** Marks a content deleted (a tombstone index entry); maintenance only. */
  deleteContent(contentId: string): Promise<void>;
}
