// Everything a command needs from the outside world, resolved from flags and environment in one place:
// repository location, password, credentials, output mode, logger. The engine below never reads env.
import { readFile } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { openBlobStore } from '../engine/blob/open-blob-store.ts';
import type { BlobStore } from '../engine/blob/blob-store.ts';
import { CountingBlobStore } from '../engine/blob/counting-store.ts';
import type { SafetySpec } from '../engine/maintenance/safety.ts';
import { CommitGate } from '../engine/util/commit-gate.ts';
import { openRepositoryFormat } from '../engine/format/open-repository-format.ts';
import { passwordKeyCache, type PasswordKeyCache } from '../engine/format/password-key-cache.ts';
import type { RepositoryFormat } from '../engine/format/repository-config.ts';
import type { Repository } from '../engine/repo/open-repository.ts';
import { SecretScrubber } from './secret-scrubber.ts';
import { UsageError } from '../engine/errors.ts';
import type { ParsedValues } from './option-spec.ts';
import { memoryLimit, type MemoryLimit } from './memory-limit.ts';
import { storageReport, type StorageReport } from './storage-report.ts';
import { loadWithHeapFlagsAside } from './heap-flags.ts';

export interface Output {
  /** A line for stdout (results, tables, JSON). */
  out(line: string): void;
  /** A line for stderr (human notices). */
  err(line: string): void;
  readonly stderrIsTTY: boolean;
}

/**
 * Test seams (fault-injecting stores, crash points, shortened maintenance margins). Only a test-only entry
 * point passes them to main() (e2e/support/cairn-test-entry.ts); bin/cairn.mjs never does, and nothing in
 * the shipped CLI reads them from the environment.
 */
export interface TestSeams {
  /** Wraps the blob store every command opens. */
  readonly wrapStore?: (store: BlobStore) => BlobStore;
  /** Maintenance safety margins (and epoch overrides) replacing --safety. */
  readonly maintenanceSafety?: SafetySpec;
  /** Called when a maintenance task starts, with kopia's task ID. */
  readonly onMaintenanceTask?: (task: string) => void;
}

export interface RepositoryOpenOptions {
  readonly readOnly?: boolean;
  /** Packs uploaded at once (each holds a pack buffer): the backup's memory plan sets it. */
  readonly uploadParallelism?: number;
  /** Packs sealed at this size when below the format's (small memory budgets). */
  readonly packSizeLimit?: number;
}

export interface CommandContext {
  readonly json: boolean;
  readonly logger: Logger;
  readonly output: Output;
  readonly progress: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly signal: AbortSignal;
  /** The run's commit gate on `signal` (main.ts waits for a commit in flight before a forced exit). */
  readonly commitGate: CommitGate;
  readonly seams: TestSeams;
  repositoryUrl(): string;
  password(): Promise<string>;
  /** Reads a password from a file flag value (used by change-password). */
  readPasswordFile(path: string, flag: string): Promise<string>;
  openStore(options?: { readonly create?: boolean; readonly requireEmpty?: boolean }): Promise<BlobStore>;
  openRepository(options?: RepositoryOpenOptions): Promise<Repository>;
  /**
   * Starts opening the repository's format (read kopia.repository, derive the key from the password: scrypt,
   * ~0.3 s here, on libuv's threads) so that it runs while the command's code loads; openRepository uses the
   * result. Resolves once the store is open; a failure surfaces in openRepository, as if opened only then.
   */
  startOpening(): Promise<void>;
  /** The password-derived key's cache in the --cache-dir (undefined without one). */
  keyCache(): PasswordKeyCache | undefined;
  /** The run's memory budget (--memory-limit, CAIRN_MEMORY_LIMIT, the cgroup limit or physical memory). */
  memoryLimit(): MemoryLimit;
  /** What this run asked of storage and the local cache so far; undefined when no storage was opened. */
  storageReport(): StorageReport | undefined;
  /** Opens the repository, runs `fn` with it, and closes it whatever happens. */
  withRepository<T>(options: RepositoryOpenOptions, fn: (repo: Repository) => Promise<T>): Promise<T>;
  defaultUser(): string;
  defaultHost(): string;
  now(): Date;
}

