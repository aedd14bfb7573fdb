// The S3 store against a real MinIO: the conformance suite (raw store across a ListObjectsV2 page, and the
// composed store openBlobStore returns), and the failure modes users hit: wrong credentials, a missing
// bucket, an unreachable or hung endpoint, append-only and read-only credentials, TLS with a private CA,
// and credentials from the AWS SDK's default chain.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTool } from '../../../../e2e/support/tools.ts';
import { withEnv } from '../../../../e2e/support/env.ts';
import { canMakeCertificates, freePort, startMinio, type MinioServer } from '../../../../e2e/support/minio.ts';
import { describeBlobStoreConformance } from './test-support/blob-store-conformance.ts';
import { S3BlobStore } from './s3-store.ts';
import { openBlobStore } from './open-blob-store.ts';
import { listAll } from './blob-store.ts';
import {
  AuthFailedError,
  BlobNotFoundError,
  BucketNotFoundError,
  DeleteNotPermittedError,
  StoragePermissionError,
  StorageUnavailableError,
} from './blob-errors.ts';

const minioBinary = requireTool('minio');

describe.skipIf(minioBinary === undefined)('S3BlobStore on MinIO', () => {
  let minio: MinioServer;
  let n = 0;
  const BUCKET = 'cairn-itest';

  beforeAll(async () => {
    minio = await startMinio({ binary: minioBinary! });
    await minio.createBucket(BUCKET);
  });
  afterAll(async () => {
    await minio?.stop();
  });

  /** What `read` threw while MinIO was frozen (it thaws afterwards, whatever happened), and how long that took. */
  const failureWhileSuspended = async (read: () => Promise<unknown>): Promise<{ err: unknown; ms: number }> => {
    await minio.suspend();
    const t0 = Date.now();
    try {
      return { err: await read().catch((e: unknown) => e), ms: Date.now() - t0 };
    } finally {
      minio.resume();
    }
  };

  describeBlobStoreConformance('S3BlobStore (MinIO)', async () => ({
    store: new S3BlobStore({ bucket: BUCKET, prefix: `conformance-${n++}/`, endpoint: minio.endpoint, credentials: minio.credentials }),
  }), { manyBlobs: 1100 });

  describeBlobStoreConformance('openBlobStore(s3://...) (MinIO)', async () => ({
    store: await openBlobStore(minio.url(BUCKET, `composed-${n++}`), { credentials: minio.credentials }),
  }));

  it('large ranged reads, many at once and into shared buffers, return exactly the stored bytes', async () => {
    // the undici path frees each socket read as it copies it (s3-body.ts): nothing may be freed that it still reads
    const store = new S3BlobStore({ bucket: BUCKET, prefix: 'ranges/', endpoint: minio.endpoint, credentials: minio.credentials });
    const blob = randomBytes(24 * 2 ** 20 + 333);
    await store.put('big', blob);
    const rand = (n: number): number => Math.floor(Math.random() * n);
    const reads = Array.from({ length: 32 }, (_, i) => {
      const length = 2 ** 20 + rand(5 * 2 ** 20);
      return { offset: rand(blob.length - length), length, into: i % 2 === 0 ? Buffer.from(new SharedArrayBuffer(6 * 2 ** 20)) : undefined };
    });
    for (let i = 0; i < reads.length; i += 8) {
      const got = await Promise.all(reads.slice(i, i + 8).map((r) => store.get('big', r)));
      got.forEach((g, j) => {
        const r = reads[i + j]!;
        expect(g.equals(blob.subarray(r.offset, r.offset + r.length))).toBe(true);
        if (r.into !== undefined) expect(g.buffer).toBe(r.into.buffer);
      });
    }
    expect((await store.get('big')).equals(blob)).toBe(true);
    await store.close();
  });

  it('keeps blobs of different prefixes apart and maps keys as prefix + blob ID', async () => {
    const a = new S3BlobStore({ bucket: BUCKET, prefix: 'iso-a/', endpoint: minio.endpoint, credentials: minio.credentials });
    const b = new S3BlobStore({ bucket: BUCKET, prefix: 'iso-b/', endpoint: minio.endpoint, credentials: minio.credentials });
    const root = new S3BlobStore({ bucket: BUCKET, endpoint: minio.endpoint, credentials: minio.credentials });
    await a.put('kopia.repository', Buffer.from('a'));
    expect(await listAll(b, '')).toEqual([]);
    expect((await root.get('iso-a/kopia.repository')).toString()).toBe('a');
    await Promise.all([a.close(), b.close(), root.close()]);
  });

  describe('wrong credentials', () => {
    for (const kind of ['unknown access key', 'wrong secret'] as const) {
      it(`${kind}: AuthFailedError within 10 s, one request per call, no retries`, async () => {
        const requests: string[] = [];
        const retries: number[] = [];
        const creds = kind === 'unknown access key' ? minio.unknownKeyCredentials() : minio.wrongSecretCredentials();
        const store = await openBlobStore(minio.url(BUCKET, 'auth'), {
          credentials: creds,
          s3: { onRequest: (op) => requests.push(op) },
          retry: { onRetry: (e) => retries.push(e.attempt) },
        });
        const t0 = Date.now();
        for (const op of [() => store.get('kopia.repository'), () => store.put('x', Buffer.from('1')), () => listAll(store, ''), () => store.stat('x')]) {
          const err = await op().catch((e: unknown) => e);
          expect(err).toBeInstanceOf(AuthFailedError);
          expect((err as AuthFailedError).code).toBe('AUTH_FAILED');
          expect((err as AuthFailedError).retryable).toBe(false);
          expect((err as Error).message).not.toContain(creds.secretAccessKey);
          expect((err as AuthFailedError).hint).toBeTruthy();
        }
        expect(Date.now() - t0).toBeLessThan(10_000);
        expect(retries).toEqual([]);
        // get, put, list: one each; stat: HEAD (+ the MinIO header already names the error, so no follow-up GET)
        expect(requests).toEqual(['GetObjectCommand', 'PutObjectCommand', 'ListObjectsV2Command', 'HeadObjectCommand']);
        await store.close();
      });
    }
  });

  it('a missing bucket is BucketNotFoundError for get, stat, list and put, without retries', async () => {
    const requests: string[] = [];
    const store = await openBlobStore(minio.url('no-such-bucket-here'), { credentials: minio.credentials, s3: { onRequest: (op) => requests.push(op) } });
    for (const op of [() => store.get('kopia.repository'), () => store.stat('kopia.repository'), () => listAll(store, ''), () => store.put('a', Buffer.from('1'))]) {
      const err = await op().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BucketNotFoundError);
      expect((err as Error).message).toContain('no-such-bucket-here');
    }
    expect(requests.length).toBe(4);
    await store.close();
  });

  it('an unreachable endpoint is StorageUnavailableError after a bounded number of retries', async () => {
    const port = await freePort(); // nothing listens there
    const requests: string[] = [];
    const retries: number[] = [];
    const store = await openBlobStore(`s3://${BUCKET}/x?endpoint=http://127.0.0.1:${port}`, {
      credentials: minio.credentials,
      retry: { maxAttempts: 4, initialDelayMs: 50, onRetry: (e) => retries.push(e.attempt) },
      s3: { onRequest: (op) => requests.push(op) },
    });
    const t0 = Date.now();
    const err = await store.get('kopia.repository').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageUnavailableError);
    expect((err as StorageUnavailableError).code).toBe('UNREACHABLE');
    expect((err as Error).message).toContain(`127.0.0.1:${port}`);
    expect(retries).toEqual([1, 2, 3]);
    expect(requests.length).toBe(4);
    expect(Date.now() - t0).toBeLessThan(10_000);
    await store.close();
  });

  it('a hung endpoint times out as a retryable StorageUnavailableError and recovers when it resumes', async () => {
    const store = new S3BlobStore({
      bucket: BUCKET, prefix: 'hung/', endpoint: minio.endpoint, credentials: minio.credentials,
      connectTimeoutMs: 1000, socketTimeoutMs: 1000, requestTimeoutMs: 2000,
    });
    await store.put('a', Buffer.from('1'));
    const { err, ms } = await failureWhileSuspended(() => store.get('a'));
    expect(err).toBeInstanceOf(StorageUnavailableError);
    expect((err as StorageUnavailableError).retryable).toBe(true);
    expect(ms).toBeLessThan(8_000);
    expect((await store.get('a')).toString()).toBe('1');
    await store.close();
  });

  it('a hung endpoint times out a large ranged read too (the undici path), as a retryable StorageUnavailableError', async () => {
    const store = new S3BlobStore({
      bucket: BUCKET, prefix: 'hung-range/', endpoint: minio.endpoint, credentials: minio.credentials,
      connectTimeoutMs: 1000, socketTimeoutMs: 1000, requestTimeoutMs: 2000,
    });
    const data = randomBytes(2 ** 21);
    await store.put('p', data);
    expect(Buffer.compare(await store.get('p', { offset: 1, length: 2 ** 20 }), data.subarray(1, 2 ** 20 + 1))).toBe(0);
    const { err, ms } = await failureWhileSuspended(() => store.get('p', { offset: 0, length: 2 ** 21 }));
    expect(err).toBeInstanceOf(StorageUnavailableError);
    expect((err as StorageUnavailableError).retryable).toBe(true);
    expect(ms).toBeLessThan(8_000);
    expect(Buffer.compare(await store.get('p', { offset: 0, length: 2 ** 21 }), data)).toBe(0);
    await store.close();
  });

  it('the whole-request timeout ends a large ranged read of a server that stopped answering', async () => {
    const store = new S3BlobStore({
      bucket: BUCKET, prefix: 'deadline-range/', endpoint: minio.endpoint, credentials: minio.credentials,
      connectTimeoutMs: 60_000, socketTimeoutMs: 60_000, requestTimeoutMs: 1000,
    });
    await store.put('p', randomBytes(2 ** 20));
    const { err, ms } = await failureWhileSuspended(() => store.get('p', { offset: 0, length: 2 ** 20 }));
    expect(err).toBeInstanceOf(StorageUnavailableError);
    expect((err as StorageUnavailableError).retryable).toBe(true);
    expect((err as Error).message).toContain('TimeoutError');
    expect(ms).toBeLessThan(8_000);
    await store.close();
  });

  it('a large ranged read with wrong credentials is AuthFailedError (the error body read from undici)', async () => {
    const good = new S3BlobStore({ bucket: BUCKET, prefix: 'auth-range/', endpoint: minio.endpoint, credentials: minio.credentials });
    await good.put('p', randomBytes(2 ** 20));
    const bad = new S3BlobStore({ bucket: BUCKET, prefix: 'auth-range/', endpoint: minio.endpoint, credentials: minio.wrongSecretCredentials() });
    await expect(bad.get('p', { offset: 0, length: 2 ** 20 })).rejects.toBeInstanceOf(AuthFailedError);
    await good.close();
    await bad.close();
  });

  it('append-only credentials can write and read but delete fails with DeleteNotPermittedError', async () => {
    const creds = await minio.appendOnlyCredentials(BUCKET);
    expect(creds.sessionToken).toBeTruthy();
    const store = await openBlobStore(minio.url(BUCKET, 'append-only'), { credentials: creds });
    await store.put('p1', Buffer.from('data'));
    expect((await store.get('p1')).toString()).toBe('data');
    expect((await listAll(store, 'p')).map((m) => m.id)).toEqual(['p1']);
    const err = await store.delete('p1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeleteNotPermittedError);
    expect((err as DeleteNotPermittedError).code).toBe('APPEND_ONLY');
    expect((await store.get('p1')).toString()).toBe('data');
    await store.close();
  });

  it('read-only credentials fail a put with StoragePermissionError', async () => {
    const creds = await minio.readOnlyCredentials(BUCKET);
    const store = await openBlobStore(minio.url(BUCKET, 'read-only'), { credentials: creds });
    const err = await store.put('p1', Buffer.from('data')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoragePermissionError);
    expect((err as StoragePermissionError).code).toBe('STORAGE_PERMISSION');
    await expect(store.get('p1')).rejects.toBeInstanceOf(BlobNotFoundError);
    await store.close();
  });

  it('uses the AWS SDK default credential chain (AWS_* environment variables) when none are given', async () => {
    await withEnv({ AWS_ACCESS_KEY_ID: minio.accessKey, AWS_SECRET_ACCESS_KEY: minio.secretKey, AWS_PROFILE: undefined }, async () => {
      const store = await openBlobStore(minio.url(BUCKET, 'env-creds'));
      await store.put('k', Buffer.from('v'));
      expect((await store.get('k')).toString()).toBe('v');
      await store.close();
    });
  });
});

