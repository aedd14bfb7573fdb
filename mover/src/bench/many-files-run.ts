// Run "many": first and unchanged backups of a tree of many small files (gen-many-files.ts, default 1,000,000
// with one 100,000-file directory) by cairn, restic and kopia side by side: wall time and peak RSS per tool
// and step, and cairn's ratios. Per-file costs (walk, metadata, index entries) dominate here, not bytes.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchArgs } from './bench-args.ts';
import { scratchDir } from './cleanup.ts';
import { generateManyFiles } from './gen-many-files.ts';
import { availablePeers, makePeer, type PeerName } from './peer-commands.ts';
import { mib, printTable, ratio, type Cell } from './summary-table.ts';
import { mustSucceed, timedCommand, type TimedResult } from './timed-command.ts';
import { warmCache } from './warm-cache.ts';

const STEPS = ['backup1', 'backup2'] as const;
const ORDER: readonly PeerName[] = ['cairn', 'restic', 'kopia'];

export async function manyFilesRun(args: BenchArgs): Promise<void> {
  const { dir, remove } = await scratchDir('many');
  try {
    const src = join(dir, 'src');
    console.error(`bench many: generating ${args.manyFiles} files (${args.bigDirFiles} in one directory) in ${src}`);
    const started = Date.now();
    const tree = await generateManyFiles(src, { count: args.manyFiles, bigDirFiles: args.bigDirFiles }, (n) => console.error(`bench many: ${n} files`));
    console.error(`bench many: generated in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const peers = availablePeers();
    const tools = ORDER.filter((t) => peers.has(t));
    const results = new Map<string, TimedResult>();
    for (const tool of tools) {
      const work = join(dir, tool);
      const repo = join(work, 'repo');
      const peer = makePeer(tool, peers.get(tool)!, work, { kind: 'file', dir: repo });
      for (const [i, cmd] of peer.init.entries()) {
        mustSucceed(`${tool} init`, await timedCommand(cmd, { env: peer.env, log: join(dir, `${tool}-init${i}.log`) }));
      }
      for (const step of STEPS) {
        await warmCache(src);
        console.error(`bench many: ${tool} ${step}`);
        results.set(`${tool}/${step}`, mustSucceed(`${tool} ${step}`,
          await timedCommand(peer.backup(src), { env: peer.env, log: join(dir, `${tool}-${step}.log`) })));
      }
      await rm(work, { recursive: true, force: true }); // the next tool starts with the disk as the first found it
    }
    const get = (tool: PeerName, step: string): TimedResult | undefined => results.get(`${tool}/${step}`);
    const rows: Cell[][] = [];
    for (const step of STEPS) {
      const wall = (t: PeerName): number | undefined => get(t, step)?.wallSeconds;
      const rss = (t: PeerName): number | undefined => mib(get(t, step)?.maxRssBytes);
      rows.push([step, 'wall s', wall('cairn'), wall('restic'), wall('kopia'), ratio(wall('cairn'), wall('restic')), ratio(wall('cairn'), wall('kopia'))]);
      rows.push([step, 'peak RSS MiB', rss('cairn'), rss('restic'), rss('kopia'), ratio(rss('cairn'), rss('restic')), ratio(rss('cairn'), rss('kopia'))]);
    }
    printTable(`many: ${tree.files} small files (${tree.emptyFiles} empty, ${tree.dirs} dirs, ${(tree.bytes / 1e6).toFixed(1)} MB; one directory of ${tree.bigDirFiles})`,
      ['step', 'metric', 'cairn', 'restic', 'kopia', 'cairn/restic', 'cairn/kopia'], rows,
      [
        'backup1 = first snapshot, backup2 = nothing changed; fresh repository per tool, page cache warm before each step',
        'target: peak RSS flat in the size of one directory beyond its listing; ratios for issue 10 (at or below 1.00 is at or below the peer)',
        ...(tools.length < ORDER.length ? [`not installed: ${ORDER.filter((t) => !tools.includes(t)).join(', ')} (bash e2e/tools/install.sh)`] : []),
      ]);
  } finally {
    await remove();
  }
}
