import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  compareContentIds,
  contentIdToKey,
  contentIv,
  formatContentId,
  isValidContentId,
  keyToContentId,
  packPrefixForContentId,
  parseContentId,
  validateContentId,
} from './content-id.ts';
import { InvalidContentIdError } from './content-errors.ts';

describe('content IDs', () => {
  it('parses prefixed and unprefixed IDs', () => {
    const p = parseContentId('kae0402278ce3ba69a31b6a2b51165861');
    expect(p.prefix).toBe('k');
    expect(p.hash.toString('hex')).toBe('ae0402278ce3ba69a31b6a2b51165861');
    const u = parseContentId('ae0402278ce3ba69a31b6a2b51165861');
    expect(u.prefix).toBe('');
    expect(u.hash.length).toBe(16);
  });

  it('rejects malformed IDs with a typed error', () => {
    for (const bad of ['', 'a', 'fab', 'kXY', 'k', 'ABCD', 'zz', 'a'.repeat(66)]) {
      expect(isValidContentId(bad), bad).toBe(false);
      expect(() => validateContentId(bad)).toThrow(InvalidContentIdError);
    }
    expect(isValidContentId('g00')).toBe(true);
    expect(isValidContentId('00')).toBe(true);
  });

  it('binary key is prefix byte or 0 followed by the hash', () => {
    expect(contentIdToKey('kae04').toString('hex')).toBe('6bae04');
    expect(contentIdToKey('ae04').toString('hex')).toBe('00ae04');
    expect(keyToContentId(Buffer.from('6bae04', 'hex'))).toBe('kae04');
    expect(keyToContentId(Buffer.from('00ae04', 'hex'))).toBe('ae04');
  });

  it('string order equals key byte order', () => {
    const id = fc.tuple(fc.constantFrom('', 'k', 'm', 'x', 'g', 'z'), fc.uint8Array({ minLength: 16, maxLength: 16 }))
      .map(([p, h]) => formatContentId(p, h));
    fc.assert(
      fc.property(id, id, (a, b) => {
        const byKey = Math.sign(Buffer.compare(contentIdToKey(a), contentIdToKey(b)));
        expect(Math.sign(compareContentIds(a, b))).toBe(byKey);
      }),
    );
  });

  it('pack prefix and IV', () => {
    expect(packPrefixForContentId('kae0402278ce3ba69a31b6a2b51165861')).toBe('q');
    expect(packPrefixForContentId('ae0402278ce3ba69a31b6a2b51165861')).toBe('p');
    const h = '00112233445566778899aabbccddeeff' + '0123456789abcdef0123456789abcdef';
    expect(contentIv('x' + h).toString('hex')).toBe('0123456789abcdef0123456789abcdef');
  });
});
