// Help texts generated from the command table, so they cannot drift from the parser.
import { COMMANDS } from './commands/index.ts';
import { GLOBAL_OPTIONS } from './global-options.ts';
import type { Command, OptionSpec } from './command.ts';
import { ERROR_CODES } from '../contract/error-codes.ts';

function optionLines(spec: OptionSpec): string[] {
  return Object.entries(spec).map(([name, o]) => {
    const flag = `--${name}${o.type === 'string' ? ` ${o.valueName ?? 'VALUE'}` : ''}${o.multiple === true ? ' (repeatable)' : ''}`;
    return `  ${flag.padEnd(34)} ${o.description}`;
  });
}

export function generalHelp(): string {
  return [
    'cairn — encrypted, deduplicated snapshots in Kopia\'s repository format',
    '',
    'Usage: cairn <command> [flags]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${`${c.name} ${c.args}`.padEnd(44)} ${c.summary}`),
    '',
    'Global flags:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    'Exit codes:',
    ...Object.values(ERROR_CODES).map((v) => `  ${String(v.exitCode).padStart(3)}  ${v.summary}`),
  ].join('\n');
}

export function commandHelp(c: Command): string {
  const own = optionLines(c.options);
  return [
    `Usage: cairn ${c.name} ${c.args}`.trimEnd(), '', c.summary, '',
    ...(own.length > 0 ? ['Flags:', ...own, ''] : []),
    'Global flags:', ...optionLines(GLOBAL_OPTIONS),
  ].join('\n');
}
