import { describe, expect, it } from 'vitest';
import { civilFromDays, daysFromCivil } from './civil-date.ts';

const DAY_MS = 86_400_000;

describe('civil dates', () => {
  it('agrees with Date.UTC on leap years, century rules and dates before the epoch', () => {
    for (const [y, m, d] of [[1970, 1, 1], [2000, 2, 29], [1900, 3, 1], [2100, 2, 28], [1969, 12, 31], [1, 1, 1], [9999, 12, 31], [2024, 12, 31]] as const) {
      const days = daysFromCivil(y, m, d);
      const utc = new Date(0);
      utc.setUTCFullYear(y, m - 1, d);
      expect(days).toBe(Math.floor(utc.getTime() / DAY_MS));
      expect(civilFromDays(days)).toEqual({ year: y, month: m, day: d });
    }
  });

  it('round-trips every day across four centuries', () => {
    const from = daysFromCivil(1800, 1, 1);
    const to = daysFromCivil(2200, 1, 1);
    for (let days = from; days < to; days++) {
      const c = civilFromDays(days);
      expect(daysFromCivil(c.year, c.month, c.day)).toBe(days);
    }
    expect(to - from).toBe(146_097);
  });

  it('normalizes overflowing months and days as Go time.Date does', () => {
    expect(civilFromDays(daysFromCivil(2023, 13, 1))).toEqual({ year: 2024, month: 1, day: 1 });
    expect(civilFromDays(daysFromCivil(2024, 0, 1))).toEqual({ year: 2023, month: 12, day: 1 });
    expect(civilFromDays(daysFromCivil(2023, 2, 29))).toEqual({ year: 2023, month: 3, day: 1 });
    expect(civilFromDays(daysFromCivil(2024, 3, 0))).toEqual({ year: 2024, month: 2, day: 29 });
  });
});
