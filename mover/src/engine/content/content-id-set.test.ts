import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { ContentIdSet } from './content-id-set.ts';
import type { ContentInfo } from './content-info.ts';

function info(contentId: string, deleted = false): ContentInfo {
  return {
    contentId, packBlobId: 'p0', packOffset: 32, packedLength: 40, originalLength: 12, timestampSeconds: 1,
    deleted, compressionHeaderId: 0, formatVersion: 2, encryptionKeyId: 0,
  };
}

describe('ContentIdSet', () => {
  it('answers membership by ID, by hash and prefix, and skips deleted contents', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => (i % 3 === 0 ? 'k' : '') + randomBytes(16).toString('hex'));
    const deleted = randomBytes(16).toString('hex');
    const set = ContentIdSet.fromContents([...ids.map((id) => info(id)), info(deleted, true)]);
    expect(set.size).toBe(1000);
    for (const id of ids) expect(set.has(id)).toBe(true);
    expect(set.has(deleted)).toBe(false);
    const plain = ids.find((i) => i.length === 32)!;
    const prefixed = ids.find((i) => i.startsWith('k'))!;
    expect(set.hasHash(Buffer.from(plain, 'hex'))).toBe(true);
    expect(set.hasHash(Buffer.from(plain, 'hex'), 'k')).toBe(false);
    expect(set.hasHash(Buffer.from(prefixed.slice(1), 'hex'), 'k')).toBe(true);
    expect(set.hasHash(Buffer.from(prefixed.slice(1), 'hex'))).toBe(false);
    expect(set.has(randomBytes(16).toString('hex'))).toBe(false);
    expect(set.has('garbage')).toBe(false);
    expect(set.hasHash(randomBytes(32))).toBe(false);
  });

  it('reopens from the shared buffer without copying and sees later additions', () => {
    const a = ContentIdSet.fromContents([], 10);
    const b = ContentIdSet.fromShared(a.toShared());
    const id = randomBytes(16).toString('hex');
    expect(b.has(id)).toBe(false);
    expect(a.add(id)).toBe(true);
    expect(b.has(id)).toBe(true);
    expect(b.size).toBe(1);
    expect(() => ContentIdSet.fromShared(new SharedArrayBuffer(64))).toThrow(TypeError);
  });

  it('refuses additions beyond its capacity', () => {
    const s = ContentIdSet.create(17, 5);
    let added = 0;
    while (s.add(randomBytes(16).toString('hex'))) added++;
    expect(added).toBe(s.capacity);
    expect(s.size).toBe(s.capacity);
  });

  it('works from a worker thread', async () => {
    const ids = Array.from({ length: 50 }, () => randomBytes(16).toString('hex'));
    const set = ContentIdSet.fromContents(ids);
    const probe = [ids[7]!, randomBytes(16).toString('hex')];
    const url = new URL('./content-id-set.ts', import.meta.url).href;
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      import(${JSON.stringify(url)}).then(({ ContentIdSet }) => {
        const s = ContentIdSet.fromShared(workerData.sab);
        parentPort.postMessage(workerData.probe.map((id) => s.hasHash(Buffer.from(id, 'hex'))));
      });`;
    const w = new Worker(code, { eval: true, workerData: { sab: set.toShared(), probe } });
    const answer = await new Promise((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
    await w.terminate();
    expect(answer).toEqual([true, false]);
  });
});
