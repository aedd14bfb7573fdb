// Runs the BlobStore conformance suite against the in-memory fake and the real filesystem store
// (the S3 store runs it against a real MinIO in s3-store.itest.ts).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeBlobStoreConformance } from './test-support/blob-store-conformance.ts';
import { createFilesystemStore } from './filesystem-store.ts';
import { MemoryBlobStore } from './memory-store.ts';
import { RetryingBlobStore } from './retrying-store.ts';
import { ConcurrencyLimitedBlobStore } from './concurrency-limited-store.ts';

describeBlobStoreConformance('MemoryBlobStore', async () => ({ store: new MemoryBlobStore() }));

describeBlobStoreConformance('FilesystemBlobStore', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-fs-store-'));
  const store = await createFilesystemStore(join(dir, 'repo'), { create: true });
  return { store, cleanup: () => rm(dir, { recursive: true, force: true }) };
}, { manyBlobs: 1100 });

// The wrappers must not change a store's observable behaviour.
describeBlobStoreConformance('Retrying(ConcurrencyLimited(FilesystemBlobStore))', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-fs-store-'));
  const fs = await createFilesystemStore(join(dir, 'repo'), { create: true, fsync: false });
  const store = new RetryingBlobStore(new ConcurrencyLimitedBlobStore(fs, 4));
  return { store, cleanup: () => rm(dir, { recursive: true, force: true }) };
});
