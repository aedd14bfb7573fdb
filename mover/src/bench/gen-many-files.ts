// Deterministic tree of many small files for the "many" bench run (default 1,000,000):
//   big/fNNNNNN         one directory with `bigDirFiles` files (default min(100,000, count/10)): memory must not
//                       grow with one directory's size beyond its listing
//   tree/aNN/dNNNN/fNNN the rest, 1,000 files per directory, 30 directories per parent
// Contents are small and seeded: about 40% empty, the rest 1 B - 4 KiB of text naming the file.
//
//   node mover/src/bench/gen-many-files.ts --out DIR [--count N] [--big-dir-files N] [--seed S]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { mulberry32 } from '../engine/object/test-support/split-all.ts';

export interface ManyFilesOptions {
  readonly count: number;
  readonly bigDirFiles?: number;
  readonly seed?: number;
}

export interface ManyFilesTree {
  readonly files: number;
  readonly emptyFiles: number;
  readonly dirs: number;
  readonly bytes: number;
  readonly bigDirFiles: number;
}

const PER_DIR = 1000;
const DIRS_PER_PARENT = 30;


/** Writes the tree; yields to the event loop every few thousand files so a signal's cleanup can run. */
export async function generateManyFiles(out: string, options: ManyFilesOptions, progress?: (done: number) => void): Promise<ManyFilesTree> {
  const count = options.count;
  const bigDirFiles = Math.min(count, options.bigDirFiles ?? Math.min(100_000, Math.floor(count / 10)));
  const rand = mulberry32(options.seed ?? 1);
  let emptyFiles = 0;
  let bytes = 0;
  let dirs = 1;
  const write = async (path: string, i: number): Promise<void> => {
    const r = rand();
    let body = '';
    if (r < 0.4) emptyFiles++;
    else {
      // sizes skewed small: 1 B .. 4 KiB
      const size = Math.max(1, Math.floor(4096 * rand() ** 3));
      const line = `file ${i} of the many-files tree\n`;
      body = line.repeat(Math.ceil(size / line.length)).slice(0, size);
      bytes += size;
    }
    writeFileSync(path, body, { flag: 'wx' });
    if (progress !== undefined && (i + 1) % 100_000 === 0) progress(i + 1);
    if (i % 5000 === 0) await new Promise(setImmediate);
  };
  mkdirSync(out, { recursive: true });
  if (bigDirFiles > 0) {
    const big = join(out, 'big');
    mkdirSync(big);
    dirs++;
    for (let i = 0; i < bigDirFiles; i++) await write(join(big, `f${String(i).padStart(6, '0')}`), i);
  }
  let dir = '';
  for (let i = bigDirFiles, k = 0; i < count; i++, k++) {
    if (k % PER_DIR === 0) {
      const d = k / PER_DIR;
      const parent = join(out, 'tree', `a${String(Math.floor(d / DIRS_PER_PARENT)).padStart(2, '0')}`);
      dir = join(parent, `d${String(d).padStart(4, '0')}`);
      if (d % DIRS_PER_PARENT === 0) dirs += d === 0 ? 2 : 1;
      mkdirSync(dir, { recursive: true });
      dirs++;
    }
    await write(join(dir, `f${String(k % PER_DIR).padStart(3, '0')}`), i);
  }
  return { files: count, emptyFiles, dirs, bytes, bigDirFiles };
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: { out: { type: 'string' }, count: { type: 'string', default: '1000000' }, 'big-dir-files': { type: 'string' }, seed: { type: 'string', default: '1' } },
  });
  if (values.out === undefined) {
    console.error('usage: node mover/src/bench/gen-many-files.ts --out DIR [--count N] [--big-dir-files N] [--seed S]');
    process.exit(2);
  }
  const tree = await generateManyFiles(values.out, {
    count: Number(values.count),
    seed: Number(values.seed),
    ...(values['big-dir-files'] === undefined ? {} : { bigDirFiles: Number(values['big-dir-files']) }),
  }, (n) => console.error(`${n} files`));
  console.log(JSON.stringify(tree));
}
