// Builds the Cairn image without any image registry: the Dockerfile's layout from local files (see
// cairn-rootfs.ts) written as an OCI archive that `ctr images import` and `docker load` accept.
//
//   npm run image -- [--out PATH] [--name NAME] [--debug]
//   ctr -n k8s.io images import .cache/image/cairn.oci.tar     # or: docker load -i .cache/image/cairn.oci.tar
//
// Needs: `npm ci` done (Node 24 from the `node` package, zstd-napi compiled), GNU tar, ldd, the host's
// Debian 12 libraries and CA bundle. Prints the image name, its manifest digest and the sizes.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CAIRN_IMAGE_CONFIG, DEFAULT_IMAGE_NAME } from './cairn-image.ts';
import { stageCairnRootfs } from './cairn-rootfs.ts';
import { type OciArchiveResult, writeOciArchive } from './oci-archive.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DEFAULT_OUT = join(REPO_ROOT, '.cache', 'image', 'cairn.oci.tar');

export interface BuildCairnImageOptions {
  readonly repoRoot?: string;
  readonly out?: string;
  readonly name?: string;
}

export interface BuiltImage extends OciArchiveResult {
  readonly out: string;
  readonly durationMs: number;
}

/** Stages the root filesystem in a temporary directory, writes the archive, removes the staging area. */
export async function buildCairnImage(o: BuildCairnImageOptions = {}): Promise<BuiltImage> {
  const started = performance.now();
  const out = resolve(o.out ?? DEFAULT_OUT);
  const work = await mkdtemp(join(tmpdir(), 'cairn-image-'));
  try {
    const rootfs = await stageCairnRootfs(o.repoRoot ?? REPO_ROOT, work);
    const result = await writeOciArchive({ layers: [rootfs.base, rootfs.app], config: CAIRN_IMAGE_CONFIG, name: o.name ?? DEFAULT_IMAGE_NAME, out });
    return { ...result, out, durationMs: performance.now() - started };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;

const USAGE = 'usage: npm run image -- [--out PATH] [--name NAME] [--debug]';

async function main(argv: readonly string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { out: { type: 'string' }, name: { type: 'string' }, debug: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }));
  } catch (e) {
    console.error(`build-image: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help === true) {
    console.log(`${USAGE}\n  --out PATH   archive to write (default ${DEFAULT_OUT})\n  --name NAME  image reference (default ${DEFAULT_IMAGE_NAME})`);
    return 0;
  }
  try {
    const img = await buildCairnImage({ ...(values.out !== undefined ? { out: values.out } : {}), ...(values.name !== undefined ? { name: values.name } : {}) });
    const compressed = img.layers.reduce((n, l) => n + l.size, 0);
    const uncompressed = img.layers.reduce((n, l) => n + l.uncompressedSize, 0);
    console.log(`image    ${img.name}`);
    console.log(`digest   ${img.manifestDigest}`);
    console.log(`archive  ${img.out} (${mb(img.archiveSize)})`);
    console.log(`layers   ${img.layers.length}: ${mb(compressed)} compressed, ${mb(uncompressed)} uncompressed`);
    console.log(`took     ${(img.durationMs / 1000).toFixed(1)} s`);
    return 0;
  } catch (e) {
    console.error(`build-image: ${values.debug === true ? ((e as Error).stack ?? String(e)) : (e as Error).message}`);
    return 1;
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
