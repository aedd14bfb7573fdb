// The hashing pool with real worker threads and a real content preparer: jobs are spread over the workers
// and answered in full, the backlog is bounded, failures arrive as the worker's typed error (a file's own
// error stays with its segment), and closing stops everything without leaving a job waiting.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { setImmediate as eventLoopTurn } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPreparerSpec, type ContentPreparerSpec } from '../content/content-preparer.ts';
import { HashingPool } from './hashing-pool.ts';
import type { WorkerConfig } from './upload-protocol.ts';

let work: string;
const files: string[] = [];
const keys = { hash: 'HMAC-SHA256-128', hmacSecret: randomBytes(32), encryption: 'AES256-GCM-HMAC-SHA256', masterKey: randomBytes(32) };
const spec = (over: Partial<typeof keys> = {}): ContentPreparerSpec => createPreparerSpec({ ...keys, ...over, compression: 'zstd', existing: undefined });
const config = (preparer: ContentPreparerSpec = spec()): WorkerConfig => ({ preparer, splitter: 'FASTCDC-1M', readBufferSize: 4 * 1024 * 1024, payloadCapacity: 17 * 1024 * 1024, payloadSlots: 4 });

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cairn-pool-'));
  for (let i = 0; i < 6; i++) {
    const path = join(work, `f${i}`);
    await writeFile(path, randomBytes(200_000 + i));
    files.push(path);
  }
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const job = (i: number): { fileKey: number; path: string; offset: number; length: number } =>
  ({ fileKey: i, path: files[i]!, offset: 0, length: 200_000 + i });

