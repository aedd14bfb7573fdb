// `cairn maintenance run [--full]`: quick maintenance (index compaction and epoch advance, rewrite of
// metadata out of short packs) or full maintenance (also snapshot GC, rewrite of all short packs, dropping
// deleted contents, deleting unreferenced packs and old index blobs), with kopia's safety margins.
// Refused when another client owns maintenance (MAINTENANCE_OWNED, unless --force) or storage refuses
// deletes (APPEND_ONLY); a repository without an owner is claimed by this client (`user@host`).
//
// Test-only knobs, read from the environment here (the engine never reads it):
//   CAIRN_TEST_SAFETY=none[,key=value...]   safety level plus overrides (engine/maintenance/safety.ts
//                                           parseSafety), e.g. "none,sessionExpirationAge=96h"; wins over --safety
//   CAIRN_TEST_CRASH_AT=POINT               SIGKILL this process at POINT:
//     after-gc-marks      after snapshot GC's index blob (its tombstones) is stored
//     after-new-packs     when the content rewrite's packs are stored, just before its index blob
//     after-new-indexes   just after the content rewrite's index blob is stored
//     after-watermark     after the deletion watermark blob is stored
//     mid-deletion        after the 2nd blob deleted by pack GC
//     mid-index-cleanup   after the 1st blob deleted by epoch cleanup
//     task:<kopia task>   when that task starts (e.g. task:full-delete-blobs)
import type { BlobMetadata, BlobStore, ByteRange, PutOptions } from '../../engine/blob/blob-store.ts';
import { runMaintenance, type MaintenanceReport } from '../../engine/maintenance/maintenance-run.ts';
import { TASK } from '../../engine/maintenance/maintenance-schedule.ts';
import { measureStorage } from '../../engine/maintenance/repository-check.ts';
import { parseSafety, SAFETY_FULL, type SafetySpec } from '../../engine/maintenance/safety.ts';
import { openRepository } from '../../engine/repo/open-repository.ts';
import { formatBytes } from '../format-units.ts';
import { UsageError } from '../usage-error.ts';
import type { Command } from '../command.ts';

const CRASH_POINTS = ['after-gc-marks', 'after-new-packs', 'after-new-indexes', 'after-watermark', 'mid-deletion', 'mid-index-cleanup'];
const EPOCH_CLEANUP_TASKS: readonly string[] = [TASK.epochCleanupMarkers, TASK.epochDeleteSupersededIndexes];

function die(): never {
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable');
}

/** Test hook: a store that kills the process at a named point of a maintenance run. */
class CrashingStore implements BlobStore {
  task = '';
  private deletes = 0;
  private readonly inner: BlobStore;
  private readonly point: string;

  constructor(inner: BlobStore, point: string) {
    this.inner = inner;
    this.point = point;
  }

  get description(): string {
    return this.inner.description;
  }

  get(id: string, range?: ByteRange): Promise<Buffer> {
    return this.inner.get(id, range);
  }

  stat(id: string): Promise<BlobMetadata> {
    return this.inner.stat(id);
  }

  list(prefix: string): AsyncIterable<BlobMetadata> {
    return this.inner.list(prefix);
  }

  async put(id: string, data: Uint8Array, options?: PutOptions): Promise<void> {
    const rewriteIndex = this.task === TASK.rewriteContentsFull && id.startsWith('xn');
    if (this.point === 'after-new-packs' && rewriteIndex) die();
    await this.inner.put(id, data, options);
    if (this.point === 'after-new-indexes' && rewriteIndex) die();
    if (this.point === 'after-gc-marks' && this.task === TASK.snapshotGc && id.startsWith('xn')) die();
    if (this.point === 'after-watermark' && id.startsWith('xw')) die();
  }

