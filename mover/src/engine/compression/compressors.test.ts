import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CorruptionError, isCairnError } from '../errors.ts';
import {
  COMPRESSOR_NAMES,
  SELECTABLE_COMPRESSOR_NAMES,
  compressContent,
  compressorByHeaderId,
  compressorByName,
  decompressByHeader,
  decompressContent,
} from './compressors.ts';

const fixtures = JSON.parse(readFileSync(new URL('./testdata/klauspost-streams.json', import.meta.url), 'utf8')) as {
  streams: Record<string, string>;
};

function fixtureInput(): Buffer {
  let s = '';
  for (let i = 0; i < 400; i++) s += `line ${i} of a kopia compression fixture ${(i * i) % 97}\n`;
  return Buffer.from(s);
}

function sample(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + (i >> 5)) % 23; // compressible, not trivial
  return b;
}

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

const EXPECTED_IDS: Record<string, number> = {
  gzip: 0x1000, 'gzip-best-speed': 0x1001, 'gzip-best-compression': 0x1002,
  zstd: 0x1100, 'zstd-fastest': 0x1101, 'zstd-better-compression': 0x1102, 'zstd-best-compression': 0x1103,
  's2-default': 0x1200, 's2-better': 0x1201, 's2-parallel-4': 0x1202, 's2-parallel-8': 0x1203,
  pgzip: 0x1300, 'pgzip-best-speed': 0x1301, 'pgzip-best-compression': 0x1302,
  lz4: 0x1400,
  'deflate-default': 0x1500, 'deflate-best-speed': 0x1501, 'deflate-best-compression': 0x1502,
};

describe('compressor registry', () => {
  it('has exactly kopia\'s names and header ids', () => {
    expect([...COMPRESSOR_NAMES].sort()).toEqual(Object.keys(EXPECTED_IDS).sort());
    for (const [name, id] of Object.entries(EXPECTED_IDS)) {
      expect(compressorByName(name).headerId).toBe(id);
      expect(compressorByHeaderId(id).name).toBe(name);
    }
    expect(SELECTABLE_COMPRESSOR_NAMES).not.toContain('zstd-best-compression');
    expect(SELECTABLE_COMPRESSOR_NAMES).not.toContain('s2-default');
    expect(SELECTABLE_COMPRESSOR_NAMES).toContain('zstd-fastest');
  });

  it('rejects unknown names and ids naming them', () => {
    const e1 = thrown(() => compressorByName('brotli'));
    expect(isCairnError(e1) && e1.code).toBe('UNSUPPORTED');
    expect((e1 as Error).message).toContain('"brotli"');
    const e2 = thrown(() => compressorByHeaderId(0x1600));
    expect(isCairnError(e2) && e2.code).toBe('UNSUPPORTED');
    expect((e2 as Error).message).toContain('0x1600');
  });

  it('s2 and lz4 are named but throw UnsupportedError with a hint', () => {
    for (const name of ['s2-default', 's2-parallel-8', 'lz4']) {
      const c = compressorByName(name);
      expect(c.supported).toBe(false);
      const e = thrown(() => c.decompress(Buffer.from('x'), 10));
      expect(isCairnError(e) && e.code).toBe('UNSUPPORTED');
      expect(isCairnError(e) && e.hint).toBeTruthy();
      expect(isCairnError(thrown(() => c.compress(Buffer.from('x'))))).toBe(true);
    }
  });
});

