// Run "cgroup": cairn's first backup of the shared dataset inside a memory cgroup limited like a mover pod
// (default 256 MiB, swap limited to the same so the kernel kills rather than swaps). Reports the outcome
// truthfully (completed or OOM-killed). Cairn reads the limit from its cgroup as a pod's mover does and
// plans its workers and buffers to fit (engine/upload/upload-resources.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeResult } from '../contract/mover-result.ts';
import type { BenchArgs } from './bench-args.ts';
import { cairnWithFileRepository } from './cairn-file-repository.ts';
import { formatBytes } from './byte-size.ts';
import { assertNotStopping, scratchDir } from './cleanup.ts';
import { createMemoryCgroup, memoryCgroupUnavailable } from './memory-cgroup.ts';
import { generateSharedDataset } from './shared-dataset.ts';
import { mib, printTable } from './summary-table.ts';
import { logTail, timedCommand } from './timed-command.ts';
import { warmCache } from './warm-cache.ts';

const TITLE = 'cgroup: first backup of the shared dataset under a memory limit';

export async function cgroupRun(args: BenchArgs): Promise<void> {
  const why = memoryCgroupUnavailable();
  if (why !== undefined) {
    printTable(TITLE, ['outcome'], [[`skipped: ${why}`]]);
    return;
  }
  const { dir, remove } = await scratchDir('cgroup');
  try {
    const src = join(dir, 'src');
    console.error(`bench cgroup: generating the shared dataset (scale ${args.scale}) in ${src}`);
    await generateSharedDataset(src, args.scale, join(dir, 'gen.log'));
    const cairn = await cairnWithFileRepository(dir);
    let cg;
    try {
      cg = await createMemoryCgroup(`cairn-bench-${process.pid}`, args.memoryLimit);
    } catch (e) {
      printTable(TITLE, ['outcome'], [[`skipped: cannot create a memory cgroup: ${e instanceof Error ? e.message : String(e)}`]]);
      return;
    }
    try {
      await warmCache(src); // page cache charged outside the cgroup: the limit meets cairn's own memory
      const resultFile = join(dir, 'result.json');
      console.error(`bench cgroup: cairn snapshot create in ${cg.path} (limit ${formatBytes(args.memoryLimit)})`);
      const r = await timedCommand(cairn.backup(src, resultFile), { env: cairn.env, prefix: cg.prefix, log: join(dir, 'backup.log') });
      assertNotStopping(); // killed by the bench's own cleanup, not by the kernel: no table
      const usage = cg.usage();
      let moverPeak: number | undefined;
      try {
        moverPeak = decodeResult(readFileSync(resultFile, 'utf8')).peakMemoryBytes;
      } catch {
        // killed before it could write its result
      }
      // the kernel's own count when it keeps one; else a SIGKILL nobody else sent
      const killed = usage.oomKills !== undefined ? usage.oomKills > 0 : r.signal === 'SIGKILL';
      const outcome = r.ok ? 'completed' : killed ? 'OOM-killed' : `failed (exit ${r.exitCode ?? r.signal})`;
      if (!r.ok && !killed) console.error(`bench cgroup: cairn failed:\n${logTail(r.log)}`);
      printTable(TITLE,
        ['limit', 'outcome', 'wall s', 'cgroup peak MiB', 'mover peakMemoryBytes MiB', 'peak RSS (time) MiB', 'limit hits', 'OOM kills'],
        [[formatBytes(args.memoryLimit), outcome, r.wallSeconds, mib(usage.peakBytes), mib(moverPeak), mib(r.maxRssBytes),
          usage.limitHits?.toString(), usage.oomKills?.toString()]],
        [
          `target: completes within ${formatBytes(args.memoryLimit)} (cairn sizes its workers and buffers from the cgroup limit)`,
          `cgroup v${cg.version} ${cg.path}; swap ${cg.swapLimited ? 'limited to the same' : 'not limitable here'}; ` +
            `limit visible to cairn as a pod sees it: ${cg.podView ? 'yes (own cgroup + mount namespace)' : 'no (unshare missing)'}`,
          'cgroup peak counts page cache the run faulted in (repository writes), the dataset was read warm beforehand;',
          'RSS also counts shared file pages (the node binary) charged to whoever read them first, so it can exceed the limit',
        ]);
    } finally {
      await cg.remove();
    }
  } finally {
    await remove();
  }
}
