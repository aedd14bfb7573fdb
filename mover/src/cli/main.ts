// `cairn` entry: argv -> command -> engine call -> output, result file and exit code. Errors become one
// line on stderr (the cause, then the fix) and the documented exit code of their class; stack traces only
// with --debug. Nothing here knows about storage formats.
import { writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Logger } from 'pino';
import { ERROR_CODES, type ErrorCode } from '../contract/error-codes.ts';
import { encodeResult, RESULT_SCHEMA_VERSION, type MoverResult } from '../contract/mover-result.ts';
import { isCairnError, UsageError } from '../engine/errors.ts';
import { CommitGate } from '../engine/util/commit-gate.ts';
import { COMMANDS } from './commands/index.ts';
import { createCommandContext, type CommandContext, type Output, type TestSeams } from './command-context.ts';
import { cairnVersion } from './cairn-version.ts';
import { commandHelp, generalHelp } from './help.ts';
import { parseCommandLine } from './parse-command-line.ts';
import { scrubberFor, type SecretScrubber } from './secret-scrubber.ts';
import { formatStorageReport } from './storage-report.ts';
import type { Command, CommandOutcome, ParsedValues } from './command.ts';

export interface MainIO {
  readonly output: Output;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logDestination?: NodeJS.WritableStream;
  /** Only for the test-only entry point (e2e/support/cairn-test-entry.ts); bin/cairn.mjs never sets it. */
  readonly seams?: TestSeams;
}

// `cairn snapshot list | head` closes stdout early: that is a normal way to stop reading, not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

const defaultIO = (): MainIO => ({
  output: {
    out: (l) => process.stdout.write(`${l}\n`),
    err: (l) => process.stderr.write(`${l}\n`),
    stderrIsTTY: process.stderr.isTTY === true,
  },
  env: process.env,
});

