// Builds the big repositories of the "index" and "gc" bench runs quickly, through the engine's own writers, so
// that what cairn loads afterwards is exactly what a real repository holds:
// - index: N index entries (perBlob per index blob, one fake pack per blob) written as real kopia v2 index
//   blobs by the epoch manager. The packs are absent: only the index is measured.
// - gc: N tiny distinct contents written by the content manager (uncompressed, real packs), of which a share
//   is referenced by one snapshot whose root directory holds a few huge indirect files listing them (an
//   indirect object lists its chunks, so N contents need no N-file tree); the rest is garbage for GC.
// Content IDs are md5(i) in hex: uniformly spread like keyed hashes, and reproducible by the probe.
import { createHash } from 'node:crypto';
import { openBlobStore } from '../engine/blob/open-blob-store.ts';
import type { ContentInfo } from '../engine/content/content-info.ts';
import { EpochManager } from '../engine/content/epoch-manager.ts';
import { IndexBuilder } from '../engine/content/index-builder.ts';
import { encodeIndexV2 } from '../engine/content/index-v2.ts';
import type { IndirectEntry } from '../engine/object/indirect-object.ts';
import { createRepository, openRepository } from '../engine/repo/open-repository.ts';
import type { DirEntry } from '../engine/snapshot/dir-entry.ts';
import { encodeDirManifest, summarizeDirectory } from '../engine/snapshot/dir-manifest.ts';
import { emptySnapshotStats } from '../engine/snapshot/snapshot-manifest.ts';
import { saveSnapshot } from '../engine/snapshot/snapshot-manager.ts';
import { openRepositoryFormat } from '../engine/format/open-repository-format.ts';

/** The content ID of entry i of the index run (32 hex digits, a 128-bit hash). */
export function benchContentId(i: number): string {
  return createHash('md5').update(`cairn-bench-${i}`).digest('hex');
}

function log(msg: string): void {
  process.stderr.write(`${new Date().toISOString()} ${msg}\n`);
}

/** A repository at `repoDir` whose index holds n entries, perBlob per index blob. */
export async function buildIndexRepo(repoDir: string, password: string, n: number, perBlob: number): Promise<void> {
  const store = await openBlobStore(`file://${repoDir}`, { create: true, requireEmpty: true });
  await createRepository(store, password);
  const format = await openRepositoryFormat(store, password);
  const epochs = new EpochManager(store, format.config.epochParameters, { hasher: format.hasher, encryptor: format.encryptor, now: () => new Date() });
  const ts = Math.floor(Date.now() / 1000);
  let written = 0;
  for (let blob = 0; written < n; blob++) {
    const count = Math.min(perBlob, n - written);
    const builder = new IndexBuilder(count);
    const pack = `p${createHash('md5').update(`pack-${blob}`).digest('hex')}`;
    for (let j = 0; j < count; j++) {
      const info: ContentInfo = {
        contentId: benchContentId(written + j), packBlobId: pack, packOffset: j * 80, packedLength: 80, originalLength: 48,
        timestampSeconds: ts, deleted: false, compressionHeaderId: 0, formatVersion: 2, encryptionKeyId: 0,
      };
      builder.add(info);
    }
    await epochs.writeIndexBlobs([encodeIndexV2(builder.sorted())], `s${createHash('md5').update(`session-${blob}`).digest('hex')}`);
    written += count;
    if (blob % 100 === 99) log(`index: ${written} of ${n} entries written`);
  }
  await store.close();
}

const CONTENTS_PER_INDIRECT = 100_000;
const FLUSH_EVERY = 1_000_000;
const MTIME = '2026-01-01T00:00:00Z';

/**
 * A repository at `repoDir` with n contents: the first `referenced` in `files` huge indirect files of one
 * snapshot, the rest unreferenced. A file lists indirect parts, each listing its chunks (nested indirection).
 */
export async function buildGcRepo(repoDir: string, password: string, n: number, referenced: number, files: number): Promise<void> {
  const store = await openBlobStore(`file://${repoDir}`, { create: true, requireEmpty: true });
  await createRepository(store, password);
  const repo = await openRepository(store, password);
  const payload = Buffer.alloc(32);
  const perFile = Math.ceil(referenced / files);
  const fileEntries: DirEntry[] = [];
  let chunks: IndirectEntry[] = [];
  let parts: IndirectEntry[] = [];
  let fileSize = 0;
  let partStart = 0;
  // a part lists up to CONTENTS_PER_INDIRECT chunks (offsets within the part); the file lists its parts
  const endPart = async (): Promise<void> => {
    if (chunks.length === 0) return;
    parts.push({ start: partStart, length: fileSize - partStart, objectId: await repo.objects.writeIndirect(chunks) });
    chunks = [];
    partStart = fileSize;
  };
  const endFile = async (): Promise<void> => {
    await endPart();
    if (parts.length === 0) return;
    const obj = parts.length === 1 ? parts[0]!.objectId : await repo.objects.writeIndirect(parts);
    fileEntries.push({ name: `file-${fileEntries.length}`, type: 'f', mode: 0o644, size: fileSize, mtime: MTIME, uid: 0, gid: 0, obj });
    parts = [];
    fileSize = 0;
    partStart = 0;
  };
  for (let i = 0; i < n; i++) {
    payload.writeUInt32BE(i, 0);
    payload.writeUInt32BE(Math.floor(i / 2 ** 32), 4);
    const id = await repo.contents.writeContent(payload, { prefix: '' });
    if (i < referenced) {
      chunks.push({ start: fileSize - partStart, length: payload.length, objectId: id });
      fileSize += payload.length;
      if (chunks.length === CONTENTS_PER_INDIRECT) await endPart();
      if (i + 1 === referenced || (i + 1) % perFile === 0) await endFile();
    }
    if ((i + 1) % FLUSH_EVERY === 0) {
      await repo.flush();
      log(`gc: ${i + 1} of ${n} contents written`);
    }
  }
  await endFile();
  fileEntries.sort((a, b) => (a.name < b.name ? -1 : 1));
  const summ = summarizeDirectory(fileEntries, { dirMtime: MTIME });
  const w = repo.objects.newWriter({ prefix: 'k', description: 'root' });
  await w.write(encodeDirManifest(fileEntries, summ));
  const root: DirEntry = { name: 'root', type: 'd', mode: 0o755, size: 0, mtime: MTIME, uid: 0, gid: 0, obj: await w.result(), summ };
  const t = new Date().toISOString();
  await saveSnapshot(repo.manifests, {
    id: '', source: { host: 'bench', userName: 'bench', path: '/scale' }, description: 'scale bench', startTime: t, endTime: t,
    stats: emptySnapshotStats(), rootEntry: root,
  });
  await repo.flush();
  await repo.close();
}
