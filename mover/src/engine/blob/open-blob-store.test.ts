import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InvalidStoreUrlError, ReadOnlyStoreError } from './blob-errors.ts';
import { openBlobStore, parseBlobStoreUrl } from './open-blob-store.ts';

function usageError(url: string): InvalidStoreUrlError {
  try {
    parseBlobStoreUrl(url);
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidStoreUrlError);
    expect((e as InvalidStoreUrlError).code).toBe('USAGE');
    expect((e as InvalidStoreUrlError).hint).toBeTruthy();
    return e as InvalidStoreUrlError;
  }
  throw new Error(`expected ${url} to be rejected`);
}

describe('parseBlobStoreUrl', () => {
  it('parses file URLs', () => {
    expect(parseBlobStoreUrl('file:///var/backups/repo')).toEqual({ kind: 'file', path: '/var/backups/repo' });
    expect(parseBlobStoreUrl('file:///with%20space')).toEqual({ kind: 'file', path: '/with space' });
  });

  it('parses s3 URLs with prefix and parameters', () => {
    expect(parseBlobStoreUrl('s3://my-bucket/team/repo?endpoint=http://127.0.0.1:9000&region=eu-west-1&insecure=true&ca=/etc/ca.pem')).toEqual({
      kind: 's3', bucket: 'my-bucket', prefix: 'team/repo/', endpoint: 'http://127.0.0.1:9000', region: 'eu-west-1', insecure: true, caFile: '/etc/ca.pem',
    });
    expect(parseBlobStoreUrl('s3://bkt')).toEqual({ kind: 's3', bucket: 'bkt', prefix: '' });
    expect(parseBlobStoreUrl('s3://bkt/p/')).toMatchObject({ prefix: 'p/' });
  });

  it('rejects bad URLs with USAGE errors that name the part at fault', () => {
    expect(usageError('file://relative/path').message).toContain('"relative"');
    expect(usageError('gs://bucket').message).toContain('"gs"');
    expect(usageError('s3://bkt?endpoint=127.0.0.1:9000').hint).toContain('https://');
    expect(usageError('s3://bkt?regoin=x').message).toContain('"regoin"');
    expect(usageError('s3://Bad_Bucket').message).toContain('Bad_Bucket');
    expect(usageError('s3://bkt:9000/x').hint).toContain('endpoint=');
    expect(usageError('s3://bkt?insecure=maybe').message).toContain('insecure');
    expect(usageError('not a url').message).toContain('not a URL');
  });

  it('never echoes credentials embedded in a URL', () => {
    for (const url of ['s3://AKIAEXAMPLE:s3cr3t@bucket/p', 's3://bkt?endpoint=http://AKIAEXAMPLE:s3cr3t@host:9000']) {
      const e = usageError(url);
      expect(e.message).not.toContain('s3cr3t');
      expect(e.message).not.toContain('AKIAEXAMPLE');
      expect(e.hint).not.toContain('s3cr3t');
    }
  });
});

describe('openBlobStore', () => {
  it('opens a filesystem store (create) and a read-only view of it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cairn-open-'));
    try {
      const url = pathToFileURL(join(dir, 'repo')).href;
      const s = await openBlobStore(url, { create: true });
      await s.put('kopia.repository', Buffer.from('x'));
      expect(s.description).toBe(`file://${join(dir, 'repo')}`);
      const ro = await openBlobStore(url, { readOnly: true });
      expect((await ro.get('kopia.repository')).toString()).toBe('x');
      await expect(ro.put('a', Buffer.from('y'))).rejects.toBeInstanceOf(ReadOnlyStoreError);
      await expect(openBlobStore(pathToFileURL(join(dir, 'missing')).href)).rejects.toMatchObject({ code: 'REPO_NOT_FOUND' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('describes an s3 store without credentials and reports an unreadable CA file as USAGE', async () => {
    const s = await openBlobStore('s3://bkt/pre?endpoint=http://127.0.0.1:9&region=us-east-1', {
      credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 's3cr3t' },
    });
    expect(s.description).toBe('s3://bkt/pre/ at http://127.0.0.1:9');
    await s.close();
    await expect(openBlobStore('s3://bkt?ca=/nonexistent/ca.pem')).rejects.toMatchObject({ code: 'USAGE' });
  });
});
