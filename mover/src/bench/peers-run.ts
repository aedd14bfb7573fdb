// Run "peers": the side-by-side benchmark against restic, borg and kopia on the shared dataset
// (../shared/bench/peers.sh), with the pinned kopia and restic builds from e2e/tools. It prints its own
// table (medians and cairn's ratios).
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { findTool } from '../../../e2e/support/tools.ts';
import type { BenchArgs } from './bench-args.ts';
import { waitTracked } from './cleanup.ts';
import { projectRoot } from './peer-commands.ts';
import { sharedBenchDir } from './shared-dataset.ts';

export async function peersRun(args: BenchArgs): Promise<void> {
  const peers = join(sharedBenchDir(), 'peers.sh');
  const kopia = findTool('kopia');
  // The anchor is the current restic (pinned in e2e/tools/versions.env, `bash e2e/tools/install.sh restic`);
  // Debian's older restic is used only when the pinned one is not built.
  const restic = findTool('restic');
  const available = ['cairn', 'restic', 'borg', 'kopia'].filter((t) => {
    if (t === 'cairn') return true;
    if (t === 'kopia') return kopia !== undefined;
    if (t === 'restic' && restic !== undefined) return true;
    return spawnSync('sh', ['-c', `command -v ${t}`]).status === 0;
  });
  const chosen = args.tools ?? available.join(' ');
  console.error(`bench peers: ${args.reps} repetition(s) of: ${chosen}${kopia ? ` (kopia ${kopia})` : ''}${restic ? ` (restic ${restic})` : ' (restic from PATH)'}`);
  const child = spawn('bash', [peers, args.reps, chosen], {
    cwd: projectRoot,
    stdio: 'inherit',
    detached: true, // its own process group, so cleanup ends peers.sh and every tool it started
    env: {
      ...process.env,
      ...(args.scale !== 1 ? { SCALE: String(args.scale) } : {}),
      // cairn as users run it: bin/cairn.mjs through its shebang (its Node flags), on the pinned Node 24
      CAIRN: join(projectRoot, 'bin/cairn.mjs'),
      PATH: [...(restic !== undefined ? [dirname(restic)] : []), join(projectRoot, 'node_modules/.bin'), process.env['PATH'] ?? ''].join(':'),
      ...(kopia !== undefined ? { KOPIA: join(projectRoot, 'mover/src/bench/kopia-for-peers.sh'), KOPIA_BIN: kopia } : {}),
    },
  });
  const [code] = await waitTracked(child, 'peers.sh');
  if (code !== 0) throw new Error(`bench peers: peers.sh exited with ${code}`);
}
