import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBlobStore } from '../blob/memory-store.ts';
import { hkdfSha256, type PasswordKeyDeriver } from '../crypto/key-derivation.ts';
import { isCairnError } from '../errors.ts';
import { createRepositoryFormat } from './create-repository-format.ts';
import { openRepositoryFormat } from './open-repository-format.ts';
import { passwordKeyCache, type PasswordKeyCache } from './password-key-cache.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A cheap stand-in for scrypt that counts its calls (the cache's own seal uses the real scrypt, at N=4096). */
function countingKdf(): { kdf: PasswordKeyDeriver; calls: () => number } {
  let n = 0;
  return {
    kdf: async (algo, password, salt, len) => {
      n++;
      return hkdfSha256(Buffer.from(password), salt, `test-kdf ${algo}`, len);
    },
    calls: () => n,
  };
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-keycache-'));
  dirs.push(dir);
  return dir;
}

/** The key cache under an absolute directory (never undefined there). */
function cacheAt(dir: string): PasswordKeyCache {
  const cache = passwordKeyCache(dir);
  if (cache === undefined) throw new Error(`no key cache for ${dir}`);
  return cache;
}

/** A repository (created without a cache) and an empty cache directory. */
async function setUp(): Promise<{ store: MemoryBlobStore; cacheDir: string; keyCache: PasswordKeyCache; file: string }> {
  const cacheDir = tempDir();
  const store = new MemoryBlobStore();
  const { kdf } = countingKdf();
  const format = await createRepositoryFormat(store, 'right', { passwordKeyDeriver: kdf });
  return { store, cacheDir, keyCache: cacheAt(cacheDir), file: join(cacheDir, format.uniqueId.toString('hex'), 'password-key') };
}

async function wrongPassword(p: Promise<unknown>): Promise<boolean> {
  try {
    await p;
    return false;
  } catch (e) {
    return isCairnError(e) && e.code === 'WRONG_PASSWORD';
  }
}

describe('passwordKeyCache', () => {
  it('skips the password KDF once a run has opened the repository, and keeps the file private', async () => {
    const { store, keyCache, file } = await setUp();
    const { kdf, calls } = countingKdf();
    const first = await openRepositoryFormat(store, 'right', { passwordKeyDeriver: kdf, keyCache });
    expect(calls()).toBe(1);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const second = await openRepositoryFormat(store, 'right', { passwordKeyDeriver: kdf, keyCache });
    expect(calls()).toBe(1);
    expect(second.deriveKey('test', 32).equals(first.deriveKey('test', 32))).toBe(true);
    // the file holds neither the key nor the password in the clear
    const bytes = readFileSync(file);
    expect(bytes.includes(hkdfSha256(Buffer.from('right'), first.uniqueId, `test-kdf ${first.keyAlgo}`, 32))).toBe(false);
    expect(bytes.includes(Buffer.from('right'))).toBe(false);
  });

  it('creating a repository keeps its key, so the first open skips the KDF too', async () => {
    const keyCache = cacheAt(tempDir());
    const store = new MemoryBlobStore();
    const { kdf, calls } = countingKdf();
    await createRepositoryFormat(store, 'right', { passwordKeyDeriver: kdf, keyCache });
    await openRepositoryFormat(store, 'right', { passwordKeyDeriver: kdf, keyCache });
    expect(calls()).toBe(1);
  });

  it('a wrong password is refused and does not replace the entry of the right one', async () => {
    const { store, keyCache, file } = await setUp();
    const { kdf, calls } = countingKdf();
    const options = { passwordKeyDeriver: kdf, keyCache };
    await openRepositoryFormat(store, 'right', options);
    const entry = readFileSync(file);
    expect(await wrongPassword(openRepositoryFormat(store, 'wrong', options))).toBe(true);
    expect(calls()).toBe(2); // the wrong password cannot open the entry, so the KDF ran (and failed the config)
    expect(readFileSync(file).equals(entry)).toBe(true);
    await openRepositoryFormat(store, 'right', options);
    expect(calls()).toBe(2);
  });

  it('a damaged entry, or one whose key no longer opens kopia.repository, falls back to the KDF and is rewritten', async () => {
    const { store, keyCache, file } = await setUp();
    const { kdf, calls } = countingKdf();
    const options = { passwordKeyDeriver: kdf, keyCache };
    const opened = await openRepositoryFormat(store, 'right', options);
    const entry = readFileSync(file);
    entry[entry.length - 1] ^= 1;
    writeFileSync(file, entry);
    await openRepositoryFormat(store, 'right', options);
    expect(calls()).toBe(2);
    // one far larger than a sealed key is read only in part, and opens nothing
    writeFileSync(file, Buffer.concat([readFileSync(file), Buffer.alloc(1 << 20)]));
    await openRepositoryFormat(store, 'right', options);
    expect(calls()).toBe(3);
    // an entry sealed with the right password around a key that does not open the config (a stale entry)
    await keyCache.store(opened.keyAlgo, 'right', opened.uniqueId, Buffer.alloc(32, 7));
    const again = await openRepositoryFormat(store, 'right', options);
    expect(calls()).toBe(4);
    expect(again.deriveKey('test', 32).equals(opened.deriveKey('test', 32))).toBe(true);
    await openRepositoryFormat(store, 'right', options);
    expect(calls()).toBe(4);
  });

  it('is off for a relative directory, and an unwritable one only costs the KDF', async () => {
    expect(passwordKeyCache('relative/dir')).toBeUndefined();
    const { store, cacheDir } = await setUp();
    const blocker = join(cacheDir, 'file');
    writeFileSync(blocker, '');
    const keyCache = cacheAt(join(blocker, 'below')); // a path under a regular file cannot be created
    const { kdf, calls } = countingKdf();
    await openRepositoryFormat(store, 'right', { passwordKeyDeriver: kdf, keyCache });
    await openRepositoryFormat(store, 'right', { passwordKeyDeriver: kdf, keyCache });
    expect(calls()).toBe(2);
  });

  it('a key that cannot be renamed into place leaves no temporary file behind', async () => {
    const { store, keyCache, file } = await setUp();
    mkdirSync(join(file, 'occupied'), { recursive: true }); // a non-empty directory where the file goes
    const { kdf, calls } = countingKdf();
    await openRepositoryFormat(store, 'right', { passwordKeyDeriver: kdf, keyCache });
    expect(calls()).toBe(1);
    expect(readdirSync(dirname(file))).toEqual(['password-key']);
  });
});
