// Repo layer: composes blob -> format -> content -> object -> manifest into one handle, as kopia's repo
// package does, and splits what callers may use the way kopia splits repo.Repository from
// repo.DirectRepository:
// - RepositoryReader / RepositoryWriter: what the data model and the pipelines (upload, restore, verify)
//   use — contents by ID (with the content layer's preparer and pack reader), objects and manifests. No
//   keys, no format blob, no blob store: pipelines never touch pack bytes or key material.
// - DirectRepository: what maintenance and repository administration use on top — the blob store, the
//   unlocked format, the keyed hasher and encryptor, and the content manager's maintenance calls.
import type { BlobReader, BlobStore } from '../blob/blob-store.ts';
import type { ContentInfo } from '../content/content-info.ts';
import type { MergedIndex } from '../content/merged-index.ts';
import type { ContentReader, ContentWriter, FlushOptions } from '../content/content-store.ts';
import type { KeyedHasher } from '../crypto/keyed-hasher.ts';
import type { ContentEncryptor } from '../crypto/content-encryptor.ts';
import type { RepositoryFormat } from '../format/repository-config.ts';
import type { ManifestStore } from '../manifest/manifest-store.ts';
import type { ObjectStore } from '../object/object-store.ts';

export interface RepositoryReader {
  readonly contents: ContentReader;
  readonly objects: ObjectStore;
  readonly manifests: ManifestStore;
  close(): Promise<void>;
}

export interface RepositoryWriter extends RepositoryReader {
  readonly contents: ContentWriter;
  /** Commits everything written so far: manifests and packs, then the index blob (through `options.gate`). */
  flush(options?: FlushOptions): Promise<void>;
}

/** Read-only direct access (repository check): storage and keys beside what pipelines see. */
export interface DirectRepositoryReader extends RepositoryReader {
  readonly format: RepositoryFormat;
  readonly blobs: BlobReader;
  readonly hasher: KeyedHasher;
  readonly encryptor: ContentEncryptor;
}

/** The content manager's calls that only maintenance makes (kopia's DirectRepository content access). */
export interface DirectContents extends ContentWriter {
  deleteContent(contentId: string): Promise<void>;
  /** Copies a content into a new pack; false when it was not there (or, with onlyDeleted, not deleted). */
  rewriteContent(contentId: string, options?: { readonly onlyDeleted?: boolean }): Promise<boolean>;
  /** Reloads the committed index from storage. */
  refresh(): Promise<void>;
  contentInfo(contentId: string): ContentInfo | undefined;
  /** The committed index in a copy refreshes do not change (pending writes excluded: flush first). */
  frozenIndex(): MergedIndex;
}

export interface DirectManifests extends ManifestStore {
  /** Forgets loaded manifests so the next call reads them again. */
  reload(): void;
}

export interface DirectRepository extends RepositoryWriter, DirectRepositoryReader {
  readonly format: RepositoryFormat;
  readonly blobs: BlobStore;
  readonly contents: DirectContents;
  readonly manifests: DirectManifests;
  readonly hasher: KeyedHasher;
  readonly encryptor: ContentEncryptor;
}
