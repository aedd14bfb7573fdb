import { describe, expect, it } from 'vitest';
import { CorruptionError } from '../errors.ts';
import { tryWriteContentKey } from '../content/content-id.ts';
import { directContentIdOf, formatObjectId, normalizeContentId, indexObjectIdOf, indirectObjectId, normalizeObjectId, parseObjectId, type ObjectId } from './object-id.ts';

describe('object IDs', () => {
  // kopia repo/object/objectid_test.go TestParseObjectID
  const cases: [string, boolean][] = [
    ['Df0f0', true], ['IDf0f0', true], ['IIDf0f0', true], ['Dxf0f0', true], ['IDxf0f0', true], ['IIDxf0f0', true],
    ['Dxf0f', false], ['IDxf0f', false], ['Da', false], ['Daf0f0', false], ['', true], ['B!$@#$!@#$', false],
    ['X', false], ['I.', false], ['I.x', false], ['I.af', false], ['Ix.ag', false], ['Iab.', false], ['I1', false],
    ['I1,', false], ['I-1,X', false], ['Xsomething', false], ['IZabcd', false],
  ];
  for (const [text, valid] of cases) {
    it(`${valid ? 'accepts' : 'rejects'} ${JSON.stringify(text)}`, () => {
      if (valid) expect(() => parseObjectId(text)).not.toThrow();
      else expect(() => parseObjectId(text)).toThrow(CorruptionError);
    });
  }

  it('formats canonically like kopia ID.String()', () => {
    expect(normalizeObjectId('Dabcd')).toBe('abcd');
    expect(normalizeObjectId('abcd')).toBe('abcd');
    expect(normalizeObjectId('IIabcd')).toBe('IIabcd');
    expect(normalizeObjectId('Zabcd')).toBe('Zabcd');
    expect(normalizeObjectId('IkABCD')).toBe('Ikabcd');
    expect(normalizeObjectId('')).toBe('');
  });

  it('exposes indirection, compression and the content ID', () => {
    expect(parseObjectId('IIx0123')).toEqual({ indirection: 2, compressed: false, contentId: 'x0123' });
    expect(parseObjectId('Z0123')).toEqual({ indirection: 0, compressed: true, contentId: '0123' });
    const id = parseObjectId('Ik0123');
    expect(formatObjectId(indexObjectIdOf(id)!)).toBe('k0123');
    expect(indexObjectIdOf(parseObjectId('k0123'))).toBeUndefined();
    expect(indirectObjectId('Ix01')).toBe('IIx01');
  });

  it('directContentIdOf: the content of a direct object; what it returns for a malformed one no index key accepts', () => {
    for (const [text] of [...cases, ['Zk0123'], ['ZD0123'], ['k0ABC'], ['ab'.repeat(33)], ['Z']] as [string][]) {
      let parsed: ObjectId | undefined;
      try {
        parsed = parseObjectId(text);
      } catch {
        parsed = undefined;
      }
      const direct = directContentIdOf(text);
      if (parsed === undefined) {
        if (direct !== undefined) expect(tryWriteContentKey(direct, new Uint8Array(64)), text).toBe(-1);
      } else if (parsed.indirection > 0) {
        expect(direct, text).toBeUndefined();
      } else {
        expect(direct?.toLowerCase(), text).toBe(parsed.contentId);
      }
    }
  });

  it('normalizeContentId lower-cases the hash, keeps the prefix, and names what is wrong', () => {
    expect(normalizeContentId('kABCDef01')).toBe('kabcdef01');
    expect(normalizeContentId('abcdef01')).toBe('abcdef01');
    expect(() => normalizeContentId('abcdeg01')).toThrow(/not hexadecimal/);
    expect(() => normalizeContentId('Aabcd')).toThrow(/invalid content prefix "A"/);
    expect(() => normalizeContentId('k')).toThrow(/empty/);
  });

  it('rejects hashes longer than 32 bytes', () => {
    expect(() => parseObjectId('ab'.repeat(32))).not.toThrow();
    expect(() => parseObjectId('ab'.repeat(33))).toThrow(/too long/);
  });
});
