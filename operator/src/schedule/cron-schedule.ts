// Cron expressions as SnapshotSchedule and BackupRepository use them: 5 fields (minute hour day-of-month
// month day-of-week), lists, ranges, steps, month/day names, the usual @descriptors, and Jenkins-style `H`:
// `H` picks one stable value per field from a hash key (the resource's UID), `H(a-b)` picks it within a
// range, `H/n` uses a stable offset inside every n. So a hundred `H * * * *` schedules spread over the hour
// yet each keeps its minute across operator restarts. Pure: no clock, no I/O.
import { fnvHash } from './fnv-hash.ts';

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** Range H picks from when no explicit range is given (day-of-month stops at 28 so every month has it). */
  readonly hashMax: number;
  readonly names?: readonly string[];
}

const FIELDS: readonly FieldSpec[] = [
  { name: 'minute', min: 0, max: 59, hashMax: 59 },
  { name: 'hour', min: 0, max: 23, hashMax: 23 },
  { name: 'day-of-month', min: 1, max: 31, hashMax: 28 },
  { name: 'month', min: 1, max: 12, hashMax: 12, names: ['', 'jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] },
  { name: 'day-of-week', min: 0, max: 6, hashMax: 6, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
];

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

export class CronSyntaxError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.name = 'CronSyntaxError';
    this.field = field;
  }
}

export interface CronFields {
  readonly minutes: readonly boolean[];
  readonly hours: readonly boolean[];
  readonly daysOfMonth: readonly boolean[];
  readonly months: readonly boolean[];
  readonly daysOfWeek: readonly boolean[];
  /** Day-of-month or day-of-week was `*`: cron then requires only the other one (else either may match). */
  readonly domAny: boolean;
  readonly dowAny: boolean;
}

export class CronSchedule {
  readonly fields: CronFields;
  /** The expression with every H resolved, shown in status.effectiveSchedule (e.g. "37 3 * * *" for "H H * * *"). */
  readonly effective: string;

  private constructor(fields: CronFields, effective: string) {
    this.fields = fields;
    this.effective = effective;
  }

  /** Parse `expr`; `hashKey` (the resource UID) decides what each H means. Throws CronSyntaxError. */
  static parse(expr: string, hashKey: string): CronSchedule {
    const trimmed = expr.trim();
    const text = DESCRIPTORS[trimmed.toLowerCase()] ?? trimmed;
    if (text.startsWith('@')) throw new CronSyntaxError('schedule', `unknown descriptor "${trimmed}"`);
    const parts = text.split(/\s+/);
    if (parts.length !== 5) throw new CronSyntaxError('schedule', `expected 5 fields, got ${parts.length} in "${expr}"`);
    const sets: boolean[][] = [];
    const effective: string[] = [];
    parts.forEach((part, i) => {
      const spec = FIELDS[i]!;
      const { set, text: resolved } = parseField(part, spec, fnvHash(`${hashKey}/${i}`));
      sets.push(set);
      effective.push(resolved);
    });
    const fields: CronFields = {
      minutes: sets[0]!,
      hours: sets[1]!,
      daysOfMonth: sets[2]!,
      months: sets[3]!,
      daysOfWeek: sets[4]!,
      domAny: parts[2] === '*' || parts[2] === '?',
      dowAny: parts[4] === '*' || parts[4] === '?',
    };
    return new CronSchedule(fields, effective.join(' '));
  }

  matchesDay(year: number, month: number, day: number): boolean {
    const f = this.fields;
    if (!f.months[month]) return false;
    const dow = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
    const domOk = f.daysOfMonth[day] === true;
    const dowOk = f.daysOfWeek[dow] === true;
    if (f.domAny && f.dowAny) return true;
    if (f.domAny) return dowOk;
    if (f.dowAny) return domOk;
    return domOk || dowOk;
  }
}

function parseField(part: string, spec: FieldSpec, hash: number): { set: boolean[]; text: string } {
  const set: boolean[] = new Array<boolean>(spec.max + 1).fill(false);
  const texts: string[] = [];
  for (const item of part.split(',')) {
    if (item === '') throw new CronSyntaxError(spec.name, `empty list item in ${spec.name} field "${part}"`);
    const [rangePart, stepPart, extra] = item.split('/');
    if (extra !== undefined) throw new CronSyntaxError(spec.name, `too many "/" in ${spec.name} field "${item}"`);
    let step = 1;
    if (stepPart !== undefined) {
      if (!/^\d+$/.test(stepPart) || Number(stepPart) < 1) {
        throw new CronSyntaxError(spec.name, `bad step "${stepPart}" in ${spec.name} field`);
      }
      step = Number(stepPart);
    }
    let lo: number;
    let hi: number;
    let resolved: string;
    const h = /^H(?:\((\w+)-(\w+)\))?$/.exec(rangePart!);
    if (h !== null) {
      const hLo = h[1] !== undefined ? value(h[1], spec) : spec.min;
      const hHi = h[2] !== undefined ? value(h[2], spec) : stepPart !== undefined ? spec.max : spec.hashMax;
      if (hLo > hHi) throw new CronSyntaxError(spec.name, `empty range in ${spec.name} field "${item}"`);
      if (stepPart !== undefined) {
        // H/n: a stable start inside the first n values, then every n-th up to the range end.
        lo = hLo + (hash % Math.min(step, hHi - hLo + 1));
        hi = hHi;
        resolved = `${lo}-${hi}/${step}`;
      } else {
        lo = hLo + (hash % (hHi - hLo + 1));
        hi = lo;
        resolved = String(lo);
      }
    } else if (rangePart === '*' || rangePart === '?') {
      lo = spec.min;
      hi = spec.max;
      resolved = item;
    } else {
      const m = /^(\w+)(?:-(\w+))?$/.exec(rangePart!);
      if (m === null) throw new CronSyntaxError(spec.name, `cannot read ${spec.name} field "${item}"`);
      lo = value(m[1]!, spec);
      hi = m[2] !== undefined ? value(m[2], spec) : stepPart !== undefined ? spec.max : lo;
      if (lo > hi) throw new CronSyntaxError(spec.name, `range ${lo}-${hi} is backwards in ${spec.name} field`);
      resolved = item;
    }
    for (let v = lo; v <= hi; v += step) set[v] = true;
    texts.push(resolved);
  }
  return { set, text: texts.join(',') };
}

function value(token: string, spec: FieldSpec): number {
  let v: number;
  if (/^\d+$/.test(token)) {
    v = Number(token);
    if (spec.name === 'day-of-week' && v === 7) v = 0;
  } else {
    v = spec.names?.indexOf(token.toLowerCase()) ?? -1;
    if (v <= 0 && !(v === 0 && spec.name === 'day-of-week')) {
      throw new CronSyntaxError(spec.name, `unknown ${spec.name} "${token}"`);
    }
  }
  if (v < spec.min || v > spec.max) {
    throw new CronSyntaxError(spec.name, `${spec.name} ${token} is outside ${spec.min}-${spec.max}`);
  }
  return v;
}
