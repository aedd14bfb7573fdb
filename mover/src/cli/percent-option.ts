// A percentage flag (`--read-data-percent N`): a plain number from 0 to 100, or the flag's default.
import { UsageError } from '../engine/errors.ts';
import type { ParsedValues } from './command.ts';

export function percentOption(values: ParsedValues, name: string, fallback = 0): number {
  const raw = values[name];
  if (typeof raw !== 'string') return fallback;
  const n = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isFinite(n) || n < 0 || n > 100) {
    throw new UsageError(`--${name} ${raw} is out of range: give a number from 0 to 100`, { hint: `for example --${name} 10 reads a tenth of the data` });
  }
  return n;
}
