// The argument lists the operator hands to mover Jobs, built in one typed place. The operator imports only
// this module (and the result/exit-code contract) from mover/; the `cairn` CLI parses what it builds, and
// mover-argv.test.ts feeds every shape through the real CLI parser so the two can never drift apart again
// (they did: global flags placed before the command words once made every mover Job exit with "unknown
// command").
//
// Layout: command words first, then global flags, then the command's flags, then `--` and the positional
// arguments — the CLI accepts flags anywhere, and `--` keeps a path or ID that starts with "-" a positional.

export const MOVER_LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type MoverLogLevel = (typeof MOVER_LOG_LEVELS)[number];

export function isMoverLogLevel(s: string): s is MoverLogLevel {
  return (MOVER_LOG_LEVELS as readonly string[]).includes(s);
}

/** Flags every mover command gets: how to reach the repository and where to leave the result. */
export interface MoverGlobals {
  readonly repo: string;
  readonly passwordFile: string;
  readonly s3CredentialsDir?: string;
  /** The container's termination message file (--result-file). */
  readonly resultFile?: string;
  readonly logLevel?: MoverLogLevel;
  /** Local cache for index and metadata blobs (--cache-dir). */
  readonly cacheDir?: string;
}

/** Retention counts and keep-within, as the schedule's spec.retention carries them. */
export interface RetentionFlags {
  readonly keepLatest?: number;
  readonly keepHourly?: number;
  readonly keepDaily?: number;
  readonly keepWeekly?: number;
  readonly keepMonthly?: number;
  readonly keepAnnual?: number;
  /** A duration such as 7d or 36h. */
  readonly keepWithin?: string;
}

export type MoverInvocation =
  | { readonly command: 'repository create'; readonly hash?: string; readonly encryption?: string; readonly compression?: string }
  | { readonly command: 'repository status' }
  | {
      readonly command: 'snapshot create';
      readonly path: string;
      /** USER@HOST:/path */
      readonly source: string;
      readonly tags?: Readonly<Record<string, string>>;
      readonly exclude?: readonly string[];
      readonly compression?: string;
    }
  | {
      readonly command: 'snapshot restore';
      /** A snapshot ID, or "latest" (of `source`, optionally as of a time). */
      readonly snapshot: string;
      readonly target: string;
      readonly source?: string;
      readonly asOf?: string;
      readonly paths?: readonly string[];
      readonly overwrite?: boolean;
    }
  | {
      readonly command: 'snapshot expire';
      readonly source: string;
      readonly retention: RetentionFlags;
      readonly timeZone?: string;
      readonly apply: boolean;
    }
  | { readonly command: 'snapshot delete'; readonly id: string }
  | { readonly command: 'maintenance run'; readonly full?: boolean };

export type MoverCommandName = MoverInvocation['command'];

/** Every command the operator may run, for tests and documentation. */
export const MOVER_COMMANDS: readonly MoverCommandName[] = [
  'repository create', 'repository status', 'snapshot create', 'snapshot restore', 'snapshot expire', 'snapshot delete', 'maintenance run',
];

const RETENTION_FLAGS: readonly (readonly [keyof RetentionFlags, string])[] = [
  ['keepLatest', '--keep-latest'], ['keepHourly', '--keep-hourly'], ['keepDaily', '--keep-daily'], ['keepWeekly', '--keep-weekly'],
  ['keepMonthly', '--keep-monthly'], ['keepAnnual', '--keep-annual'], ['keepWithin', '--keep-within'],
];

export function globalArgs(g: MoverGlobals): string[] {
  const args = ['--repo', g.repo, '--password-file', g.passwordFile];
  if (g.s3CredentialsDir !== undefined) args.push('--s3-credentials-dir', g.s3CredentialsDir);
  if (g.cacheDir !== undefined) args.push('--cache-dir', g.cacheDir);
  if (g.resultFile !== undefined) args.push('--result-file', g.resultFile);
  if (g.logLevel !== undefined) args.push('--log-level', g.logLevel);
  return args;
}

/** The command's own flags and its positional arguments. */
function commandArgs(inv: MoverInvocation): { flags: string[]; positionals: string[] } {
  const flags: string[] = [];
  const opt = (flag: string, v: string | number | undefined): void => {
    if (v !== undefined) flags.push(flag, String(v));
  };
  switch (inv.command) {
    case 'repository create':
      opt('--hash', inv.hash);
      opt('--encryption', inv.encryption);
      opt('--compression', inv.compression);
      return { flags, positionals: [] };
    case 'repository status':
      return { flags, positionals: [] };
    case 'snapshot create':
      opt('--source', inv.source);
      for (const [k, v] of Object.entries(inv.tags ?? {})) opt('--tag', `${k}=${v}`);
      for (const e of inv.exclude ?? []) opt('--exclude', e);
      opt('--compression', inv.compression);
      return { flags, positionals: [inv.path] };
    case 'snapshot restore':
      opt('--source', inv.source);
      opt('--as-of', inv.asOf);
      for (const p of inv.paths ?? []) opt('--path', p);
      if (inv.overwrite === true) flags.push('--overwrite');
      return { flags, positionals: [inv.snapshot, inv.target] };
    case 'snapshot expire':
      opt('--source', inv.source);
      for (const [key, flag] of RETENTION_FLAGS) opt(flag, inv.retention[key]);
      opt('--time-zone', inv.timeZone);
      if (inv.apply) flags.push('--apply');
      return { flags, positionals: [] };
    case 'snapshot delete':
      return { flags, positionals: [inv.id] };
    case 'maintenance run':
      if (inv.full === true) flags.push('--full');
      return { flags, positionals: [] };
  }
}

/** The complete argv of one mover command (what follows the `cairn` executable). */
export function moverArgs(globals: MoverGlobals, inv: MoverInvocation): string[] {
  const { flags, positionals } = commandArgs(inv);
  return [...inv.command.split(' '), ...globalArgs(globals), ...flags, ...(positionals.length > 0 ? ['--', ...positionals] : [])];
}