describe('compressors', () => {
  const data = sample(300_000);
  for (const name of COMPRESSOR_NAMES.filter((n) => compressorByName(n).supported)) {
    it(`${name}: round trip through compressContent / decompressContent, output bounded`, () => {
      const c = compressorByName(name);
      const payload = compressContent(c, data);
      expect(payload.readUInt32BE(0)).toBe(c.headerId);
      expect(payload.length).toBeLessThan(data.length / 4);
      expect(decompressContent(payload, c.headerId, data.length)).toEqual(data);
      expect(decompressByHeader(payload, data.length)).toEqual(data);
      const bomb = thrown(() => decompressContent(payload, c.headerId, data.length - 1));
      expect(bomb).toBeInstanceOf(CorruptionError);
      expect((bomb as Error).message).toContain(`${data.length - 1}`);
      expect(c.decompress(c.compress(Buffer.alloc(0)), 0).length).toBe(0);
      expect(thrown(() => c.decompress(payload.subarray(4, payload.length - 10), data.length))).toBeInstanceOf(CorruptionError);
      expect(thrown(() => c.decompress(Buffer.from('definitely not compressed'), data.length))).toBeInstanceOf(CorruptionError);
    });
  }

  for (const [name, hex] of Object.entries(fixtures.streams)) {
    it(`${name}: decodes a stream written by kopia's Go library`, () => {
      const input = fixtureInput();
      expect(compressorByName(name).decompress(Buffer.from(hex, 'hex'), input.length)).toEqual(input);
    });
  }

  it('higher zstd presets compress at least as well as zstd-fastest', () => {
    const text = fixtureInput();
    const size = (n: string): number => compressorByName(n).compress(Buffer.concat([text, text, sample(50_000)])).length;
    expect(size('zstd-best-compression')).toBeLessThanOrEqual(size('zstd-fastest'));
    expect(size('gzip-best-compression')).toBeLessThanOrEqual(size('gzip-best-speed'));
  });

  it('gzip and pgzip decode concatenated members (multi-member gzip)', () => {
    const multi = Buffer.concat([gzipSync(Buffer.from('hello ')), gzipSync(Buffer.from('world'))]);
    expect(compressorByName('pgzip').decompress(multi, 11).toString()).toBe('hello world');
    expect(compressorByName('gzip').decompress(multi, 11).toString()).toBe('hello world');
    expect(thrown(() => compressorByName('gzip').decompress(multi, 10))).toBeInstanceOf(CorruptionError);
  });

  it('zstd decodes concatenated frames and refuses a bomb without allocating its size', () => {
    const z = compressorByName('zstd');
    const two = Buffer.concat([z.compress(Buffer.from('abc')), z.compress(Buffer.from('def'))]);
    expect(z.decompress(two, 6).toString()).toBe('abcdef');
    const bomb = z.compress(Buffer.alloc(64 << 20)); // 64 MiB of zeros: a few KiB compressed
    expect(bomb.length).toBeLessThan(100_000);
    expect(thrown(() => z.decompress(bomb, 1 << 20))).toBeInstanceOf(CorruptionError);
    // the shared context is usable again after a failure
    expect(z.decompress(two, 6).toString()).toBe('abcdef');
    // a bound above the initial 16 MiB buffer grows it instead of failing
    const big = Buffer.alloc(40 << 20, 0x61);
    big[big.length - 1] = 0x62;
    const out = z.decompress(z.compress(big), 1 << 28);
    expect(out.length).toBe(big.length);
    expect(out[out.length - 1]).toBe(0x62);
  });

  it('zstd writes a frame checksum (as kopia does) and checks it unless told the stream was authenticated', () => {
    const z = compressorByName('zstd');
    const frame = z.compress(data);
    // frame header descriptor (after the 4-byte magic): bit 2 is Content_Checksum_flag
    expect(frame[4]! & 0x04).toBe(0x04);
    frame[frame.length - 1]! ^= 0xff; // the last 4 bytes are the XXH64 checksum
    expect(thrown(() => z.decompress(frame, data.length))).toBeInstanceOf(CorruptionError);
    expect(z.decompress(frame, data.length, false)).toEqual(data);
    // the streaming path (bounds above 64 MiB) too, each with its own context
    expect(z.decompress(frame, 1 << 28, false)).toEqual(data);
    expect(thrown(() => z.decompress(frame, 1 << 28))).toBeInstanceOf(CorruptionError);
    expect(z.decompress(z.compress(data), data.length)).toEqual(data);
  });

  it('decompressContent checks the header against the index and its presence', () => {
    const payload = compressContent(compressorByName('zstd'), Buffer.from('abc'));
    const e = thrown(() => decompressContent(payload, 0x1101, 3));
    expect(e).toBeInstanceOf(CorruptionError);
    expect((e as Error).message).toContain('0x1100');
    expect(thrown(() => decompressContent(Buffer.from([0x11]), 0x1100, 3))).toBeInstanceOf(CorruptionError);
  });
});
