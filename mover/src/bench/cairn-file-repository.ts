// The cairn side of the single-tool bench runs (cgroup, memory, incompressible): cairn through its shebang
// with a new filesystem repository under the run's scratch directory.
import { join } from 'node:path';
import { availablePeers, makePeer, type Peer } from './peer-commands.ts';
import { mustSucceed, timedCommand } from './timed-command.ts';

/** cairn with a repository created at `<dir>/repo` (its create logs in `<dir>/init<N>.log`). */
export async function cairnWithFileRepository(dir: string): Promise<Peer> {
  const cairn = makePeer('cairn', availablePeers().get('cairn')!, dir, { kind: 'file', dir: join(dir, 'repo') });
  for (const [i, cmd] of cairn.init.entries()) {
    mustSucceed('cairn repository create', await timedCommand(cmd, { env: cairn.env, log: join(dir, `init${i}.log`) }));
  }
  return cairn;
}
