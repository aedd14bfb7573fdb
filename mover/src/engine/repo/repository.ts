// Repo layer: composes blob -> format -> content -> object -> manifest into one handle, as kopia's repo
// package does. Upper layers (snapshot, policy, maintenance, cli) depend on these interfaces only.
import type { BlobReader, BlobStore } from '../blob/blob-store.ts';
import type { ContentReader, ContentWriter, FlushOptions } from '../content/content-store.ts';
import type { KeyedHasher } from '../crypto/keyed-hasher.ts';
import type { ContentEncryptor } from '../crypto/content-encryptor.ts';
import type { RepositoryFormat } from '../format/repository-config.ts';
import type { ManifestStore } from '../manifest/manifest-store.ts';
import type { ObjectStore } from '../object/object-store.ts';

export interface RepositoryReader {
  readonly format: RepositoryFormat;
  readonly blobs: BlobReader;
  readonly contents: ContentReader;
  readonly objects: ObjectStore;
  readonly manifests: ManifestStore;
  readonly hasher: KeyedHasher;
  readonly encryptor: ContentEncryptor;
  close(): Promise<void>;
}

export interface RepositoryWriter extends RepositoryReader {
  readonly blobs: BlobStore;
  readonly contents: ContentWriter;
  /** Commits everything written so far: manifests and packs, then the index blob (through `options.gate`). */
  flush(options?: FlushOptions): Promise<void>;
}
