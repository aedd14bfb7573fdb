import { describe, expect, it } from 'vitest';
import { SiblingListings, SMALL_LEAF_ENTRIES } from './sibling-listings.ts';
import type { DirectoryListing, SourceEntry } from './directory-reader.ts';

function listing(files: number, dirs = 0): DirectoryListing {
  const entry = (kind: 'f' | 'd'): SourceEntry => ({ stat: { kind } }) as unknown as SourceEntry;
  return { entries: [...Array.from({ length: files }, () => entry('f')), ...Array.from({ length: dirs }, () => entry('d'))], failures: [] };
}

describe('SiblingListings', () => {
  it('says "all small leaves" only after one was listed and while no larger or deeper one was', () => {
    const s = new SiblingListings();
    expect(s.allSmallLeaves).toBe(false);
    s.record(listing(100));
    s.record(listing(SMALL_LEAF_ENTRIES));
    expect(s.allSmallLeaves).toBe(true);
    s.record(listing(3, 1));
    expect(s.allSmallLeaves).toBe(false);
    s.record(listing(1));
    expect(s.allSmallLeaves).toBe(false);
  });

  it('counts a listing past the limit as large', () => {
    const s = new SiblingListings();
    s.record(listing(SMALL_LEAF_ENTRIES + 1));
    expect(s.allSmallLeaves).toBe(false);
  });
});
