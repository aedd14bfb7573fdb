// What a directory has learnt of its subdirectories' listings so far. The walk takes more of them at once
// only while every one listed was a small leaf (no subdirectories, at most SMALL_LEAF_ENTRIES entries):
// then each holds little, and four at a time kept too little work in flight for the hashing workers (a
// directory is done only when all its files are stored, and its next sibling starts only then). One larger
// or deeper stops it for good: extra slots there would multiply the listings held below them.
import type { DirectoryListing } from './directory-reader.ts';

export const SMALL_LEAF_ENTRIES = 256;

export class SiblingListings {
  private smallLeaves = 0;
  private others = 0;

  record(listing: DirectoryListing): void {
    const small = listing.entries.length <= SMALL_LEAF_ENTRIES && !listing.entries.some((e) => e.stat.kind === 'd');
    if (small) this.smallLeaves++;
    else this.others++;
  }

  /** True once at least one was listed and all were small leaves. */
  get allSmallLeaves(): boolean {
    return this.smallLeaves > 0 && this.others === 0;
  }
}