export async function main(argv: readonly string[], rawIO: MainIO = defaultIO()): Promise<number> {
  const started = process.hrtime.bigint();
  // every output channel goes through the scrubber: no credential is ever printed or written
  const secrets = scrubberFor(argv, rawIO.env);
  const io = scrubbedIO(rawIO, secrets);
  let command: Command | undefined;
  let values: ParsedValues = {};
  let logger: Logger | undefined;
  let ctx: CommandContext | undefined;
  let resultFile: string | undefined;
  const abort = new AbortController();
  const gate = new CommitGate(abort.signal);
  /** This run's result: a command's outcome (or a failure's fields) plus what every result carries. */
  const resultOf = (name: string, code: ErrorCode, fields: CommandOutcome = {}): MoverResult => ({
    ...fields, v: RESULT_SCHEMA_VERSION, command: name, ok: fields.ok ?? code === 'OK', code,
    exitCode: ERROR_CODES[code].exitCode, durationSeconds: seconds(started), peakMemoryBytes: peakMemoryBytes(),
  });
  /** Writes the result file at once, on the way out of the process (stderr already has the message). */
  const writeResultNow = (result: MoverResult): void => {
    if (resultFile === undefined) return;
    try {
      writeFileSync(resultFile, `${secrets.scrub(encodeResult(result))}\n`);
    } catch {
      // exiting anyway: the line on stderr is all that can be delivered
    }
  };
  // First signal: stop and let the command unwind (it prints why and writes the result file). A run commits
  // only through the gate's one index blob write, which the gate refuses once aborted; so if unwinding takes
  // longer than a moment (uploads in flight), exiting is safe — unless that write had already begun: then the
  // run finishes it and reports the snapshot. A second signal exits at once, saying where the run stood.
  const exitInterrupted = (message: string): never => {
    io.output.err(`cairn: error: ${message}`);
    writeResultNow(resultOf(command?.name ?? argv.join(' '), 'INTERRUPTED', { message }));
    process.exit(ERROR_CODES.INTERRUPTED.exitCode);
  };
  let finished = false;
  let storageReported = false;
  const forceExit = (): void => {
    if (finished) return; // the command ended and reported itself
    if (gate.state !== 'open') {
      setTimeout(forceExit, 1000).unref(); // the commit is in flight or done: the run reports it
      return;
    }
    exitInterrupted('interrupted; nothing was committed by this run');
  };
  const onSignal = (): void => {
    if (abort.signal.aborted) {
      exitInterrupted(gate.state === 'open' ? 'interrupted; nothing was committed by this run'
        : gate.state === 'committing' ? 'interrupted while committing: the snapshot may have been recorded; `cairn snapshot list` shows it'
          : 'interrupted after the snapshot was committed');
    }
    abort.abort(new Error('interrupted'));
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    setTimeout(forceExit, 3000).unref();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // A promise that fails while nobody awaits it would end the process with a stack trace and an empty
  // result file; instead its error becomes the command's error (engine code is meant to await everything).
  let stray: { error: unknown } | undefined;
  const onStray = (error: unknown): void => {
    stray ??= { error };
    logger?.debug({ err: error }, 'a background task failed');
  };
  process.on('unhandledRejection', onStray);
  process.on('uncaughtException', onFatal);
  try {
    const line = parseCommandLine(argv, COMMANDS);
    if (line.kind === 'help') {
      io.output.out(line.command === undefined ? generalHelp() : commandHelp(line.command));
      return 0;
    }
    if (line.kind === 'version') {
      io.output.out(`cairn ${await cairnVersion()} (node ${process.version})\n`);
      return 0;
    }
    command = line.command;
    values = line.values;
    const positionals = line.positionals;
    resultFile = typeof values['result-file'] === 'string' ? values['result-file'] : undefined;
    if (resultFile !== undefined) {
      // Fail before doing any work if the result cannot be delivered (a Job would lose its outcome).
      const path = resultFile;
      resultFile = undefined;
      await writeFile(path, '').catch((e: NodeJS.ErrnoException) => {
        throw new UsageError(`cannot write --result-file ${path}: ${e.code ?? e.message}`, { hint: 'point --result-file at a writable path' });
      });
      resultFile = path;
    }
    if (positionals.length < command.minArgs || positionals.length > command.maxArgs) {
      throw new UsageError(`${command.name} expects ${command.args || 'no arguments'}, got ${positionals.length === 0 ? 'none' : positionals.map((p) => JSON.stringify(p)).join(' ')}`,
        { hint: `usage: cairn ${command.name} ${command.args}`.trimEnd() });
    }
    logger = makeLogger(values, io, secrets);
    ctx = createCommandContext(values, io.env, io.output, logger, abort.signal, gate, io.seams, secrets);
    if (command.opensRepository === true) await ctx.startOpening();
    const outcome = await command.run(ctx, positionals, values);
    if (stray !== undefined) throw stray.error;
    const code: ErrorCode = outcome.code ?? 'OK';
    const result = resultOf(command.name, code, outcome);
    if (resultFile !== undefined) await writeResult(resultFile, result, secrets);
    return result.exitCode;
  } catch (e) {
    reportStorage(); // before the error, so the error line is the last thing a reader of stderr sees
    const result = failure(e);
    // A command line that did not parse still names its result file: a mover Job must learn why it failed.
    resultFile ??= command === undefined ? resultFileIn(argv) : undefined;
    if (resultFile !== undefined) await writeResult(resultFile, result, secrets).catch(() => undefined);
    return result.exitCode;
  } finally {
    reportStorage();
    finished = true;
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    process.removeListener('unhandledRejection', onStray);
    process.removeListener('uncaughtException', onFatal);
  }

  /** Logs what the run asked of storage, once. */
  function reportStorage(): void {
    const storage = ctx?.storageReport();
    if (storage !== undefined && !storageReported) logger?.info({ storage }, formatStorageReport(storage));
    storageReported = true;
  }

  /** Prints the one-line error (and hint) and returns the failure's result. */
  function failure(e: unknown): MoverResult {
    // Once a commit went through, a later failure is reported as itself, never as "nothing was committed".
    const interrupted = abort.signal.aborted && gate.state === 'open';
    const code: ErrorCode = interrupted ? 'INTERRUPTED' : isCairnError(e) ? e.code : 'INTERNAL';
    const message = interrupted ? 'interrupted; nothing was committed by this run' : e instanceof Error ? e.message : String(e);
    const hint = isCairnError(e) ? e.hint : code === 'INTERNAL' ? 'this is a bug in Cairn; rerun with --debug and report it' : undefined;
    io.output.err(`cairn: error: ${message.split('\n')[0]}${hint === undefined ? '' : `\n  hint: ${hint}`}`);
    if ((values['debug'] === true || io.env['CAIRN_DEBUG'] === '1') && e instanceof Error && e.stack !== undefined) io.output.err(e.stack);
    logger?.debug({ err: e }, 'command failed');
    const result = resultOf(command?.name ?? 'unknown', code, { ok: false, message, ...(hint === undefined ? {} : { hint }) });
    if (values['json'] === true) io.output.out(JSON.stringify(result));
    return result;
  }

  /**
   * An exception thrown where nothing can catch it (a callback) leaves the run in an unknown state: report
   * it like any failure — one line, the result file — and exit, instead of Node's stack trace and exit 1.
   */
  function onFatal(e: unknown): void {
    finished = true;
    const result = failure(e);
    writeResultNow(result);
    process.exit(result.exitCode);
  }
}

/** The --result-file value of a command line that failed to parse, if one is there. */
function resultFileIn(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return undefined;
    if (a === '--result-file') return argv[i + 1];
    if (a.startsWith('--result-file=')) return a.slice('--result-file='.length);
  }
  return undefined;
}

