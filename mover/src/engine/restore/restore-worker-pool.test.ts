import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBlobStore } from '../blob/memory-store.ts';
import type { ContentInfo } from '../content/content-info.ts';
import { ContentManager } from '../content/content-manager.ts';
import { testRepositoryFormat } from '../content/content-test-support.ts';
import type { PackContentsReader, PackRange } from '../content/pack-contents-reader.ts';
import { fromErrorRecord } from '../util/error-record.ts';
import { fileAttributes } from './restore-file-writer.ts';
import { RestoreWorkerPool, type TaskInput } from './restore-worker-pool.ts';
import type { TaskContent } from './restore-worker-protocol.ts';

const attrs = fileAttributes({ name: 'f', type: 'f', mode: 0o644, size: 0, mtime: '2025-01-01T00:00:00Z', uid: 0, gid: 0, obj: '' });

let work: string;
let reader: PackContentsReader;
let infos: ContentInfo[];
let data: Buffer[];
let pool: RestoreWorkerPool;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cairn-pool-'));
  const cm = await ContentManager.open(new MemoryBlobStore(), testRepositoryFormat());
  data = [randomBytes(5000), Buffer.alloc(7000, 9)];
  const ids = [await cm.writeContent(data[0]!, { prefix: '' }), await cm.writeContent(data[1]!, { prefix: '', compression: 'zstd-fastest' })];
  await cm.flush();
  infos = ids.map((id) => cm.contentInfo(id)!);
  reader = cm.packReader();
  pool = new RestoreWorkerPool(2, { ownership: false, overwrite: false });
  pool.setup({ decoder: reader.workerSpec });
});

afterAll(async () => {
  await pool.close();
  await rm(work, { recursive: true, force: true });
});

/** A write task that decodes `range` in the worker, each content going to a whole new file. */
async function writeTask(range: PackRange, bytes: Buffer, names: readonly string[]): Promise<TaskInput> {
  const contents: TaskContent[] = range.contents.map((c, i) => ({
    start: 0,
    length: 0,
    uses: [{ file: 100 + i, offset: 0, tmp: join(work, `.tmp-${names[i]}`), whole: { path: join(work, names[i]!), length: c.originalLength, attrs } }],
  }));
  const ab = new Uint8Array(bytes).buffer;
  return { type: 'write', data: ab, dataOffset: 0, dataLength: ab.byteLength, range, contents };
}

