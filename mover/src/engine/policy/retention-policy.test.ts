import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { effectiveKeepLatest, evaluateRetention } from './retention-policy.ts';
import { compactRetentionReasons, sortRetentionReasons } from './retention-reasons.ts';
import type { RetentionPolicy, RetentionSnapshot } from './retention-policy.ts';
import vectors from './kopia-vectors.json' with { type: 'json' };

const NOW = '2030-01-01T00:00:00Z';

/** Runs a kopia retention_policy_test.go table: keys are start times, "incomplete-" marks checkpoints. */
function kopiaTable(policy: RetentionPolicy, table: Record<string, string[]>): void {
  const snaps: RetentionSnapshot[] = Object.keys(table).map((key) => ({
    id: key,
    startTime: key.replace(/^incomplete-/, ''),
    incomplete: key.startsWith('incomplete-'),
  }));
  const check = (input: RetentionSnapshot[]): void => {
    const d = evaluateRetention(input, policy, { timeZone: 'UTC', now: NOW });
    for (const s of input) expect([s.id, d.keep.get(s.id) ?? []]).toEqual([s.id, table[s.id]]);
    expect(new Set([...d.keep.keys(), ...d.delete])).toEqual(new Set(input.map((s) => s.id)));
  };
  check(snaps);
  // kopia also re-evaluates only the snapshots that were kept and expects the same reasons.
  check(snaps.filter((s) => table[s.id]!.length > 0));
}

describe('kopia retention_policy_test.go tables', () => {
  it('empty policy keeps everything as latest-N', () => {
    kopiaTable({}, {
      '2020-01-01T12:00:00Z': ['latest-4'],
      '2020-01-01T12:01:00Z': ['latest-3'],
      '2020-01-01T12:02:00Z': ['latest-2'],
      '2020-01-01T12:03:00Z': ['latest-1'],
    });
  });
  it('keepLatest 3', () => {
    kopiaTable({ keepLatest: 3 }, {
      '2020-01-01T12:00:00Z': [],
      '2020-01-01T12:01:00Z': ['latest-3'],
      '2020-01-01T12:02:00Z': ['latest-2'],
      '2020-01-01T12:03:00Z': ['latest-1'],
    });
  });
  it('keepDaily 3', () => {
    kopiaTable({ keepDaily: 3 }, {
      '2020-01-01T12:00:00Z': [],
      '2020-01-01T15:00:00Z': [],
      '2020-01-02T12:00:00Z': [],
      '2020-01-02T15:00:00Z': ['daily-3'],
      '2020-01-03T12:00:00Z': [],
      '2020-01-03T15:00:00Z': ['daily-2'],
      '2020-01-04T12:00:00Z': [],
      '2020-01-04T15:00:00Z': ['daily-1'],
    });
  });
  it('keepMonthly 3', () => {
    kopiaTable({ keepMonthly: 3 }, {
      '2020-01-01T12:00:00Z': [],
      '2020-01-01T15:00:00Z': [],
      '2020-02-01T12:00:00Z': [],
      '2020-02-02T15:00:00Z': ['monthly-3'],
      '2020-03-01T12:00:00Z': [],
      '2020-03-02T15:00:00Z': ['monthly-2'],
      '2020-04-01T12:00:00Z': [],
      '2020-04-02T15:00:00Z': ['monthly-1'],
    });
  });
  it('keepMonthly 3 with a month missing', () => {
    kopiaTable({ keepMonthly: 3 }, {
      '2020-01-01T12:00:00Z': [],
      '2020-01-01T15:00:00Z': [],
      '2020-03-02T15:00:00Z': ['monthly-2'],
      '2020-04-01T12:00:00Z': [],
      '2020-04-02T15:00:00Z': ['monthly-1'],
    });
  });
  it('mixed policy with incomplete snapshots', () => {
    const table: Record<string, string[]> = {};
    for (const month of ['01', '02', '03']) {
      for (const t of ['01T12:00', '01T13:00', '01T14:00', '01T15:00', '02T12:00', '02T13:00', '02T15:00']) {
        table[`2020-${month}-${t}:00Z`] = [];
      }
    }
    table['2020-03-02T15:00:00Z'] = ['monthly-2'];
    Object.assign(table, {
      '2020-04-01T12:00:00Z': [],
      '2020-04-01T13:00:00Z': [],
      '2020-04-01T14:00:00Z': [],
      '2020-04-01T15:00:00Z': ['daily-2'],
      '2020-04-02T12:00:00Z': ['latest-3', 'hourly-3'],
      '2020-04-02T13:00:00Z': ['latest-2', 'hourly-2'],
      '2020-04-02T15:00:00Z': ['latest-1', 'hourly-1', 'daily-1', 'monthly-1'],
      'incomplete-2020-04-02T15:01:00Z': [],
      'incomplete-2020-04-02T16:01:00Z': [],
      'incomplete-2020-04-02T17:01:00Z': [],
      'incomplete-2020-04-02T18:01:00Z': [],
      'incomplete-2020-04-02T19:01:00Z': [],
      'incomplete-2020-04-02T20:01:00Z': ['incomplete'],
      'incomplete-2020-04-02T21:01:00Z': ['incomplete'],
      'incomplete-2020-04-02T22:01:00Z': ['incomplete'],
      'incomplete-2020-04-02T23:01:00Z': ['incomplete'],
      'incomplete-2020-04-02T23:50:00Z': ['incomplete'],
    });
    kopiaTable({ keepLatest: 3, keepHourly: 7, keepDaily: 5, keepMonthly: 2 }, table);
  });
  it('keeps at least 3 incomplete snapshots', () => {
    kopiaTable({ keepLatest: 3 }, {
      '2020-04-02T15:00:00Z': ['latest-1'],
      'incomplete-2020-04-02T15:01:00Z': [],
      'incomplete-2020-04-02T16:01:00Z': [],
      'incomplete-2020-04-02T17:01:00Z': [],
      'incomplete-2020-04-02T18:01:00Z': ['incomplete'],
      'incomplete-2020-04-02T19:01:00Z': ['incomplete'],
      'incomplete-2020-04-02T23:50:00Z': ['incomplete'],
    });
  });
  it('keepWeekly 3', () => {
    kopiaTable({ keepWeekly: 3 }, {
      '2020-01-01T12:00:00Z': [],
      '2020-01-01T15:00:00Z': ['weekly-3'],
      '2020-01-08T12:00:00Z': [],
      '2020-01-09T12:00:00Z': ['weekly-2'],
      '2020-01-15T12:00:00Z': ['weekly-1'],
    });
  });
});

