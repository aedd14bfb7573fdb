import { describe, expect, it } from 'vitest';
import { COMMANDS } from './commands/index.ts';
import { allOptions, parseCommandLine } from './parse-command-line.ts';
import { isCairnError } from '../engine/errors.ts';

function run(argv: string[]): { name: string; values: Record<string, unknown>; positionals: readonly string[] } {
  const line = parseCommandLine(argv, COMMANDS);
  if (line.kind !== 'run') throw new Error('expected a command');
  return { name: line.command.name, values: line.values, positionals: line.positionals };
}

function usageError(argv: string[]): string {
  try {
    parseCommandLine(argv, COMMANDS);
  } catch (e) {
    if (isCairnError(e) && e.code === 'USAGE') return e.message;
    throw e;
  }
  throw new Error(`no usage error for ${argv.join(' ')}`);
}

describe('parseCommandLine', () => {
  it('finds the command whether global flags come before, between or after the command words', () => {
    const forms = [
      ['--repo', 'file:///r', '--password-file', '/p', 'snapshot', 'list'],
      ['snapshot', '--repo', 'file:///r', 'list', '--password-file', '/p'],
      ['snapshot', 'list', '--repo=file:///r', '--password-file', '/p'],
    ];
    for (const argv of forms) {
      expect(run(argv)).toMatchObject({ name: 'snapshot list', values: { repo: 'file:///r', 'password-file': '/p' }, positionals: [] });
    }
  });

  it('does not take a flag value that looks like a command word for the command', () => {
    expect(run(['--password-file', 'snapshot', 'repository', 'status'])).toMatchObject({ name: 'repository status', values: { 'password-file': 'snapshot' } });
  });

  it('keeps arguments after -- as positionals, even when they start with a dash', () => {
    expect(run(['snapshot', 'delete', '--', '-kabc'])).toMatchObject({ name: 'snapshot delete', positionals: ['-kabc'] });
  });

  it('passes a negative number after a flag that takes a value on as that value, for the command to judge', () => {
    expect(run(['snapshot', 'verify', '--read-data-percent', '-5'])).toMatchObject({ name: 'snapshot verify', values: { 'read-data-percent': '-5' } });
    expect(run(['--read-data-percent', '-5', 'snapshot', 'verify'])).toMatchObject({ name: 'snapshot verify', values: { 'read-data-percent': '-5' } });
    expect(run(['snapshot', 'delete', '--', '-5'])).toMatchObject({ name: 'snapshot delete', positionals: ['-5'] });
  });

  it('rejects unknown flags, flags of another command and unknown commands with a usage error', () => {
    expect(usageError(['snapshot', 'list', '--frobnicate'])).toMatch(/snapshot list: Unknown option '--frobnicate'/);
    expect(usageError(['repository', 'status', '--overwrite'])).toMatch(/--overwrite/);
    expect(usageError(['snapshot', 'lsit'])).toBe('unknown command "snapshot lsit"');
    expect(usageError(['--repo', 'file:///r'])).toBe('no command given');
  });

  it('returns help for no arguments, --help and `help`, and command help for `<command> --help`', () => {
    expect(parseCommandLine([], COMMANDS)).toEqual({ kind: 'help' });
    expect(parseCommandLine(['--help'], COMMANDS)).toEqual({ kind: 'help' });
    expect(parseCommandLine(['help'], COMMANDS)).toEqual({ kind: 'help' });
    const line = parseCommandLine(['snapshot', 'create', '-h'], COMMANDS);
    expect(line.kind === 'help' && line.command?.name).toBe('snapshot create');
  });

  it('returns the version for --version without a command', () => {
    expect(parseCommandLine(['--version'], COMMANDS)).toEqual({ kind: 'version' });
    expect(parseCommandLine(['--version', 'snapshot', 'list'], COMMANDS).kind).toBe('run');
  });

  it('gives each flag name one type across all commands (what the first pass relies on)', () => {
    expect(() => allOptions(COMMANDS)).not.toThrow();
  });
});
