// Acceptance (issue 8, item 2): damaged repositories are CORRUPT (or another documented class), never a
// crash. A small real filesystem repository is copied and damaged (repository-damage.ts: truncated and
// bit-flipped blobs of every kind, forged listings, manifests, index blobs and indirect objects), then the
// CLI's read commands run in-process through main() — and, on the damaged copy, `snapshot create` and full
// maintenance. Every run must: not exit 1 (INTERNAL), exit with a documented code, finish within a time
// limit, print no stack trace (not even in a log record), end any `cairn: error:` with at most a hint line,
// and leave a valid one-line result file whose exit code is the one returned.
//
// CI runs two cases per damage kind from a fixed seed, each with a rotating window of 5 of the 9
// commands (the two windows of a kind cover 8 of them): about 40 s on an idle 2-core machine. A longer
// local run, with more cases and every command on each (about 2 s per case):
//   CAIRN_FUZZ_CASES=600 CAIRN_FUZZ_COMMANDS=9 CAIRN_FUZZ_SEED=7 node_modules/.bin/node node_modules/vitest/vitest.mjs \
//     run --project integration e2e/engine/damaged-repository-fuzz.itest.ts
// A failure names seed, case and damage; CAIRN_FUZZ_ONLY=<case> replays one case.
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../mover/src/cli/main.ts';
import { ERROR_CODES } from '../../mover/src/contract/error-codes.ts';
import { decodeResult } from '../../mover/src/contract/mover-result.ts';
import { seededBytes } from '../fixtures/fixture-tree.ts';
import { DAMAGE_KINDS, damageRepository, Rng } from './support/repository-damage.ts';

const SEED = Number(process.env['CAIRN_FUZZ_SEED'] ?? 20261202);
const CASES = Number(process.env['CAIRN_FUZZ_CASES'] ?? DAMAGE_KINDS.length * 2);
const COMMANDS_PER_CASE = Number(process.env['CAIRN_FUZZ_COMMANDS'] ?? 5);
const ONLY = process.env['CAIRN_FUZZ_ONLY'];
const RUN_TIMEOUT_MS = 60_000;
const PASSWORD = 'fuzz-password';
const DOCUMENTED = new Set<number>(Object.values(ERROR_CODES).map((c) => c.exitCode));

let work: string;
let base: string;
let src: string;
// A rejection nobody handled in time would end a real `cairn` process with a stack trace and exit 1.
let current = 'setup';
const unhandled: string[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(`${current}: unhandled rejection: ${reason instanceof Error ? reason.stack ?? reason.message : String(reason)}`);
};

interface Run {
  readonly code: number;
  readonly out: string[];
  readonly err: string[];
  readonly logs: string[];
}

async function cairn(args: readonly string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const logs: string[] = [];
  const logDestination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(chunk.toString('utf8'));
      cb();
    },
  });
  const io = {
    output: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), stderrIsTTY: false },
    env: { CAIRN_PASSWORD: PASSWORD, CAIRN_USER: 'fuzz', CAIRN_HOSTNAME: 'fuzz', CAIRN_DEBUG: undefined },
    logDestination,
  };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<number>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no result after ${RUN_TIMEOUT_MS} ms (hang)`)), RUN_TIMEOUT_MS);
  });
  try {
    const code = await Promise.race([main(args, io), timeout]);
    return { code, out, err, logs };
  } finally {
    clearTimeout(timer);
  }
}

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  work = await mkdtemp(join(tmpdir(), 'cairn-e2e-fuzz-'));
  src = join(work, 'src');
  await mkdir(join(src, 'docs', 'deep', 'er'), { recursive: true });
  await mkdir(join(src, 'empty'));
  await writeFile(join(src, 'a.txt'), 'alpha\n');
  await writeFile(join(src, 'docs', 'b.bin'), seededBytes('fuzz', 'b', 150_000));
  await writeFile(join(src, 'docs', 'deep', 'er', 'c.txt'), 'deep file\n');
  await writeFile(join(src, 'big.bin'), seededBytes('fuzz', 'big', 3_500_000)); // several chunks: an indirect object
  await symlink('a.txt', join(src, 'link'));
  base = join(work, 'base');
  const repo = ['--repo', `file://${base}`];
  for (const args of [['repository', 'create'], ['snapshot', 'create', src], ['policy', 'set', '--global', '--keep-latest', '5'],
    ['maintenance', 'run']]) {
    const r = await cairn([...args, ...repo]);
    if (r.code !== 0) throw new Error(`${args.join(' ')}: exit ${r.code}: ${r.err.join('\n')}`);
  }
  await writeFile(join(src, 'a.txt'), 'alpha, changed\n');
  const r = await cairn(['snapshot', 'create', src, ...repo]);
  if (r.code !== 0) throw new Error(`second snapshot: exit ${r.code}: ${r.err.join('\n')}`);
});

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