describe('kopia-generated vectors (kopia-vectors.json)', () => {
  // Each case was evaluated by kopia's own ComputeRetentionReasons with TZ set to the zone.
  it.each(vectors.retention.map((v, i) => [i, v.zone, v] as const))('case %i in %s', (_i, zone, v) => {
    const snaps = v.snaps.map(([start, incomplete], idx) => ({
      id: String(idx),
      startTime: BigInt(start as string),
      incomplete: incomplete === 1,
    }));
    const d = evaluateRetention(snaps, v.policy as RetentionPolicy, { timeZone: zone, now: NOW, calendar: 'kopia' });
    expect(Object.fromEntries(d.keep)).toEqual(v.kept);
  });
});

describe('time zones and DST', () => {
  const hourly = (starts: string[], timeZone: string, calendar: 'zoned' | 'kopia' = 'zoned'): string[][] => {
    const d = evaluateRetention(
      starts.map((s) => ({ id: s, startTime: s })),
      { keepHourly: 10 },
      { timeZone, now: NOW, calendar },
    );
    return starts.map((s) => [...(d.keep.get(s) ?? [])]);
  };

  it('the repeated fall-back hour in New York is one hourly bucket', () => {
    // 2021-11-07 01:30 EDT = 05:30Z and 01:30 EST = 06:30Z read as the same local hour "01".
    expect(hourly(['2021-11-07T05:30:00Z', '2021-11-07T06:30:00Z'], 'America/New_York')).toEqual([[], ['hourly-1']]);
    expect(hourly(['2021-11-07T05:30:00Z', '2021-11-07T06:30:00Z'], 'UTC')).toEqual([['hourly-2'], ['hourly-1']]);
  });

  it('the skipped spring-forward hour never forms a bucket', () => {
    // 2021-03-14 06:59Z = 01:59 EST, 07:00Z = 03:00 EDT: different hours, and no 02 bucket exists.
    expect(hourly(['2021-03-14T06:59:00Z', '2021-03-14T07:00:00Z'], 'America/New_York')).toEqual([['hourly-2'], ['hourly-1']]);
  });

  it('Lord Howe: the half-hour fall-back makes local hour 01 last 90 minutes', () => {
    // 2021-04-04 02:00 LHDT (+11) -> 01:30 LHST (+10:30); 14:10Z = 01:10 (+11), 15:10Z = 01:40 (+10:30).
    expect(hourly(['2021-04-03T14:10:00Z', '2021-04-03T14:40:00Z', '2021-04-03T15:10:00Z'], 'Australia/Lord_Howe')).toEqual([
      [],
      [],
      ['hourly-1'],
    ]);
  });

  it('Kolkata hours start at :30 UTC', () => {
    expect(hourly(['2021-01-01T10:20:00Z', '2021-01-01T10:40:00Z'], 'Asia/Kolkata')).toEqual([['hourly-2'], ['hourly-1']]);
    expect(hourly(['2021-01-01T10:20:00Z', '2021-01-01T10:40:00Z'], 'UTC')).toEqual([[], ['hourly-1']]);
    // kopia names hours in UTC, so with its calendar the two share a bucket again.
    expect(hourly(['2021-01-01T10:20:00Z', '2021-01-01T10:40:00Z'], 'Asia/Kolkata', 'kopia')).toEqual([[], ['hourly-1']]);
  });

  it('daily cutoff across a DST change counts calendar days, not 24 h steps', () => {
    // Newest: 2021-03-29 00:30 CEST. keepDaily 2 -> cutoff 2021-03-27 00:30 CET = 2021-03-26T23:30Z (Go AddDate),
    // 47 h earlier, so 2021-03-27 00:00 CET (23:00Z) is outside although it is less than 48 h older.
    const snaps = [
      { id: 'new', startTime: '2021-03-28T22:30:00Z' },
      { id: 'x', startTime: '2021-03-26T23:00:00Z' },
    ];
    expect(evaluateRetention(snaps, { keepDaily: 2 }, { timeZone: 'Europe/Berlin', now: NOW }).delete).toEqual(['x']);
    expect(evaluateRetention(snaps, { keepDaily: 2 }, { timeZone: 'UTC', now: NOW }).keep.get('x')).toEqual(['daily-2']);
  });

  it('rejects an unknown time zone with a usage error', () => {
    expect(() => evaluateRetention([], {}, { timeZone: 'Mars/Olympus', now: NOW })).toThrow(expect.objectContaining({ code: 'USAGE' }));
  });
});

