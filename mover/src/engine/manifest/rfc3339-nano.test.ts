import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CorruptionError } from '../errors.ts';
import {
  canonicalRfc3339, compareRfc3339Nano, dateFromNanos, formatRfc3339Nano, nanosFromDate, nowNanos, parseRfc3339Nano,
  tryParseRfc3339Nano,
} from './rfc3339-nano.ts';

describe('RFC 3339 with nanoseconds', () => {
  it('formats like Go time.RFC3339Nano in UTC (fraction trimmed)', () => {
    expect(formatRfc3339Nano(0n)).toBe('1970-01-01T00:00:00Z');
    expect(formatRfc3339Nano(1741687656123456789n)).toBe('2025-03-11T10:07:36.123456789Z');
    expect(formatRfc3339Nano(1741687656120000000n)).toBe('2025-03-11T10:07:36.12Z');
    expect(formatRfc3339Nano(-1n)).toBe('1969-12-31T23:59:59.999999999Z');
    expect(formatRfc3339Nano(951782400000000000n)).toBe('2000-02-29T00:00:00Z');
  });

  it('parses any offset into the same instant', () => {
    expect(parseRfc3339Nano('2025-03-11T12:07:36.123456789+02:00', 't')).toBe(1741687656123456789n);
    expect(parseRfc3339Nano('2025-03-11T10:07:36.1Z', 't')).toBe(1741687656100000000n);
    expect(canonicalRfc3339('2025-03-11t05:37:36-04:30', 't')).toBe('2025-03-11T10:07:36Z');
  });

  it('formats the same with the fast path and the calendar arithmetic, at the edges too', () => {
    const slow = (ns: bigint): string => {
      // the reference: seconds and days by BigInt arithmetic (what the function does outside the fast range)
      const secs = ns / 1_000_000_000n;
      const frac = ns % 1_000_000_000n;
      const day = new Date(Number(secs) * 1000).toISOString().slice(0, 19);
      return frac === 0n ? `${day}Z` : `${day}.${frac.toString().padStart(9, '0').replace(/0+$/, '')}Z`;
    };
    for (const ns of [0n, 1n, 999_999n, 1_000_000n, 1_700_000_000_123_456_789n, 1_700_000_000_100_000_000n, 1_704_067_200_000_000_000n,
      253_402_300_799_999_999_999n, 951_782_400_000_000_001n]) {
      expect(formatRfc3339Nano(ns), String(ns)).toBe(slow(ns));
    }
    expect(formatRfc3339Nano(-1n)).toBe('1969-12-31T23:59:59.999999999Z');
    expect(() => formatRfc3339Nano(253_402_300_800n * 1_000_000_000n)).toThrow(RangeError);
  });

  it('keeps canonical text as it is and re-formats anything else (the fast path agrees with the slow one)', () => {
    for (const t of ['2025-03-11T10:07:36Z', '2025-03-11T10:07:36.12345678Z', '2024-02-29T23:59:59.000000001Z', '0001-01-01T00:00:00Z']) {
      expect(canonicalRfc3339(t, 't')).toBe(t);
      expect(canonicalRfc3339(t, 't')).toBe(formatRfc3339Nano(parseRfc3339Nano(t, 't')));
    }
    expect(canonicalRfc3339('2025-03-11T10:07:36.100Z', 't')).toBe('2025-03-11T10:07:36.1Z');
    for (const bad of ['2025-02-29T00:00:00Z', '2100-02-29T00:00:00Z', '2025-04-31T00:00:00Z', '2025-13-01T00:00:00Z', '2025-03-11T10:60:00Z', '2025-03-11T10:07:36.Z']) {
      expect(() => canonicalRfc3339(bad, 'entry x mtime'), bad).toThrow(/entry x mtime/);
    }
  });

  it('recognises canonical text exactly as the form\'s regular expression and the calendar do (property)', () => {
    const form = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{0,8}[1-9])?Z$/;
    const canonical = (t: string): boolean => {
      const m = form.exec(t);
      if (!m) return false;
      const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
      if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return false;
      return new Date(Date.UTC(2000, mo - 1, d)).getUTCDate() === d && (mo !== 2 || d !== 29 || (y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)));
    };
    const pad = (n: number, w: number): string => String(n).padStart(w, '0');
    const text = fc.tuple(
      fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }),
      fc.integer({ min: 0, max: 24 }), fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 60 }),
      fc.option(fc.stringMatching(/^[0-9]{0,10}$/)), fc.constantFrom('T', 't', ' '), fc.constantFrom('Z', 'z', '+00:00', ''),
    ).map(([y, mo, d, h, mi, s, frac, t, z]) => `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}${t}${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}${frac === null ? '' : `.${frac}`}${z}`);
    fc.assert(fc.property(fc.oneof(text, fc.string({ maxLength: 32 })), (t) => {
      let kept: boolean;
      try {
        kept = canonicalRfc3339(t, 't') === t;
      } catch {
        kept = false;
      }
      expect(kept).toBe(canonical(t));
    }), { numRuns: 20_000 });
  });

  it('rejects malformed timestamps', () => {
    for (const bad of ['', '2025-02-30T00:00:00Z', '2025-03-11 10:07:36Z', '2025-03-11T10:07:36', '2025-03-11T10:07:36.1234567891Z', '2025-03-11T24:00:00Z']) {
      expect(tryParseRfc3339Nano(bad)).toBeUndefined();
    }
    expect(() => parseRfc3339Nano('yesterday', 'manifest abc modified')).toThrow(CorruptionError);
    expect(() => parseRfc3339Nano('yesterday', 'manifest abc modified')).toThrow(/manifest abc/);
  });

  it('round-trips every instant in years 0..9999 (property)', () => {
    const min = -62135596800000000000n;
    const max = 253402300799999999999n;
    fc.assert(fc.property(fc.bigInt({ min, max }), (ns) => {
      expect(parseRfc3339Nano(formatRfc3339Nano(ns), 't')).toBe(ns);
    }), { numRuns: 500 });
  });

  it('orders by nanoseconds, where JS Date sees a tie', () => {
    const a = '2024-01-01T00:00:00.000000001Z';
    const b = '2024-01-01T00:00:00Z';
    expect(new Date(a).getTime()).toBe(new Date(b).getTime());
    expect(compareRfc3339Nano(a, b)).toBe(1);
    expect(compareRfc3339Nano(b, a)).toBe(-1);
    expect(compareRfc3339Nano('2024-01-01T02:00:00+02:00', b)).toBe(0);
  });

  it('nowNanos is close to the wall clock and strictly increasing', () => {
    const wall = nanosFromDate(new Date());
    const t = [nowNanos(), nowNanos(), nowNanos()];
    expect(t[0]! < t[1]! && t[1]! < t[2]!).toBe(true);
    const diff = t[0]! - wall;
    expect(diff > -10_000_000n && diff < 1_000_000_000n).toBe(true);
    expect(dateFromNanos(1741687656123456789n).toISOString()).toBe('2025-03-11T10:07:36.123Z');
    expect(dateFromNanos(-1n).getTime()).toBe(-1);
  });
});
