// `cairn` entry: argv -> command -> engine call -> output, result file and exit code. Errors become one
// line on stderr (the cause, then the fix) and the documented exit code of their class; stack traces only
// with --debug. Nothing here knows about storage formats.
import { parseArgs } from 'node:util';
import { writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import pino, { type Logger } from 'pino';
import { ERROR_CODES, type ErrorCode } from '../contract/error-codes.ts';
import { encodeResult, RESULT_SCHEMA_VERSION, type MoverResult } from '../contract/mover-result.ts';
import { isCairnError } from '../engine/errors.ts';
import { COMMANDS } from './commands/index.ts';
import { createCommandContext, type Output, type TestSeams } from './command-context.ts';
import { GLOBAL_OPTIONS } from './global-options.ts';
import { joinNegativeValues } from './negative-values.ts';
import { scrubberFor, type SecretScrubber } from './secret-scrubber.ts';
import { commandHelp, generalHelp } from './help.ts';
import { UsageError } from './usage-error.ts';
import type { Command, ParsedValues } from './command.ts';

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

function findCommand(argv: readonly string[]): { command: Command | undefined; rest: string[] } {
  const words = argv.filter((a) => !a.startsWith('-')).slice(0, 2);
  for (const c of COMMANDS) {
    const parts = c.name.split(' ');
    if (parts.every((p, i) => words[i] === p)) {
      const rest = [...argv];
      for (const p of parts) rest.splice(rest.indexOf(p), 1);
      return { command: c, rest };
    }
  }
  return { command: undefined, rest: [...argv] };
}

export async function main(argv: readonly string[], rawIO: MainIO = defaultIO()): Promise<number> {
  const started = process.hrtime.bigint();
  // every output channel goes through the scrubber: no credential is ever printed or written
  const secrets = scrubberFor(argv, rawIO.env);
  const io = scrubbedIO(rawIO, secrets);
  const { command, rest } = findCommand(argv);
  let values: ParsedValues = {};
  let logger: Logger | undefined;
  let resultFile: string | undefined;
  const abort = new AbortController();
  // First signal: stop walking and let the command unwind (it prints why and writes the result file).
  // Nothing is committed before a run's final index blob, and that write is atomic, so if unwinding takes
  // longer than a moment (workers mid-chunk, uploads in flight) exiting is safe; a second signal exits now.
  const onSignal = (): void => {
    if (abort.signal.aborted) process.exit(ERROR_CODES.INTERRUPTED.exitCode);
    abort.abort(new Error('interrupted'));
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    setTimeout(() => {
      io.output.err('cairn: error: interrupted; nothing was committed by this run');
      process.exit(ERROR_CODES.INTERRUPTED.exitCode);
    }, 3000).unref();
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
    if (command === undefined) {
      if (argv.length === 0 || argv.includes('--help') || argv.includes('-h') || argv[0] === 'help') {
        io.output.out(generalHelp());
        return 0;
      }
      throw new UsageError(`unknown command "${argv.filter((a) => !a.startsWith('-')).slice(0, 2).join(' ')}"`, 'run `cairn --help` for the list of commands');
    }
    let positionals: string[];
    try {
      const options = { ...GLOBAL_OPTIONS, ...command.options };
      const parsed = parseArgs({ args: joinNegativeValues(rest, options), options, allowPositionals: true, strict: true });
      values = parsed.values as ParsedValues;
      positionals = parsed.positionals;
    } catch (e) {
      throw new UsageError(`${command.name}: ${(e as Error).message.split('\n')[0]}`, `run \`cairn ${command.name} --help\``);
    }
    if (values['help'] === true) {
      io.output.out(commandHelp(command));
      return 0;
    }
    resultFile = typeof values['result-file'] === 'string' ? values['result-file'] : undefined;
    if (resultFile !== undefined) {
      // Fail before doing any work if the result cannot be delivered (a Job would lose its outcome).
      const path = resultFile;
      resultFile = undefined;
      await writeFile(path, '').catch((e: NodeJS.ErrnoException) => {
        throw new UsageError(`cannot write --result-file ${path}: ${e.code ?? e.message}`, 'point --result-file at a writable path');
      });
      resultFile = path;
    }
    if (positionals.length < command.minArgs || positionals.length > command.maxArgs) {
      throw new UsageError(`${command.name} expects ${command.args || 'no arguments'}, got ${positionals.length === 0 ? 'none' : positionals.map((p) => JSON.stringify(p)).join(' ')}`,
        `usage: cairn ${command.name} ${command.args}`.trimEnd());
    }
    logger = makeLogger(values, io, secrets);
    const ctx = createCommandContext(values, io.env, io.output, logger, abort.signal, io.seams, secrets);
    const outcome = await command.run(ctx, positionals, values);
    if (stray !== undefined) throw stray.error;
    const code: ErrorCode = outcome.code ?? 'OK';
    const result: MoverResult = {
      ...outcome, v: RESULT_SCHEMA_VERSION, command: command.name, ok: outcome.ok ?? code === 'OK', code,
      exitCode: ERROR_CODES[code].exitCode, durationSeconds: seconds(started),
    };
    if (resultFile !== undefined) await writeResult(resultFile, result, secrets);
    return result.exitCode;
  } catch (e) {
    const result = failure(e);
    if (resultFile !== undefined) await writeResult(resultFile, result, secrets).catch(() => undefined);
    return result.exitCode;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    process.removeListener('unhandledRejection', onStray);
    process.removeListener('uncaughtException', onFatal);
  }

  /** Prints the one-line error (and hint) and returns the failure's result. */
  function failure(e: unknown): MoverResult {
    const interrupted = abort.signal.aborted;
    const code: ErrorCode = interrupted ? 'INTERRUPTED' : isCairnError(e) ? e.code : 'INTERNAL';
    const message = interrupted ? 'interrupted; nothing was committed by this run' : e instanceof Error ? e.message : String(e);
    const hint = isCairnError(e) ? e.hint : code === 'INTERNAL' ? 'this is a bug in Cairn; rerun with --debug and report it' : undefined;
    io.output.err(`cairn: error: ${message.split('\n')[0]}${hint === undefined ? '' : `\n  hint: ${hint}`}`);
    if ((values['debug'] === true || io.env['CAIRN_DEBUG'] === '1') && e instanceof Error && e.stack !== undefined) io.output.err(e.stack);
    logger?.debug({ err: e }, 'command failed');
    const result: MoverResult = {
      v: RESULT_SCHEMA_VERSION, command: command?.name ?? argv.join(' '), ok: false, code,
      exitCode: ERROR_CODES[code].exitCode, message, ...(hint === undefined ? {} : { hint }), durationSeconds: seconds(started),
    };
    if (values['json'] === true) io.output.out(JSON.stringify(result));
    return result;
  }

  /**
   * An exception thrown where nothing can catch it (a callback) leaves the run in an unknown state: report
   * it like any failure — one line, the result file — and exit, instead of Node's stack trace and exit 1.
   */
  function onFatal(e: unknown): void {
    const result = failure(e);
    if (resultFile !== undefined) {
      try {
        writeFileSync(resultFile, `${secrets.scrub(encodeResult(result))}\n`);
      } catch {
        // the line on stderr is all that can be delivered
      }
    }
    process.exit(result.exitCode);
  }
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

function makeLogger(values: ParsedValues, io: MainIO, secrets: SecretScrubber): Logger {
  const level = typeof values['log-level'] === 'string' ? values['log-level'] : io.output.stderrIsTTY ? 'warn' : 'info';
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(level)) {
    throw new UsageError(`--log-level ${level} is not a level`, 'use one of debug, info, warn, error');
  }
  const destination = io.logDestination ?? pino.destination(2);
  return pino({ level, base: { app: 'cairn' }, redact: ['password', '*.password', 'secretAccessKey', '*.secretAccessKey'] },
    { write: (record: string) => destination.write(secrets.scrub(record)) });
}
