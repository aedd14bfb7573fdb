// Runs the real `cairn` CLI (bin/cairn.mjs under the pinned Node 24) as a child process, the way a user or a
// mover Job does: cwd = repository root, a minimal environment (no AWS variables leak in from the test
// runner), optionally as another uid. Plus the helpers the acceptance tests share to read its output.
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { diagnoseHang, hangReportOptions } from '../../support/hang-report.ts';
import { sharedTmpDir } from '../../support/shared-tmp-dir.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const NODE = join(REPO_ROOT, 'node_modules', '.bin', 'node');
export const CAIRN_BIN = join(REPO_ROOT, 'bin', 'cairn.mjs');
/** main() with test seams (shortened maintenance margins, crash points); never the shipped CLI. */
export const CAIRN_TEST_ENTRY = join(REPO_ROOT, 'e2e', 'support', 'cairn-test-entry.ts');
export const TEST_PASSWORD = 'cairn-e2e-password-Ω-1';

export interface CairnRunOptions {
  /** Extra environment; a value of undefined removes the variable. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** CAIRN_PASSWORD (default TEST_PASSWORD; null = unset). */
  readonly password?: string | null;
  readonly uid?: number;
  readonly gid?: number;
  /** Kill the CLI after this long (default 300 s). */
  readonly timeoutMs?: number;
  /**
   * Test seams: run the test-only entry point (e2e/support/cairn-test-entry.ts) instead of bin/cairn.mjs,
   * with maintenance safety margins (`none[,key=value…]`), a maintenance crash point, or a gate file that pack
   * uploads after the first wait for.
   */
  readonly seams?: { readonly safety?: string; readonly crashAt?: string; readonly holdPacksUntil?: string };
  /**
   * Run bin/cairn.mjs itself, as `cairn` in the image is run: through its shebang, with the V8 heap flags it
   * names (`node bin/cairn.mjs`, the default here, runs it without them).
   */
  readonly shebang?: boolean;
}

export interface CairnRun {
  readonly args: readonly string[];
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly durationMs: number;
  /** Set when the run was killed at its timeout: what it was doing (e2e/support/hang-report.ts). */
  readonly hang?: string;
}

/** A HOME every uid may use (the CLI must not need one, but the AWS SDK looks there for ~/.aws). */
function homeDir(): string {
  return sharedTmpDir('cairn-e2e-home');
}

export function runCairn(args: readonly string[], options: CairnRunOptions = {}): Promise<CairnRun> {
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: homeDir(),
    TMPDIR: tmpdir(),
    LANG: 'C.UTF-8',
    NODE_OPTIONS: hangReportOptions(),
  };
  const password = options.password === undefined ? TEST_PASSWORD : options.password;
  if (password !== null) env['CAIRN_PASSWORD'] = password;
  for (const [k, v] of Object.entries(options.env ?? {})) {
    if (v === undefined) Reflect.deleteProperty(env, k);
    else env[k] = v;
  }
  if (options.seams?.safety !== undefined) env['CAIRN_E2E_SAFETY'] = options.seams.safety;
  if (options.seams?.crashAt !== undefined) env['CAIRN_E2E_CRASH_AT'] = options.seams.crashAt;
  if (options.seams?.holdPacksUntil !== undefined) env['CAIRN_E2E_HOLD_PACKS_UNTIL'] = options.seams.holdPacksUntil;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    if (options.shebang === true) env['PATH'] = `${dirname(NODE)}:${env['PATH']}`; // its `env node` finds the pinned Node
    const [command, argv] = options.shebang === true
      ? [CAIRN_BIN, args]
      : [NODE, [options.seams === undefined ? CAIRN_BIN : CAIRN_TEST_ENTRY, ...args]];
    const child = spawn(command, argv, {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.uid === undefined ? {} : { uid: options.uid }),
      ...(options.gid === undefined ? {} : { gid: options.gid }),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    let hang: string | undefined;
    const timer = setTimeout(() => {
      const pid = child.pid;
      const diagnosis = pid === undefined ? Promise.resolve('no pid') : diagnoseHang(pid, (s) => child.kill(s));
      void diagnosis.then((d) => { hang = d; }, (e: unknown) => { hang = `no diagnosis: ${String(e)}`; }).finally(() => child.kill('SIGKILL'));
    }, options.timeoutMs ?? 300_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      resolve({
        args, exitCode, signal, durationMs: Date.now() - started,
        stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'),
        ...(hang === undefined ? {} : { hang }),
      });
    });
  });
}

