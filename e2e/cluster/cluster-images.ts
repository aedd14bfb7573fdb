// The two images the e2e cluster imports into containerd, built from local files (no registry is reachable):
// the kubelet's sandbox ("pause") image from Cairn's own static pause program, and the Cairn image (operator
// and mover in one) from e2e/image, the same layout the Dockerfile builds.
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCairnImage } from '../image/build-image.ts';
import { DEFAULT_IMAGE_NAME } from '../image/cairn-image.ts';
import { writeOciArchive } from '../image/oci-archive.ts';
import { PAUSE_IMAGE } from './containerd.ts';
import { findClusterBinaries } from './cluster-binaries.ts';

export interface ClusterImages {
  readonly pause: string;
  readonly cairn: string;
  readonly cairnName: string;
}

export async function buildClusterImages(outDir = join(tmpdir(), 'cairn-e2e-images')): Promise<ClusterImages> {
  mkdirSync(outDir, { recursive: true });
  const b = findClusterBinaries();
  const stage = mkdtempSync(join(tmpdir(), 'cairn-pause-'));
  try {
    copyFileSync(b.pause, join(stage, 'pause'));
    chmodSync(join(stage, 'pause'), 0o755);
    await writeOciArchive({ layers: [stage], config: { entrypoint: ['/pause'], user: '65535:65535' }, name: PAUSE_IMAGE, out: join(outDir, 'pause.oci.tar') });
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
  const cairn = await buildCairnImage({ out: join(outDir, 'cairn.oci.tar'), name: DEFAULT_IMAGE_NAME });
  return { pause: join(outDir, 'pause.oci.tar'), cairn: cairn.out, cairnName: DEFAULT_IMAGE_NAME };
}
