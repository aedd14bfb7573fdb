// `cairn snapshot restore (ID|latest) TARGET`: brings a snapshot back into a directory. Refuses a
// non-empty target unless --overwrite; files appear under their final name only when complete.
// The implementation, loaded only when this command runs (the declaration is in snapshot-restore.ts).
import { resolve } from 'node:path';
import { resolveSnapshot } from '../../../engine/snapshot/snapshot-manager.ts';
import { restoreSnapshot } from '../../../engine/restore/restore.ts';
import { planRestoreResources } from '../../../engine/restore/restore-resources.ts';
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
  return ctx.withRepository({ readOnly: true }, async (repo) => {
    // the repository is open, so its URL parsed: a file repository is read with fewer, smaller ranges in flight
    const storage = parseBlobStoreUrl(ctx.repositoryUrl()).kind === 'file' ? 'local' : 'remote';
    const plan = planRestoreResources({ memoryLimitBytes: limit.bytes, cores: availableParallelism(), storage });
    ctx.logger.debug({ plan }, 'memory plan');
    const source = typeof values['source'] === 'string' ? parseSourceInfo(values['source'], { hostname: ctx.defaultHost(), username: ctx.defaultUser(), flag: '--source' }) : undefined;
    const snapshot = await resolveSnapshot(repo.manifests, args[0]!, { ...(source ? { source } : {}), ...(asOf ? { asOf } : {}) });
    const counters = { files: 0, bytes: 0, dirs: 0 };
    const total = snapshot.rootEntry?.summ?.size ?? 0;
    const progress = startProgress(ctx, 'restore', () => ({ files: counters.files, bytesDone: counters.bytes, bytesTotal: total, detail: { dirs: counters.dirs } }));
    let stats;
    try {
      stats = await restoreSnapshot(repo, snapshot, target, {
        overwrite: values['overwrite'] === true,
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
}
