import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { createHasher } from '../crypto/hashers.ts';
import { createEncryptor } from '../crypto/encryptors.ts';
import { decompressContent } from '../compression/compressors.ts';
import { contentIv } from './content-id.ts';
import { ContentIdSet } from './content-id-set.ts';
import { ContentPreparer, createPreparerSpec } from './content-preparer.ts';

/** prepareInto through a fresh buffer: the sealed payload, or undefined when the content exists. */
function prepare(preparer: ContentPreparer, data: Uint8Array): { contentId: string; payload: Buffer | undefined; compressionHeaderId: number } {
  const out = Buffer.alloc(preparer.maxPayloadLength(data.length) + 8);
  const p = preparer.prepareInto(data, out, 8);
  return { contentId: p.contentId, payload: p.payloadLength < 0 ? undefined : out.subarray(8, 8 + p.payloadLength), compressionHeaderId: p.compressionHeaderId };
}

const hmacSecret = randomBytes(32);
const masterKey = randomBytes(32);
const hasher = createHasher('HMAC-SHA256-128', hmacSecret);
const encryptor = createEncryptor('AES256-GCM-HMAC-SHA256', masterKey);
const keys = { hash: 'HMAC-SHA256-128', hmacSecret, encryption: 'AES256-GCM-HMAC-SHA256', masterKey };

describe('ContentPreparer', () => {
  it('survives structured cloning and prepares what the repository keys give: ID, compressed then sealed payload', () => {
    const spec = structuredClone(createPreparerSpec({ ...keys, compression: 'zstd', existing: undefined }));
    const preparer = ContentPreparer.fromSpec(spec);
    const data = Buffer.from('compressible '.repeat(500));
    const p = prepare(preparer, data);
    expect(p.contentId).toBe(hasher.hash(data).toString('hex'));
    expect(p.compressionHeaderId).toBe(0x1100);
    expect(decompressContent(encryptor.decrypt(p.payload!, contentIv(p.contentId)), 0x1100, data.length)).toEqual(data);
  });

  it('reports contents the repository has, and the ones it already prepared, as present without a payload', () => {
    const known = randomBytes(1000);
    const existing = ContentIdSet.fromContents([hasher.hash(known).toString('hex')], 10);
    const preparer = ContentPreparer.fromSpec(createPreparerSpec({ ...keys, compression: undefined, existing }));
    expect(prepare(preparer, known)).toEqual({ contentId: hasher.hash(known).toString('hex'), payload: undefined, compressionHeaderId: 0 });
    const fresh = randomBytes(1000);
    const first = prepare(preparer, fresh);
    expect(first.payload).toBeDefined();
    expect(encryptor.decrypt(first.payload!, contentIv(first.contentId))).toEqual(fresh);
    expect(prepare(preparer, fresh).payload).toBeUndefined();
  });

  it('treats "none" as no compression and refuses a compression Cairn cannot write, on the calling thread', () => {
    const data = Buffer.from('a'.repeat(4096));
    const p = prepare(ContentPreparer.fromSpec(createPreparerSpec({ ...keys, compression: 'none', existing: undefined })), data);
    expect(p.compressionHeaderId).toBe(0);
    expect(() => createPreparerSpec({ ...keys, compression: 's2-default', existing: undefined })).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }));
    expect(() => createPreparerSpec({ ...keys, compression: 'bogus', existing: undefined })).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }));
  });

  it('rejects a spec it did not make and never prints keys', () => {
    expect(() => ContentPreparer.fromSpec(structuredClone({ hash: 'x' }) as never)).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
    const preparer = ContentPreparer.fromSpec(createPreparerSpec({ ...keys, compression: 'zstd', existing: undefined }));
    const shown = `${inspect(preparer, { depth: 10, showHidden: true })} ${JSON.stringify(preparer)}`;
    for (const key of [hmacSecret, masterKey]) {
      expect(shown).not.toContain(key.toString('hex'));
      expect(shown).not.toContain(key.toString('base64'));
      expect(shown).not.toContain(String(key[0]) + ', ' + String(key[1]));
    }
  });

  it('stores a chunk uncompressed when compression would not pay, and compresses one that shrinks even slightly', () => {
    const preparer = ContentPreparer.fromSpec(createPreparerSpec({ ...keys, compression: 'zstd', existing: undefined }));
    const random = randomBytes(256 * 1024);
    const r = prepare(preparer, random);
    expect(r.compressionHeaderId).toBe(0);
    expect(r.payload!.length).toBe(random.length + encryptor.overhead);
    expect(encryptor.decrypt(r.payload!, contentIv(r.contentId))).toEqual(random);
    const mostlyRandom = Buffer.concat([randomBytes(200 * 1024), Buffer.alloc(56 * 1024)]);
    const m = prepare(preparer, mostlyRandom);
    expect(m.compressionHeaderId).toBe(0x1100);
    expect(m.payload!.length).toBeLessThan(mostlyRandom.length);
    expect(decompressContent(encryptor.decrypt(m.payload!, contentIv(m.contentId)), 0x1100, mostlyRandom.length)).toEqual(mostlyRandom);
  });
});
