// Test support for restore's safety property: forges directory listings (any names, duplicates, entry
// order, symlinks anywhere) through the engine's own object writer, the way anyone who can write to a
// bucket could, and records a directory tree so a test can prove restore left it untouched.
import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import fc from 'fast-check';
import type { RepositoryWriter } from '../../repo/repository.ts';
import type { DirEntry } from '../dir-entry.ts';
import { encodeDirEntry } from '../dir-entry.ts';
import { DIRECTORY_STREAM_TYPE } from '../dir-manifest.ts';

export type HostileNode =
  | { readonly type: 'd'; readonly name: string; readonly mode: number; readonly children: readonly HostileNode[] }
  | { readonly type: 'f'; readonly name: string; readonly mode: number; readonly data: string }
  | { readonly type: 's'; readonly name: string; readonly target: string }
  | { readonly type: ''; readonly name: string };

/**
 * Names chosen so that collisions are frequent: the same name as a directory and a symlink, names a
 * symlink planted in the target uses, escaped non-UTF-8 bytes (and escapes of ASCII, which decode to
 * U+FFFD like a literal U+FFFD: equal bytes, so duplicates), and names that are never valid (".", "..",
 * separators, NUL, empty).
 */
export const COLLIDING_NAMES = ['a', 'b', 'sub', 'link', 'A', '\udcff', '\udc2f', '\ufffd'] as const;
export const INVALID_NAMES = ['.', '..', '', 'a/b', '../x', '/abs', 'x\0y', 'sub/..'] as const;

/**
 * Random trees for restore's safety property. Half of them repeat names inside a listing ("shadows": the
 * name of another entry with another type, before or after it — the symlink-and-directory case), which
 * restore must refuse as CORRUPT without touching anything outside the target; the other half have unique
 * names, so that restore gets through and its handling of the symlinks they hold (pointing outside, at
 * parents, at the root) is exercised.
 */
export function hostileTree(linkTargets: readonly string[]): fc.Arbitrary<HostileNode> {
  return fc.oneof(treeOf(linkTargets, true), treeOf(linkTargets, false));
}

function treeOf(linkTargets: readonly string[], shadowed: boolean): fc.Arbitrary<HostileNode> {
  // Mostly names that collide; a listing with an invalid name anywhere is refused as a whole, so those are rare.
  const name = fc.oneof({ arbitrary: fc.constantFrom(...COLLIDING_NAMES), weight: 100 }, { arbitrary: fc.constantFrom(...INVALID_NAMES), weight: 2 });
  // Directory modes keep the owner's rwx so every run can be cleaned up without root.
  const dirMode = fc.constantFrom(0o755, 0o700, 0o777, 0o1777, 0o2755);
  const fileMode = fc.constantFrom(0o644, 0o600, 0o4755, 0o000, 0o777);
  const target = fc.constantFrom(...linkTargets);
  const shadow = fc.record({ of: fc.nat(), type: fc.constantFrom('s' as const, 's' as const, 'f' as const, 'd' as const), before: fc.boolean(), target });
  type Shadow = { of: number; type: 's' | 'f' | 'd'; before: boolean; target: string };
  const shadows = (max: number): fc.Arbitrary<Shadow[]> => (shadowed ? fc.array(shadow, { maxLength: max }) : fc.constant<Shadow[]>([]));
  const kids = <T extends HostileNode>(arb: fc.Arbitrary<T>, min: number, max: number) =>
    shadowed ? fc.array(arb, { minLength: min, maxLength: max }) : fc.uniqueArray(arb, { selector: (n) => n.name, minLength: min, maxLength: max });
  const withShadows = (list: HostileNode[], extra: readonly Shadow[]): HostileNode[] => {
    const out = [...list];
    for (const sh of extra) {
      if (list.length === 0) break;
      // Directories first: a symlink twin of a directory with files below is the case that escaped once.
      const dirs = list.filter((n) => n.type === 'd');
      const victim = dirs.length > 0 && sh.of % 3 !== 0 ? dirs[sh.of % dirs.length]! : list[sh.of % list.length]!;
      const twin: HostileNode = sh.type === 's' ? { type: 's', name: victim.name, target: sh.target }
        : sh.type === 'f' ? { type: 'f', name: victim.name, mode: 0o644, data: 'twin' }
        : { type: 'd', name: victim.name, mode: 0o755, children: [{ type: 'f', name: 'below', mode: 0o644, data: 'below' }] };
      const at = out.indexOf(victim);
      out.splice(sh.before ? at : at + 1, 0, twin);
    }
    return out;
  };
  const { node } = fc.letrec<{ node: HostileNode }>((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.record({ type: fc.constant('f' as const), name, mode: fileMode, data: fc.constantFrom('', 'x', 'payload') }),
      fc.record({ type: fc.constant('s' as const), name, target }),
      fc.record({ type: fc.constant('' as const), name }),
      fc.record({
        type: fc.constant('d' as const), name, mode: dirMode,
        children: fc.tuple(kids(tie('node'), 0, 4), shadows(2)).map(([k, s]) => withShadows(k, s)),
      }),
    ),
  }));
  return fc.record({
    type: fc.constant('d' as const), name: fc.constant('root'), mode: fc.constant(0o755),
    children: fc.tuple(kids(node, 1, 5), shadows(3)).map(([k, s]) => withShadows(k, s)),
  });
}