describe.skipIf(minioBinary === undefined || !canMakeCertificates())('S3BlobStore on MinIO over TLS', () => {
  let minio: MinioServer;
  beforeAll(async () => {
    minio = await startMinio({ binary: minioBinary!, tls: true });
    await minio.createBucket('tls-bucket');
  });
  afterAll(async () => {
    await minio?.stop();
  });

  it('rejects the self-signed certificate by default, without retrying, and hints at ca=', async () => {
    const retries: number[] = [];
    const store = await openBlobStore(minio.url('tls-bucket'), { credentials: minio.credentials, retry: { onRetry: (e) => retries.push(e.attempt) } });
    // a whole blob (Node's http) and a large range (undici) fail the same way
    for (const range of [undefined, { offset: 0, length: 2 ** 20 }]) {
      const err = await store.get('x', range).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StorageUnavailableError);
      expect((err as StorageUnavailableError).retryable).toBe(false);
      expect((err as StorageUnavailableError).hint).toContain('ca=');
    }
    expect(retries).toEqual([]);
    await store.close();
  });

  it('works with the CA bundle given as ?ca= and with ?insecure=true', async () => {
    const withCa = await openBlobStore(`${minio.url('tls-bucket', 'ca')}&ca=${encodeURIComponent(minio.caFile!)}`, { credentials: minio.credentials });
    await withCa.put('a', Buffer.from('secure'));
    expect((await withCa.get('a')).toString()).toBe('secure');
    // data over TLS goes as UNSIGNED-PAYLOAD (s3-unsigned-payload.ts): MinIO takes it, and the bytes are intact
    const big = randomBytes(3 * 2 ** 20 + 17);
    await withCa.put('big', big);
    expect((await withCa.get('big')).equals(big)).toBe(true);
    // a range of a MiB or more goes through undici, with the same CA
    expect((await withCa.get('big', { offset: 17, length: 3 * 2 ** 20 })).equals(big.subarray(17))).toBe(true);
    const ranges = [0, 1, 2, 3, 4, 5].map((i) => ({ offset: i * 1000, length: 2 ** 20 + i * 77777 }));
    const got = await Promise.all(ranges.map((r) => withCa.get('big', r)));
    got.forEach((g, i) => expect(g.equals(big.subarray(ranges[i]!.offset, ranges[i]!.offset + ranges[i]!.length))).toBe(true));
    await withCa.close();
    const insecure = await openBlobStore(`${minio.url('tls-bucket', 'ca')}&insecure=true`, { credentials: minio.credentials });
    expect((await insecure.get('a')).toString()).toBe('secure');
    expect((await insecure.get('big', { offset: 0, length: 2 ** 20 })).equals(big.subarray(0, 2 ** 20))).toBe(true);
    await insecure.close();
  });
});
