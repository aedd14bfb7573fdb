import { describe, expect, it } from 'vitest';
import { CronSchedule } from './cron-schedule.ts';
import type { PlanInput } from './run-planner.ts';
import { planRun } from './run-planner.ts';

const T = (s: string): number => Date.parse(s);
const base = (over: Partial<PlanInput>): PlanInput => ({
  now: T('2026-05-01T10:30:00Z'),
  cron: CronSchedule.parse('0 * * * *', 'uid'),
  timeZone: 'UTC',
  jitterMs: 0,
  suspend: false,
  concurrencyPolicy: 'Forbid',
  createdAt: T('2026-05-01T09:10:00Z'),
  active: false,
  ...over,
});

describe('planRun', () => {
  it('starts the latest due time once and counts older ones as missed', () => {
    const p = planRun(base({ now: T('2026-05-01T12:05:00Z') }));
    expect(p.start).toEqual({ trigger: 'Schedule', scheduledTime: T('2026-05-01T12:00:00Z') });
    expect(p.missed).toBe(2);
    expect(p.lastScheduleTime).toBe(T('2026-05-01T12:00:00Z'));
    expect(p.nextRunTime).toBe(T('2026-05-01T13:00:00Z'));
    // Replanning with the persisted lastScheduleTime starts nothing.
    const again = planRun(base({ now: T('2026-05-01T12:05:00Z'), lastScheduleTime: p.lastScheduleTime }));
    expect(again.start).toBeUndefined();
    expect(again.missed).toBe(0);
  });

  it('starts nothing while suspended and does not catch up on resume', () => {
    const p = planRun(base({ suspend: true, now: T('2026-05-01T12:05:00Z') }));
    expect(p.start).toBeUndefined();
    expect(p.missed).toBe(0);
    expect(p.nextRunTime).toBeUndefined();
    const resumed = planRun(base({ now: T('2026-05-01T12:10:00Z'), lastScheduleTime: p.lastScheduleTime }));
    expect(resumed.start).toBeUndefined();
  });

  it('counts runs past the starting deadline or blocked by an active run as missed', () => {
    expect(planRun(base({ startingDeadlineSeconds: 60 })).missed).toBe(1);
    expect(planRun(base({ startingDeadlineSeconds: 60 })).start).toBeUndefined();
    const blocked = planRun(base({ active: true }));
    expect(blocked.start).toBeUndefined();
    expect(blocked.missed).toBe(1);
    const replace = planRun(base({ active: true, concurrencyPolicy: 'Replace' }));
    expect(replace.start).toBeDefined();
    expect(replace.replaceActive).toBe(true);
  });

  it('runs a manual trigger once, even while suspended', () => {
    const now = T('2026-05-01T09:20:00Z');
    expect(planRun(base({ now, suspend: true, manualToken: 'a' })).start).toEqual({ trigger: 'Manual', token: 'a' });
    expect(planRun(base({ now, manualToken: 'a', lastManualTrigger: 'a' })).start).toBeUndefined();
    expect(planRun(base({ now, manualToken: 'a', active: true, activeManualToken: 'a' })).start).toBeUndefined();
  });

  it('waits for the jitter after each due time', () => {
    const p = planRun(base({ now: T('2026-05-01T10:02:00Z'), jitterMs: 180_000 }));
    expect(p.start).toBeUndefined();
    expect(p.nextRunTime).toBe(T('2026-05-01T10:03:00Z'));
    expect(planRun(base({ now: T('2026-05-01T10:03:00Z'), jitterMs: 180_000 })).start).toEqual({
      trigger: 'Schedule',
      scheduledTime: T('2026-05-01T10:00:00Z'),
    });
  });

  it('skips ahead after a very long outage', () => {
    const p = planRun(base({ cron: CronSchedule.parse('* * * * *', 'u'), now: T('2026-09-01T00:00:30Z') }));
    expect(p.start).toEqual({ trigger: 'Schedule', scheduledTime: T('2026-09-01T00:00:00Z') });
    expect(p.missed).toBeGreaterThanOrEqual(999);
  });
});
