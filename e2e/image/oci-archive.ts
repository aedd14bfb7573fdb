// Writes a container image as one tar archive that both `ctr images import` and `docker load` accept,
// without a registry or a Go tool: an OCI image layout (oci-layout, index.json, blobs/sha256/...) plus
// Docker's manifest.json naming the same blobs. Each given directory becomes one gzip layer, in order.
// Reproducible: layer tars are deterministic (deterministic-tar.ts), gzip from node:zlib writes no time or
// name, and `created` is fixed, so the same inputs give the same digests.
//
// Reusable on purpose: the cluster scenario builds the kubelet's pause image with it as well, e.g.
//   writeOciArchive({ layers: [dirWithStaticPause], config: { entrypoint: ['/pause'] },
//                     name: 'registry.k8s.io/pause:3.10', out: 'pause.oci.tar' })
import { createHash, type Hash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { tarDirectory } from './deterministic-tar.ts';

export const MEDIA_TYPES = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

/** The image's runtime configuration (the `config` object of an OCI image config). */
export interface ImageConfig {
  readonly user?: string;
  readonly workingDir?: string;
  readonly entrypoint?: readonly string[];
  readonly cmd?: readonly string[];
  readonly env?: readonly string[];
  readonly labels?: Readonly<Record<string, string>>;
}

export interface OciArchiveOptions {
  /** Root filesystem directories, one layer each, bottom first. */
  readonly layers: readonly string[];
  readonly config: ImageConfig;
  /** A full reference with a tag, e.g. cairn.dev/cairn:dev. */
  readonly name: string;
  /** The archive to write (atomically: a temporary file next to it, then rename). */
  readonly out: string;
  readonly architecture?: string;
  /** Unix seconds for layer mtimes and `created` (default 0, for reproducible digests). */
  readonly epochSeconds?: number;
}

export interface LayerBlob {
  readonly digest: string;
  readonly size: number;
  readonly diffId: string;
  readonly uncompressedSize: number;
}

export interface OciArchiveResult {
  readonly name: string;
  /** Digest of the image manifest: what `ctr images ls` shows for the imported image. */
  readonly manifestDigest: string;
  readonly configDigest: string;
  readonly layers: readonly LayerBlob[];
  readonly archiveSize: number;
}

/** Passes bytes through while hashing and counting them. */
class Digester extends Transform {
  readonly hash: Hash = createHash('sha256');
  bytes = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    cb(null, chunk);
  }
  digest(): string {
    return `sha256:${this.hash.digest('hex')}`;
  }
}

const NAME_WITH_TAG = /^(?<repo>[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*):(?<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})$/;

/** The tag of a full image reference; throws a one-line error naming the fix when it is not one. */
export function imageTag(name: string): string {
  const m = NAME_WITH_TAG.exec(name);
  if (m === null) throw new Error(`image name ${JSON.stringify(name)} is not a lower-case reference with a tag; use e.g. cairn.dev/cairn:dev`);
  return m.groups!['tag']!;
}

/** Waits for both (a failed pipeline makes tar fail too: neither rejection may go unobserved). */
async function settleBoth(a: Promise<void>, b: Promise<void>): Promise<void> {
  const [ra, rb] = await Promise.allSettled([a, b]);
  if (rb.status === 'rejected') throw rb.reason;
  if (ra.status === 'rejected') throw ra.reason;
}

function blobPath(layoutDir: string, digest: string): string {
  return join(layoutDir, 'blobs', 'sha256', digest.slice('sha256:'.length));
}

async function writeJsonBlob(layoutDir: string, value: unknown): Promise<{ digest: string; size: number }> {
  const bytes = Buffer.from(JSON.stringify(value));
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  await writeFile(blobPath(layoutDir, digest), bytes);
  return { digest, size: bytes.length };
}