/** A readable account of a run for assertion messages. */
export function describeRun(r: CairnRun): string {
  return `cairn ${r.args.join(' ')} -> exit ${r.exitCode ?? r.signal} after ${r.durationMs} ms\n` +
    `stdout: ${r.stdout.slice(-2000)}\nstderr: ${r.stderr.slice(-4000)}` + (r.hang === undefined ? '' : `\nhung: ${r.hang}`);
}

/** runCairn, throwing unless the CLI exits with `expectedExit` (default 0). */
export async function cairnOk(args: readonly string[], options: CairnRunOptions = {}, expectedExit = 0): Promise<CairnRun> {
  const r = await runCairn(args, options);
  if (r.exitCode !== expectedExit) throw new Error(`expected exit ${expectedExit}: ${describeRun(r)}`);
  return r;
}

/** cairnOk with --json, parsing the JSON document on stdout. */
export async function cairnJson<T>(args: readonly string[], options: CairnRunOptions = {}, expectedExit = 0): Promise<T> {
  const r = await cairnOk([...args, '--json'], options, expectedExit);
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`stdout is not one JSON document: ${describeRun(r)}`);
  }
}

/** Whether a stderr line is one of pino's structured JSON log records. */
export function isLogRecord(line: string): boolean {
  if (!line.startsWith('{')) return false;
  try {
    const o = JSON.parse(line) as Record<string, unknown>;
    return typeof o['level'] === 'number' && typeof o['msg'] === 'string';
  } catch {
    return false;
  }
}

/** The stderr lines meant for people: everything but structured log records and blank lines. */
export function humanStderr(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.trim() !== '' && !isLogRecord(l));
}

/** Structured log records on stderr. */
export function logRecords(stderr: string): Record<string, unknown>[] {
  return stderr.split('\n').filter(isLogRecord).map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** JSON document(s) the CLI printed on stdout, one per line. */
export function stdoutJsonLines(stdout: string): Record<string, unknown>[] {
  return stdout.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Snapshot entry of `cairn snapshot list --json`. */
export interface ListedSnapshot {
  readonly id: string;
  readonly source: string;
  readonly startTime: string;
  readonly endTime: string;
  readonly files: number;
  readonly dirs: number;
  readonly bytes: number;
  readonly errors: number;
  readonly rootObject: string;
  readonly incomplete: string;
  readonly tags?: Record<string, string>;
}

/** `cairn snapshot create --json` output. */
export interface CreatedSnapshot {
  readonly snapshot: {
    readonly id: string;
    readonly source: string;
    readonly files: number;
    readonly dirs: number;
    readonly bytes: number;
    readonly bytesRead: number;
    readonly bytesUploaded: number;
    readonly partial: boolean;
    readonly skipped: readonly string[];
    readonly skippedCount: number;
  };
  readonly progress: {
    readonly files: number;
    readonly cachedFiles: number;
    readonly hashedFiles: number;
    readonly bytesRead: number;
    readonly bytesNew: number;
    readonly bytesUploaded: number;
    readonly errors: number;
  };
  readonly failures: readonly { readonly path: string; readonly errno: string; readonly message: string }[];
}

/** S3 credentials as the CLI takes them from the standard AWS environment variables. */
export function awsEnv(c: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string }): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: c.accessKeyId,
    AWS_SECRET_ACCESS_KEY: c.secretAccessKey,
    ...(c.sessionToken === undefined ? {} : { AWS_SESSION_TOKEN: c.sessionToken }),
  };
}
