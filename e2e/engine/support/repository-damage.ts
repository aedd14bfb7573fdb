// Damage for the fuzz test of the CLI's read paths (issue 8, item 2), applied to a copy of a small real
// filesystem repository. Two families, picked round-robin by kind with seeded parameters:
// - bytes: truncate, flip bits, zero a range, append junk or delete one blob file of a kind (format blob,
//   blobcfg, .shards, index blobs, data and metadata packs and their tails, maintenance and session blobs);
// - forged plaintext: what a writer holding the keys (or a bug) could store, written through the engine
//   so it passes authentication: listings and manifests whose JSON is cut or bit-flipped or has fields of
//   the wrong type, index blobs with damaged plaintext, indirect objects that do not parse.
import { readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { openBlobStore } from '../../../mover/src/engine/blob/open-blob-store.ts';
import { decryptBlob, encryptBlob } from '../../../mover/src/engine/crypto/blob-crypto.ts';
import { openRepository, type Repository } from '../../../mover/src/engine/repo/open-repository.ts';
import type { DirEntry } from '../../../mover/src/engine/snapshot/dir-entry.ts';
import { decodeDirManifest, encodeDirManifest } from '../../../mover/src/engine/snapshot/dir-manifest.ts';
import { snapshotLabels, snapshotManifestToJson } from '../../../mover/src/engine/snapshot/snapshot-manifest.ts';
import { listSnapshots, saveSnapshot } from '../../../mover/src/engine/snapshot/snapshot-manager.ts';

/** A seeded PRNG (mulberry32): the same seed gives the same damage. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(items.length)]!;
  }
}

export const BYTE_KINDS = ['format-blob', 'blobcfg', 'shards', 'index-blob', 'data-pack', 'metadata-pack', 'pack-tail', 'maintenance-blob', 'any-blob-deleted'] as const;
export const FORGED_KINDS = ['listing-json', 'listing-fields', 'manifest-content', 'snapshot-payload', 'index-plaintext', 'indirect-object'] as const;
export const DAMAGE_KINDS = [...BYTE_KINDS, ...FORGED_KINDS] as const;
export type DamageKind = (typeof DAMAGE_KINDS)[number];

/** Relative paths of the blob files (and `.shards`) of a filesystem repository. */
async function repoFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push(relative(root, p));
    }
  };
  await walk(root);
  return out.sort();
}

