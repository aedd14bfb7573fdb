import { describe, expect, it } from 'vitest';
import type { ContentInfo } from './content-info.ts';
import { IndexBuilder } from './index-builder.ts';

function info(i: number, over: Partial<ContentInfo> = {}): ContentInfo {
  return {
    contentId: i.toString(16).padStart(64, '0'), packBlobId: `p${i % 3}`, packOffset: i * 10, packedLength: 10 + i,
    originalLength: 5 + i, timestampSeconds: 1000, deleted: false, compressionHeaderId: i % 2 === 0 ? 0 : 0x1100,
    formatVersion: 2, encryptionKeyId: 0, ...over,
  };
}

describe('IndexBuilder.addAllFrom', () => {
  it('copies every entry with its pack and format, keeping the winner where a content is in both', () => {
    const src = new IndexBuilder();
    for (let i = 0; i < 1000; i++) src.add(info(i));
    const dst = new IndexBuilder();
    dst.add(info(5, { packBlobId: 'older', timestampSeconds: 900 })); // loses to src's newer entry
    dst.add(info(7, { packBlobId: 'newer', timestampSeconds: 2000 })); // wins over src's
    dst.add(info(5000));
    dst.addAllFrom(src);
    expect(dst.size).toBe(1001);
    for (let i = 0; i < 1000; i++) {
      expect(dst.get(info(i).contentId)).toEqual(i === 7 ? info(7, { packBlobId: 'newer', timestampSeconds: 2000 }) : info(i));
    }
    expect(dst.get(info(5000).contentId)).toEqual(info(5000));
  });

  it('grows to exactly what is reserved and empties its arrays on clear', () => {
    const b = new IndexBuilder();
    b.reserve(3);
    for (let i = 0; i < 40; i++) b.add(info(i)); // past the reservation: grows again
    expect([...b.entries()].map((e) => e.packOffset)).toEqual(Array.from({ length: 40 }, (_, i) => i * 10));
    b.clear();
    expect(b.size).toBe(0);
    b.add(info(1));
    expect(b.get(info(1).contentId)).toEqual(info(1));
  });
});
