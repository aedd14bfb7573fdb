// Whether a listed path lies in an excluded directory: paths as the walk builds them from its root.
import { describe, expect, it } from 'vitest';
import { isWithin, isWithinAny } from './read-ahead-protocol.ts';

describe('isWithin / isWithinAny', () => {
  it('matches the directory and what lies below it, not a sibling that shares its prefix', () => {
    const skipped = new Set(['/src/app/cache', '/src/tmp']);
    for (const p of ['/src/app/cache', '/src/app/cache/x', '/src/app/cache/x/y', '/src/tmp/z']) {
      expect(isWithinAny(p, skipped)).toBe(true);
      expect([...skipped].some((d) => isWithin(p, d))).toBe(true);
    }
    for (const p of ['/src/app/cache2', '/src/app', '/src', '/src/tmpx/a', 'src/tmp']) {
      expect(isWithinAny(p, skipped)).toBe(false);
      expect([...skipped].some((d) => isWithin(p, d))).toBe(false);
    }
  });

  it('handles a root of / and relative paths', () => {
    expect(isWithinAny('/a/b', new Set(['/']))).toBe(true);
    expect(isWithin('/a/b', '/')).toBe(true);
    expect(isWithinAny('ds/a/b', new Set(['ds/a']))).toBe(true);
    expect(isWithinAny('ds/a', new Set(['ds/a/b']))).toBe(false);
    expect(isWithinAny('/a', new Set())).toBe(false);
  });
});
