// Locates the real tools the integration tests run (pinned in e2e/tools/versions.env, built by
// e2e/tools/install.sh into $HOME/.cache/cairn/<tool>-<version>/bin). Test files use:
//
//   const minio = requireTool('minio');
//   describe.skipIf(minio === undefined)('...', () => { ... });
//
// A missing tool skips the test locally, but with CAIRN_REQUIRE_TOOLS=1 (CI) requireTool throws while the
// test file is collected, so the run fails instead of silently skipping.
import { accessSync, constants, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

export type ToolName = 'kopia' | 'minio' | 'restic';

const VERSIONS_FILE = new URL('../tools/versions.env', import.meta.url);

/** KEY=value pairs of e2e/tools/versions.env. */
export function pinnedVersions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(VERSIONS_FILE, 'utf8').split('\n')) {
    const m = /^\s*([A-Z0-9_]+)=(.*?)\s*$/.exec(line);
    if (m !== null) out[m[1]!] = m[2]!;
  }
  return out;
}

function envKey(name: string, field: string): string {
  return `${name.toUpperCase().replace(/-/g, '_')}_${field}`;
}

export function pinnedVersion(name: ToolName): string {
  const v = pinnedVersions()[envKey(name, 'VERSION')];
  if (v === undefined || v === '') throw new Error(`e2e/tools/versions.env has no ${envKey(name, 'VERSION')}`);
  return v;
}

export function toolsCacheRoot(): string {
  return process.env['CAIRN_TOOLS_CACHE'] ?? join(homedir(), '.cache', 'cairn');
}

/** The directory install.sh puts the pinned build of `name` in. */
export function toolBinDir(name: ToolName): string {
  return join(toolsCacheRoot(), `${name}-${pinnedVersion(name)}`, 'bin');
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The pinned cached binary, else one on PATH (any version), else undefined. */
export function findTool(name: ToolName): string | undefined {
  const binary = pinnedVersions()[envKey(name, 'BINARY')] ?? name;
  return findExecutable(join(toolBinDir(name), binary), binary);
}

/** `cached` when it is executable, else `binary` found on PATH, else undefined. */
export function findExecutable(cached: string, binary: string): string | undefined {
  if (isExecutable(cached)) return cached;
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    const p = join(dir, binary);
    if (isExecutable(p)) return p;
  }
  return undefined;
}

export function toolsRequired(): boolean {
  return process.env['CAIRN_REQUIRE_TOOLS'] === '1';
}

/** findTool, but throws when the tool is missing and CAIRN_REQUIRE_TOOLS=1. */
export function requireTool(name: ToolName): string | undefined {
  const found = findTool(name);
  if (found === undefined && toolsRequired()) {
    throw new Error(
      `${name} ${pinnedVersion(name)} is required (CAIRN_REQUIRE_TOOLS=1) but is neither in ${toolBinDir(name)} nor on PATH; ` +
        'run `bash e2e/tools/install.sh` first',
    );
  }
  return found;
}
