// A directory as a reproducible tar stream, written by the host's GNU tar: entries sorted by name, every
// mtime fixed, owners numeric root:root (no host user or group names or ids leak in), POSIX format without
// the per-run atime/ctime/pid fields. Used for image layers and for the archive around them.
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import type { Readable } from 'node:stream';

export interface TarStream {
  readonly stream: Readable;
  /** Resolves when tar exited 0; rejects with its stderr otherwise. */
  readonly done: Promise<void>;
}

/** Sorted top-level names of `dir`: tar sorts within directories, the caller's argument order is kept. */
async function topLevelEntries(dir: string): Promise<string[]> {
  const names = await readdir(dir);
  return names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Starts `tar` over the contents of `dir` (paths in the archive are relative, without a leading ./). */
export async function tarDirectory(dir: string, mtimeSeconds = 0): Promise<TarStream> {
  const entries = await topLevelEntries(dir);
  const args = [
    '--create',
    '--file=-',
    `--directory=${dir}`,
    '--sort=name',
    '--format=posix',
    '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime',
    `--mtime=@${mtimeSeconds}`,
    '--owner=0',
    '--group=0',
    '--numeric-owner',
    '--no-acls',
    '--no-xattrs',
    '--no-selinux',
    '--',
    ...entries,
  ];
  const child = spawn('tar', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
  });
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', (e) => reject(new Error(`cannot run tar (GNU tar is needed): ${e.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`tar of ${dir} failed (${signal ?? `exit ${code}`}): ${stderr.trim().split('\n')[0] ?? ''}`));
    });
  });
  return { stream: child.stdout, done };
}