describe('kopia quirks kept on purpose', () => {
  it('monthly "2024-01" and ISO week "2024-01" share one id', () => {
    const snaps = [
      { id: 'jan31', startTime: '2024-01-31T12:00:00Z' }, // monthly 2024-01, week 2024-05
      { id: 'jan24', startTime: '2024-01-24T12:00:00Z' }, // week 2024-04
      { id: 'jan17', startTime: '2024-01-17T12:00:00Z' }, // week 2024-03
      { id: 'jan10', startTime: '2024-01-10T12:00:00Z' }, // week 2024-02
      { id: 'jan03', startTime: '2024-01-03T12:00:00Z' }, // week 2024-01: id already taken by the month
    ];
    const d = evaluateRetention(snaps, { keepWeekly: 10, keepMonthly: 10 }, { timeZone: 'UTC', now: NOW });
    expect(d.keep.get('jan31')).toEqual(['weekly-1', 'monthly-1']);
    expect(d.keep.get('jan10')).toEqual(['weekly-4']);
    expect(d.delete).toEqual(['jan03']);
  });

  it('counts that sum to zero mean keep-latest = unlimited', () => {
    expect(effectiveKeepLatest({ keepLatest: 0, keepDaily: 0 })).toBe(Number.MAX_SAFE_INTEGER);
    expect(effectiveKeepLatest({ keepLatest: 2, keepDaily: -2 })).toBe(Number.MAX_SAFE_INTEGER);
    expect(effectiveKeepLatest({ keepLatest: 2, keepDaily: 1 })).toBe(2);
    const d = evaluateRetention([{ id: 'a', startTime: '2020-01-01T00:00:00Z' }], { keepLatest: 0 }, { timeZone: 'UTC', now: NOW });
    expect(d.keep.get('a')).toEqual(['latest-1']);
  });

  it('keeps checkpoints younger than 4 h (exclusive) or among the first 3', () => {
    const cp = (id: string, t: string) => ({ id, startTime: t, incomplete: true });
    const d = evaluateRetention(
      [
        cp('c0', '2024-01-01T10:00:00Z'),
        cp('c1', '2024-01-01T09:00:00Z'),
        cp('c2', '2024-01-01T08:00:00Z'),
        cp('c3', '2024-01-01T06:00:00.000000001Z'), // 3h59m59.999999999s old
        cp('c4', '2024-01-01T06:00:00Z'), // exactly 4 h old, fourth: expired
        { id: 'done', startTime: '2024-01-01T05:00:00Z' },
        cp('old', '2024-01-01T04:00:00Z'), // older than a complete snapshot: expired
      ],
      { keepLatest: 5 },
      { timeZone: 'UTC', now: NOW },
    );
    expect(Object.fromEntries(d.keep)).toEqual({
      c0: ['incomplete'],
      c1: ['incomplete'],
      c2: ['incomplete'],
      c3: ['incomplete'],
      done: ['latest-1'],
    });
    expect(d.delete).toEqual(['c4', 'old']);
  });

  it('cutoffs count back from the newest complete snapshot, not from now', () => {
    const snaps = [
      { id: 'a', startTime: '2001-01-02T00:00:00Z' },
      { id: 'b', startTime: '2001-01-01T00:00:00Z' },
    ];
    const d = evaluateRetention(snaps, { keepDaily: 2 }, { timeZone: 'UTC', now: '2030-01-01T00:00:00Z' });
    expect(d.delete).toEqual([]);
  });
});

