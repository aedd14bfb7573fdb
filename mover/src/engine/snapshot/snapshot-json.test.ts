import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatRfc3339Nano, tryParseRfc3339Nano } from './snapshot-json.ts';

describe('RFC3339Nano', () => {
  it('formats like Go time.Time.MarshalJSON in UTC, trimming zeros', () => {
    expect(formatRfc3339Nano(0n)).toBe('1970-01-01T00:00:00Z');
    expect(formatRfc3339Nano(1741687656123456789n)).toBe('2025-03-11T10:07:36.123456789Z');
    expect(formatRfc3339Nano(1741687656120000000n)).toBe('2025-03-11T10:07:36.12Z');
    expect(formatRfc3339Nano(-1n)).toBe('1969-12-31T23:59:59.999999999Z');
  });

  it('parses any offset and up to nine fraction digits', () => {
    expect(tryParseRfc3339Nano('2022-03-22T22:45:22.159239913-07:00')).toBe(1648014322159239913n);
    expect(tryParseRfc3339Nano('2022-03-23T05:45:22.159239913Z')).toBe(1648014322159239913n);
    expect(tryParseRfc3339Nano('2024-02-30T00:00:00Z')).toBeUndefined();
    expect(tryParseRfc3339Nano('2024-02-01 00:00:00Z')).toBeUndefined();
    expect(tryParseRfc3339Nano('2024-02-01T00:00:00.1234567891Z')).toBeUndefined();
  });

  it('round-trips ns values across the supported range', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -62135596800n * 1_000_000_000n, max: 253402300799n * 1_000_000_000n }), (ns) => {
        expect(tryParseRfc3339Nano(formatRfc3339Nano(ns))).toBe(ns);
      }),
    );
  });

  it('agrees with Date for millisecond values', () => {
    fc.assert(
      fc.property(fc.integer({ min: -2e12, max: 4e12 }), (ms) => {
        const iso = new Date(ms).toISOString().replace(/\.?0*Z$/, 'Z').replace(/\.Z$/, 'Z');
        expect(formatRfc3339Nano(BigInt(ms) * 1_000_000n)).toBe(iso);
      }),
    );
  });
});