  async delete(id: string): Promise<void> {
    await this.inner.delete(id);
    if (id.startsWith('cairn-delete-probe-')) return;
    this.deletes++;
    if (this.point === 'mid-deletion' && this.task === TASK.deleteOrphanedBlobsFull && this.deletes >= 2) die();
    if (this.point === 'mid-index-cleanup' && EPOCH_CLEANUP_TASKS.includes(this.task)) die();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  onTask(task: string): void {
    this.task = task;
    this.deletes = 0;
    if (this.point === `task:${task}`) die();
  }
}

function safetySpec(values: Readonly<Record<string, unknown>>, env: Readonly<Record<string, string | undefined>>): SafetySpec {
  const test = env['CAIRN_TEST_SAFETY'];
  if (test !== undefined && test !== '') return parseSafety(test);
  const level = typeof values['safety'] === 'string' ? values['safety'] : 'full';
  if (level !== 'full' && level !== 'none') throw new UsageError(`--safety ${level} is not "full" or "none"`, 'use --safety=none only when no other client uses the repository');
  return level === 'full' ? { safety: SAFETY_FULL, epochOverrides: {} } : parseSafety('none');
}

function printReport(out: (line: string) => void, r: MaintenanceReport): void {
  out(`${r.mode === 'full' ? 'Full' : 'Quick'} maintenance by ${r.owner}${r.claimedOwnership ? ' (ownership claimed now)' : ''}, started ${r.startTime.toISOString()} (storage time):`);
  for (const t of r.tasks) {
    const stats = t.stats === undefined ? '' : ` ${JSON.stringify(t.stats)}`;
    out(`  ${t.task.padEnd(34)} ${t.success ? 'ok' : `FAILED: ${t.error ?? ''}`}${stats}`);
  }
  for (const s of r.skipped) out(`  ${s.task.padEnd(34)} skipped: ${s.reason}`);
}

export const maintenanceRun: Command = {
  name: 'maintenance run',
  summary: 'run quick (or --full) repository maintenance with kopia\'s safety margins',
  args: '',
  minArgs: 0,
  maxArgs: 0,
  options: {
    full: { type: 'boolean', description: 'full maintenance: snapshot GC, pack rewrite and deletion, index cleanup' },
    force: { type: 'boolean', description: 'run even if another client owns maintenance (unsafe while it runs)' },
    safety: { type: 'string', description: 'full (default) or none; none drops all safety margins and is only safe when no other client uses the repository', valueName: 'LEVEL' },
  },
  async run(ctx, _args, values) {
    const spec = safetySpec(values, ctx.env);
    const crashAt = ctx.env['CAIRN_TEST_CRASH_AT'];
    if (crashAt !== undefined && crashAt !== '' && !CRASH_POINTS.includes(crashAt) && !crashAt.startsWith('task:')) {
      throw new UsageError(`CAIRN_TEST_CRASH_AT=${crashAt} is not a crash point`, `use one of ${CRASH_POINTS.join(', ')} or task:<kopia task id>`);
    }
    const base = await ctx.openStore();
    const crashing = crashAt !== undefined && crashAt !== '' ? new CrashingStore(base, crashAt) : undefined;
    const owner = `${ctx.defaultUser()}@${ctx.defaultHost()}`;
    const repo = await openRepository(crashing ?? base, await ctx.password(), { username: ctx.defaultUser(), hostname: ctx.defaultHost(), logger: ctx.logger });
    try {
      const before = await measureStorage(repo.blobs);
      const report = await runMaintenance(repo, {
        mode: values['full'] === true ? 'full' : 'quick', owner, force: values['force'] === true,
        safety: spec.safety, epochOverrides: spec.epochOverrides, logger: ctx.logger, signal: ctx.signal,
        ...(crashing !== undefined ? { onTask: (t: string) => crashing.onTask(t) } : {}),
      });
      const after = await measureStorage(repo.blobs);
      const { lengths: _b, ...beforeSummary } = before;
      const { lengths: _a, ...afterSummary } = after;
      if (ctx.json) ctx.output.out(JSON.stringify({ ...report, storageBefore: beforeSummary, storageAfter: afterSummary }));
      else {
        printReport((l) => ctx.output.out(l), report);
        ctx.output.out(`Repository size: ${formatBytes(before.bytes)} -> ${formatBytes(after.bytes)} (${before.blobs} -> ${after.blobs} blobs).`);
      }
      return { repository: { sizeBytes: after.bytes } };
    } finally {
      await repo.close();
    }
  },
};