/** What is wrong with one run ([] when it behaved). */
async function judge(run: Run, resultFile: string): Promise<string[]> {
  const bad: string[] = [];
  const err = run.err.flatMap((l) => l.split('\n'));
  if (run.code === ERROR_CODES.INTERNAL.exitCode) bad.push('exit 1 (INTERNAL)');
  if (!DOCUMENTED.has(run.code)) bad.push(`undocumented exit ${run.code}`);
  const stack = /^\s+at .+[:(]/m;
  if (err.some((l) => stack.test(l))) bad.push('stack trace on stderr');
  if (run.logs.some((l) => /\\n\s+at /.test(l))) bad.push('stack trace in a log record');
  const i = err.findIndex((l) => l.startsWith('cairn: error: '));
  if (i >= 0) {
    const rest = err.slice(i + 1);
    if (rest.length > 1 || (rest.length === 1 && !rest[0]!.startsWith('  hint: '))) bad.push('the error is more than one line and a hint');
  } else if (run.code !== 0 && run.code !== ERROR_CODES.PARTIAL.exitCode && !err.some((l) => l.startsWith('ERROR '))) {
    bad.push('failed without saying why on stderr');
  }
  const text = await readFile(resultFile, 'utf8').catch(() => '');
  if (text === '') bad.push('empty result file');
  else {
    try {
      const r = decodeResult(text);
      if (r.exitCode !== run.code) bad.push(`result file says exit ${r.exitCode}`);
      if (!text.endsWith('\n') || text.slice(0, -1).includes('\n')) bad.push('result file is not one line');
    } catch (e) {
      bad.push(`invalid result file: ${(e as Error).message}`);
    }
  }
  return bad;
}

describe('the CLI on damaged repositories', () => {
  it(`never crashes, hangs or prints a stack trace (seed ${SEED}, ${CASES} cases, ${COMMANDS_PER_CASE} commands each)`, async () => {
    const failures: string[] = [];
    const exits = new Map<string, number>();
    for (let n = 0; n < CASES; n++) {
      if (ONLY !== undefined && String(n) !== ONLY) continue;
      const rng = new Rng(SEED * 1_000_003 + n);
      const kind = DAMAGE_KINDS[n % DAMAGE_KINDS.length]!;
      const dir = join(work, `case-${n}`);
      const repoDir = join(dir, 'repo');
      await cp(base, repoDir, { recursive: true });
      const damage = await damageRepository(repoDir, kind, rng, PASSWORD);
      const repo = ['--repo', `file://${repoDir}`];
      const commands: string[][] = [
        ['snapshot', 'list'], ['repository', 'status'], ['snapshot', 'verify', '--read-data-percent', '100'], ['repository', 'check'],
        ['snapshot', 'restore', 'latest', join(dir, 'restored')], ['policy', 'show', '--global'], ['index', 'recover'],
        ['snapshot', 'create', src], ['maintenance', 'run', '--full', '--safety=none'],
      ];
      // a rotating window of the commands, in list order (the two that write come last)
      const k = Math.min(COMMANDS_PER_CASE, commands.length);
      const chosen = [...new Set(Array.from({ length: k }, (_, j) => (n * k + j) % commands.length))].sort((a, b) => a - b);
      for (const c of chosen) {
        const args = commands[c]!;
        const resultFile = join(dir, `result-${c}.json`);
        let bad: string[];
        let run: Run | undefined;
        current = `seed ${SEED} case ${n} (${damage.kind}: ${damage.what}) cairn ${args.join(' ')}`;
        try {
          run = await cairn([...args, ...repo, '--result-file', resultFile]);
          bad = await judge(run, resultFile);
        } catch (e) {
          bad = [(e as Error).message];
        }
        const key = `${args.slice(0, 2).join(' ')} -> ${run?.code ?? 'hang'}`;
        exits.set(key, (exits.get(key) ?? 0) + 1);
        if (bad.length > 0) {
          failures.push(`seed ${SEED} case ${n} (${damage.kind}: ${damage.what}) cairn ${args.join(' ')}: ${bad.join('; ')}\n` +
            `  stderr: ${(run?.err ?? []).join('\n          ').slice(0, 1500)}\n  logs: ${(run?.logs ?? []).join('').slice(0, 600)}`);
        }
      }
      await rm(dir, { recursive: true, force: true });
    }
    console.log([...exits.entries()].sort().map(([k, v]) => `${k}: ${v}`).join('\n'));
    expect([...failures, ...unhandled]).toEqual([]);
  });
});
