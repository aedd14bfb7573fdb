// Test support: a blob store that SIGKILLs its own process at a named point of a maintenance run, so the
// crash tests can check that a run killed anywhere leaves a consistent repository. Reaches the CLI only
// through the test-only entry point (cairn-test-entry.ts), never through the shipped bin/cairn.mjs.
//   after-gc-marks      after snapshot GC's index blob (its tombstones) is stored
//   after-new-packs     when the content rewrite's packs are stored, just before its index blob
//   after-new-indexes   just after the content rewrite's index blob is stored
//   after-watermark     after the deletion watermark blob is stored
//   mid-deletion        after the 2nd blob deleted by pack GC
//   mid-index-cleanup   after the 1st blob deleted by epoch cleanup
//   task:<kopia task>   when that task starts (e.g. task:full-delete-blobs)
import type { BlobStore, PutOptions } from '../../mover/src/engine/blob/blob-store.ts';
import { ForwardingStore } from './forwarding-store.ts';
import { TASK } from '../../mover/src/engine/maintenance/maintenance-schedule.ts';

export const CRASH_POINTS: readonly string[] = ['after-gc-marks', 'after-new-packs', 'after-new-indexes', 'after-watermark', 'mid-deletion', 'mid-index-cleanup'];
const EPOCH_CLEANUP_TASKS: readonly string[] = [TASK.epochCleanupMarkers, TASK.epochDeleteSupersededIndexes];

export function isCrashPoint(point: string): boolean {
  return CRASH_POINTS.includes(point) || point.startsWith('task:');
}

function die(): never {
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable');
}

export class CrashingStore extends ForwardingStore {
  private task = '';
  private deletes = 0;
  private readonly point: string;

  constructor(inner: BlobStore, point: string) {
    super(inner);
    this.point = point;
  }

  override async put(id: string, data: Uint8Array, options?: PutOptions): Promise<void> {
    const rewriteIndex = this.task === TASK.rewriteContentsFull && id.startsWith('xn');
    if (this.point === 'after-new-packs' && rewriteIndex) die();
    await this.inner.put(id, data, options);
    if (this.point === 'after-new-indexes' && rewriteIndex) die();
    if (this.point === 'after-gc-marks' && this.task === TASK.snapshotGc && id.startsWith('xn')) die();
    if (this.point === 'after-watermark' && id.startsWith('xw')) die();
  }

  override async delete(id: string): Promise<void> {
    await this.inner.delete(id);
    if (id.startsWith('cairn-delete-probe-')) return;
    this.deletes++;
    if (this.point === 'mid-deletion' && this.task === TASK.deleteOrphanedBlobsFull && this.deletes >= 2) die();
    if (this.point === 'mid-index-cleanup' && EPOCH_CLEANUP_TASKS.includes(this.task)) die();
  }

  onTask(task: string): void {
    this.task = task;
    this.deletes = 0;
    if (this.point === `task:${task}`) die();
  }
}
