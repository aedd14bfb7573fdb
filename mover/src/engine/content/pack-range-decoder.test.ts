import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { compressContent, compressorByName } from '../compression/compressors.ts';
import { createEncryptor } from '../crypto/encryptors.ts';
import { contentIv } from './content-id.ts';
import type { ContentInfo } from './content-info.ts';
import { PackRangeDecoder, packDecoderSpec } from './pack-range-decoder.ts';

const masterKey = randomBytes(32);
const encryptor = createEncryptor('AES256-GCM-HMAC-SHA256', masterKey);
const zstd = compressorByName('zstd');

/** A zstd content whose frame checksum is wrong, sealed (and so authenticated) like any other. */
function contentWithBadFrameChecksum(plain: Buffer): { info: ContentInfo; payload: Buffer } {
  const compressed = compressContent(zstd, plain);
  compressed[compressed.length - 1]! ^= 0xff; // the frame's last 4 bytes are its XXH64 checksum
  const contentId = randomBytes(16).toString('hex');
  const payload = encryptor.encrypt(compressed, contentIv(contentId));
  const info: ContentInfo = {
    contentId, packBlobId: 'p0', packOffset: 0, packedLength: payload.length, originalLength: plain.length,
    timestampSeconds: 0, deleted: false, compressionHeaderId: zstd.headerId, formatVersion: 2, encryptionKeyId: 0,
  };
  return { info, payload };
}

describe('PackRangeDecoder frame checks', () => {
  const plain = Buffer.from('a frame whose checksum does not match what it decodes to\n'.repeat(200));
  const { info, payload } = contentWithBadFrameChecksum(plain);
  const range = { packBlobId: 'p0', offset: 0, length: payload.length, contents: [info] };

  it('by default (verify, every read but restore) a frame checksum that does not match is CORRUPT', () => {
    const [r] = [...new PackRangeDecoder(encryptor).decode(range, payload)];
    expect(r!.error?.code).toBe('CORRUPT');
    expect(r!.error?.message).toContain(info.contentId);
  });

  it("restore's writers (fromSpec with frame checks off) rely on the AEAD and the length check alone", () => {
    const decoder = PackRangeDecoder.fromSpec(packDecoderSpec('AES256-GCM-HMAC-SHA256', masterKey)!, false);
    const [r] = [...decoder.decode(range, payload)];
    expect(r!.error).toBeUndefined();
    expect(r!.data).toEqual(plain);
    // a stored byte changed is still caught, by the cipher
    const tampered = Buffer.from(payload);
    tampered[20]! ^= 1;
    expect([...decoder.decode(range, tampered)][0]!.error?.code).toBe('CORRUPT');
  });
});
