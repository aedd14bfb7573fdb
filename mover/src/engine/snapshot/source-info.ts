// Snapshot source identity (kopia snapshot/source.go): `username@hostname:/path`. For a PVC Cairn uses
// e.g. `namespace@cluster:/pvc-name` so `kopia snapshot list --all` shows it meaningfully.
import path from 'node:path';
import { UsageError } from '../errors.ts';

export interface SourceInfo {
  readonly host: string;
  readonly userName: string;
  readonly path: string;
}

/** Kopia's SourceInfo.String(): `user@host:/path`, `user@host` without a path, `(global)` when all empty. */
export function formatSourceInfo(si: SourceInfo): string {
  if (si.host === '' && si.path === '' && si.userName === '') return '(global)';
  if (si.path === '') return `${si.userName}@${si.host}`;
  return `${si.userName}@${si.host}:${si.path}`;
}

export interface ParseSourceOptions {
  /** Used when `text` is a bare local path. */
  readonly hostname: string;
  readonly username: string;
  /** Base for relative local paths (defaults to the process's cwd as path.resolve does). */
  readonly cwd?: string;
  /** The command-line flag the text came from, for error messages (e.g. "--source"). */
  readonly flag?: string;
}

function usage(flag: string, text: string, why: string): UsageError {
  return new UsageError(`${flag} ${JSON.stringify(text)}: ${why}`, {
    hint: `Give ${flag} as user@host:/path (for example backup@cluster:/data).`,
  });
}

/**
 * Kopia's ParseSourceInfo: `(global)`; `user@host:path` (nothing processed); `user@host` / `@host`
 * (no path); anything else is a local path made absolute and cleaned, with the given host and user.
 */
export function parseSourceInfo(text: string, options: ParseSourceOptions): SourceInfo {
  const flag = options.flag ?? '--source';
  if (text === '(global)') return { host: '', userName: '', path: '' };
  if (text === '') throw usage(flag, text, 'is empty');
  const p1 = text.indexOf('@');
  const p2 = text.indexOf(':');
  if (p1 > 0 && p2 > 0 && p1 < p2) {
    return { userName: text.slice(0, p1), host: text.slice(p1 + 1, p2), path: text.slice(p2 + 1) };
  }
  if (p1 >= 0 && p2 < 0) {
    if (p1 + 1 < text.length) return { userName: text.slice(0, p1), host: text.slice(p1 + 1), path: '' };
    throw usage(flag, text, 'has an empty hostname after "@"');
  }
  const abs = options.cwd === undefined ? path.resolve(text) : path.resolve(options.cwd, text);
  return { host: options.hostname, userName: options.username, path: abs };
}

/** A source a snapshot can be saved under: host, user and path all non-empty (kopia SaveSnapshot). */
export function validateSnapshotSource(si: SourceInfo, flag = '--source'): SourceInfo {
  const text = formatSourceInfo(si);
  if (si.userName === '') throw usage(flag, text, 'has no user name');
  if (si.host === '') throw usage(flag, text, 'has no hostname');
  if (si.path === '') throw usage(flag, text, 'has no path');
  return si;
}

export function sameSource(a: SourceInfo, b: SourceInfo): boolean {
  return a.host === b.host && a.userName === b.userName && a.path === b.path;
}
