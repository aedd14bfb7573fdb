import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeDirManifest, encodeDirManifest } from './dir-manifest.ts';
import { displayName, isSafeName, nameFromBytes, nameToBytes } from './entry-name.ts';

describe('entry names', () => {
  it('keep valid UTF-8 names as they are', () => {
    for (const n of ['plain', 'café-ñandú-日本語', 'emoji-😀-𝄞-\u{10FFFD}', '\ufffd-a-real-replacement-char', '']) {
      expect(nameFromBytes(Buffer.from(n))).toBe(n);
      expect(nameToBytes(n)).toEqual(Buffer.from(n));
    }
  });

  it('escape each byte that is not part of valid UTF-8 as U+DC80..U+DCFF', () => {
    expect(nameFromBytes(Buffer.from([0x61, 0xff, 0xfe, 0x62]))).toBe('a\udcff\udcfeb');
    expect(nameFromBytes(Buffer.from('caf\xe9', 'latin1'))).toBe('caf\udce9');
    // A lead byte without its continuation, an overlong ".", an encoded surrogate, a code point > U+10FFFF.
    expect(nameFromBytes(Buffer.from([0xc3, 0x41]))).toBe('\udcc3A');
    expect(nameFromBytes(Buffer.from([0xc0, 0xae]))).toBe('\udcc0\udcae');
    expect(nameFromBytes(Buffer.from([0xed, 0xa0, 0x80]))).toBe('\udced\udca0\udc80');
    expect(nameFromBytes(Buffer.from([0xf4, 0x90, 0x80, 0x80]))).toBe('\udcf4\udc90\udc80\udc80');
  });

  it('round-trip any bytes exactly (property)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), (b) => {
      expect(nameToBytes(nameFromBytes(b))).toEqual(Buffer.from(b));
    }), { numRuns: 5000, seed: 4 });
  });

  it('survive a listing: written as \\udcXX escapes, read back as the same bytes', () => {
    const name = nameFromBytes(Buffer.from([0x62, 0x61, 0x64, 0xff, 0x80]));
    const bytes = encodeDirManifest([{ name, type: 'f', mode: 0o644, size: 0, mtime: '2021-01-01T00:00:00Z', uid: 0, gid: 0, obj: 'abc' }], undefined);
    expect(bytes.toString()).toContain('"name":"bad\\udcff\\udc80"');
    expect(nameToBytes(decodeDirManifest(bytes, 'k1').entries[0]!.name)).toEqual(Buffer.from([0x62, 0x61, 0x64, 0xff, 0x80]));
  });

  it('read other lone surrogates as U+FFFD (as Go does), never as "/", NUL or "."', () => {
    expect(nameToBytes('\udc2f\ud800x\udc00')).toEqual(Buffer.from('\ufffd\ufffdx\ufffd'));
    expect(isSafeName(nameToBytes('\udc2e\udc2e'))).toBe(true);
    for (const bad of ['', '.', '..', 'a/b', 'x\0y']) expect(isSafeName(nameToBytes(bad))).toBe(false);
  });

  it('show escaped bytes as \\xNN in messages', () => {
    expect(displayName('bad\udcff-😀')).toBe('bad\\xff-😀');
  });
});
