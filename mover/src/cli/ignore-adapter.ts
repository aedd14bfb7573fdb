// Connects the policy layer's ignore rules (.kopiaignore files + --exclude patterns) to the snapshot
// walker's narrow IgnoreScope interface.
import { posix } from 'node:path';
import { createIgnoreMatcher, type DirectoryIgnoreMatcher } from '../engine/policy/ignore-rules.ts';
import type { IgnoreOptions, IgnoreScope } from '../engine/upload/uploader.ts';

export const IGNORE_FILE_NAME = '.kopiaignore';

function scope(m: DirectoryIgnoreMatcher): IgnoreScope {
  return {
    ignores: (name, isDir) => m.ignores(name, isDir),
    child: (name, text) => scope(m.forDirectory(m.relDir === '' ? name : posix.join(m.relDir, name), text)),
  };
}

export function buildIgnoreOptions(excludes: readonly string[]): IgnoreOptions {
  const matcher = createIgnoreMatcher({ rules: [...excludes], ignoreFileNames: [IGNORE_FILE_NAME] });
  return { fileName: IGNORE_FILE_NAME, root: (text) => scope(matcher.forDirectory('', text)) };
}
