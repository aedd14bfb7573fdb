// Repo layer: composes blob -> format -> content -> object -> manifest into one handle (a DirectRepository), as
// kopia's repo package does. Commit order on flush: manifests are added as contents first, then the
// content manager writes packs and ONE index blob — the only commit point.
import type { BlobStore } from '../blob/blob-store.ts';
import { ReadOnlyBlobStore } from '../blob/read-only-store.ts';
import { CACHE_INTEGRITY_PURPOSE, CACHE_KEY_BYTES, openBlobCache, type BlobCache } from '../content/blob-cache.ts';
import { ContentManager, type ContentLogger } from '../content/content-manager.ts';
import type { FlushOptions } from '../content/content-store.ts';
import type { ContentEncryptor } from '../crypto/content-encryptor.ts';
import type { KeyedHasher } from '../crypto/keyed-hasher.ts';
import { createRepositoryFormat, type CreateFormatOptions } from '../format/create-repository-format.ts';
import { openRepositoryFormat } from '../format/open-repository-format.ts';
import { passwordKeyCache } from '../format/password-key-cache.ts';
import type { RepositoryFormat } from '../format/repository-config.ts';
import { ManifestManager } from '../manifest/manifest-manager.ts';
import { ObjectManager } from '../object/object-manager.ts';
import type { DirectRepository } from './repository.ts';

export interface OpenRepositoryOptions {
  /** Wraps storage so nothing can be written (list, restore, verify). */
  readonly readOnly?: boolean;
  /** Recorded in session markers. */
  readonly username?: string;
  readonly hostname?: string;
  readonly now?: () => Date;
  readonly logger?: ContentLogger;
  readonly uploadParallelism?: number;
  /** Packs sealed at this size when below the format's (content-manager.ts packSizeLimit). */
  readonly packSizeLimit?: number;
  /** The format, already opened from this store with this password (the CLI starts that early: see command-context). */
  readonly format?: RepositoryFormat;
  /**
   * Absolute directory for the local cache of index blobs and metadata packs (content/blob-cache.ts) and of
   * the password-derived key (format/password-key-cache.ts). An
   * unusable directory is warned about through `logger` and the repository opens without a cache.
   */
  readonly cacheDir?: string;
}

export class Repository implements DirectRepository {
  readonly format: RepositoryFormat;
  readonly blobs: BlobStore;
  readonly contents: ContentManager;
  readonly objects: ObjectManager;
  readonly manifests: ManifestManager;
  readonly hasher: KeyedHasher;
  readonly encryptor: ContentEncryptor;
  /** The local metadata cache when one is in use (its hit/miss counts). */
  readonly cache: BlobCache | undefined;

  constructor(format: RepositoryFormat, blobs: BlobStore, contents: ContentManager, manifests: ManifestManager, cache?: BlobCache) {
    this.format = format;
    this.blobs = blobs;
    this.cache = cache;
    this.contents = contents;
    this.objects = new ObjectManager(contents);
    this.manifests = manifests;
    this.hasher = contents.hasher;
    this.encryptor = contents.encryptor;
  }

  async flush(options: FlushOptions = {}): Promise<void> {
    await this.manifests.flush(options);
    await this.contents.flush(options);
  }

  async close(): Promise<void> {
    await this.contents.dispose();
    await this.blobs.close();
  }
}

export async function openRepository(store: BlobStore, password: string, options: OpenRepositoryOptions = {}): Promise<Repository> {
  const storage: BlobStore = options.readOnly === true ? new ReadOnlyBlobStore(store) : store;
  // The format blobs are read from storage itself (they can change); everything after goes through the cache.
  const keyCache = options.cacheDir === undefined ? undefined : passwordKeyCache(options.cacheDir);
  const format = options.format ?? await openRepositoryFormat(storage, password, keyCache === undefined ? {} : { keyCache });
  const cache = options.cacheDir === undefined ? undefined : await openBlobCache(storage, {
    cacheDir: options.cacheDir, repositoryId: format.uniqueId.toString('hex'),
    key: format.deriveKey(CACHE_INTEGRITY_PURPOSE, CACHE_KEY_BYTES), ...(options.logger !== undefined ? { logger: options.logger } : {}),
  });
  const blobs: BlobStore = cache ?? storage;
  const contents = await ContentManager.open(blobs, format, {
    ...(options.username !== undefined ? { sessionUser: options.username } : {}),
    ...(options.hostname !== undefined ? { sessionHost: options.hostname } : {}),
    ...(options.now !== undefined ? { now: options.now } : {}),
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
    ...(options.uploadParallelism !== undefined ? { uploadParallelism: options.uploadParallelism } : {}),
    ...(options.packSizeLimit !== undefined ? { packSizeLimit: options.packSizeLimit } : {}),
  });
  const manifests = await ManifestManager.load(contents);
  return new Repository(format, blobs, contents, manifests, cache);
}

export interface CreatedRepository {
  readonly uniqueId: string;
  readonly hash: string;
  readonly encryption: string;
}

/** Writes kopia.blobcfg and kopia.repository; refuses when a repository exists (REPO_EXISTS). */
export async function createRepository(store: BlobStore, password: string, options: CreateFormatOptions = {}): Promise<CreatedRepository> {
  const format = await createRepositoryFormat(store, password, options);
  return { uniqueId: format.uniqueId.toString('hex'), hash: format.config.hash, encryption: format.config.encryption };
}