/** The process's peak resident memory (worker threads included): what a mover pod's memory limit must allow. */
function peakMemoryBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}

function seconds(started: bigint): number {
  return Math.round(Number(process.hrtime.bigint() - started) / 1e6) / 1000;
}

async function writeResult(path: string, result: MoverResult, secrets: SecretScrubber): Promise<void> {
  await writeFile(path, `${secrets.scrub(encodeResult(result))}\n`);
}

function scrubbedIO(io: MainIO, secrets: SecretScrubber): MainIO {
  return {
    ...io,
    output: {
      out: (l) => io.output.out(secrets.scrub(l)),
      err: (l) => io.output.err(secrets.scrub(l)),
      stderrIsTTY: io.output.stderrIsTTY,
    },
  };
}

// pino is CommonJS: required, not imported. Imported, Node's ESM loader also scans its source for named exports
// (cjs-module-lexer) and goes through its CommonJS translator for each of its ~30 files: `cairn --version`
// took 6.1 ms longer (15 alternated pairs of 10 runs; every command pays it before its first line of work).
const pino = createRequire(import.meta.url)('pino') as typeof import('pino').default;

function makeLogger(values: ParsedValues, io: MainIO, secrets: SecretScrubber): Logger {
  const level = typeof values['log-level'] === 'string' ? values['log-level'] : io.output.stderrIsTTY ? 'warn' : 'info';
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(level)) {
    throw new UsageError(`--log-level ${level} is not a level`, { hint: 'use one of debug, info, warn, error' });
  }
  // Synchronous: a handful of lines per run, and they stay in order with the error line (written with
  // process.stderr, synchronous for pipes and files) and survive process.exit on a second signal.
  const destination = io.logDestination ?? pino.destination({ dest: 2, sync: true });
  return pino({ level, base: { app: 'cairn' }, redact: ['password', '*.password', 'secretAccessKey', '*.secretAccessKey'] },
    { write: (record: string) => destination.write(secrets.scrub(record)) });
}
