// Splitters by name: Cairn's FASTCDC-1M (default for new data) and kopia's registry names
// (repo/splitter/splitter.go) so a policy or repository that names a kopia splitter chunks like kopia.
import { UnsupportedError } from '../errors.ts';
import { BuzhashSplitter } from './buzhash-splitter.ts';
import { FASTCDC_1M, FastCdcSplitter } from './fastcdc-splitter.ts';
import { FixedSplitter } from './fixed-splitter.ts';
import type { Splitter, SplitterFactory } from './splitter.ts';

/** Cairn's splitter for new data. */
export const DEFAULT_SPLITTER = 'FASTCDC-1M';
/** What kopia records in new repositories (the format blob's splitter field). */
export const KOPIA_DEFAULT_SPLITTER = 'DYNAMIC-4M-BUZHASH';

const SIZES: Readonly<Record<string, number>> = {
  '128K': 128 << 10, '256K': 256 << 10, '512K': 512 << 10, '1M': 1 << 20, '2M': 2 << 20, '4M': 4 << 20, '8M': 8 << 20,
};

/** Every name splitterFactory() accepts. */
export function supportedSplitters(): string[] {
  const names = [DEFAULT_SPLITTER, 'FIXED', 'DYNAMIC'];
  for (const size of Object.keys(SIZES)) names.push(`FIXED-${size}`, `DYNAMIC-${size}-BUZHASH`);
  return names.sort();
}

/** A factory of fresh splitters for `name`; UnsupportedError for unknown names and for RABINKARP. */
export function splitterFactory(name: string): SplitterFactory {
  if (name === DEFAULT_SPLITTER) return () => new FastCdcSplitter(FASTCDC_1M, name);
  // Kopia's legacy names: "FIXED" is 4 MiB, "DYNAMIC" maps to 4 MiB buzhash.
  if (name === 'FIXED') return () => new FixedSplitter(4 << 20, name);
  if (name === 'DYNAMIC') return () => new BuzhashSplitter(4 << 20, name);
  const m = /^(?:FIXED-(\w+)|DYNAMIC-(\w+)-(BUZHASH|RABINKARP))$/.exec(name);
  const size = m === null ? undefined : SIZES[m[1] ?? m[2] ?? ''];
  if (m !== null && size !== undefined) {
    if (m[1] !== undefined) return () => new FixedSplitter(size, name);
    if (m[3] === 'BUZHASH') return () => new BuzhashSplitter(size, name);
    throw new UnsupportedError(`splitter ${name} (kopia's Rabin-Karp chunker) is not implemented`, {
      hint: 'use a DYNAMIC-*-BUZHASH or FASTCDC-1M splitter for new data; existing data stays readable',
    });
  }
  throw new UnsupportedError(`unknown splitter ${JSON.stringify(name)}`, {
    hint: `use one of: ${supportedSplitters().join(', ')}`,
  });
}

/** A fresh splitter for `name`. */
export function createSplitter(name: string): Splitter {
  return splitterFactory(name)();
}
