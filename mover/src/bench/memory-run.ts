// Run "memory": where cairn's peak memory goes in a first backup and a restore of the shared dataset: the
// RSS at its peak split by thread into V8 heap (resident, and used), ArrayBuffers (file windows, job
// payloads, pack buffers, fetched ranges, and garbage not yet collected) and other external memory, and
// what remains: native (Node itself, loaded code, OpenSSL, libzstd contexts, thread stacks). Measured by a
// probe preloaded into every thread (thread-memory-probe.ts), sampling every 20 ms.
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchArgs } from './bench-args.ts';
import { cairnWithFileRepository } from './cairn-file-repository.ts';
import { scratchDir } from './cleanup.ts';
import { generateSharedDataset } from './shared-dataset.ts';
import { mib, printTable } from './summary-table.ts';
import { mustSucceed, timedCommand } from './timed-command.ts';
import type { PeakBreakdown } from './thread-memory-probe.ts';
import { warmCache } from './warm-cache.ts';

const PROBE = new URL('./thread-memory-probe.ts', import.meta.url).pathname;

export async function memoryRun(args: BenchArgs): Promise<void> {
  const { dir, remove } = await scratchDir('memory');
  try {
    const src = join(dir, 'src');
    console.error(`bench memory: generating the shared dataset (scale ${args.scale}) in ${src}`);
    await generateSharedDataset(src, args.scale, join(dir, 'gen.log'));
    const cairn = await cairnWithFileRepository(dir);
    const rows: (string | number | undefined)[][] = [];
    const steps: [string, string[]][] = [
      ['first backup', cairn.backup(src)],
      ['restore', cairn.restoreLatest(src, join(dir, 'restored'))],
    ];
    for (const [step, cmd] of steps) {
      const probeDir = join(dir, `probe-${step.replace(' ', '-')}`);
      await mkdir(probeDir);
      await warmCache(src);
      const env = { ...cairn.env, CAIRN_BENCH_MEMORY_DIR: probeDir, NODE_OPTIONS: `${cairn.env['NODE_OPTIONS'] ?? ''} --import ${PROBE}`.trim() };
      const r = mustSucceed(`cairn ${step}`, await timedCommand(cmd, { env, log: join(dir, `${step}.log`) }));
      const peak = JSON.parse(await readFile(join(probeDir, 'peak.json'), 'utf8')) as PeakBreakdown;
      let accounted = 0;
      for (const t of peak.threads) {
        accounted += t.heapPhysical + t.arrayBuffers + t.otherExternal;
        rows.push([step, t.thread, mib(t.heapPhysical), mib(t.heapUsed), mib(t.arrayBuffers), mib(t.otherExternal)]);
      }
      rows.push([step, 'native and the rest (RSS - the above)', undefined, undefined, undefined, mib(peak.rss - accounted)]);
      if (peak.fileRss !== undefined) {
        rows.push([step, '  of which file pages (binary, libraries)', undefined, undefined, undefined, mib(peak.fileRss)]);
        if (peak.nodeBinaryRss !== undefined) rows.push([step, '    of which the node binary (at exit)', undefined, undefined, undefined, mib(peak.nodeBinaryRss)]);
        rows.push([step, '  of which anonymous (malloc, stacks, code)', undefined, undefined, undefined, mib(peak.rss - accounted - peak.fileRss)]);
      }
      rows.push([step, 'RSS at the sampled peak', undefined, undefined, undefined, mib(peak.rss)]);
      rows.push([step, 'peak RSS (getrusage)', undefined, undefined, undefined, mib(r.maxRssBytes)]);
      await rm(join(dir, 'restored'), { recursive: true, force: true });
    }
    printTable('memory: where the peak RSS goes, per thread (MiB, sampled every 20 ms)',
      ['step', 'thread', 'V8 heap', 'heap used', 'ArrayBuffers', 'other external / total'], rows,
      ['V8 heap: resident pages of each isolate; ArrayBuffers include garbage not yet collected (and allocated pages not yet touched);',
        'a SharedArrayBuffer counts in every thread holding it (a worker\'s payload slots in the worker and the main thread), so',
        'the threads\' ArrayBuffers overstate and "native" understates by the slots\' size (first backup: up to 4 slots of 4 MiB per worker);',
        'restore\'s range slots are shared WebAssembly memory (page-aligned, for O_DIRECT reads): they count in no thread\'s ArrayBuffers but in',
        '"native" (anonymous), up to 6 slots of 4 MiB as they are touched;',
        '"native" is Node itself, compiled code, OpenSSL, libzstd contexts, thread stacks and the allocator\'s free lists: its file pages',
        '(smaps_rollup: Rss - Anonymous) are code and read-only data of the node binary and libraries, mapped as they are touched']);
  } finally {
    await remove();
  }
}
