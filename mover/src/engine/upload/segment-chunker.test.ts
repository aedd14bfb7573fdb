// The chunker reads through a window it slides (keeping each byte's page offset, page-aligned-buffer.ts):
// whatever the segment's offset and the read size, the chunks are the ones the splitter cuts from the
// segment's bytes held in memory at once.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSplitter } from '../object/splitter-factory.ts';
import { SegmentChunker, type ChunkSink } from './segment-chunker.ts';

const data = randomBytes(9 * 2 ** 20 + 4321);
let dir: string;
let file: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cairn-chunker-'));
  file = join(dir, 'data');
  await writeFile(file, data);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Records each chunk's bytes (the window is reused: copy them). */
function recorder(): { sink: ChunkSink; chunks: Buffer[] } {
  const chunks: Buffer[] = [];
  return {
    chunks,
    sink: { accept: (c) => { chunks.push(Buffer.from(c)); return { contentId: '', length: c.length, payloadOffset: -1, payloadLength: 0, compressionHeaderId: 0 }; } },
  };
}

/** The splitter's cuts over `bytes` held in memory at once. */
function expectedChunks(splitterName: string, bytes: Buffer): Buffer[] {
  const s = createSplitter(splitterName);
  s.reset();
  const out: Buffer[] = [];
  let start = 0;
  for (let cut = s.next(bytes, 0, bytes.length); cut >= 0; cut = s.next(bytes, cut, bytes.length)) {
    out.push(bytes.subarray(start, cut));
    start = cut;
  }
  if (start < bytes.length) out.push(bytes.subarray(start));
  return out;
}

describe('SegmentChunker', () => {
  // offsets on and off page boundaries; reads smaller than a chunk force many slides of the window
  it.each([
    ['FASTCDC-1M', 0, data.length, 64 * 1024],
    ['FASTCDC-1M', 4096 * 3 + 17, 5 * 2 ** 20 + 999, 64 * 1024],
    ['FASTCDC-1M', 1, data.length - 1, 3 * 2 ** 20],
    ['DYNAMIC-1M-BUZHASH', 4095, 7 * 2 ** 20, 100_000],
  ])('%s at offset %d, %d bytes, reads of %d: the chunks of the bytes in memory', (splitter, offset, length, readBytes) => {
    const chunker = new SegmentChunker(createSplitter(splitter), readBytes);
    const r = recorder();
    const result = chunker.run({ fileKey: 1, path: file, offset, length }, r.sink);
    expect(result.error).toBeUndefined();
    expect(result.bytesRead).toBe(length);
    const want = expectedChunks(splitter, data.subarray(offset, offset + length));
    expect(r.chunks.map((c) => c.length)).toEqual(want.map((c) => c.length));
    expect(Buffer.concat(r.chunks).equals(data.subarray(offset, offset + length))).toBe(true);
  });
});
