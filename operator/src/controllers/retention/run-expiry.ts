// Retention applied after each run: once a source's snapshot is recorded, an expire Job applies the
// schedule's retention to that source (expireInvocation in maintenance-expiry.ts). This records how that
// went: the records of the snapshots it deleted are removed, and a failed, lost or rejected expire Job is a
// note on the source, never a failed run: the snapshot is kept, and maintenance applies the schedule's
// retention again (maintenance-expiry.ts).
import type { BackupRepository, SnapshotSchedule } from '../../api/resources.ts';
import type { OperatorContext } from '../../operator-context.ts';
import type { StartedJob, TrackedJob } from '../job-tracking/job-tracker.ts';
import { deleteSnapshotRecords } from './snapshot-records.ts';

export interface RetentionNote {
  readonly reason: 'RetentionFailed';
  readonly message: string;
}

export function retentionNote(why: { readonly reason?: string; readonly message?: string }): RetentionNote {
  return { reason: 'RetentionFailed', message: `retention could not be applied: ${why.reason ?? ''} ${why.message ?? ''}`.trim() };
}

/** The note for the source of `pvc`, if retention did not apply, after its expire Job ended (or never started). */
export async function applyRunExpiry(
  ctx: OperatorContext,
  s: SnapshotSchedule,
  repo: BackupRepository,
  pvc: string,
  job: Exclude<TrackedJob, { state: 'Running' }> | Extract<StartedJob, { state: 'Rejected' }>,
): Promise<RetentionNote | undefined> {
  if (job.state !== 'Finished') return retentionNote(job);
  await deleteSnapshotRecords(ctx, s, repo.metadata, job.outcome.result?.deleted ?? [], pvc);
  return job.outcome.phase === 'Failed' ? retentionNote(job.outcome) : undefined;
}
