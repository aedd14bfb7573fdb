// Command line of `npm run bench`: which runs to do and how big. Positionals keep the old form
// (`npm run bench -- REPS "TOOLS"`, passed to the peers run); everything else is a flag (util.parseArgs).
import { parseArgs } from 'node:util';
import { parseByteSize } from './byte-size.ts';

export const RUN_NAMES = ['peers', 'cgroup', 'many', 's3', 'incompressible', 'cache', 'memory', 'index', 'gc'] as const;
export type RunName = (typeof RUN_NAMES)[number];

export interface BenchArgs {
  readonly runs: readonly RunName[];
  readonly reps: string;
  readonly tools: string | undefined;
  /** Scale of the shared dataset (gen-dataset.mjs --scale) for the cgroup and s3 runs. */
  readonly scale: number;
  readonly manyFiles: number;
  /** Files in the one big directory of the many-files tree. */
  readonly bigDirFiles: number;
  readonly bigBytes: number;
  readonly memoryLimit: number;
  /** Snapshots in the repository of the cache run. */
  readonly cacheSnapshots: number;
  /** Contents in the committed index of the index run. */
  readonly indexContents: number;
  /** Contents in the repository of the gc run. */
  readonly gcContents: number;
  /** Memory cgroup limit of the gc run's maintenance. */
  readonly gcMemoryLimit: number;
  readonly smoke: boolean;
}

export const USAGE = `usage: npm run bench -- [REPS ["TOOLS"]] [--runs ${RUN_NAMES.join(',')}] [--smoke]
       [--scale F] [--many-files N] [--big-dir-files N] [--big-bytes SIZE] [--memory-limit SIZE] [--cache-snapshots N]
       [--index-contents N] [--gc-contents N] [--gc-memory-limit SIZE]
  REPS, TOOLS     repetitions and tools of the peers run (default 3, every installed tool)
  --runs LIST     comma-separated runs (default: all)
  --smoke         small sizes for a quick check (scale 0.05, 20,000 files, 64 MiB big data, 500 snapshots, 200,000 contents)
  --scale F       shared dataset scale for the cgroup and s3 runs (default 1 = 1.07 GB)
  --many-files N  files in the many-files tree (default 1,000,000)
  --big-dir-files N  files in its single big directory (default min(100,000, N/10))
  --big-bytes SIZE   random data for the s3 restore and incompressible runs (default 2GiB)
  --memory-limit SIZE  memory cgroup limit of the cgroup run (default 256MiB)
  --cache-snapshots N  snapshots in the repository of the cache run (default 10,000)
  --index-contents N   contents in the index run's committed index (default 10,000,000)
  --gc-contents N      contents in the gc run's repository, 90% referenced (default 10,000,000)
  --gc-memory-limit SIZE  memory cgroup limit of the gc run's maintenance (default 1GiB)`;

export class BenchUsageError extends Error {}

function positiveInt(name: string, text: string): number {
  const n = Number(text.replace(/[_,]/g, ''));
  if (!Number.isSafeInteger(n) || n <= 0) throw new BenchUsageError(`--${name}: "${text}" is not a positive whole number`);
  return n;
}

export function parseBenchArgs(argv: readonly string[]): BenchArgs | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        runs: { type: 'string' },
        smoke: { type: 'boolean', default: false },
        scale: { type: 'string' },
        'many-files': { type: 'string' },
        'big-dir-files': { type: 'string' },
        'big-bytes': { type: 'string' },
        'memory-limit': { type: 'string' },
        'cache-snapshots': { type: 'string' },
        'index-contents': { type: 'string' },
        'gc-contents': { type: 'string' },
        'gc-memory-limit': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    throw new BenchUsageError(e instanceof Error ? e.message : String(e));
  }
  const v = parsed.values;
  if (v.help === true) return 'help';
  const smoke = v.smoke === true;
  const runs = (v.runs ?? RUN_NAMES.join(',')).split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const r of runs) {
    if (!(RUN_NAMES as readonly string[]).includes(r)) {
      throw new BenchUsageError(`--runs: unknown run "${r}"; choose from ${RUN_NAMES.join(',')}`);
    }
  }
  const scale = Number(v.scale ?? (smoke ? '0.05' : '1'));
  if (!(scale > 0)) throw new BenchUsageError(`--scale: "${v.scale}" is not a positive number`);
  const manyFiles = positiveInt('many-files', v['many-files'] ?? (smoke ? '20000' : '1000000'));
  const bigDirFiles = v['big-dir-files'] === undefined
    ? Math.min(100_000, Math.floor(manyFiles / 10))
    : positiveInt('big-dir-files', v['big-dir-files']);
  if (bigDirFiles > manyFiles) throw new BenchUsageError('--big-dir-files: must not exceed --many-files');
  const [reps = '3', tools] = parsed.positionals;
  if (!/^[1-9]\d*$/.test(reps)) throw new BenchUsageError(`REPS: "${reps}" is not a positive whole number`);
  return {
    runs: runs as RunName[],
    reps,
    tools,
    scale,
    manyFiles,
    bigDirFiles,
    bigBytes: parseByteSize('big-bytes', v['big-bytes'] ?? (smoke ? '64MiB' : '2GiB')),
    memoryLimit: parseByteSize('memory-limit', v['memory-limit'] ?? '256MiB'),
    cacheSnapshots: positiveInt('cache-snapshots', v['cache-snapshots'] ?? (smoke ? '500' : '10000')),
    indexContents: positiveInt('index-contents', v['index-contents'] ?? (smoke ? '200000' : '10000000')),
    gcContents: positiveInt('gc-contents', v['gc-contents'] ?? (smoke ? '200000' : '10000000')),
    gcMemoryLimit: parseByteSize('gc-memory-limit', v['gc-memory-limit'] ?? '1GiB'),
    smoke,
  };
}
