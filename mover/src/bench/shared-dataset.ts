// The shared benchmark dataset (../shared/bench/gen-dataset.mjs: 1.07 GB / 20,203 files at scale 1), the
// same one the peers run uses, generated into a scratch dir for the cgroup and s3 runs.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { projectRoot } from './peer-commands.ts';
import { mustSucceed, timedCommand } from './timed-command.ts';

/** The folder holding peers.sh and gen-dataset.mjs: $CAIRN_BENCH_DIR, else ../shared/bench. */
export function sharedBenchDir(): string {
  const dir = resolve(projectRoot, process.env['CAIRN_BENCH_DIR'] ?? '../shared/bench');
  if (!existsSync(join(dir, 'peers.sh'))) {
    throw new Error(`bench: ${join(dir, 'peers.sh')} not found; set CAIRN_BENCH_DIR to the folder holding peers.sh`);
  }
  return dir;
}

export async function generateSharedDataset(out: string, scale: number, log: string): Promise<void> {
  const gen = join(sharedBenchDir(), 'gen-dataset.mjs');
  mustSucceed('gen-dataset.mjs', await timedCommand([process.execPath, gen, '--out', out, '--scale', String(scale)], { log }));
}