describe('Cairn additions and edge cases', () => {
  const snaps = Array.from({ length: 6 }, (_, i) => ({ id: `s${i}`, startTime: `2024-05-0${i + 1}T00:00:00Z` }));

  it('keep-within keeps every snapshot younger than the duration relative to now', () => {
    const d = evaluateRetention(snaps, { keepLatest: 1, keepWithinMs: 3 * 86_400_000 + 1 }, {
      timeZone: 'UTC',
      now: '2024-05-06T00:00:00Z',
    });
    expect(Object.fromEntries(d.keep)).toEqual({
      s5: ['latest-1', 'within-1'],
      s4: ['within-2'],
      s3: ['within-3'],
      s2: ['within-4'],
    });
    expect(d.delete).toEqual(['s1', 's0']);
  });

  it('keep-within is exclusive at the boundary and counts future snapshots as young', () => {
    const d = evaluateRetention(
      [...snaps, { id: 'future', startTime: '2099-01-01T00:00:00Z' }],
      { keepLatest: 0, keepDaily: 0, keepAnnual: -1, keepWithinMs: 86_400_000 },
      { timeZone: 'UTC', now: '2024-05-06T00:00:00Z' },
    );
    // s5 is 0 ms old (kept), s4 exactly one day old (not kept).
    expect(Object.fromEntries(d.keep)).toEqual({ future: ['within-1'], s5: ['within-2'] });
  });

  it('detects a policy that would delete everything', () => {
    const d = evaluateRetention(snaps, { keepLatest: -1 }, { timeZone: 'UTC', now: NOW });
    expect(d.wouldDeleteAll).toBe(true);
    expect(d.wouldDeleteAllComplete).toBe(true);
    expect(d.delete).toEqual(['s5', 's4', 's3', 's2', 's1', 's0']);
    const withCheckpoint = evaluateRetention(
      [...snaps, { id: 'cp', startTime: '2024-06-01T00:00:00Z', incomplete: true }],
      { keepLatest: -1 },
      { timeZone: 'UTC', now: NOW },
    );
    expect(withCheckpoint.wouldDeleteAll).toBe(false);
    expect(withCheckpoint.wouldDeleteAllComplete).toBe(true);
    expect(evaluateRetention([], { keepLatest: -1 }, { timeZone: 'UTC', now: NOW }).wouldDeleteAll).toBe(false);
  });

  it('keeps pinned snapshots and says why', () => {
    const d = evaluateRetention([...snaps.slice(1), { ...snaps[0]!, pins: ['legal'] }], { keepLatest: 1 }, { timeZone: 'UTC', now: NOW });
    expect(d.keep.get('s0')).toEqual(['pin:legal']);
    expect(d.delete).toEqual(['s4', 's3', 's2', 's1']);
  });

  it('keeps nanosecond order and breaks start-time ties by end time, then id', () => {
    const d = evaluateRetention(
      [
        { id: 'early', startTime: '2024-01-01T00:00:00.000000001Z' },
        { id: 'late', startTime: new Date('2024-01-01T00:00:00.000Z'), startTimeNanos: 2 },
        { id: 'tieA', startTime: 1_000n, endTime: 5_000n },
        { id: 'tieB', startTime: 1_000n, endTime: 6_000n },
      ],
      { keepLatest: 10 },
      { timeZone: 'UTC', now: NOW },
    );
    expect([...d.keep.keys()]).toEqual(['late', 'early', 'tieB', 'tieA']);
  });

  it('rejects bad input with usage errors', () => {
    const opts = { timeZone: 'UTC', now: NOW };
    expect(() => evaluateRetention(snaps, { keepDaily: 1.5 }, opts)).toThrow(/keepDaily/);
    expect(() => evaluateRetention(snaps, { keepWithinMs: -1 }, opts)).toThrow(/keepWithinMs/);
    expect(() => evaluateRetention([snaps[0]!, snaps[0]!], {}, opts)).toThrow(/twice/);
    expect(() => evaluateRetention([{ id: 'x', startTime: 'yesterday' }], {}, opts)).toThrow(/RFC 3339/);
  });

  it('sorts and compacts reasons like kopia', () => {
    expect(sortRetentionReasons(['annual-1', 'daily-2', 'latest-3', 'zz', 'hourly-1'])).toEqual(['zz', 'latest-3', 'hourly-1', 'daily-2', 'annual-1']);
    expect(compactRetentionReasons([])).toEqual([]);
    expect(compactRetentionReasons(['latest-1', 'daily-3', 'latest-2', 'daily-2'])).toEqual(['latest-1..2', 'daily-2..3']);
    expect(compactRetentionReasons(['latest-1', 'latest-2', 'latest-5', 'latest-6', 'latest-7'])).toEqual(['latest-1..2', 'latest-5..7']);
    expect(compactRetentionReasons(['latest-1', 'zrogue', 'arogue', 'latest-2'])).toEqual(['arogue', 'zrogue', 'latest-1..2']);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Independent model. Offsets come from Intl's "longOffset" zone names (not from formatToParts wall fields);
// local fields from shifting a Date by that offset; ISO weeks from the "week 1 holds January 4th" rule;
// AddDate from Date.UTC's field normalization plus Go's time.Date offset correction.

const offsetFormats = new Map<string, Intl.DateTimeFormat>();
function offsetMs(zone: string, ms: number): number {
  let f = offsetFormats.get(zone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' });
    offsetFormats.set(zone, f);
  }
  const name = f.formatToParts(new Date(ms)).find((p) => p.type === 'timeZoneName')!.value;
  const m = /^GMT(?:([+-])(\d{2}):(\d{2}))?$/.exec(name)!;
  if (m[1] === undefined) return 0;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3_600_000 + Number(m[3]) * 60_000);
}

interface Fields { y: number; mo: number; d: number; h: number; mi: number; s: number }
function localFields(zone: string, ms: number): Fields {
  const secMs = Math.floor(ms / 1000) * 1000;
  const t = new Date(secMs + offsetMs(zone, secMs));
  return { y: t.getUTCFullYear(), mo: t.getUTCMonth() + 1, d: t.getUTCDate(), h: t.getUTCHours(), mi: t.getUTCMinutes(), s: t.getUTCSeconds() };
}

function modelIsoWeek(y: number, mo: number, d: number): string {
  const day = Date.UTC(y, mo - 1, d);
  for (const year of [y + 1, y, y - 1]) {
    const jan4 = Date.UTC(year, 0, 4);
    const week1Monday = jan4 - ((new Date(jan4).getUTCDay() + 6) % 7) * 86_400_000;
    if (day >= week1Monday) {
      const week = Math.floor((day - week1Monday) / (7 * 86_400_000)) + 1;
      return `${year}-${String(week).padStart(2, '0')}`;
    }
  }
  throw new Error('unreachable');
}

function modelAddDate(zone: string, ns: bigint, years: number, months: number, days: number): bigint {
  const ms = Number(ns / 1_000_000n);
  const f = localFields(zone, ms);
  const wall = Date.UTC(f.y + years, f.mo - 1 + months, f.d + days, f.h, f.mi, f.s);
  const first = offsetMs(zone, wall);
  let unixMs = wall;
  if (first !== 0) {
    const guess = wall - first;
    const second = offsetMs(zone, guess);
    unixMs = second === first ? guess : wall - second;
  }
  return BigInt(unixMs) * 1_000_000n + (ns % 1_000_000_000n);
}

function model(
  snaps: readonly { id: string; ns: bigint; incomplete: boolean }[],
  p: RetentionPolicy,
  zone: string,
  calendar: 'zoned' | 'kopia',
  now: bigint,
): Map<string, string[]> {
  const sorted = [...snaps].sort((a, b) => (a.ns === b.ns ? (a.id < b.id ? -1 : 1) : a.ns > b.ns ? -1 : 1));
  const result = new Map<string, string[]>(sorted.map((s) => [s.id, []]));
  const complete = sorted.filter((s) => !s.incomplete);
  if (complete.length > 0) {
    const top = complete[0]!.ns;
    const counts = [p.keepLatest, p.keepHourly, p.keepDaily, p.keepWeekly, p.keepMonthly, p.keepAnnual].map((v) => v ?? 0);
    const latestLimit = counts.reduce((a, b) => a + b, 0) === 0 ? Infinity : p.keepLatest;
    const cut = (n: number | undefined, y: number, m: number, d: number): bigint | null =>
      n === undefined ? null : modelAddDate(zone, top, -n * y, -n * m, -n * d);
    const kinds: [string, number | undefined, bigint | null][] = [
      ['latest', latestLimit, null],
      ['annual', p.keepAnnual, cut(p.keepAnnual, 1, 0, 0)],
      ['monthly', p.keepMonthly, cut(p.keepMonthly, 0, 1, 0)],
      ['weekly', p.keepWeekly, cut(p.keepWeekly, 0, 0, 7)],
      ['daily', p.keepDaily, cut(p.keepDaily, 0, 0, 1)],
      ['hourly', p.keepHourly, p.keepHourly === undefined ? null : top - BigInt(p.keepHourly) * 3_600_000_000_000n],
    ];
    const taken = new Set<string>();
    const used: Record<string, number> = {};
    sorted.forEach((s, index) => {
      if (s.incomplete) return;
      const ms = Number(s.ns / 1_000_000n);
      const lf = localFields(calendar === 'kopia' ? 'UTC' : zone, ms);
      const zf = localFields(zone, ms);
      const two = (n: number): string => String(n).padStart(2, '0');
      const key: Record<string, string> = {
        latest: String(index),
        annual: String(lf.y),
        monthly: `${lf.y}-${two(lf.mo)}`,
        weekly: modelIsoWeek(zf.y, zf.mo, zf.d),
        daily: `${lf.y}-${two(lf.mo)}-${two(lf.d)}`,
        hourly: `${lf.y}-${two(lf.mo)}-${two(lf.d)} ${two(lf.h)}`,
      };
      const got: string[] = [];
      for (const [kind, limit, cutoff] of kinds) {
        if (limit === undefined || (cutoff !== null && s.ns < cutoff) || taken.has(key[kind]!)) continue;
        if ((used[kind] ?? 0) < limit) {
          taken.add(key[kind]!);
          used[kind] = (used[kind] ?? 0) + 1;
          got.push(`${kind}-${used[kind]}`);
        }
      }
      const rank = ['latest', 'hourly', 'daily', 'weekly', 'monthly', 'annual'];
      got.sort((a, b) => rank.indexOf(a.split('-')[0]!) - rank.indexOf(b.split('-')[0]!));
      result.get(s.id)!.push(...got);
    });
  }
  const newest = sorted[0]?.ns ?? 0n;
  for (let i = 0; i < sorted.length && sorted[i]!.incomplete; i++) {
    if (newest - sorted[i]!.ns < 4n * 3_600_000_000_000n || i < 3) result.get(sorted[i]!.id)!.push('incomplete');
    else break;
  }
  if (p.keepWithinMs !== undefined) {
    let n = 0;
    for (const s of sorted) if (now - s.ns < BigInt(p.keepWithinMs) * 1_000_000n) result.get(s.id)!.push(`within-${++n}`);
  }
  return new Map([...result].filter(([, r]) => r.length > 0));
}

const ZONES = ['UTC', 'America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe', 'Asia/Kolkata'];
// Instants next to DST transitions (and year/ISO-week boundaries) so histories straddle them.
const PIVOTS = [
  '2021-03-14T07:00:00Z', '2021-11-07T06:00:00Z', // New York
  '2021-03-28T01:00:00Z', '2021-10-31T01:00:00Z', // Berlin
  '2021-04-03T15:00:00Z', '2021-10-02T15:30:00Z', // Lord Howe (30-minute shift)
  '2020-12-31T18:30:00Z', '2021-01-03T23:00:00Z', // year end / ISO week 53
].map((s) => BigInt(Date.parse(s)) * 1_000_000n);

const countArb = fc.option(fc.integer({ min: -1, max: 30 }), { nil: undefined, freq: 3 });
const policyArb = fc.record({
  keepLatest: countArb,
  keepHourly: countArb,
  keepDaily: countArb,
  keepWeekly: countArb,
  keepMonthly: countArb,
  keepAnnual: countArb,
  keepWithinMs: fc.option(fc.integer({ min: 0, max: 40 * 86_400_000 }), { nil: undefined, freq: 3 }),
});
const historyArb = fc
  .record({
    pivot: fc.constantFrom(...PIVOTS),
    spreadHours: fc.constantFrom(6, 72, 24 * 60, 24 * 800),
    offsets: fc.array(fc.tuple(fc.double({ min: -0.5, max: 0.5, noNaN: true }), fc.integer({ min: 0, max: 999_999_999 }), fc.boolean()), {
      maxLength: 45,
    }),
    nowShiftHours: fc.integer({ min: -48, max: 24 * 400 }),
  })
  .map(({ pivot, spreadHours, offsets, nowShiftHours }) => {
    const spreadNs = BigInt(spreadHours) * 3_600_000_000_000n;
    const snaps = offsets.map(([f, nanos, incomplete], i) => ({
      id: `s${i}`,
      ns: pivot + (BigInt(Math.round(f * 1e6)) * spreadNs) / 1_000_000n / 1_000_000_000n * 1_000_000_000n + BigInt(nanos),
      incomplete: incomplete && i % 5 === 0,
    }));
    return { snaps, now: pivot + BigInt(nowShiftHours) * 3_600_000_000_000n };
  });

describe('property: evaluateRetention agrees with the independent model', () => {
  it.each(ZONES)('in %s', (zone) => {
    fc.assert(
      fc.property(historyArb, policyArb, fc.constantFrom<'zoned' | 'kopia'>('zoned', 'kopia'), ({ snaps, now }, policy, calendar) => {
        const input = snaps.map((s) => ({ id: s.id, startTime: s.ns, incomplete: s.incomplete }));
        const d = evaluateRetention(input, policy, { timeZone: zone, now, calendar });
        const want = model(snaps, policy, zone, calendar, now);
        expect(Object.fromEntries(d.keep)).toEqual(Object.fromEntries(want));
        // Every snapshot is decided exactly once, newest first.
        expect(new Set([...d.keep.keys(), ...d.delete]).size).toBe(snaps.length);
        expect(d.wouldDeleteAll).toBe(snaps.length > 0 && d.keep.size === 0);
      }),
      { numRuns: 120 },
    );
  });

  it('keep-within only ever adds kept snapshots', () => {
    fc.assert(
      fc.property(historyArb, policyArb, fc.constantFrom(...ZONES), ({ snaps, now }, policy, zone) => {
        const input = snaps.map((s) => ({ id: s.id, startTime: s.ns, incomplete: s.incomplete }));
        const without = evaluateRetention(input, { ...policy, keepWithinMs: undefined }, { timeZone: zone, now });
        const withIt = evaluateRetention(input, policy, { timeZone: zone, now });
        for (const id of without.keep.keys()) expect(withIt.keep.has(id)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('both calendars agree in UTC', () => {
    fc.assert(
      fc.property(historyArb, policyArb, ({ snaps, now }, policy) => {
        const input = snaps.map((s) => ({ id: s.id, startTime: s.ns, incomplete: s.incomplete }));
        const a = evaluateRetention(input, policy, { timeZone: 'UTC', now, calendar: 'zoned' });
        const b = evaluateRetention(input, policy, { timeZone: 'UTC', now, calendar: 'kopia' });
        expect(Object.fromEntries(a.keep)).toEqual(Object.fromEntries(b.keep));
      }),
      { numRuns: 100 },
    );
  });
});