const MTIME = '2021-03-04T05:06:07.123456789Z';
const OWNER = 4242;

/** Writes the tree's objects with the repository's writer, listings in the order given; returns the root entry. */
export async function forgeTree(repo: RepositoryWriter, node: HostileNode): Promise<DirEntry> {
  const base = { name: node.name, mode: 0, size: 0, mtime: MTIME, uid: OWNER, gid: OWNER };
  const put = async (data: Uint8Array, prefix: string): Promise<string> => {
    const w = repo.objects.newWriter({ prefix });
    await w.write(data);
    return w.result();
  };
  switch (node.type) {
    case 'f':
      return { ...base, type: 'f', mode: node.mode, size: Buffer.byteLength(node.data), obj: await put(Buffer.from(node.data), '') };
    case 's':
      return { ...base, type: 's', mode: 0o777, obj: await put(Buffer.from(node.target), '') };
    case '':
      return { ...base, type: '', obj: await put(Buffer.from('unknown'), '') };
    case 'd': {
      const entries: DirEntry[] = [];
      for (const c of node.children) entries.push(await forgeTree(repo, c));
      // Deliberately unsorted, unlike encodeDirManifest: a forger controls the order.
      const json = `{"stream":"${DIRECTORY_STREAM_TYPE}","entries":[${entries.map(encodeDirEntry).join(',')}],"summary":null}\n`;
      return { ...base, type: 'd', mode: node.mode, obj: await put(Buffer.from(json), 'k') };
    }
  }
}

/** Everything about a tree that restore must not change: entries, types, modes, owners, mtimes, bytes, link targets. */
export async function recordTree(path: string): Promise<string[]> {
  const out: string[] = [];
  // Names as bytes: restored names need not be UTF-8.
  const visit = async (p: Buffer, rel: string): Promise<void> => {
    const st = await lstat(p, { bigint: true });
    let detail = '';
    if (st.isFile()) detail = createHash('sha256').update(await readFile(p)).digest('hex');
    else if (st.isSymbolicLink()) detail = `-> ${(await readlink(p, { encoding: 'buffer' })).toString('hex')}`;
    // Not nlink: planting a hard link to a sentinel file in the target changes it, legitimately.
    out.push(`${rel} ${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.mtimeNs} ${st.size} ${detail}`);
    if (!st.isDirectory()) return;
    const names = (await readdir(p, { encoding: 'buffer' })).sort(Buffer.compare);
    for (const n of names) await visit(Buffer.concat([p, Buffer.from('/'), n]), `${rel}/${n.toString('latin1')}`);
  };
  await visit(Buffer.from(path), '.');
  return out;
}
