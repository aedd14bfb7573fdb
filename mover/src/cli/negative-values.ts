// parseArgs reads `--read-data-percent -5` as a flag followed by an unknown option and reports the value
// as "ambiguous". A string option followed by a negative number is a value the user gave, which the
// command's own check should judge (and call out of range): join them as `--opt=-5` before parsing.
import type { ParseArgsOptionDescriptor } from 'node:util';

export function joinNegativeValues(args: readonly string[], options: Readonly<Record<string, ParseArgsOptionDescriptor>>): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const next = args[i + 1];
    const name = a.startsWith('--') ? a.slice(2) : undefined;
    if (a === '--') return [...out, ...args.slice(i)];
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}
