// `npm run bench [-- REPS ["TOOLS"]] [--runs peers,cgroup,many,s3,incompressible,cache,memory,index,gc] [--smoke] [sizes]`:
// the speed and memory figures of issue 10, each run printing one table with its targets beside the numbers.
// Targets live here as ratios measured in the same run, never in timed tests. Every scratch dir, process,
// MinIO server and cgroup a run starts is undone on the way out, also on failure and on signals.
import { BenchUsageError, parseBenchArgs, USAGE, type BenchArgs, type RunName } from './bench-args.ts';
import { cacheRun } from './cache-run.ts';
import { cgroupRun } from './cgroup-run.ts';
import { gcRun } from './gc-run.ts';
import { cleanupAll, cleanupOnSignals, exitCodeIfStopping } from './cleanup.ts';
import { incompressibleRun } from './incompressible-run.ts';
import { indexRun } from './index-run.ts';
import { manyFilesRun } from './many-files-run.ts';
import { memoryRun } from './memory-run.ts';
import { peersRun } from './peers-run.ts';
import { s3Run } from './s3-run.ts';

const RUNS: Record<RunName, (args: BenchArgs) => Promise<void>> = {
  peers: peersRun,
  cgroup: cgroupRun,
  many: manyFilesRun,
  s3: s3Run,
  incompressible: incompressibleRun,
  cache: cacheRun,
  memory: memoryRun,
  index: indexRun,
  gc: gcRun,
};

let args;
try {
  args = parseBenchArgs(process.argv.slice(2));
} catch (e) {
  console.error(`bench: ${e instanceof BenchUsageError || e instanceof Error ? e.message : String(e)}\n${USAGE}`);
  process.exit(2);
}
if (args === 'help') {
  console.log(USAGE);
  process.exit(0);
}
cleanupOnSignals();
const failed: string[] = [];
for (const name of args.runs) {
  const started = Date.now();
  try {
    await RUNS[name](args);
  } catch (e) {
    failed.push(name);
    console.error(`bench ${name}: FAILED: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    await cleanupAll();
  }
  const stopCode = exitCodeIfStopping();
  if (stopCode !== undefined) process.exit(stopCode); // a signal: cleanup is complete, report nothing more
  console.error(`bench ${name}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
if (failed.length > 0) {
  console.error(`bench: failed runs: ${failed.join(', ')}`);
  process.exit(1);
}
