// What maintenance needs from an open repository (the repo layer's Repository satisfies it): the blob
// store, the unlocked format, the content manager with its maintenance calls, and the manifests.
import type { BlobStore } from '../blob/blob-store.ts';
import type { ContentInfo } from '../content/content-info.ts';
import type { PackContentsReader } from '../content/pack-contents-reader.ts';
import type { ContentEncryptor } from '../crypto/content-encryptor.ts';
import type { KeyedHasher } from '../crypto/keyed-hasher.ts';
import type { RepositoryFormat } from '../format/repository-config.ts';
import type { ManifestStore } from '../manifest/manifest-store.ts';

export interface MaintenanceContents {
  contentInfo(contentId: string): ContentInfo | undefined;
  /** The committed winning entry whatever its state (tombstones below the watermark included). */
  indexedEntry(contentId: string): ContentInfo | undefined;
  getContent(contentId: string): Promise<Buffer>;
  /** The pack reader (contents marked deleted are read through it). */
  packReader(): PackContentsReader;
  iterateContents(options?: { readonly prefix?: string; readonly includeDeleted?: boolean }): Iterable<ContentInfo>;
  deleteContent(contentId: string): Promise<void>;
  rewriteContent(contentId: string, options?: { readonly onlyDeleted?: boolean }): Promise<boolean>;
  flush(): Promise<void>;
  /** Reloads the committed index from storage. */
  refresh(): Promise<void>;
}

export interface MaintenanceManifests extends ManifestStore {
  /** Forgets loaded manifests so the next call reads them again. */
  reload(): void;
}

export interface MaintenanceRepository {
  readonly format: RepositoryFormat;
  readonly blobs: BlobStore;
  readonly contents: MaintenanceContents;
  readonly manifests: MaintenanceManifests;
  readonly hasher: KeyedHasher;
  readonly encryptor: ContentEncryptor;
  /** Commits manifests and contents written so far. */
  flush(): Promise<void>;
}