export function createCommandContext(values: ParsedValues, env: Readonly<Record<string, string | undefined>>,
  output: Output, logger: Logger, signal: AbortSignal, commitGate: CommitGate = new CommitGate(signal), seams: TestSeams = {},
  secrets = new SecretScrubber()): CommandContext {
  const str = (k: string): string | undefined => (typeof values[k] === 'string' ? values[k] : undefined);
  const json = values['json'] === true;
  const progress = values['no-progress'] === true ? false : values['progress'] === true || (output.stderrIsTTY && !json);
  let store: Promise<BlobStore> | undefined;
  let format: Promise<RepositoryFormat> | undefined;
  let counting: CountingBlobStore | undefined;
  let repository: Repository | undefined;
  let limit: MemoryLimit | undefined;
  const cacheDir = str('cache-dir') ?? nonEmpty(env['CAIRN_CACHE_DIR']);

  const ctx: CommandContext = {
    json, logger, output, progress, env, signal, commitGate, seams,
    repositoryUrl() {
      const url = str('repo') ?? env['CAIRN_REPOSITORY'];
      if (url === undefined || url === '') {
        throw new UsageError('no repository given', { hint: 'pass --repo file:///path or s3://bucket/prefix, or set CAIRN_REPOSITORY' });
      }
      return url;
    },
    async password() {
      const file = str('password-file');
      if (file !== undefined) return ctx.readPasswordFile(file, '--password-file');
      const pw = env['CAIRN_PASSWORD'];
      if (pw === undefined || pw === '') {
        throw new UsageError('no repository password given', { hint: 'set CAIRN_PASSWORD or pass --password-file PATH' });
      }
      return pw;
    },
    async readPasswordFile(path, flag) {
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (e) {
        throw new UsageError(`cannot read ${flag} ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, { hint: `check that ${path} exists and is readable` });
      }
      const pw = text.replace(/\r?\n$/, '');
      secrets.add(pw);
      if (pw === '') throw new UsageError(`${flag} ${path} is empty`, { hint: 'put the password on the first line of the file' });
      return pw;
    },
    async openStore(options = {}) {
      store ??= (async () => {
        const credentials = await readS3Credentials(str('s3-credentials-dir'));
        secrets.add(credentials?.accessKeyId);
        secrets.add(credentials?.secretAccessKey);
        const opened = await openBlobStore(ctx.repositoryUrl(), {
          create: options.create ?? false, requireEmpty: options.requireEmpty ?? false, ...(credentials === undefined ? {} : { credentials }),
        });
        // counted below the test seams: the counts are what reached the real storage
        counting = new CountingBlobStore(opened);
        return seams.wrapStore === undefined ? counting : seams.wrapStore(counting);
      })();
      return store;
    },
    async startOpening() {
      if (format !== undefined) return;
      let s: BlobStore;
      let password: string;
      try {
        s = await ctx.openStore();
        password = await ctx.password();
      } catch {
        return; // openRepository meets the same error and reports it, after the command's own checks
      }
      const keyCache = ctx.keyCache();
      format = openRepositoryFormat(s, password, keyCache === undefined ? {} : { keyCache });
      format.catch(() => undefined); // awaited (and reported) by openRepository; a command may also end before
    },
    keyCache() {
      return cacheDir === undefined ? undefined : passwordKeyCache(cacheDir);
    },
    async openRepository(options = {}) {
      // loaded here, not at start-up, and before the format is awaited: the format's key derivation (scrypt, on
      // libuv's threads) runs while this graph loads on the main thread. With the heap flags aside, as every
      // module the CLI loads: the worker threads load much of this graph too (heap-flags.ts)
      const loading = loadWithHeapFlagsAside(() => import('../engine/repo/open-repository.ts'));
      loading.catch(() => undefined); // awaited below; a failed store or password is the error to report
      const s = await ctx.openStore();
      const password = await ctx.password();
      const opened = format === undefined ? undefined : await format;
      const { openRepository } = await loading;
      repository = await openRepository(s, password, {
        readOnly: options.readOnly ?? false, username: ctx.defaultUser(), hostname: ctx.defaultHost(), logger,
        ...(opened === undefined ? {} : { format: opened }),
        ...(options.uploadParallelism === undefined ? {} : { uploadParallelism: options.uploadParallelism }),
        ...(options.packSizeLimit === undefined ? {} : { packSizeLimit: options.packSizeLimit }),
        ...(cacheDir === undefined ? {} : { cacheDir }),
      });
      return repository;
    },
    storageReport() {
      return counting === undefined ? undefined : storageReport(counting.counts, repository?.cache?.stats);
    },
    memoryLimit() {
      if (limit === undefined) {
        limit = memoryLimit(str('memory-limit'), env['CAIRN_MEMORY_LIMIT']);
        logger.debug({ memoryLimitBytes: limit.bytes, memoryLimitFrom: limit.source }, 'memory limit');
      }
      return limit;
    },
    async withRepository(options, fn) {
      const repo = await ctx.openRepository(options);
      try {
        return await fn(repo);
      } finally {
        await repo.close();
      }
    },
    defaultUser() {
      return env['CAIRN_USER'] ?? safeUser();
    },
    defaultHost() {
      return env['CAIRN_HOSTNAME'] ?? hostname();
    },
    now: () => new Date(),
  };
  return ctx;
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s;
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'root';
  }
}

async function readS3Credentials(dir: string | undefined): Promise<{ accessKeyId: string; secretAccessKey: string } | undefined> {
  if (dir === undefined) return undefined;
  const read = async (name: string): Promise<string> => {
    try {
      return (await readFile(join(dir, name), 'utf8')).trim();
    } catch {
      throw new UsageError(`--s3-credentials-dir ${dir} has no readable file ${name}`, { hint: 'mount a Secret with keys AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY there' });
    }
  };
  return { accessKeyId: await read('AWS_ACCESS_KEY_ID'), secretAccessKey: await read('AWS_SECRET_ACCESS_KEY') };
}