describe('HashingPool', () => {
  it('starts no worker until the first job', async () => {
    let built = 0;
    const pool = new HashingPool({ workers: 2, config: () => { built++; return config(); } });
    expect(pool.load).toEqual([]);
    await pool.close();
    expect(built).toBe(0);
  });

  it('spreads jobs over the workers, bounds the backlog and answers every job with its own segments', async () => {
    const pool = new HashingPool({ workers: 2, depthPerWorker: 1, config: () => config() });
    try {
      const jobs = [0, 1, 2, 3].map((i) => pool.submit([job(i)]));
      expect(pool.load).toEqual([]); // the workers start once their modules are compiled (a resolved promise here)...
      await eventLoopTurn();
      expect(pool.load).toEqual([1, 1]); // ...and take one job each; the other two wait in the queue
      expect(pool.outstanding).toBe(4);
      let capacity = false;
      const waiting = pool.waitForCapacity().then(() => { capacity = true; });
      expect(capacity).toBe(false);
      const results = await Promise.all(jobs);
      await waiting;
      expect(capacity).toBe(true);
      expect(pool.outstanding).toBe(0);
      results.forEach((r, i) => {
        expect(r.segments.map((s) => [s.fileKey, s.bytesRead, s.error])).toEqual([[i, 200_000 + i, undefined]]);
        const chunks = r.segments[0]!.chunks;
        expect(chunks.reduce((n, c) => n + c.length, 0)).toBe(200_000 + i);
        for (const c of chunks) expect(c.payloadOffset + c.payloadLength).toBeLessThanOrEqual(r.payload.byteLength);
      });
    } finally {
      await pool.close();
    }
  });

  it('hands a released payload slot back to its worker, which fills it again for a later job', async () => {
    const pool = new HashingPool({ workers: 1, depthPerWorker: 1, config: () => config() });
    try {
      const first = await pool.submit([job(0)]);
      const held = await pool.submit([job(1)]); // the first slot is not released yet: a second one
      expect(held.payload).not.toBe(first.payload);
      const c0 = first.segments[0]!.chunks[0]!;
      const firstBytes = Buffer.from(new Uint8Array(first.payload, c0.payloadOffset, c0.payloadLength));
      first.release();
      first.release(); // a second release must not hand the slot out twice
      const again = await pool.submit([job(2)]);
      expect(again.payload).toBe(first.payload); // the same shared buffer: no new one crossed threads
      const c2 = again.segments[0]!.chunks[0]!;
      expect(Buffer.from(new Uint8Array(again.payload, c2.payloadOffset, c2.payloadLength)).equals(firstBytes)).toBe(false);
      const next = await pool.submit([job(3)]); // both slots are held now: a third
      expect(new Set([first.payload, held.payload, next.payload]).size).toBe(3);
    } finally {
      await pool.close();
    }
  });

  // 128 KiB chunks of random data (stored as they are), two slots per worker: two payloads fill a slot of
  // 300,000 bytes; a slot of 100,000 grows for the first payload it takes (then holds one more)
  it.each([300_000, 100_000])('hands a job\'s full payload slots (of %d bytes) over in parts as it goes, never using more slots than its limit', async (capacity) => {
    const big = join(work, `big-${capacity}`);
    const other = join(work, `other-${capacity}`);
    await writeFile(big, randomBytes(3 * 2 ** 20));
    await writeFile(other, randomBytes(3 * 2 ** 20));
    const small = (): WorkerConfig => ({ ...config(), splitter: 'FIXED-128K', payloadCapacity: capacity, payloadSlots: 2 });
    const pool = new HashingPool({ workers: 1, config: small });
    try {
      const parts: { ids: string[]; payload: SharedArrayBuffer }[] = [];
      const result = await pool.submit([{ fileKey: 1, path: big, offset: 0, length: 3 * 2 ** 20 }], (part) => {
        for (const c of part.contents) expect(c.payloadOffset + c.payloadLength).toBeLessThanOrEqual(part.payload.byteLength);
        parts.push({ ids: part.contents.map((c) => c.contentId), payload: part.payload });
        setImmediate(() => part.release()); // the worker waits for it: both of its slots are in use by now
      });
      const chunks = result.segments[0]!.chunks;
      expect(chunks).toHaveLength(24);
      const inResult = chunks.filter((c) => c.payloadOffset >= 0).map((c) => c.contentId);
      expect(parts.length).toBeGreaterThanOrEqual(10);
      // every chunk's payload arrived exactly once: in a part or with the result
      expect([...parts.flatMap((p) => p.ids), ...inResult].sort()).toEqual(chunks.map((c) => c.contentId).sort());
      // the worker's two slots at most (one when the main thread freed each part's slot before the worker
      // looked for the next; a slot that grew for a payload larger than it was sent grown)
      const buffers = new Set([...parts.map((p) => p.payload), result.payload]);
      expect(buffers.size).toBeLessThanOrEqual(2);
      for (const b of buffers) expect(b.byteLength).toBeGreaterThanOrEqual(128 * 1024 + 28);
      result.release();
      // without a taker for parts such a job fails instead of dropping payloads (other data: the worker
      // sends no payload twice)
      await expect(pool.submit([{ fileKey: 2, path: other, offset: 0, length: 3 * 2 ** 20 }]))
        .rejects.toMatchObject({ code: 'INTERNAL', message: expect.stringMatching(/outgrew its payload slot/) });
    } finally {
      await pool.close();
    }
  });

  it("keeps a file's own error with its segment and the other segments of the job intact", async () => {
    const pool = new HashingPool({ workers: 1, config: () => config() });
    try {
      const r = await pool.submit([{ fileKey: 7, path: join(work, 'missing'), offset: 0, length: 10 }, job(1)]);
      expect(r.segments[0]).toMatchObject({ fileKey: 7, error: { errno: 'ENOENT' } });
      expect(r.segments[1]).toMatchObject({ fileKey: 1, bytesRead: 200_001 });
    } finally {
      await pool.close();
    }
  });

  it("rejects jobs with the worker's typed error (setup failure) and a bug as INTERNAL", async () => {
    const broken = new HashingPool({ workers: 2, config: () => config(spec({ hash: 'NO-SUCH-HASH' })) });
    try {
      const err = await broken.submit([job(0)]).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'UNSUPPORTED', message: expect.stringMatching(/NO-SUCH-HASH/), hint: expect.any(String) });
    } finally {
      await broken.close();
    }
    const pool = new HashingPool({ workers: 1, config: () => config() });
    try {
      await expect(pool.submit(undefined as never)).rejects.toMatchObject({ code: 'INTERNAL', message: expect.stringMatching(/^hashing worker: TypeError: /) });
      // the pool keeps working after a failed job
      expect((await pool.submit([job(2)])).segments[0]!.bytesRead).toBe(200_002);
    } finally {
      await pool.close();
    }
  });

  it('rejects all jobs when the workers cannot be configured', async () => {
    const pool = new HashingPool({ workers: 1, config: () => { throw new Error('no spec'); } });
    await expect(pool.submit([job(0)])).rejects.toThrow('no spec');
    await expect(pool.submit([job(1)])).rejects.toThrow('no spec');
    await pool.close();
  });

  it('on close rejects the jobs not finished and refuses new ones', async () => {
    const pool = new HashingPool({ workers: 1, depthPerWorker: 1, config: () => config() });
    const jobs = [0, 1, 2].map((i) => pool.submit([job(i)]).then(() => 'done', (e: unknown) => e));
    await pool.close();
    const outcomes = await Promise.all(jobs);
    expect(outcomes.filter((o) => o !== 'done').length).toBeGreaterThanOrEqual(2); // at most the running one finished
    for (const o of outcomes) if (o !== 'done') expect(o).toMatchObject({ code: 'INTERNAL', message: 'hashing pool closed before the job finished' });
    expect(pool.load).toEqual([]);
    await expect(pool.submit([job(0)])).rejects.toMatchObject({ code: 'INTERNAL', message: 'hashing pool is closed' });
  });
});
