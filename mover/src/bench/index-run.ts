// Run "index": what an in-memory committed index of --index-contents (default 10,000,000) contents costs.
// A child builds a repository whose index blobs hold that many entries (10,000 per blob, one pack each) with
// the engine's own index builder and epoch manager; a second, fresh child opens it through the content
// manager's normal path and reports the memory the load added (process.memoryUsage deltas, after forced
// collections), the load time and 1,000,000 random lookups. Target (issue 10): ≤ 64 bytes per entry.
import { join } from 'node:path';
import type { BenchArgs } from './bench-args.ts';
import { scratchDir } from './cleanup.ts';
import type { IndexProbeResult } from './index-probe.ts';
import { PASSWORD, projectRoot } from './peer-commands.ts';
import { printTable } from './summary-table.ts';
import { mustSucceed, timedCommand } from './timed-command.ts';
import { readFileSync } from 'node:fs';

export const ENTRIES_PER_INDEX_BLOB = 10_000;
const LOOKUPS = 1_000_000;
const TARGET_BYTES_PER_ENTRY = 64;

export function scaleChild(...args: string[]): string[] {
  return [join(projectRoot, 'node_modules/.bin/node'), '--expose-gc', join(projectRoot, 'mover/src/bench/scale-child.ts'), ...args];
}

export async function indexRun(args: BenchArgs): Promise<void> {
  const n = args.indexContents;
  const { dir, remove } = await scratchDir('index');
  try {
    const repo = join(dir, 'repo');
    const env = { ...process.env, CAIRN_PASSWORD: PASSWORD };
    console.error(`bench index: writing ${n.toLocaleString('en-US')} index entries in ${Math.ceil(n / ENTRIES_PER_INDEX_BLOB)} index blobs`);
    const gen = mustSucceed('index generator', await timedCommand(scaleChild('gen-index', repo, String(n), String(ENTRIES_PER_INDEX_BLOB)), { env, log: join(dir, 'gen.log') }));
    console.error(`bench index: loading it in a fresh process`);
    const out = join(dir, 'probe.log');
    const probe = mustSucceed('index probe', await timedCommand(scaleChild('probe-index', repo, String(n), String(LOOKUPS)), { env, log: out }));
    const line = readFileSync(out, 'utf8').split('\n').find((l) => l.startsWith('{'));
    if (line === undefined) throw new Error(`index probe printed no result (log: ${out})`);
    const r = JSON.parse(line) as IndexProbeResult;
    if (r.hits !== r.lookups) throw new Error(`index probe: only ${r.hits} of ${r.lookups} lookups found their content`);
    const live = r.heapUsedBytes + r.externalBytes; // external includes arrayBuffers
    const perEntry = (b: number): number => b / r.contents;
    const verdict = (b: number): string => `<= ${TARGET_BYTES_PER_ENTRY} ${perEntry(b) <= TARGET_BYTES_PER_ENTRY ? 'met' : 'MISSED'}`;
    printTable(`index: committed index of ${r.contents.toLocaleString('en-US')} contents loaded through ContentManager.open`,
      ['measure', 'MiB', 'bytes/entry', 'target'],
      [
        ['heap used + external (live)', live / 2 ** 20, perEntry(live), verdict(live)],
        ['  of which external (index bytes, table)', r.externalBytes / 2 ** 20, perEntry(r.externalBytes), ''],
        ['  of which JS heap', r.heapUsedBytes / 2 ** 20, perEntry(r.heapUsedBytes), ''],
        ['RSS growth', r.rssBytes / 2 ** 20, perEntry(r.rssBytes), verdict(r.rssBytes)],
        ['probe peak RSS (whole process)', (probe.maxRssBytes ?? NaN) / 2 ** 20, undefined, ''],
      ],
      [
        `load ${r.loadSeconds.toFixed(2)} s (list, read, decrypt, parse, merge ${Math.ceil(r.contents / ENTRIES_PER_INDEX_BLOB)} index blobs); ` +
          `${r.lookups.toLocaleString('en-US')} random lookups (contentInfo) ${r.lookupNs.toFixed(0)} ns each, all found`,
        `repository built in ${gen.wallSeconds.toFixed(1)} s; deltas of process.memoryUsage() across the load after forced GCs`,
      ]);
  } finally {
    await remove();
  }
}
