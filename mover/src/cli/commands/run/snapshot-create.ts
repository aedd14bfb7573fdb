// `cairn snapshot create PATH`: one snapshot of a directory. Exit 0 when every file was stored, 3 (partial)
// when some could not be read — the snapshot is still committed and lists the skipped paths. Interrupted
// (130), it commits nothing; the next run reuses the packs it uploaded.
// The implementation, loaded only when this command runs (the declaration is in snapshot-create.ts).
import { resolve } from 'node:path';
import { Uploader } from '../../../engine/upload/uploader.ts';
import { ListingReadAhead, worthReadingAhead } from '../../../engine/upload/listing-read-ahead.ts';
import { planUploadResources } from '../../../engine/upload/upload-resources.ts';
import { availableParallelism } from 'node:os';
import { formatSourceInfo, parseSourceInfo } from '../../../engine/snapshot/source-info.ts';
import { createIgnoreMatcher } from '../../../engine/policy/ignore-rules.ts';
import { compressionPolicyOf, loadStoredPolicies } from '../../../engine/policy/policy-store.ts';
import { checkCompression, DEFAULT_DATA_COMPRESSION } from '../../compression-option.ts';
import { startProgress } from '../../progress-reporter.ts';
import { formatBytes, formatCount, formatDuration } from '../../format-units.ts';
import { UsageError } from '../../../engine/errors.ts';
import type { SnapshotSummary } from '../../../contract/mover-result.ts';
import type { ParsedValues, CommandOutcome } from '../../command.ts';
import type { CommandContext } from '../../command-context.ts';
import { setAsideHeapFlagsWhileStarting } from '../../heap-flags.ts';

const MAX_SKIPPED_IN_RESULT = 50;

export async function run(ctx: CommandContext, args: readonly string[], values: ParsedValues): Promise<CommandOutcome> {
  const path = resolve(args[0]!);
  const source = typeof values['source'] === 'string'
    ? parseSourceInfo(values['source'], { hostname: ctx.defaultHost(), username: ctx.defaultUser(), flag: '--source' })
    : { host: ctx.defaultHost(), userName: ctx.defaultUser(), path };
  const tags: Record<string, string> = {};
  for (const t of (values['tag'] as string[] | undefined) ?? []) {
    const i = t.indexOf('=');
    if (i <= 0) throw new UsageError(`--tag ${t} is not KEY=VALUE`, { hint: 'write tags as --tag team=payments' });
    tags[`tag:${t.slice(0, i)}`] = t.slice(i + 1);
  }
  const parallel = typeof values['parallel'] === 'string' ? Number(values['parallel']) : undefined;
  if (parallel !== undefined && (!Number.isInteger(parallel) || parallel < 1 || parallel > 64)) {
    throw new UsageError(`--parallel ${String(values['parallel'])} is not a number from 1 to 64`);
  }
  const flagCompression = typeof values['compression'] === 'string' ? checkCompression(values['compression'], '--compression') : undefined;
  const limit = ctx.memoryLimit();
  const resources = planUploadResources({ memoryLimitBytes: limit.bytes, cores: availableParallelism(), workers: parallel });
  ctx.logger.debug({ resources }, 'memory plan');
  // the source's first listings are read while the repository opens (its key derivation leaves this thread idle);
  // the uploader stops the thread once it knows this is a first backup (worthReadingAhead)
  const readAhead = await ListingReadAhead.start(path, { now: ctx.now, workersStarting: setAsideHeapFlagsWhileStarting });
  try {
    return await ctx.withRepository({ uploadParallelism: resources.packUploads, packSizeLimit: resources.packBytes }, async (repo) => {
      const compression = flagCompression ??
        compressionPolicyOf(await loadStoredPolicies(repo.manifests), source) ?? DEFAULT_DATA_COMPRESSION;
      const uploader = new Uploader(repo, {
        sourcePath: path, source,
        compression: compression === 'none' ? undefined : compression,
        ignore: createIgnoreMatcher({ rules: (values['exclude'] as string[] | undefined) ?? [], ignoreFileNames: ['.kopiaignore'] }),
        ...(Object.keys(tags).length > 0 ? { tags } : {}),
        ...(typeof values['description'] === 'string' ? { description: values['description'] } : {}),
        ...(parallel !== undefined ? { workers: parallel } : {}),
        resources, readAhead, keepReadAhead: worthReadingAhead, workersStarting: setAsideHeapFlagsWhileStarting,
        ...(values['full-scan'] === true ? { previous: null } : {}),
        signal: ctx.signal,
        commitGate: ctx.commitGate,
      });
      const progress = startProgress(ctx, 'snapshot', () => {
        const p = uploader.progress;
        return { files: p.files, bytesDone: p.bytesRead + p.cachedBytes, bytesTotal: p.bytesTotal,
          detail: { cachedFiles: p.cachedFiles, hashedFiles: p.hashedFiles, bytesRead: p.bytesRead, bytesNew: p.bytesNew, bytesUploaded: p.bytesUploaded, errors: p.errors } };
      });
      let result;
      try {
        result = await uploader.run();
      } finally {
        progress.stop();
      }
      const m = result.manifest;
      const p = result.progress;
      const partial = result.failures.length > 0;
      const summary: SnapshotSummary = {
        id: result.snapshotId, source: formatSourceInfo(source), startTime: m.startTime, endTime: m.endTime,
        rootObject: m.rootEntry?.obj ?? '', files: m.stats.fileCount, dirs: m.stats.dirCount, bytes: m.stats.totalSize,
        bytesRead: p.bytesRead, bytesUploaded: p.bytesUploaded, partial,
        skipped: result.failures.slice(0, MAX_SKIPPED_IN_RESULT).map((f) => f.path), skippedCount: result.failures.length,
        changedWhileRead: p.changedWhileRead,
      };
      ctx.logger.info({ snapshot: summary, progress: p }, 'snapshot created');
      if (ctx.json) ctx.output.out(JSON.stringify({ snapshot: summary, progress: p, failures: result.failures, storage: ctx.storageReport() }));
      else {
        const secs = (Date.parse(m.endTime) - Date.parse(m.startTime)) / 1000;
        ctx.output.out(`Snapshot ${result.snapshotId} of ${summary.source}: ${formatCount(summary.files)} files, ` +
          `${formatBytes(summary.bytes)} (read ${formatBytes(p.bytesRead)}, ${formatCount(p.cachedFiles)} files unchanged, ` +
          `uploaded ${formatBytes(p.bytesUploaded)}) in ${formatDuration(secs)}.`);
        for (const f of result.failures.slice(0, 20)) ctx.output.err(`skipped ${f.path}: ${f.errno} ${f.message}`);
        if (result.failures.length > 20) ctx.output.err(`... and ${result.failures.length - 20} more skipped paths (see --json)`);
        if (p.resumedPacks > 0) {
          ctx.output.err(`note: reused ${formatCount(p.resumedPacks)} pack(s), ${formatBytes(p.resumedBytes)}, that an interrupted earlier run had uploaded`);
        }
        if (p.changedWhileRead > 0) {
          ctx.output.err(`note: ${formatCount(p.changedWhileRead)} file(s) changed while being read; each is stored as read (its size is the bytes stored)`);
        }
        if (partial) ctx.output.err(`cairn: snapshot is PARTIAL: ${result.failures.length} path(s) could not be read (exit code 3)`);
      }
      return { snapshot: summary, ...(partial ? { code: 'PARTIAL' as const, ok: true, message: `${result.failures.length} path(s) could not be read` } : {}) };
    });
  } finally {
    readAhead.discard(); // also when the repository did not open (otherwise the uploader has discarded it)
  }
}
