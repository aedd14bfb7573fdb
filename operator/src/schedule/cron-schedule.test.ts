import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CronSchedule, CronSyntaxError } from './cron-schedule.ts';
import { jitterMs, nextDueTime, parseDurationMs } from './next-run.ts';
import { UnknownTimeZoneError, checkTimeZone } from './time-zone.ts';

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number | undefined): string => (ms === undefined ? 'none' : new Date(ms).toISOString());
/** A UID-shaped key that is the same on every run (the API server's UIDs are random UUIDs). */
const uidLike = (i: number): string => {
  const h = createHash('sha256').update(`schedule-${i}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

describe('CronSchedule', () => {
  it('parses lists, ranges, steps, names and descriptors', () => {
    const s = CronSchedule.parse('5,10-12,*/20 1 * jan-mar mon-fri', 'uid');
    expect(s.fields.minutes.flatMap((v, i) => (v ? [i] : []))).toEqual([0, 5, 10, 11, 12, 20, 40]);
    expect(s.fields.months.flatMap((v, i) => (v ? [i] : []))).toEqual([1, 2, 3]);
    expect(s.fields.daysOfWeek.flatMap((v, i) => (v ? [i] : []))).toEqual([1, 2, 3, 4, 5]);
    expect(CronSchedule.parse('@daily', 'uid').effective).toBe('0 0 * * *');
    expect(CronSchedule.parse('0 0 * * 7', 'uid').fields.daysOfWeek[0]).toBe(true);
  });

  it('rejects bad input naming the field', () => {
    const cases: [string, string][] = [
      ['61 * * * *', 'minute'],
      ['* 24 * * *', 'hour'],
      ['* * 0 * *', 'day-of-month'],
      ['* * * foo *', 'month'],
      ['* * * * 8', 'day-of-week'],
      ['5-1 * * * *', 'minute'],
      ['* * * *', 'schedule'],
      ['*/0 * * * *', 'minute'],
    ];
    for (const [expr, field] of cases) {
      let err: unknown;
      try {
        CronSchedule.parse(expr, 'uid');
      } catch (e) {
        err = e;
      }
      expect(err, expr).toBeInstanceOf(CronSyntaxError);
      expect((err as CronSyntaxError).field, expr).toBe(field);
    }
  });

  it('resolves H per field from the hash key, stably', () => {
    const a = CronSchedule.parse('H H H * H', 'uid-a');
    const again = CronSchedule.parse('H H H * H', 'uid-a');
    expect(a.effective).toBe(again.effective);
    const [m, h, dom, , dow] = a.effective.split(' ').map(Number);
    expect(m).toBeGreaterThanOrEqual(0);
    expect(m).toBeLessThanOrEqual(59);
    expect(h).toBeLessThanOrEqual(23);
    expect(dom).toBeGreaterThanOrEqual(1);
    expect(dom).toBeLessThanOrEqual(28);
    expect(dow).toBeLessThanOrEqual(6);
    const ranged = CronSchedule.parse('H(10-14) H(2-3) * * *', 'uid-a').effective.split(' ').map(Number);
    expect(ranged[0]).toBeGreaterThanOrEqual(10);
    expect(ranged[0]).toBeLessThanOrEqual(14);
    expect([2, 3]).toContain(ranged[1]);
    const stepped = CronSchedule.parse('H/15 * * * *', 'uid-a');
    const minutes = stepped.fields.minutes.flatMap((v, i) => (v ? [i] : []));
    expect(minutes).toHaveLength(4);
    expect(minutes[0]).toBeLessThan(15);
    expect(minutes[1]! - minutes[0]!).toBe(15);
  });

  // Fixed UID-shaped keys: random UIDs made this test fail about once in 300 runs (100 draws over 60 minutes
  // put 9 in one minute with probability ~0.3%), which says nothing about the hash.
  it('spreads 100 hourly H schedules over the hour', () => {
    const counts = new Map<number, number>();
    for (let i = 0; i < 100; i++) {
      const m = Number(CronSchedule.parse('H * * * *', uidLike(i)).effective.split(' ')[0]);
      counts.set(m, (counts.get(m) ?? 0) + 1);
    }
    expect(counts.size).toBeGreaterThanOrEqual(35); // expected ~48 distinct minutes
    expect(Math.max(...counts.values())).toBeLessThanOrEqual(8);
    const firstHalf = [...counts].filter(([m]) => m < 30).reduce((s, [, c]) => s + c, 0);
    expect(firstHalf).toBeGreaterThan(25);
    expect(firstHalf).toBeLessThan(75);
  });
});

describe('nextDueTime', () => {
  it('walks minutes, hours, days and months in UTC', () => {
    const s = CronSchedule.parse('30 2 * * *', 'u');
    expect(iso(nextDueTime(s, at('2026-03-01T01:00:00Z'), 'UTC'))).toBe('2026-03-01T02:30:00.000Z');
    expect(iso(nextDueTime(s, at('2026-03-01T02:30:00Z'), 'UTC'))).toBe('2026-03-02T02:30:00.000Z');
    const monthly = CronSchedule.parse('0 0 31 * *', 'u');
    expect(iso(nextDueTime(monthly, at('2026-04-01T00:00:00Z'), 'UTC'))).toBe('2026-05-31T00:00:00.000Z');
    expect(nextDueTime(CronSchedule.parse('0 0 31 2 *', 'u'), 0, 'UTC')).toBeUndefined();
  });

  it('uses OR when both day-of-month and day-of-week are restricted', () => {
    const s = CronSchedule.parse('0 12 1 * mon', 'u');
    // 2026-06-01 is a Monday, 2026-06-08 the next Monday, 2026-07-01 a Wednesday.
    expect(iso(nextDueTime(s, at('2026-06-01T13:00:00Z'), 'UTC'))).toBe('2026-06-08T12:00:00.000Z');
    expect(iso(nextDueTime(s, at('2026-06-29T13:00:00Z'), 'UTC'))).toBe('2026-07-01T12:00:00.000Z');
  });

  it('reads the schedule in its time zone, across DST', () => {
    const s = CronSchedule.parse('30 2 * * *', 'u');
    // Berlin: 2026-03-29 02:00 -> 03:00 (gap); 02:30 does not exist and runs at 03:30 CEST = 01:30Z.
    expect(iso(nextDueTime(s, at('2026-03-28T12:00:00Z'), 'Europe/Berlin'))).toBe('2026-03-29T01:30:00.000Z');
    expect(iso(nextDueTime(s, at('2026-03-29T01:30:00Z'), 'Europe/Berlin'))).toBe('2026-03-30T00:30:00.000Z');
    // 2026-10-25 03:00 CEST -> 02:00 CET: 02:30 happens twice; it fires once, at the first (00:30Z).
    expect(iso(nextDueTime(s, at('2026-10-24T12:00:00Z'), 'Europe/Berlin'))).toBe('2026-10-25T00:30:00.000Z');
    expect(iso(nextDueTime(s, at('2026-10-25T00:30:00Z'), 'Europe/Berlin'))).toBe('2026-10-26T01:30:00.000Z');
    const ny = CronSchedule.parse('0 9 * * *', 'u');
    expect(iso(nextDueTime(ny, at('2026-01-10T00:00:00Z'), 'America/New_York'))).toBe('2026-01-10T14:00:00.000Z');
    expect(iso(nextDueTime(ny, at('2026-07-10T00:00:00Z'), 'America/New_York'))).toBe('2026-07-10T13:00:00.000Z');
  });
});

describe('checkTimeZone', () => {
  it('accepts IANA names and rejects others', () => {
    expect(() => checkTimeZone('Europe/Berlin')).not.toThrow();
    expect(() => checkTimeZone('UTC')).not.toThrow();
    expect(() => checkTimeZone('Mars/Olympus')).toThrow(UnknownTimeZoneError);
  });
});

describe('jitter', () => {
  it('is deterministic per key, bounded, and spread', () => {
    expect(jitterMs('a', 300_000)).toBe(jitterMs('a', 300_000));
    const values = new Set<number>();
    for (let i = 0; i < 50; i++) {
      const j = jitterMs(`uid-${i}`, 300_000);
      expect(j).toBeGreaterThanOrEqual(0);
      expect(j).toBeLessThanOrEqual(300_000);
      values.add(j);
    }
    expect(values.size).toBeGreaterThan(40);
    expect(jitterMs('a', 0)).toBe(0);
  });

  it('parses durations', () => {
    expect(parseDurationMs('1h30m')).toBe(5_400_000);
    expect(parseDurationMs('45s')).toBe(45_000);
    expect(() => parseDurationMs('5x')).toThrow(/cannot read duration/);
  });
});
