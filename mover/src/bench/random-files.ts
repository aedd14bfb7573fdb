// Incompressible test data: `count` files of AES-256-CTR keystream (seeded, so reruns write the same bytes)
// adding up to `totalBytes`, written in 4 MiB pieces so memory stays flat whatever the size.
import { createCipheriv, createHash } from 'node:crypto';
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';

const PIECE = 4 << 20;

export async function writeRandomFiles(dir: string, totalBytes: number, count: number, seed = 'cairn-bench'): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const key = createHash('sha256').update(seed).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(PIECE);
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const size = Math.floor(totalBytes / count) + (i < totalBytes % count ? 1 : 0);
    const path = join(dir, `random-${String(i).padStart(3, '0')}.bin`);
    const fh = await open(path, 'wx');
    try {
      for (let done = 0; done < size; ) {
        const n = Math.min(PIECE, size - done);
        const piece = cipher.update(zeros.subarray(0, n));
        await fh.writeFile(piece); // writes all of it at the current position
        done += n;
      }
    } finally {
      await fh.close();
    }
    files.push(path);
  }
  return files;
}
