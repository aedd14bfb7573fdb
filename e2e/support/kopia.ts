// Runs the real kopia CLI in isolation: its own config file, cache and log directories and HOME under a
// temp directory, the password through KOPIA_PASSWORD, update checks off. Used as the interop oracle:
// kopia must read what Cairn writes and the other way round.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findTool } from './tools.ts';

export interface KopiaResult {
  readonly stdout: string;
  readonly stderr: string;
  /** null when killed by a signal (see `signal`). */
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface KopiaRunOptions {
  /** Extra environment (e.g. AWS_ACCESS_KEY_ID for an s3 repository). */
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  readonly stdin?: string | Buffer;
  /** Kill kopia after this long (default 300 000 ms). */
  readonly timeoutMs?: number;
}

export interface Kopia {
  readonly binary: string;
  /** Temp directory holding config, cache, logs and HOME. */
  readonly dir: string;
  readonly configFile: string;
  readonly cacheDir: string;
  readonly logDir: string;
  readonly password: string;
  /** Runs kopia with the isolation flags; never throws for a non-zero exit. */
  run(args: readonly string[], options?: KopiaRunOptions): Promise<KopiaResult>;
  /** Like run, but throws (with the command and stderr) unless kopia exits 0. */
  ok(args: readonly string[], options?: KopiaRunOptions): Promise<KopiaResult>;
  /** ok() with `--json`, parsing stdout. */
  json<T = unknown>(args: readonly string[], options?: KopiaRunOptions): Promise<T>;
  cleanup(): Promise<void>;
}

export interface KopiaOptions {
  readonly binary?: string;
  readonly password?: string;
}

export async function createKopia(options: KopiaOptions = {}): Promise<Kopia> {
  const binary = options.binary ?? findTool('kopia');
  if (binary === undefined) throw new Error('kopia is not installed; run `bash e2e/tools/install.sh`');
  const dir = await mkdtemp(join(tmpdir(), 'cairn-kopia-'));
  const configFile = join(dir, 'repository.config');
  const cacheDir = join(dir, 'cache');
  const logDir = join(dir, 'logs');
  const home = join(dir, 'home');
  await Promise.all([mkdir(cacheDir), mkdir(logDir), mkdir(home)]);
  const password = options.password ?? 'cairn-kopia-test-password';

  const run = (args: readonly string[], runOptions: KopiaRunOptions = {}): Promise<KopiaResult> =>
    new Promise((resolve, reject) => {
      const child = spawn(binary, [`--config-file=${configFile}`, `--log-dir=${logDir}`, ...args], {
        cwd: runOptions.cwd ?? dir,
        env: {
          PATH: process.env['PATH'] ?? '/usr/bin:/bin',
          HOME: home,
          TMPDIR: process.env['TMPDIR'] ?? tmpdir(),
          KOPIA_PASSWORD: password,
          KOPIA_CACHE_DIRECTORY: cacheDir,
          KOPIA_LOG_DIR: logDir,
          KOPIA_CHECK_FOR_UPDATES: 'false',
          KOPIA_PERSIST_CREDENTIALS_ON_CONNECT: 'false',
          KOPIA_USE_KEYRING: 'false',
          ...runOptions.env,
        },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => err.push(d));
      const timer = setTimeout(() => child.kill('SIGKILL'), runOptions.timeoutMs ?? 300_000);
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.on('close', (exitCode, signal) => {
        clearTimeout(timer);
        resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), exitCode, signal });
      });
      child.stdin.end(runOptions.stdin ?? '');
    });

  const kopia: Kopia = {
    binary, dir, configFile, cacheDir, logDir, password, run,
    async ok(args, runOptions) {
      const r = await run(args, runOptions);
      if (r.exitCode !== 0) {
        throw new Error(`kopia ${args.join(' ')} exited ${r.exitCode ?? r.signal}:\n${r.stderr.slice(-4000)}`);
      }
      return r;
    },
    async json<T>(args: readonly string[], runOptions?: KopiaRunOptions): Promise<T> {
      const r = await kopia.ok([...args, '--json'], runOptions);
      return JSON.parse(r.stdout) as T;
    },
    async cleanup() {
      await rm(dir, { recursive: true, force: true });
    },
  };
  return kopia;
}
