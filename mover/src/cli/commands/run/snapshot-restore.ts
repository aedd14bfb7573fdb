// `cairn snapshot restore (ID|latest) TARGET`: brings a snapshot back into a directory. Refuses a
// non-empty target unless --overwrite; files appear under their final name only when complete.
// The implementation, loaded only when this command runs (the declaration is in snapshot-restore.ts).
import { resolve } from 'node:path';
import { resolveSnapshot } from '../../../engine/snapshot/snapshot-manager.ts';
import { restoreSnapshot } from '../../../engine/restore/restore.ts';
import { planRestoreResources } from '../../../engine/restore/restore-resources.ts';
import { restoresOwnership } from '../../../engine/restore/restore-options.ts';
import { RestoreWorkerPool } from '../../../engine/restore/restore-worker-pool.ts';
import { parseBlobStoreUrl } from '../../../engine/blob/open-blob-store.ts';
import { availableParallelism } from 'node:os';
import { parseSourceInfo } from '../../../engine/snapshot/source-info.ts';
import { startProgress } from '../../progress-reporter.ts';
import { formatBytes, formatCount } from '../../format-units.ts';
import { UsageError } from '../../../engine/errors.ts';
import type { ParsedValues, CommandOutcome } from '../../command.ts';
import type { CommandContext } from '../../command-context.ts';
import { setAsideHeapFlagsWhileStarting } from '../../heap-flags.ts';

export async function run(ctx: CommandContext, args: readonly string[], values: ParsedValues): Promise<CommandOutcome> {
  const target = resolve(args[1]!);
  const asOf = typeof values['as-of'] === 'string' ? new Date(values['as-of']) : undefined;
  if (asOf !== undefined && Number.isNaN(asOf.getTime())) {
    throw new UsageError(`--as-of ${String(values['as-of'])} is not an RFC 3339 time`, { hint: 'write it like 2026-01-31T23:00:00Z' });
  }
  const parallel = typeof values['parallel'] === 'string' ? Number(values['parallel']) : undefined;
  if (parallel !== undefined && (!Number.isInteger(parallel) || parallel < 1 || parallel > 256)) {
    throw new UsageError(`--parallel ${String(values['parallel'])} is not a number from 1 to 256`);
  }
  const limit = ctx.memoryLimit();
  // a file repository is read with fewer, smaller ranges in flight (a URL that does not parse is reported by
  // the repository's opening, below)
  let storage: 'local' | 'remote' = 'remote';
  try {
    if (parseBlobStoreUrl(ctx.repositoryUrl()).kind === 'file') storage = 'local';
  } catch {
    // reported when the repository opens
  }
  const plan = planRestoreResources({ memoryLimitBytes: limit.bytes, cores: availableParallelism(), storage });
  ctx.logger.debug({ plan }, 'memory plan');
  const overwrite = values['overwrite'] === true;
  // The writer threads start loading now and get the repository's keys once it is open: restore of the shared
  // dataset, first pack range sent ~20 ms after the repository opened, threads ready ~110 ms after they start.
  const workers = new RestoreWorkerPool(plan.writers, { ownership: restoresOwnership({}), overwrite }, setAsideHeapFlagsWhileStarting);
  workers.prestart();
  try {
    return await ctx.withRepository({ readOnly: true }, async (repo) => {
      const source = typeof values['source'] === 'string' ? parseSourceInfo(values['source'], { hostname: ctx.defaultHost(), username: ctx.defaultUser(), flag: '--source' }) : undefined;
      const snapshot = await resolveSnapshot(repo.manifests, args[0]!, { ...(source ? { source } : {}), ...(asOf ? { asOf } : {}) });
      const counters = { files: 0, bytes: 0, dirs: 0 };
      const total = snapshot.rootEntry?.summ?.size ?? 0;
      const progress = startProgress(ctx, 'restore', () => ({ files: counters.files, bytesDone: counters.bytes, bytesTotal: total, detail: { dirs: counters.dirs } }));
      let stats;
      try {
        stats = await restoreSnapshot(repo, snapshot, target, {
          overwrite, workers,
          paths: (values['path'] as string[] | undefined) ?? [],
          parallel: parallel ?? plan.parallel, writers: plan.writers, maxRangeBytes: plan.maxRangeBytes,
          workersStarting: setAsideHeapFlagsWhileStarting,
          onProgress: (p) => { counters.files = p.files; counters.bytes = p.bytes; counters.dirs = p.dirs; },
          signal: ctx.signal,
        });
      } finally {
        progress.stop();
      }
      if (ctx.json) ctx.output.out(JSON.stringify({ snapshot: snapshot.id, target, ...stats }));
      else {
        ctx.output.out(`Restored snapshot ${snapshot.id} into ${target}: ${formatCount(stats.files)} files, ${formatCount(stats.dirs)} directories, ${formatBytes(stats.bytes)}.`);
        if (stats.attributesKept.length > 0) {
          ctx.output.out(`Kept the owner, mode and times of ${stats.attributesKept.join(', ')}: existing directories of another user (restore as root to set them).`);
        }
      }
      return { restore: { files: stats.files, dirs: stats.dirs, bytes: stats.bytes } };
    });
  } finally {
    await workers.close(); // also when the repository did not open
  }
}
