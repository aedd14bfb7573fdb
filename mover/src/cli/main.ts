// `cairn` entry: argv -> command -> engine call -> output, result file and exit code. Errors become one
// line on stderr (the cause, then the fix) and the documented exit code of their class; stack traces only
// with --debug. Nothing here knows about storage formats.
import { writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import pino, { type Logger } from 'pino';
import { ERROR_CODES, type ErrorCode } from '../contract/error-codes.ts';
import { encodeResult, RESULT_SCHEMA_VERSION, type MoverResult } from '../contract/mover-result.ts';
import { isCairnError } from '../engine/errors.ts';
import { CommitGate } from '../engine/util/commit-gate.ts';
import { COMMANDS } from './commands/index.ts';
import { createCommandContext, type Output } from './command-context.ts';
import { commandHelp, generalHelp } from './help.ts';
import { UsageError } from './usage-error.ts';
import { parseCommandLine } from './parse-command-line.ts';
import type { Command, ParsedValues } from './command.ts';

export interface MainIO {
  readonly output: Output;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logDestination?: NodeJS.WritableStream;
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

export async function main(argv: readonly string[], io: MainIO = defaultIO()): Promise<number> {
  const started = process.hrtime.bigint();
  let command: Command | undefined;
  let values: ParsedValues = {};
  let logger: Logger | undefined;
  let resultFile: string | undefined;
  const abort = new AbortController();
  const gate = new CommitGate(abort.signal);
  // First signal: stop and let the command unwind (it prints why and writes the result file). A run commits
  // only through the gate's one index blob write, which the gate refuses once aborted; so if unwinding takes
  // longer than a moment (uploads in flight), exiting is safe — unless that write had already begun: then the
  // run finishes it and reports the snapshot. A second signal exits at once, saying where the run stood.
  const exitInterrupted = (message: string): never => {
    io.output.err(`cairn: error: ${message}`);
    if (resultFile !== undefined) {
      const result: MoverResult = {
        v: RESULT_SCHEMA_VERSION, command: command?.name ?? argv.join(' '), ok: false, code: 'INTERRUPTED',
        exitCode: ERROR_CODES.INTERRUPTED.exitCode, message, durationSeconds: seconds(started),
      };
      try {
        writeFileSync(resultFile, `${encodeResult(result)}\n`);
      } catch {
        // exiting anyway; stderr has the message
      }
    }
    process.exit(ERROR_CODES.INTERRUPTED.exitCode);
  };
  let finished = false;
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
  try {
    const line = parseCommandLine(argv, COMMANDS);
    if (line.kind === 'help') {
      io.output.out(line.command === undefined ? generalHelp() : commandHelp(line.command));
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
        throw new UsageError(`cannot write --result-file ${path}: ${e.code ?? e.message}`, 'point --result-file at a writable path');
      });
      resultFile = path;
    }
    if (positionals.length < command.minArgs || positionals.length > command.maxArgs) {
      throw new UsageError(`${command.name} expects ${command.args || 'no arguments'}, got ${positionals.length === 0 ? 'none' : positionals.map((p) => JSON.stringify(p)).join(' ')}`,
        `usage: cairn ${command.name} ${command.args}`.trimEnd());
    }
    logger = makeLogger(values, io);
    const ctx = createCommandContext(values, io.env, io.output, logger, abort.signal, gate);
    const outcome = await command.run(ctx, positionals, values);
    const code: ErrorCode = outcome.code ?? 'OK';
    const result: MoverResult = {
      ...outcome, v: RESULT_SCHEMA_VERSION, command: command.name, ok: outcome.ok ?? code === 'OK', code,
      exitCode: ERROR_CODES[code].exitCode, durationSeconds: seconds(started),
    };
    if (resultFile !== undefined) await writeResult(resultFile, result);
    return result.exitCode;
  } catch (e) {
    // Once a commit went through, a later failure is reported as itself, never as "nothing was committed".
    const interrupted = abort.signal.aborted && gate.state === 'open';
    const code: ErrorCode = interrupted ? 'INTERRUPTED' : isCairnError(e) ? e.code : 'INTERNAL';
    const message = interrupted ? 'interrupted; nothing was committed by this run' : e instanceof Error ? e.message : String(e);
    const hint = isCairnError(e) ? e.hint : code === 'INTERNAL' ? 'this is a bug in Cairn; rerun with --debug and report it' : undefined;
    io.output.err(`cairn: error: ${message}${hint === undefined ? '' : `\n  hint: ${hint}`}`);
    if ((values['debug'] === true || io.env['CAIRN_DEBUG'] === '1') && e instanceof Error && e.stack !== undefined) io.output.err(e.stack);
    logger?.debug({ err: e }, 'command failed');
    const result: MoverResult = {
      v: RESULT_SCHEMA_VERSION, command: command?.name ?? 'unknown', ok: false, code,
      exitCode: ERROR_CODES[code].exitCode, message, ...(hint === undefined ? {} : { hint }), durationSeconds: seconds(started),
    };
    if (values['json'] === true) io.output.out(JSON.stringify(result));
    // A command line that did not parse still names its result file: a mover Job must learn why it failed.
    resultFile ??= command === undefined ? resultFileIn(argv) : undefined;
    if (resultFile !== undefined) await writeResult(resultFile, result).catch(() => undefined);
    return result.exitCode;
  } finally {
    finished = true;
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
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

function seconds(started: bigint): number {
  return Math.round(Number(process.hrtime.bigint() - started) / 1e6) / 1000;
}

async function writeResult(path: string, result: MoverResult): Promise<void> {
  await writeFile(path, `${encodeResult(result)}\n`);
}

function makeLogger(values: ParsedValues, io: MainIO): Logger {
  const level = typeof values['log-level'] === 'string' ? values['log-level'] : io.output.stderrIsTTY ? 'warn' : 'info';
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(level)) {
    throw new UsageError(`--log-level ${level} is not a level`, 'use one of debug, info, warn, error');
  }
  return pino({ level, base: { app: 'cairn' }, redact: ['password', '*.password', 'secretAccessKey', '*.secretAccessKey'] },
    io.logDestination ?? pino.destination(2));
}
