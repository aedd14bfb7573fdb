// Run "gc": full maintenance of a repository with --gc-contents (default 10,000,000) contents. A child
// writes them through the engine (32-byte distinct payloads, uncompressed, real packs and index blobs);
// 90% are referenced by one snapshot of a few huge indirect files, 10% are garbage. Then the real CLI runs
// `cairn maintenance run --full --safety=none` (nothing else uses the repository, so GC deletes now) inside
// a memory cgroup limited to --gc-memory-limit (default 1 GiB, the target of issue 10). Reports completed or
// OOM-killed, wall time, the peaks and how many contents GC deleted (must be the unreferenced 10%).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchArgs } from './bench-args.ts';
import { formatBytes } from './byte-size.ts';
import { assertNotStopping, scratchDir } from './cleanup.ts';
import { scaleChild } from './index-run.ts';
import { createMemoryCgroup, memoryCgroupUnavailable, type MemoryCgroup } from './memory-cgroup.ts';
import { PASSWORD, projectRoot } from './peer-commands.ts';
import { mib, printTable } from './summary-table.ts';
import { logTail, mustSucceed, timedCommand } from './timed-command.ts';

const REFERENCED_SHARE = 0.9;
const FILES = 4;

export async function gcRun(args: BenchArgs): Promise<void> {
  const n = args.gcContents;
  const title = `gc: cairn maintenance run --full of a repository with ${n.toLocaleString('en-US')} contents`;
  const { dir, remove } = await scratchDir('gc');
  let cg: MemoryCgroup | undefined;
  try {
    const repo = join(dir, 'repo');
    const env = { ...process.env, CAIRN_PASSWORD: PASSWORD, CAIRN_CACHE_DIR: join(dir, 'cache') };
    const referenced = Math.floor(n * REFERENCED_SHARE);
    console.error(`bench gc: writing ${n.toLocaleString('en-US')} contents (${referenced.toLocaleString('en-US')} referenced by one snapshot)`);
    const gen = mustSucceed('gc repository generator', await timedCommand(scaleChild('gen-gc', repo, String(n), String(referenced), String(FILES)), { env, log: join(dir, 'gen.log') }));
    const why = memoryCgroupUnavailable();
    let cgNote = `no memory cgroup (${why ?? ''}): peak RSS only, no limit`;
    if (why === undefined) {
      try {
        cg = await createMemoryCgroup(`cairn-bench-gc-${process.pid}`, args.gcMemoryLimit);
        cgNote = `cgroup v${cg.version}, limit ${formatBytes(args.gcMemoryLimit)}, swap ${cg.swapLimited ? 'limited to the same' : 'not limitable'}`;
      } catch (e) {
        cgNote = `cannot create a memory cgroup (${e instanceof Error ? e.message : String(e)}): peak RSS only, no limit`;
      }
    }
    const cairn = [join(projectRoot, 'node_modules/.bin/node'), join(projectRoot, 'bin/cairn.mjs')];
    const maintenance = [...cairn, 'maintenance', 'run', '--full', '--safety=none', '--json', '--repo', `file://${repo}`];
    console.error(`bench gc: ${maintenance.slice(2).join(' ')}${cg === undefined ? '' : ` in ${cg.path}`}`);
    const log = join(dir, 'maintenance.log');
    const r = await timedCommand(maintenance, { env, log, ...(cg === undefined ? {} : { prefix: cg.prefix }) });
    assertNotStopping();
    const usage = cg?.usage();
    const killed = usage?.oomKills !== undefined ? usage.oomKills > 0 : r.signal === 'SIGKILL';
    const outcome = r.ok ? 'completed' : killed ? 'OOM-killed' : `failed (exit ${r.exitCode ?? r.signal})`;
    if (!r.ok && !killed) console.error(`bench gc: cairn failed:\n${logTail(r.log)}`);
    const deleted = r.ok ? deletedContents(log) : undefined;
    const within = usage?.peakBytes !== undefined ? usage.peakBytes <= args.gcMemoryLimit : (r.maxRssBytes ?? Infinity) <= args.gcMemoryLimit;
    printTable(title,
      ['step', 'outcome', 'wall s', 'cgroup peak MiB', 'peak RSS MiB', 'contents deleted', 'target'],
      [
        ['write the repository (engine, in-process)', 'completed', gen.wallSeconds, undefined, mib(gen.maxRssBytes), undefined, ''],
        ['cairn maintenance run --full --safety=none', outcome, r.wallSeconds, mib(usage?.peakBytes), mib(r.maxRssBytes),
          deleted?.toLocaleString('en-US'), `completes in ${formatBytes(args.gcMemoryLimit)} ${r.ok && within ? 'met' : 'MISSED'}`],
      ],
      [
        `${referenced.toLocaleString('en-US')} contents referenced by ${FILES} indirect files of one snapshot, ${(n - referenced).toLocaleString('en-US')} unreferenced (expected deleted)`,
        cgNote,
      ]);
    if (r.ok && deleted !== undefined && deleted !== n - referenced) {
      throw new Error(`maintenance deleted ${deleted} contents, expected ${n - referenced} (log: ${log})`);
    }
  } finally {
    await cg?.remove();
    await remove();
  }
}

/** deletedContentCount of snapshot GC: its task log line and the --json report both carry it. */
function deletedContents(log: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(log, 'utf8');
  } catch {
    return undefined;
  }
  const m = /"deletedContentCount":(\d+)/.exec(text);
  return m === null ? undefined : Number(m[1]);
}
