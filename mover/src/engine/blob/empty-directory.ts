// A new repository's directory must be empty: files that are not blobs mean it belongs to something else,
// and maintenance must never get to judge files whose names look like packs. Checked before anything
// (not even `.shards`) is written there.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CairnError } from '../errors.ts';
import { StorageLocationNotFoundError } from './blob-errors.ts';
import { errnoOf, mapFsError } from './fs-errors.ts';
import { COMPLETE_BLOB_SUFFIX } from './shard-parameters.ts';

/** Throws unless `root` is missing or empty (an empty `lost+found`, as on a fresh volume, is allowed). */
export async function assertEmptyDirectory(root: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(root);
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return;
    if (errnoOf(e) === 'ENOTDIR') {
      throw new StorageLocationNotFoundError(`repository path ${root} is not a directory`, { hint: 'point the repository URL at a new or empty directory' });
    }
    throw mapFsError(e, 'list', root);
  }
  const found: string[] = [];
  for (const n of names.sort()) {
    if (n === 'lost+found' && (await readdir(join(root, n)).catch(() => ['?'])).length === 0) continue;
    found.push(n);
  }
  if (found.length === 0) return;
  if (found.includes(`kopia.repository${COMPLETE_BLOB_SUFFIX}`)) {
    throw new CairnError('REPO_EXISTS', `a repository already exists at file://${root} (kopia.repository is present)`, {
      hint: 'connect to the existing repository, or choose an empty location for a new one',
    });
  }
  const shown = found.slice(0, 3).map((n) => JSON.stringify(n)).join(', ') + (found.length > 3 ? `, … (${found.length} entries)` : '');
  throw new CairnError('REFUSED', `refusing to create a repository in file://${root}: the directory is not empty (${shown})`, {
    hint: 'create the repository in a new or empty directory; Cairn never shares a directory with other files',
  });
}
