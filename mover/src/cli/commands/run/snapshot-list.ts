// `cairn snapshot list`: restore points, oldest first.
// The implementation, loaded only when this command runs (the declaration is in snapshot-list.ts).
import { listSnapshots } from '../../../engine/snapshot/snapshot-manager.ts';
import { formatSourceInfo, parseSourceInfo } from '../../../engine/snapshot/source-info.ts';
import { formatBytes, formatCount } from '../../format-units.ts';
import { retentionReasons } from '../../../engine/policy/snapshot-expiry.ts';
import { compactRetentionReasons } from '../../../engine/policy/retention-reasons.ts';
import { retentionCalendar } from './snapshot-expire.ts';
import type { Repository } from '../../../engine/repo/open-repository.ts';
import type { ParsedValues, CommandOutcome } from '../../command.ts';
import type { CommandContext } from '../../command-context.ts';

async function unindexedPacks(repo: Repository): Promise<{ count: number; bytes: number }> {
  const referenced = new Set<string>();
  for (const ci of repo.contents.iterateContents({ includeDeleted: true })) referenced.add(ci.packBlobId);
  let count = 0;
  let bytes = 0;
  for (const prefix of ['p', 'q']) {
    for await (const b of repo.blobs.list(prefix)) {
      if (referenced.has(b.id)) continue;
      count++;
      bytes += b.length;
    }
  }
  return { count, bytes };
}

export async function run(ctx: CommandContext, _args: readonly string[], values: ParsedValues): Promise<CommandOutcome> {
  return ctx.withRepository({ readOnly: true }, async (repo) => {
    const source = typeof values['source'] === 'string' ? parseSourceInfo(values['source'], { hostname: ctx.defaultHost(), username: ctx.defaultUser(), flag: '--source' }) : undefined;
    const snapshots = await listSnapshots(repo.manifests, source);
    // Retention reasons are computed from the stored policies at list time, as kopia does; nothing is stored.
    const reasons = await retentionReasons(repo.manifests, { ...(source ? { source } : {}), ...retentionCalendar(values), now: ctx.now() });
    if (ctx.json) {
      ctx.output.out(JSON.stringify(snapshots.map((s) => ({
        id: s.id, source: formatSourceInfo(s.source), startTime: s.startTime, endTime: s.endTime,
        files: s.stats.fileCount, dirs: s.stats.dirCount, bytes: s.stats.totalSize, errors: s.stats.errorCount,
        rootObject: s.rootEntry?.obj ?? '', incomplete: s.incomplete, tags: s.tags, retentionReasons: reasons.get(s.id) ?? [],
      }))));
    } else if (snapshots.length === 0) {
      ctx.output.err('No snapshots.');
    } else {
      let last = '';
      for (const s of snapshots) {
        const src = formatSourceInfo(s.source);
        if (src !== last) ctx.output.out(`${src}`);
        last = src;
        const kept = reasons.get(s.id) ?? [];
        const flags = [kept.length > 0 ? `(${compactRetentionReasons(kept).join(',')})` : '',
          s.incomplete !== '' ? `incomplete:${s.incomplete}` : '', s.stats.errorCount > 0 ? `partial:${s.stats.errorCount} errors` : '']
          .filter((f) => f !== '').join(' ');
        ctx.output.out(`  ${s.startTime.replace(/\.\d+Z$/, 'Z')}  ${s.id}  ${formatCount(s.stats.fileCount).padStart(10)} files  ${formatBytes(s.stats.totalSize).padStart(9)}  ${flags}`.trimEnd());
      }
    }
    if (snapshots.length === 0 && source === undefined) {
      // packs but no snapshot: either everything was deleted and not collected yet, or the index is lost
      const packs = await unindexedPacks(repo);
      if (packs.count > 0) {
        ctx.output.err(`The repository holds ${formatCount(packs.count)} pack(s) (${formatBytes(packs.bytes)}) that no index entry refers to. ` +
          'If snapshots are missing, `cairn repository check` tells whether the index lost entries, and `cairn index recover --commit` rebuilds them.');
      }
    }
    return { repository: { snapshotCount: snapshots.length } };
  });
}
