// Decides, from a SnapshotSchedule's spec and persisted status and the current time, whether a run starts
// now, which due times were missed, and when to look again. Pure (no I/O, time passed in), so restarts and
// leader changes make the same decision: the persisted lastScheduleTime is the only memory, and a run is
// named after its due time, so deciding twice starts nothing twice.
import type { CronSchedule } from './cron-schedule.ts';
import { nextDueTime } from './next-run.ts';

export interface PlanInput {
  readonly now: number;
  readonly cron: CronSchedule;
  readonly timeZone: string;
  readonly jitterMs: number;
  readonly suspend: boolean;
  readonly startingDeadlineSeconds?: number;
  readonly concurrencyPolicy: 'Forbid' | 'Replace';
  /** Due time of the last run started or skipped (status.lastScheduleTime), else creation time. */
  readonly lastScheduleTime?: number;
  readonly createdAt: number;
  readonly active: boolean;
  readonly manualToken?: string;
  readonly lastManualTrigger?: string;
  readonly activeManualToken?: string;
}

export type RunStart = { readonly trigger: 'Schedule'; readonly scheduledTime: number } | { readonly trigger: 'Manual'; readonly token: string };

export interface Plan {
  readonly start?: RunStart;
  /** Stop the active run first (concurrencyPolicy Replace). */
  readonly replaceActive: boolean;
  /** New status.lastScheduleTime (unchanged when undefined). */
  readonly lastScheduleTime?: number;
  /** Due times that passed without a run, to add to status.missedRuns. */
  readonly missed: number;
  /** When the next scheduled run will start (due time plus jitter); undefined while suspended or never. */
  readonly nextRunTime?: number;
  /** When to look again: the next due time even while suspended, so skipped due times are recorded. */
  readonly wakeAt?: number;
}

const MAX_CATCH_UP_STEPS = 1_000;

export function planRun(p: PlanInput): Plan {
  const base = p.lastScheduleTime ?? p.createdAt;
  let latest: number | undefined;
  let count = 0;
  for (let d = nextDueTime(p.cron, base, p.timeZone); d !== undefined && d + p.jitterMs <= p.now; d = nextDueTime(p.cron, d, p.timeZone)) {
    latest = d;
    if (++count >= MAX_CATCH_UP_STEPS) {
      // Operator down for ages on a frequent schedule: skip ahead (missed then counts at least the cap).
      latest = lastDueBefore(p, p.now - p.jitterMs) ?? latest;
      break;
    }
  }
  let start: RunStart | undefined;
  let missed = 0;
  let replaceActive = false;
  if (latest !== undefined && !p.suspend) {
    const late = p.now - (latest + p.jitterMs);
    if (p.startingDeadlineSeconds !== undefined && late > p.startingDeadlineSeconds * 1000) {
      missed = count;
    } else if (p.active && p.concurrencyPolicy === 'Forbid') {
      missed = count;
    } else {
      start = { trigger: 'Schedule', scheduledTime: latest };
      missed = count - 1;
      replaceActive = p.active;
    }
  }
  const token = p.manualToken;
  if (start === undefined && !p.active && token !== undefined && token !== '' && token !== p.lastManualTrigger && token !== p.activeManualToken) {
    start = { trigger: 'Manual', token };
  }
  const lastScheduleTime = latest;
  const next = nextDueTime(p.cron, Math.max(latest ?? base, base), p.timeZone);
  const wakeAt = next === undefined ? undefined : next + p.jitterMs;
  return { start, replaceActive, lastScheduleTime, missed, nextRunTime: p.suspend ? undefined : wakeAt, wakeAt };
}

function lastDueBefore(p: PlanInput, limit: number): number | undefined {
  // Search backwards in growing windows for the last due time <= limit.
  for (let window = 3_600_000; window <= 400 * 86_400_000; window *= 4) {
    let last: number | undefined;
    for (let d = nextDueTime(p.cron, limit - window, p.timeZone); d !== undefined && d <= limit; d = nextDueTime(p.cron, d, p.timeZone)) last = d;
    if (last !== undefined) return last;
  }
  return undefined;
}
