// A copy of the password-derived format key in the local cache directory, sealed with the password, so that
// opening the same repository again skips the repository's password KDF. That KDF (scrypt N=65536, r=8) costs
// ~0.28 s of CPU and 64 MiB of memory on every run: on an unchanged backup it was the largest single item of
// the peak RSS (the listings and the index are smaller). kopia avoids it by keeping the password itself on
// disk (repository.config.kopia-password) when there is no keyring; this keeps less: the file is useless
// without the password.
//
//   <cacheDir>/<uniqueID hex>/password-key = envelope(sealKey, uniqueID, formatKey)   (aes-gcm-envelope.ts)
//   sealKey = scrypt(password, "cairn password-key v1" ‖ 0 ‖ keyAlgo ‖ 0 ‖ uniqueID, N=4096, r=8, p=1)
//
// The seal's own scrypt (4 MiB, ~17 ms) keeps guessing the password from a stolen cache file costly (1/16 of
// the repository's KDF per guess, against none for kopia's password file). Nothing read from the file is
// trusted: a key that does not open kopia.repository is ignored and the password KDF runs as before, and a
// key is written only after it opened kopia.repository — so a wrong password never replaces a good entry.
// Like the blob cache, the key cache never fails a run: an unreadable or unwritable file is a miss.
import { randomBytes, scrypt } from 'node:crypto';
import { mkdir, open, rename, unlink, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { openAesGcmEnvelope, sealAesGcmEnvelope } from '../crypto/aes-gcm-envelope.ts';

const FILE_NAME = 'password-key';
const CONTEXT = 'cairn password-key v1';
const SEAL_N = 4096;
const SEAL_R = 8;
const SEAL_KEY_BYTES = 32;
/** A sealed 32-byte key is 60 bytes; anything read beyond this cannot open (the cache is not trusted). */
const MAX_FILE_BYTES = 256;

/** Where the format key of one repository may be kept between runs. */
export interface PasswordKeyCache {
  /** The cached format key when the password opens the entry; undefined otherwise (absent, other password, damaged). */
  load(keyAlgo: string, password: string, uniqueId: Buffer): Promise<Buffer | undefined>;
  /** Keeps `formatKey` (which has just opened kopia.repository). Never throws. */
  store(keyAlgo: string, password: string, uniqueId: Buffer, formatKey: Buffer): Promise<void>;
}

/** The key cache under `cacheDir` (the `--cache-dir` root); undefined for a relative path (the blob cache warns about it). */
export function passwordKeyCache(cacheDir: string): PasswordKeyCache | undefined {
  if (!isAbsolute(cacheDir)) return undefined;
  const dirOf = (uniqueId: Buffer): string => join(cacheDir, uniqueId.toString('hex'));
  const fileOf = (uniqueId: Buffer): string => join(dirOf(uniqueId), FILE_NAME);
  return {
    async load(keyAlgo, password, uniqueId) {
      let sealed: Buffer;
      try {
        sealed = await readAtMost(fileOf(uniqueId), MAX_FILE_BYTES);
      } catch {
        return undefined;
      }
      return openAesGcmEnvelope(await sealKey(keyAlgo, password, uniqueId), uniqueId, sealed) ?? undefined;
    },
    async store(keyAlgo, password, uniqueId, formatKey) {
      const file = fileOf(uniqueId);
      const tmp = `${file}.tmp-${randomBytes(6).toString('hex')}`;
      try {
        await mkdir(dirOf(uniqueId), { recursive: true, mode: 0o700 });
        await writeFile(tmp, sealAesGcmEnvelope(await sealKey(keyAlgo, password, uniqueId), uniqueId, formatKey), { mode: 0o600 });
        await rename(tmp, file);
      } catch {
        // a cache that cannot be written only costs the next run its KDF (and leaves no temporary file, as blob-cache.ts)
        await unlink(tmp).catch(() => undefined);
      }
    },
  };
}

async function readAtMost(path: string, limit: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buf = Buffer.alloc(limit);
    const { bytesRead } = await handle.read(buf, 0, limit, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

function sealKey(keyAlgo: string, password: string, uniqueId: Buffer): Promise<Buffer> {
  const salt = Buffer.concat([Buffer.from(`${CONTEXT}\0${keyAlgo}\0`, 'utf8'), uniqueId]);
  return new Promise((resolve, reject) => {
    scrypt(Buffer.from(password, 'utf8'), salt, SEAL_KEY_BYTES, { N: SEAL_N, r: SEAL_R, p: 1 }, (err, key) => {
      if (err === null) resolve(key);
      else reject(err);
    });
  });
}
