// The test-only entry point of the `cairn` CLI: main() with test seams, which bin/cairn.mjs never passes.
// The seams come from this program's own environment variables, which the shipped CLI does not read:
//   CAIRN_E2E_SAFETY=none[,key=value...]   maintenance safety margins (engine/maintenance/safety.ts
//                                          parseSafety), e.g. "none,sessionExpirationAge=96h"; wins over --safety
//   CAIRN_E2E_CRASH_AT=POINT               SIGKILL the process at a maintenance step (crashing-store.ts)
//   CAIRN_E2E_HOLD_PACKS_UNTIL=PATH        hold pack uploads after the first until PATH exists (holding-store.ts)
// e2e/engine/support/cairn-cli.ts runs this file instead of bin/cairn.mjs when a test asks for seams.
// Like bin/cairn.mjs, it turns on Node's compile cache before loading the CLI, so that a test running it
// again and again (maintenance next to a running backup) does not pay for compiling the sources each time.
import module from 'node:module';
import type { TestSeams } from '../../mover/src/cli/command-context.ts';
import type { CrashingStore } from './crashing-store.ts';

module.enableCompileCache?.();
const { main } = await import('../../mover/src/cli/main.ts');
const { parseSafety } = await import('../../mover/src/engine/maintenance/safety.ts');
const { CrashingStore: Crashing, CRASH_POINTS, isCrashPoint } = await import('./crashing-store.ts');
const { HoldingStore } = await import('./holding-store.ts');

const safety = process.env['CAIRN_E2E_SAFETY'];
const crashAt = process.env['CAIRN_E2E_CRASH_AT'];
const holdUntil = process.env['CAIRN_E2E_HOLD_PACKS_UNTIL'];
if (crashAt !== undefined && crashAt !== '' && !isCrashPoint(crashAt)) {
  process.stderr.write(`cairn-test-entry: CAIRN_E2E_CRASH_AT=${crashAt} is not one of ${CRASH_POINTS.join(', ')} or task:<kopia task id>\n`);
  process.exit(2);
}
if (crashAt !== undefined && crashAt !== '' && holdUntil !== undefined && holdUntil !== '') {
  process.stderr.write('cairn-test-entry: CAIRN_E2E_CRASH_AT and CAIRN_E2E_HOLD_PACKS_UNTIL do not go together (each wraps the store)\n');
  process.exit(2);
}
let crashing: CrashingStore | undefined;
const seams: TestSeams = {
  ...(safety !== undefined && safety !== '' ? { maintenanceSafety: parseSafety(safety) } : {}),
  ...(crashAt !== undefined && crashAt !== ''
    ? {
      wrapStore: (store) => (crashing = new Crashing(store, crashAt)),
      onMaintenanceTask: (task) => crashing?.onTask(task),
    }
    : {}),
  ...(holdUntil !== undefined && holdUntil !== '' ? { wrapStore: (store) => new HoldingStore(store, holdUntil) } : {}),
};
process.exitCode = await main(process.argv.slice(2), {
  output: {
    out: (l) => process.stdout.write(`${l}\n`),
    err: (l) => process.stderr.write(`${l}\n`),
    stderrIsTTY: process.stderr.isTTY === true,
  },
  env: process.env,
  seams,
});