describe('RestoreWorkerPool', () => {
  it('decodes a pack range in a worker and writes every content to its file', async () => {
    const range = reader.plan(infos)[0]!;
    const reply = await pool.run(await writeTask(range, await reader.fetch(range), ['a', 'b']));
    expect(reply.failure).toBeUndefined();
    expect(reply.filesDone).toBe(2);
    expect(await readFile(join(work, 'a'))).toEqual(data[0]);
    expect(await readFile(join(work, 'b'))).toEqual(data[1]);
  });

  it('returns a content that fails authentication as CORRUPT with its job, and rebuilds it with the file named', async () => {
    const range = reader.plan(infos)[0]!;
    const bytes = await reader.fetch(range);
    const second = range.contents[1]!;
    bytes[second.packOffset - range.offset + 30]! ^= 0xff;
    const reply = await pool.run(await writeTask(range, bytes, ['c1', 'c2']));
    expect(reply.failure?.file).toBe(101);
    expect(reply.failure?.error).toMatchObject({ code: 'CORRUPT', retryable: false, message: expect.stringContaining(second.packBlobId) });
    expect(reply.failure?.error.hint).toBeTruthy();
    const rebuilt = fromErrorRecord(reply.failure!.error, 'file x/c2: ');
    expect(rebuilt).toMatchObject({ code: 'CORRUPT', hint: reply.failure!.error.hint, message: expect.stringMatching(/^file x\/c2: content /) });
  });

  it('returns an unknown encryption key ID as UNSUPPORTED', async () => {
    const range = reader.plan(infos)[0]!;
    const bytes = await reader.fetch(range);
    const odd = { ...range, contents: [{ ...range.contents[0]!, encryptionKeyId: 7 }, range.contents[1]!] };
    const reply = await pool.run(await writeTask(odd, bytes, ['u1', 'u2']));
    expect(reply.failure).toMatchObject({ file: 100, error: { code: 'UNSUPPORTED' } });
  });

  it('returns a filesystem failure as TARGET_ERROR naming the path, without a file to blame data on', async () => {
    const missingDir = join(work, 'no-such-dir');
    const reply = await pool.run({
      type: 'finish',
      items: [{ file: 1, tmp: join(missingDir, '.tmp'), path: join(missingDir, 'f'), length: 0, written: 0, attrs, create: true }],
    });
    expect(reply.failure?.file).toBeUndefined();
    expect(reply.failure?.error).toMatchObject({ code: 'TARGET_ERROR', message: expect.stringContaining('no-such-dir') });
    expect(fromErrorRecord(reply.failure!.error).code).toBe('TARGET_ERROR');
  });

  it('returns a bug in the worker as INTERNAL with its message, not as a target or data error', async () => {
    const range = reader.plan(infos)[0]!;
    const task = await writeTask(range, await reader.fetch(range), ['i1', 'i2']);
    // A malformed task (fewer uses than contents) makes the worker dereference undefined.
    const broken = { ...task, contents: 'contents' in task ? task.contents.slice(0, 1) : [] };
    const reply = await pool.run(broken);
    expect(reply.failure?.error).toMatchObject({ code: 'INTERNAL', message: expect.stringMatching(/undefined/) });
    expect(reply.failure?.error.stack).toBeTruthy();
    const rebuilt = fromErrorRecord(reply.failure!.error);
    expect(rebuilt.code).toBe('INTERNAL');
    expect(rebuilt.cause).toBeInstanceOf(Error);
  });

  it('returns stored bytes sent to a pool without a decoder as INTERNAL', async () => {
    const plain = new RestoreWorkerPool(1, { ownership: false, overwrite: false });
    plain.setup({ decoder: undefined });
    try {
      const range = reader.plan(infos)[0]!;
      const reply = await plain.run(await writeTask(range, await reader.fetch(range), ['n1', 'n2']));
      expect(reply.failure?.error).toMatchObject({ code: 'INTERNAL', message: expect.stringContaining('no decoder') });
    } finally {
      await plain.close();
    }
  });

  it('writes already-decoded bytes when the task has no range', async () => {
    const bytes = Buffer.concat([Buffer.from('hello'), Buffer.from('world!')]);
    const ab = new Uint8Array(bytes).buffer;
    const contents: TaskContent[] = [
      { start: 0, length: 5, uses: [{ file: 1, offset: 0, tmp: join(work, '.tmp-p1'), whole: { path: join(work, 'p1'), length: 5, attrs } }] },
      { start: 5, length: 6, uses: [{ file: 2, offset: 0, tmp: join(work, '.tmp-p2'), whole: { path: join(work, 'p2'), length: 6, attrs } }] },
    ];
    const reply = await pool.run({ type: 'write', data: ab, dataOffset: 0, dataLength: ab.byteLength, contents }, [ab]);
    expect(reply).toMatchObject({ filesDone: 2, bytesWritten: 11 });
    expect(await readFile(join(work, 'p2'), 'utf8')).toBe('world!');
  });

  it('prestarted: the threads load before setup, a task before setup is refused, and after it they decode', async () => {
    let loaded!: () => void;
    const ready = new Promise<void>((r) => (loaded = r));
    const early = new RestoreWorkerPool(2, { ownership: false, overwrite: false }, () => loaded);
    try {
      early.prestart();
      await ready; // both threads have loaded their modules, with no setup sent yet
      const range = reader.plan(infos)[0]!;
      const task = await writeTask(range, await reader.fetch(range), ['e1', 'e2']);
      await expect(early.run(task)).rejects.toMatchObject({ code: 'INTERNAL', message: expect.stringContaining('before setup') });
      early.setup({ decoder: reader.workerSpec });
      expect(() => early.setup({ decoder: reader.workerSpec })).toThrow(/twice/);
      const reply = await early.run(task);
      expect(reply.failure).toBeUndefined();
      expect(await readFile(join(work, 'e2'))).toEqual(data[1]);
    } finally {
      await early.close();
    }
  });
});
