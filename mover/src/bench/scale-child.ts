// The child processes of the "index" and "gc" bench runs (a fresh process each, so the figures are its own):
//   node scale-child.ts gen-index REPO N PER_BLOB     build the index run's repository
//   node scale-child.ts gen-gc REPO N REFERENCED FILES  build the gc run's repository
//   node --expose-gc scale-child.ts probe-index REPO N LOOKUPS   measure; prints one JSON line
// The password comes from CAIRN_PASSWORD, as for the CLI.
import { probeIndex } from './index-probe.ts';
import { buildGcRepo, buildIndexRepo } from './scale-repo.ts';

const [cmd, repo, ...rest] = process.argv.slice(2);
const password = process.env['CAIRN_PASSWORD'] ?? '';
const nums = rest.map(Number);
if (repo === undefined || password === '' || nums.some((x) => !Number.isSafeInteger(x) || x <= 0)) {
  process.stderr.write('usage: scale-child.ts gen-index|gen-gc|probe-index REPO NUMBERS... (CAIRN_PASSWORD set)\n');
  process.exit(2);
}
if (cmd === 'gen-index') await buildIndexRepo(repo, password, nums[0]!, nums[1]!);
else if (cmd === 'gen-gc') await buildGcRepo(repo, password, nums[0]!, nums[1]!, nums[2]!);
else if (cmd === 'probe-index') process.stdout.write(`${JSON.stringify(await probeIndex(repo, password, nums[0]!, nums[1]!))}\n`);
else {
  process.stderr.write(`scale-child.ts: unknown command ${cmd ?? ''}\n`);
  process.exit(2);
}
