// Turns argv into (command, flags, positionals) with node:util's parseArgs. Global flags may stand anywhere,
// before or after the command words (`cairn --repo R snapshot list` and `cairn snapshot list --repo R`), so the
// command is found in two passes: a tolerant pass that knows every flag of every command — so it never
// mistakes a flag's value (a repository URL, a password file) for a command word — and then a strict pass
// with just the global flags and that command's own, which rejects unknown flags and stray words.
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { GLOBAL_OPTIONS } from './global-options.ts';
import { joinNegativeValues } from './negative-values.ts';
import { UsageError } from '../engine/errors.ts';
import type { Command, OptionSpec, ParsedValues } from './command.ts';

export type CommandLine =
  | { readonly kind: 'help'; readonly command?: Command }
  | { readonly kind: 'version' }
  | { readonly kind: 'run'; readonly command: Command; readonly values: ParsedValues; readonly positionals: readonly string[] };

function parseConfig(spec: OptionSpec): ParseArgsOptionsConfig {
  const out: ParseArgsOptionsConfig = {};
  for (const [name, o] of Object.entries(spec)) {
    out[name] = { type: o.type, ...(o.multiple === true ? { multiple: true } : {}), ...(o.short !== undefined ? { short: o.short } : {}) };
  }
  return out;
}

/** Every flag any command knows, with its type: what the tolerant pass needs to skip flag values. */
export function allOptions(commands: readonly Command[]): ParseArgsOptionsConfig {
  const all: ParseArgsOptionsConfig = parseConfig(GLOBAL_OPTIONS);
  for (const c of commands) {
    for (const [name, o] of Object.entries(parseConfig(c.options))) {
      const known = all[name];
      if (known !== undefined && known.type !== o.type) {
        // A flag that takes a value in one command and none in another would make the tolerant pass
        // ambiguous; parse-command-line.test.ts keeps the command table free of that.
        throw new Error(`flag --${name} is a ${known.type} in one command and a ${o.type} in ${c.name}`);
      }
      all[name] = { ...o, multiple: true };
    }
  }
  return all;
}

export function parseCommandLine(argv: readonly string[], commands: readonly Command[]): CommandLine {
  let tokens;
  try {
    ({ tokens } = parseArgs({ args: [...argv], options: allOptions(commands), allowPositionals: true, strict: false, tokens: true }));
  } catch (e) {
    throw new UsageError(firstLine(e), { hint: 'run `cairn --help`' });
  }
  // Command words are the leading positionals before any `--`.
  const words: { value: string; index: number }[] = [];
  for (const t of tokens) {
    if (t.kind === 'option-terminator') break;
    if (t.kind === 'positional') words.push({ value: t.value, index: t.index });
  }
  const wantsHelp = tokens.some((t) => t.kind === 'option' && (t.name === 'help' || t.name === 'h'));
  const command = commands.find((c) => c.name.split(' ').every((part, i) => words[i]?.value === part));
  if (command === undefined) {
    if (argv.length === 0 || wantsHelp || words[0]?.value === 'help') return { kind: 'help' };
    if (words.length === 0 && tokens.some((t) => t.kind === 'option' && t.name === 'version')) return { kind: 'version' };
    const typed = words.slice(0, 2).map((w) => w.value).join(' ');
    throw new UsageError(typed === '' ? 'no command given' : `unknown command "${typed}"`, { hint: 'run `cairn --help` for the list of commands' });
  }
  const commandIndexes = new Set(words.slice(0, command.name.split(' ').length).map((w) => w.index));
  const rest = argv.filter((_, i) => !commandIndexes.has(i));
  const options = parseConfig({ ...GLOBAL_OPTIONS, ...command.options });
  let parsed;
  try {
    // `--read-data-percent -5` reaches the command's own range check instead of parseArgs' "ambiguous".
    parsed = parseArgs({ args: joinNegativeValues(rest, options), options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(`${command.name}: ${firstLine(e)}`, { hint: `run \`cairn ${command.name} --help\`` });
  }
  if (parsed.values['help'] === true) return { kind: 'help', command };
  return { kind: 'run', command, values: parsed.values as ParsedValues, positionals: parsed.positionals };
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
}