async function writeLayer(layoutDir: string, dir: string, index: number, epochSeconds: number): Promise<LayerBlob> {
  const tmp = join(layoutDir, 'blobs', 'sha256', `.layer-${index}.partial`);
  const tar = await tarDirectory(dir, epochSeconds);
  const uncompressed = new Digester();
  const compressed = new Digester();
  await settleBoth(pipeline(tar.stream, uncompressed, createGzip(), compressed, createWriteStream(tmp)), tar.done);
  const layer = { digest: compressed.digest(), size: compressed.bytes, diffId: uncompressed.digest(), uncompressedSize: uncompressed.bytes };
  await rename(tmp, blobPath(layoutDir, layer.digest));
  return layer;
}

function imageConfigJson(o: OciArchiveOptions, layers: readonly LayerBlob[], created: string): unknown {
  const c = o.config;
  return {
    created,
    architecture: o.architecture ?? 'amd64',
    os: 'linux',
    config: {
      ...(c.user !== undefined ? { User: c.user } : {}),
      ...(c.env !== undefined ? { Env: [...c.env] } : {}),
      ...(c.entrypoint !== undefined ? { Entrypoint: [...c.entrypoint] } : {}),
      ...(c.cmd !== undefined ? { Cmd: [...c.cmd] } : {}),
      ...(c.workingDir !== undefined ? { WorkingDir: c.workingDir } : {}),
      ...(c.labels !== undefined ? { Labels: { ...c.labels } } : {}),
    },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    // One entry per layer: docker load rejects more non-empty history entries than layers.
    history: layers.map((_, i) => ({ created, created_by: `e2e/image oci-archive: layer ${i + 1} of ${layers.length}` })),
  };
}

export async function writeOciArchive(o: OciArchiveOptions): Promise<OciArchiveResult> {
  if (o.layers.length === 0) throw new Error('an image needs at least one layer directory');
  const tag = imageTag(o.name);
  const epochSeconds = o.epochSeconds ?? 0;
  const created = new Date(epochSeconds * 1000).toISOString().replace(/\.000Z$/, 'Z');
  await mkdir(dirname(o.out), { recursive: true });
  const layoutDir = await mkdtemp(join(dirname(o.out), '.oci-layout-'));
  const partial = `${o.out}.partial`;
  try {
    await mkdir(join(layoutDir, 'blobs', 'sha256'), { recursive: true });
    const layers: LayerBlob[] = [];
    for (const [i, dir] of o.layers.entries()) layers.push(await writeLayer(layoutDir, dir, i, epochSeconds));
    const config = await writeJsonBlob(layoutDir, imageConfigJson(o, layers, created));
    const manifest = await writeJsonBlob(layoutDir, {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.manifest,
      config: { mediaType: MEDIA_TYPES.config, digest: config.digest, size: config.size },
      layers: layers.map((l) => ({ mediaType: MEDIA_TYPES.layer, digest: l.digest, size: l.size })),
    });
    await writeFile(join(layoutDir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    await writeFile(
      join(layoutDir, 'index.json'),
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.index,
        manifests: [
          {
            mediaType: MEDIA_TYPES.manifest,
            digest: manifest.digest,
            size: manifest.size,
            platform: { architecture: o.architecture ?? 'amd64', os: 'linux' },
            // containerd names the imported image after io.containerd.image.name; the OCI ref name is the tag.
            annotations: { 'io.containerd.image.name': o.name, 'org.opencontainers.image.ref.name': tag },
          },
        ],
      }),
    );
    // docker load (without the containerd image store) reads this instead of index.json; gzip layers are fine.
    const rel = (digest: string): string => `blobs/sha256/${digest.slice('sha256:'.length)}`;
    await writeFile(join(layoutDir, 'manifest.json'), JSON.stringify([{ Config: rel(config.digest), RepoTags: [o.name], Layers: layers.map((l) => rel(l.digest)) }]));
    const tar = await tarDirectory(layoutDir, epochSeconds);
    await settleBoth(pipeline(tar.stream, createWriteStream(partial)), tar.done);
    await rename(partial, o.out);
    return { name: o.name, manifestDigest: manifest.digest, configDigest: config.digest, layers, archiveSize: (await stat(o.out)).size };
  } finally {
    await rm(layoutDir, { recursive: true, force: true });
    await rm(partial, { force: true });
  }
}
