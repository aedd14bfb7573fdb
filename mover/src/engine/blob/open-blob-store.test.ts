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
    expect(parseBlobStoreUrl('file:///repository/cairn?shared=group')).toEqual({ kind: 'file', path: '/repository/cairn', sharedWithGroup: true });
    expect(usageError('file:///r?shared=world').message).toContain('shared=group');
    expect(usageError('file:///r?mode=0777').message).toContain('shared=group');
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
  it('shares a ?shared=group repository with its group: setgid group-writable directories, group-readable blobs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cairn-open-'));
    const old = process.umask(0o022);
    try {
      const store = await openBlobStore(`${pathToFileURL(join(dir, 'a', 'repo')).href}?shared=group`, { create: true });
      await store.put('p0123456789abcdef0123456789abcdef', new Uint8Array([1, 2, 3]));
      const { stat, readdir } = await import('node:fs/promises');
      expect((await stat(join(dir, 'a', 'repo'))).mode & 0o7777).toBe(0o2770);
      const shard = (await readdir(join(dir, 'a', 'repo'), { withFileTypes: true })).find((d) => d.isDirectory())!;
      expect((await stat(join(dir, 'a', 'repo', shard.name))).mode & 0o7777).toBe(0o2770);
      const files = await readdir(join(dir, 'a', 'repo'), { recursive: true, withFileTypes: true });
      const blob = files.find((f) => f.isFile() && f.name.endsWith('.f'))!;
      expect((await stat(join(blob.parentPath, blob.name))).mode & 0o777).toBe(0o640);
    } finally {
      process.umask(old);
      await rm(dir, { recursive: true, force: true });
    }
  });

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