const blobIdOf = (rel: string): string => rel.replace(/\//g, '').replace(/\.f$/, '');

function filesOfKind(files: readonly string[], kind: DamageKind): string[] {
  const id = (f: string): string => blobIdOf(f);
  switch (kind) {
    case 'format-blob': return files.filter((f) => id(f) === 'kopia.repository');
    case 'blobcfg': return files.filter((f) => id(f) === 'kopia.blobcfg');
    case 'shards': return files.filter((f) => f === '.shards');
    case 'index-blob': return files.filter((f) => id(f).startsWith('x'));
    case 'data-pack': return files.filter((f) => id(f).startsWith('p'));
    case 'metadata-pack': return files.filter((f) => id(f).startsWith('q'));
    case 'pack-tail': return files.filter((f) => /^[pq]/.test(id(f)));
    case 'maintenance-blob': return files.filter((f) => id(f) === 'kopia.maintenance' || id(f).startsWith('s') || id(f).startsWith('_log'));
    default: return [...files];
  }
}

/** Damages one file's bytes; returns what was done. */
async function damageBytes(root: string, rng: Rng, kind: DamageKind): Promise<string> {
  const files = filesOfKind(await repoFiles(root), kind);
  if (files.length === 0) return `no ${kind} file: nothing damaged`;
  const rel = rng.pick(files);
  const path = join(root, rel);
  if (kind === 'any-blob-deleted') {
    await rm(path);
    return `deleted ${rel}`;
  }
  const bytes = await readFile(path);
  const how = kind === 'pack-tail' ? 'tail' : rng.pick(['truncate', 'flip', 'zero', 'append', 'flip']);
  if (how === 'truncate') {
    const len = rng.int(bytes.length);
    await truncate(path, len);
    return `truncated ${rel} from ${bytes.length} to ${len} bytes`;
  }
  if (how === 'append') {
    await writeFile(path, Buffer.concat([bytes, Buffer.from(Array.from({ length: 1 + rng.int(64) }, () => rng.int(256)))]));
    return `appended junk to ${rel}`;
  }
  if (how === 'zero') {
    const at = rng.int(bytes.length);
    const len = 1 + rng.int(Math.min(4096, bytes.length - at));
    bytes.fill(0, at, at + len);
    await writeFile(path, bytes);
    return `zeroed ${len} bytes at ${at} of ${rel}`;
  }
  const flips = 1 + rng.int(8);
  const window = how === 'tail' ? Math.min(64, bytes.length) : bytes.length;
  const at: number[] = [];
  for (let i = 0; i < flips && bytes.length > 0; i++) {
    const pos = bytes.length - window + rng.int(window);
    bytes[pos] = bytes[pos]! ^ (1 << rng.int(8));
    at.push(pos);
  }
  await writeFile(path, bytes);
  return `flipped bits at ${at.join(',')} of ${rel} (${bytes.length} bytes)`;
}

/** Cuts or bit-flips a JSON text. */
function damageText(text: string, rng: Rng): string {
  const b = Buffer.from(text, 'utf8');
  if (rng.next() < 0.4) return b.subarray(0, rng.int(b.length)).toString('latin1');
  for (let i = 1 + rng.int(4); i > 0; i--) {
    const pos = rng.int(b.length);
    b[pos] = b[pos]! ^ (1 << rng.int(7));
  }
  return b.toString('latin1');
}

/** A listing's JSON with at least one entry (an empty directory gets a file). */
function entriesOf(listingJson: string): { entries: Record<string, unknown>[] } {
  const doc = JSON.parse(listingJson) as { entries: Record<string, unknown>[] | null };
  if (doc.entries === null || doc.entries.length === 0) doc.entries = [{ name: 'added', type: 'f', mode: '0644', size: 1, obj: 'ab'.repeat(16) }];
  return doc as { entries: Record<string, unknown>[] };
}

const WRONG_VALUES: readonly unknown[] = ['x', -1, 1e300, null, true, [], {}, '..', '', 'I', 'Zzz', 'kxyz', '9999-99-99T99:99:99Z', 2 ** 53 + 2];

/** Replaces one field of one entry with a value of the wrong type or range. */
function damageFields(listingJson: string, rng: Rng): string {
  const doc = entriesOf(listingJson);
  const e = rng.pick(doc.entries);
  e[rng.pick(['name', 'type', 'mode', 'size', 'mtime', 'uid', 'gid', 'obj', 'summ'])] = rng.pick(WRONG_VALUES);
  return JSON.stringify(doc);
}

async function writeObject(repo: Repository, data: Uint8Array, prefix: string): Promise<string> {
  const w = repo.objects.newWriter({ prefix });
  await w.write(data);
  return w.result();
}

/** A new snapshot of the latest one's source whose tree has `damage` applied to one listing. */
async function forgeListing(repo: Repository, rng: Rng, damage: (json: string) => string): Promise<string> {
  const latest = (await listSnapshots(repo.manifests)).at(-1)!;
  const rewrite = async (entry: DirEntry, depth: number): Promise<string> => {
    const listing = decodeDirManifest(await (await repo.objects.openObject(entry.obj)).readAll(), entry.obj);
    const dirs = listing.entries.filter((c) => c.type === 'd');
    if (dirs.length > 0 && rng.next() < 0.6) {
      const child = rng.pick(dirs);
      const obj = await rewrite(child, depth + 1);
      const entries = listing.entries.map((c) => (c === child ? { ...c, obj } : c));
      return writeObject(repo, encodeDirManifest(entries, listing.summary), 'k');
    }
    const text = encodeDirManifest(listing.entries, listing.summary).toString('utf8');
    return writeObject(repo, Buffer.from(damage(text), 'latin1'), 'k');
  };
  const root = latest.rootEntry!;
  const obj = await rewrite(root, 0);
  await saveSnapshot(repo.manifests, { ...latest, id: '', rootEntry: { ...root, obj } });
  return `forged snapshot of ${latest.id} with a damaged listing`;
}

async function forgeIndexPlaintext(repo: Repository, rng: Rng): Promise<string> {
  const ids: string[] = [];
  for await (const b of repo.blobs.list('xn')) ids.push(b.id);
  const id = rng.pick(ids);
  const dash = id.indexOf('-');
  const plain = decryptBlob(repo.encryptor, id, await repo.blobs.get(id));
  const damaged = Buffer.from(plain);
  let what: string;
  if (rng.next() < 0.4) {
    what = 'cut';
    const cut = damaged.subarray(0, rng.int(damaged.length));
    const { blobId, data } = encryptBlob(repo.hasher, repo.encryptor, id.slice(0, dash - 32), id.slice(dash + 1), cut);
    await repo.blobs.put(blobId, data);
  } else {
    what = 'bit-flipped';
    for (let i = 1 + rng.int(6); i > 0; i--) {
      const pos = rng.int(damaged.length);
      damaged[pos] = damaged[pos]! ^ (1 << rng.int(8));
    }
    const { blobId, data } = encryptBlob(repo.hasher, repo.encryptor, id.slice(0, dash - 32), id.slice(dash + 1), damaged);
    await repo.blobs.put(blobId, data);
  }
  await repo.blobs.delete(id);
  return `replaced index blob ${id} by a ${what} copy of its plaintext`;
}

async function forge(repo: Repository, rng: Rng, kind: DamageKind): Promise<string> {
  switch (kind) {
    case 'listing-json':
      return forgeListing(repo, rng, (t) => damageText(t, rng));
    case 'listing-fields':
      return forgeListing(repo, rng, (t) => damageFields(t, rng));
    case 'manifest-content': {
      const latest = (await listSnapshots(repo.manifests)).at(-1)!;
      const doc = JSON.stringify({ entries: [{ id: 'f'.repeat(32), labels: snapshotLabels(latest), modified: '2030-01-01T00:00:00Z', data: snapshotManifestToJson(latest) }] });
      const text = damageText(doc, rng);
      const gz = rng.next() < 0.3 ? damageText(gzipSync(text).toString('latin1'), rng) : gzipSync(Buffer.from(text, 'latin1')).toString('latin1');
      await repo.contents.writeContent(Buffer.from(gz, 'latin1'), { prefix: 'm' });
      return 'wrote a manifest content with damaged gzip/JSON';
    }
    case 'snapshot-payload': {
      const latest = (await listSnapshots(repo.manifests)).at(-1)!;
      const payload = snapshotManifestToJson(latest);
      const key = rng.pick([...Object.keys(payload), 'rootEntry', 'source']);
      const root = payload['rootEntry'] as Record<string, unknown>;
      if (key === 'rootEntry' && rng.next() < 0.7) root[rng.pick(['obj', 'type', 'mtime', 'mode', 'size', 'summ'])] = rng.pick(WRONG_VALUES);
      else payload[key] = rng.pick(WRONG_VALUES);
      await repo.manifests.put(snapshotLabels(latest), payload);
      return `wrote a snapshot manifest whose ${key} is damaged`;
    }
    case 'index-plaintext':
      return forgeIndexPlaintext(repo, rng);
    case 'indirect-object':
      return forgeListing(repo, rng, (t) => {
        const doc = entriesOf(t);
        const files = doc.entries.filter((e) => e['type'] === 'f');
        const target = files.length > 0 ? rng.pick(files) : rng.pick(doc.entries);
        target['obj'] = pendingIndirect;
        return JSON.stringify(doc);
      });
    default:
      throw new Error(`not a forged kind: ${kind}`);
  }
}

// The indirect object of the 'indirect-object' kind, written before the listing that names it.
let pendingIndirect = '';

export interface AppliedDamage {
  readonly kind: DamageKind;
  readonly what: string;
}

/** Applies damage of `kind` to the filesystem repository at `root`. */
export async function damageRepository(root: string, kind: DamageKind, rng: Rng, password: string): Promise<AppliedDamage> {
  if ((BYTE_KINDS as readonly string[]).includes(kind)) return { kind, what: await damageBytes(root, rng, kind) };
  const repo = await openRepository(await openBlobStore(`file://${root}`), password, { username: 'fuzz', hostname: 'fuzz' });
  try {
    if (kind === 'indirect-object') {
      const indirect = damageText(JSON.stringify({ stream: 'kopia:indirect', entries: [{ l: 5, o: 'ab'.repeat(16) }, { s: 5, l: 3, o: 'I' }] }), rng);
      pendingIndirect = `I${await repo.contents.writeContent(Buffer.from(indirect, 'latin1'), { prefix: 'x' })}`;
    }
    const what = await forge(repo, rng, kind);
    await repo.flush();
    return { kind, what };
  } finally {
    await repo.close();
  }
}
