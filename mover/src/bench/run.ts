// `npm run bench [-- REPS [TOOLS]]`: the side-by-side benchmark against restic, borg and kopia on the
// shared dataset (../shared/bench/peers.sh), with the pinned kopia build from e2e/tools. Speed and memory
// targets live here as ratios measured in the same run, never in timed tests.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findTool } from '../../../e2e/support/tools.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const peers = resolve(root, process.env['CAIRN_BENCH_DIR'] ?? '../shared/bench', 'peers.sh');
if (!existsSync(peers)) {
  console.error(`bench: ${peers} not found; set CAIRN_BENCH_DIR to the folder holding peers.sh`);
  process.exit(2);
}
const [reps = '3', tools] = process.argv.slice(2);
const kopia = findTool('kopia');
// The anchor is the current restic (pinned in e2e/tools/versions.env, `bash e2e/tools/install.sh restic`);
// Debian's older restic is used only when the pinned one is not built.
const restic = findTool('restic');
const available = ['cairn', 'restic', 'borg', 'kopia'].filter((t) => {
  if (t === 'cairn') return true;
  if (t === 'kopia') return kopia !== undefined;
  return spawnSync('sh', ['-c', `command -v ${t}`]).status === 0;
});
const chosen = tools ?? available.join(' ');
console.error(`bench: ${reps} repetition(s) of: ${chosen}${kopia ? ` (kopia ${kopia})` : ''}${restic ? ` (restic ${restic})` : ' (restic from PATH)'}`);
const r = spawnSync('bash', [peers, reps, chosen], {
  cwd: root,
  stdio: 'inherit',
  env: {
    ...process.env,
    CAIRN: `${join(root, 'node_modules/.bin/node')} ${join(root, 'bin/cairn.mjs')}`,
    ...(restic !== undefined ? { PATH: `${dirname(restic)}:${process.env['PATH'] ?? ''}` } : {}),
    ...(kopia !== undefined ? { KOPIA: join(root, 'mover/src/bench/kopia-for-peers.sh'), KOPIA_BIN: kopia } : {}),
  },
});
process.exit(r.status ?? 1);
