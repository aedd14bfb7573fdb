// Test helper: the real repository (format, content manager, object manager, manifests) over a
// MemoryBlobStore, composed as openRepository does but with a cheap password KDF, so unit tests of the
// layers above run on the same code as the CLI without paying scrypt per test.
import { MemoryBlobStore } from '../../blob/memory-store.ts';
import { ContentManager } from '../../content/content-manager.ts';
import { hkdfSha256 } from '../../crypto/key-derivation.ts';
import { createRepositoryFormat, type CreateFormatOptions } from '../../format/create-repository-format.ts';
import { ManifestManager } from '../../manifest/manifest-manager.ts';
import type { ObjectWriterOptions } from '../../object/object-store.ts';
import { Repository } from '../../repo/open-repository.ts';

export interface MemoryRepository extends Repository {
  readonly blobs: MemoryBlobStore;
}

export async function createMemoryRepository(options: Omit<CreateFormatOptions, 'passwordKeyDeriver'> = {}): Promise<MemoryRepository> {
  const blobs = new MemoryBlobStore();
  const format = await createRepositoryFormat(blobs, 'test', {
    ...options,
    passwordKeyDeriver: async (algo, password, salt, length) => hkdfSha256(Buffer.from(password), salt, `test-kdf ${algo}`, length),
  });
  const contents = await ContentManager.open(blobs, format);
  const repo = new Repository(format, blobs, contents, await ManifestManager.load(contents));
  return repo as MemoryRepository;
}

/** Writes `data` as one object and returns its ID. */
export async function putObject(repo: Repository, data: Uint8Array, options: ObjectWriterOptions = {}): Promise<string> {
  const w = repo.objects.newWriter(options);
  await w.write(data);
  return w.result();
}
