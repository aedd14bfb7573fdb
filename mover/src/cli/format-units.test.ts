import { describe, expect, it } from 'vitest';
import { formatBytes, formatCount } from './format-units.ts';

describe('format units', () => {
  it('groups counts by thousands as en-US does', () => {
    for (const n of [0, 7, 999, 1000, 20203, 1234567, -1234567, 1234.5, 1_000_000_000]) {
      expect(formatCount(n), String(n)).toBe(n.toLocaleString('en-US', { maximumFractionDigits: 20 }));
    }
  });

  it('prints bytes in decimal units', () => {
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1_018_100_000)).toBe('1.02 GB');
  });
});
