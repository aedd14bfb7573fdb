import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { listAll } from '../blob/blob-store.ts';
import { MemoryBlobStore } from '../blob/memory-store.ts';
import { openAesGcmEnvelope, sealAesGcmEnvelope } from '../crypto/aes-gcm-envelope.ts';
import { hkdfSha256, type PasswordKeyDeriver } from '../crypto/key-derivation.ts';
import { isCairnError } from '../errors.ts';
import { sealBlobStorageConfig } from './blob-storage-config.ts';
import { changeRepositoryPassword } from './change-password.ts';
import { createRepositoryFormat } from './create-repository-format.ts';
import { DEFAULT_EPOCH_PARAMETERS } from './format-defaults.ts';
import { parseFormatBlob, serializeFormatBlob } from './format-blob-json.ts';
import { openRepositoryFormat } from './open-repository-format.ts';

// A cheap stand-in for scrypt so tests of format logic stay fast; the real KDFs are tested below and in
// crypto/key-derivation.test.ts.
const fastKdf: PasswordKeyDeriver = async (algo, password, salt, len) => hkdfSha256(Buffer.from(password), salt, `test-kdf ${algo}`, len);
const fast = { passwordKeyDeriver: fastKdf };

async function codeOf(p: Promise<unknown>): Promise<{ code: string; message: string; hint: string | undefined }> {
  try {
    await p;
  } catch (e) {
    if (isCairnError(e)) return { code: e.code, message: e.message, hint: e.hint };
    throw e;
  }
  throw new Error('expected a CairnError');
}

const uniqueId = Buffer.alloc(32, 0x42);

/** Writes a kopia.repository whose sealed config is exactly `format` (plus outer extras), using fastKdf. */
async function writeRawRepository(store: MemoryBlobStore, password: string, format: Record<string, unknown>, outerExtras: Record<string, unknown> = {}): Promise<Buffer> {
  const fek = await fastKdf('scrypt-65536-8-1', password, uniqueId, 32);
  const plaintext = Buffer.from(JSON.stringify({ format }));
  await store.put('kopia.repository', serializeFormatBlob({
    tool: 'test', buildVersion: 'v0', buildInfo: '', uniqueId, keyAlgo: 'scrypt-65536-8-1', encryption: 'AES256_GCM',
    encryptedBlockFormat: sealAesGcmEnvelope(fek, uniqueId, plaintext), unknown: outerExtras,
  }));
  return fek;
}

function baseFormat(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    hash: 'HMAC-SHA256-128', encryption: 'AES256-GCM-HMAC-SHA256',
    secret: Buffer.alloc(32, 1).toString('base64'), masterKey: Buffer.alloc(32, 2).toString('base64'),
    version: 3, maxPackSize: 20971520, indexVersion: 2,
    epochParameters: { Enabled: true, EpochRefreshFrequency: 1200000000000, FullCheckpointFrequency: 7, CleanupSafetyMargin: 14400000000000, MinEpochDuration: 86400000000000, EpochAdvanceOnCountThreshold: 20, EpochAdvanceOnTotalSizeBytesThreshold: 10485760, DeleteParallelism: 4 },
    enablePasswordChange: true, splitter: 'DYNAMIC-4M-BUZHASH',
    ...over,
  };
}

describe('createRepositoryFormat', () => {
  it('writes kopia.blobcfg (30 bytes) and a pretty kopia.repository with Cairn\'s defaults', async () => {
    const store = new MemoryBlobStore();
    const f = await createRepositoryFormat(store, 'pw', fast);
    expect((await store.get('kopia.blobcfg')).length).toBe(30);
    const text = (await store.get('kopia.repository')).toString();
    expect(text.startsWith('{\n  "tool": "cairn",\n')).toBe(true);
    expect(text.endsWith('"\n}\n')).toBe(true);
    expect(Object.keys(JSON.parse(text) as object)).toEqual(['tool', 'buildVersion', 'buildInfo', 'uniqueID', 'keyAlgo', 'encryption', 'encryptedBlockFormat']);
    expect(f.keyAlgo).toBe('scrypt-65536-8-1');
    expect(f.uniqueId.length).toBe(32);
    expect(f.config).toMatchObject({
      hash: 'HMAC-SHA256-128', encryption: 'AES256-GCM-HMAC-SHA256', ecc: '', eccOverheadPercent: 0, version: 3,
      maxPackSize: 20 << 20, indexVersion: 2, enablePasswordChange: true, splitter: 'DYNAMIC-4M-BUZHASH',
    });
    expect(f.config.epochParameters).toEqual(DEFAULT_EPOCH_PARAMETERS);
    expect(f.config.hmacSecret.length).toBe(32);
    expect(f.config.masterKey.length).toBe(32);
    expect(f.config.masterKey.equals(f.config.hmacSecret)).toBe(false);
    expect(f.hasher.name).toBe('HMAC-SHA256-128');
    expect(f.encryptor.name).toBe('AES256-GCM-HMAC-SHA256');
  });

  it('seals the config with kopia\'s key order (same keys as the config kopia writes)', async () => {
    const store = new MemoryBlobStore();
    await createRepositoryFormat(store, 'pw', fast);
    const j = parseFormatBlob(await store.get('kopia.repository'), 'x');
    const pt = openAesGcmEnvelope(await fastKdf(j.keyAlgo, 'pw', j.uniqueId, 32), j.uniqueId, j.encryptedBlockFormat);
    const inner = JSON.parse(pt!.toString()) as { format: Record<string, unknown> };
    expect(Object.keys(inner)).toEqual(['format']);
    expect(Object.keys(inner.format)).toEqual(['hash', 'encryption', 'secret', 'masterKey', 'version', 'maxPackSize', 'indexVersion', 'epochParameters', 'enablePasswordChange', 'splitter']);
    expect(inner.format['epochParameters']).toEqual(baseFormat()['epochParameters']);
  });

  it('uses fresh random uniqueID, secret and master key each time', async () => {
    const a = await createRepositoryFormat(new MemoryBlobStore(), 'pw', fast);
    const b = await createRepositoryFormat(new MemoryBlobStore(), 'pw', fast);
    expect(a.uniqueId.equals(b.uniqueId)).toBe(false);
    expect(a.config.masterKey.equals(b.config.masterKey)).toBe(false);
    expect(a.config.hmacSecret.equals(b.config.hmacSecret)).toBe(false);
  });

  it('honours valid options', async () => {
    const f = await createRepositoryFormat(new MemoryBlobStore(), 'pw', {
      ...fast, hash: 'BLAKE2B-256-128', encryption: 'CHACHA20-POLY1305-HMAC-SHA256', splitter: 'DYNAMIC-1M-BUZHASH',
      maxPackSize: 40 << 20, keyAlgo: 'pbkdf2-sha256-600000', buildVersion: 'v1.2.3',
    });
    expect(f.config.hash).toBe('BLAKE2B-256-128');
    expect(f.encryptor.name).toBe('CHACHA20-POLY1305-HMAC-SHA256');
    expect(f.config.splitter).toBe('DYNAMIC-1M-BUZHASH');
    expect(f.config.maxPackSize).toBe(40 << 20);
    expect(f.keyAlgo).toBe('pbkdf2-sha256-600000');
    expect(parseFormatBlob(f.formatBlobBytes, 'x').buildVersion).toBe('v1.2.3');
  });

  it('refuses invalid options with USAGE naming the option and the valid values, writing nothing', async () => {
    const store = new MemoryBlobStore();
    const h = await codeOf(createRepositoryFormat(store, 'pw', { ...fast, hash: 'MD5' }));
    expect(h.code).toBe('USAGE');
    expect(h.message).toContain('hash');
    expect(h.message).toContain('"MD5"');
    expect(h.hint).toContain('BLAKE2B-256-128');
    const e = await codeOf(createRepositoryFormat(store, 'pw', { ...fast, encryption: 'AES128' }));
    expect(e.code).toBe('USAGE');
    expect(e.hint).toContain('CHACHA20-POLY1305-HMAC-SHA256');
    expect((await codeOf(createRepositoryFormat(store, 'pw', { ...fast, splitter: 'RANDOM' }))).code).toBe('USAGE');
    expect((await codeOf(createRepositoryFormat(store, 'pw', { ...fast, maxPackSize: 5 << 20 }))).code).toBe('USAGE');
    expect((await codeOf(createRepositoryFormat(store, 'pw', { ...fast, keyAlgo: 'argon2' }))).code).toBe('USAGE');
    expect((await codeOf(createRepositoryFormat(store, 'pw', { ...fast, epochParameters: { ...DEFAULT_EPOCH_PARAMETERS, minEpochDurationMs: 60_000 } }))).code).toBe('USAGE');
    expect((await codeOf(createRepositoryFormat(store, '', fast))).code).toBe('USAGE');
    expect(await listAll(store, '')).toEqual([]);
  });

  it('refuses with REPO_EXISTS when kopia.repository (or a stray kopia.blobcfg) is present', async () => {
    const store = new MemoryBlobStore();
    await createRepositoryFormat(store, 'pw', fast);
    const before = await store.get('kopia.repository');
    const err = await codeOf(createRepositoryFormat(store, 'pw2', fast));
    expect(err.code).toBe('REPO_EXISTS');
    expect(err.message).toContain('memory://');
    expect((await store.get('kopia.repository')).equals(before)).toBe(true);
    const stray = new MemoryBlobStore();
    await stray.put('kopia.blobcfg', Buffer.from('x'));
    const s = await codeOf(createRepositoryFormat(stray, 'pw', fast));
    expect(s.code).toBe('REPO_EXISTS');
    expect(s.hint).toContain('delete kopia.blobcfg');
  });

  it('removes its kopia.blobcfg when writing kopia.repository fails, so a retry can succeed', async () => {
    const store = new MemoryBlobStore();
    const put = store.put.bind(store);
    let fail = true;
    store.put = async (id, data, o) => {
      if (id === 'kopia.repository' && fail) throw new Error('network down');
      return put(id, data, o);
    };
    await expect(createRepositoryFormat(store, 'pw', fast)).rejects.toThrow('network down');
    expect(await listAll(store, '')).toEqual([]);
    fail = false;
    await createRepositoryFormat(store, 'pw', fast);
    expect((await openRepositoryFormat(store, 'pw', fast)).config.version).toBe(3);
  });
});

describe('openRepositoryFormat', () => {
  it('opens what create wrote, with the same keys', async () => {
    const store = new MemoryBlobStore();
    const created = await createRepositoryFormat(store, 'pw', fast);
    const opened = await openRepositoryFormat(store, 'pw', fast);
    expect(opened.uniqueId).toEqual(created.uniqueId);
    expect(opened.config).toEqual(created.config);
    expect(opened.blobStorageConfig).toEqual({ retentionMode: '', retentionPeriodMs: 0 });
    expect(opened.warnings).toEqual([]);
    expect(opened.formatBlobBytes).toEqual(await store.get('kopia.repository'));
    const iv = Buffer.alloc(16, 3);
    expect(opened.encryptor.decrypt(created.encryptor.encrypt(Buffer.from('x'), iv), iv).toString()).toBe('x');
    expect(opened.hasher.hash(Buffer.from('a'))).toEqual(created.hasher.hash(Buffer.from('a')));
  });

  it('reports REPO_NOT_FOUND naming the location, with a hint', async () => {
    const err = await codeOf(openRepositoryFormat(new MemoryBlobStore(), 'pw', fast));
    expect(err.code).toBe('REPO_NOT_FOUND');
    expect(err.message).toContain('no repository at memory://');
    expect(err.hint).toMatch(/create a repository.*fix the repository URL/);
  });

  it('reports WRONG_PASSWORD for a wrong password', async () => {
    const store = new MemoryBlobStore();
    await createRepositoryFormat(store, 'pw', fast);
    expect((await codeOf(openRepositoryFormat(store, 'PW', fast))).code).toBe('WRONG_PASSWORD');
  });

  it('derives keys with HKDF(masterKey, uniqueID, purpose) for v2+ and from the password key for v1', async () => {
    const store = new MemoryBlobStore();
    await writeRawRepository(store, 'pw', baseFormat());
    const f = await openRepositoryFormat(store, 'pw', fast);
    expect(f.deriveKey('maintenance schedule', 32)).toEqual(hkdfSha256(Buffer.alloc(32, 2), uniqueId, 'maintenance schedule', 32));
    const v1 = new MemoryBlobStore();
    const fek = await writeRawRepository(v1, 'pw', baseFormat({ version: 1, indexVersion: 1, enablePasswordChange: false, epochParameters: {} }));
    const g = await openRepositoryFormat(v1, 'pw', fast);
    expect(g.deriveKey('maintenance schedule', 32)).toEqual(hkdfSha256(fek, uniqueId, 'maintenance schedule', 32));
  });

  it('applies kopia\'s read defaults: indexVersion 0 is 1, maxPackSize 0 is 20 MiB', async () => {
    const store = new MemoryBlobStore();
    await writeRawRepository(store, 'pw', baseFormat({ indexVersion: 0, maxPackSize: 0 }));
    const f = await openRepositoryFormat(store, 'pw', fast);
    expect(f.config.indexVersion).toBe(1);
    expect(f.config.maxPackSize).toBe(20 << 20);
  });

  const refusals: [string, Record<string, unknown>, string, RegExp][] = [
    ['format version 4', { version: 4 }, 'UNSUPPORTED', /format version 4/],
    ['format version 0', { version: 0 }, 'UNSUPPORTED', /format version 0/],
    ['index version 3', { indexVersion: 3 }, 'UNSUPPORTED', /index version 3/],
    ['an unknown hash', { hash: 'SHA1' }, 'UNSUPPORTED', /"SHA1"/],
    ['an unknown encryption', { encryption: 'NONE' }, 'UNSUPPORTED', /"NONE"/],
    ['ECC', { ecc: 'REED-SOLOMON-CRC32', eccOverheadPercent: 10 }, 'UNSUPPORTED', /error correction/],
    ['a required feature it lacks', { requiredFeatures: [{ feature: 'index-v3', ifNotUnderstood: { warn: false, message: 'needs v3 indexes' } }] }, 'UNSUPPORTED', /index-v3.*needs v3 indexes/],
    ['an upgrade lock', { upgradeLock: { ownerID: 'admin@box', creationTime: '2025-01-01T00:00:00Z', message: 'upgrading to v4' } }, 'REFUSED', /admin@box.*upgrading to v4/],
  ];
  for (const [what, over, code, message] of refusals) {
    it(`refuses ${what}`, async () => {
      const store = new MemoryBlobStore();
      await writeRawRepository(store, 'pw', baseFormat(over));
      const err = await codeOf(openRepositoryFormat(store, 'pw', fast));
      expect(err.code).toBe(code);
      expect(err.message).toMatch(message);
      expect(err.hint).toBeTruthy();
    });
  }

  it('accepts understood required features and warns about "warn" ones', async () => {
    const store = new MemoryBlobStore();
    await writeRawRepository(store, 'pw', baseFormat({
      requiredFeatures: [
        { feature: 'index-v2', ifNotUnderstood: { warn: false } },
        { feature: 'shiny', ifNotUnderstood: { warn: true, message: 'optional shine', url: 'https://example.invalid/x' } },
      ],
    }));
    const f = await openRepositoryFormat(store, 'pw', fast);
    expect(f.warnings).toHaveLength(1);
    expect(f.warnings[0]).toContain("'shiny'");
    expect(f.warnings[0]).toContain('optional shine');
  });

  it('reads kopia.blobcfg retention and warns that Cairn does not apply it; rejects an undecryptable one', async () => {
    const store = new MemoryBlobStore();
    const fek = await writeRawRepository(store, 'pw', baseFormat());
    await store.put('kopia.blobcfg', sealBlobStorageConfig({ retentionMode: 'COMPLIANCE', retentionPeriodMs: 86_400_000 }, fek, uniqueId));
    const f = await openRepositoryFormat(store, 'pw', fast);
    expect(f.blobStorageConfig).toEqual({ retentionMode: 'COMPLIANCE', retentionPeriodMs: 86_400_000 });
    expect(f.warnings.join()).toContain('COMPLIANCE');
    await store.put('kopia.blobcfg', sealBlobStorageConfig({ retentionMode: '', retentionPeriodMs: 0 }, Buffer.alloc(32), uniqueId));
    const err = await codeOf(openRepositoryFormat(store, 'pw', fast));
    expect(err.code).toBe('CORRUPT');
    expect(err.message).toContain('kopia.blobcfg');
  });

  it('reports a damaged kopia.repository as CORRUPT', async () => {
    const store = new MemoryBlobStore();
    await store.put('kopia.repository', Buffer.from('{"tool": '));
    expect((await codeOf(openRepositoryFormat(store, 'pw', fast))).code).toBe('CORRUPT');
  });
});

describe('changeRepositoryPassword', () => {
  it('re-seals with the same uniqueID and keyAlgo; old password fails, new one opens the same keys', async () => {
    const store = new MemoryBlobStore();
    const created = await createRepositoryFormat(store, 'old', fast);
    const cfgBefore = await store.get('kopia.blobcfg');
    await changeRepositoryPassword(store, 'old', 'new', fast);
    expect((await codeOf(openRepositoryFormat(store, 'old', fast))).code).toBe('WRONG_PASSWORD');
    const f = await openRepositoryFormat(store, 'new', fast);
    expect(f.uniqueId).toEqual(created.uniqueId);
    expect(f.keyAlgo).toBe(created.keyAlgo);
    expect(f.config).toEqual(created.config);
    const cfgAfter = await store.get('kopia.blobcfg');
    expect(cfgAfter.length).toBe(30);
    expect(cfgAfter.equals(cfgBefore)).toBe(false);
  });

  it('keeps fields it does not model, inside and outside the sealed config', async () => {
    const store = new MemoryBlobStore();
    await writeRawRepository(store, 'old', baseFormat({ futureKnob: { level: 7 } }), { futureOuter: 'kept' });
    const before = parseFormatBlob(await store.get('kopia.repository'), 'x');
    await changeRepositoryPassword(store, 'old', 'new', fast);
    const after = parseFormatBlob(await store.get('kopia.repository'), 'x');
    expect(after.unknown).toEqual({ futureOuter: 'kept' });
    expect(after.tool).toBe(before.tool);
    expect(after.buildVersion).toBe(before.buildVersion);
    const oldPt = openAesGcmEnvelope(await fastKdf('scrypt-65536-8-1', 'old', uniqueId, 32), uniqueId, before.encryptedBlockFormat);
    const newPt = openAesGcmEnvelope(await fastKdf('scrypt-65536-8-1', 'new', uniqueId, 32), uniqueId, after.encryptedBlockFormat);
    expect(newPt).not.toBeNull();
    expect(newPt!.toString()).toBe(oldPt?.toString() ?? 'unexpected');
    expect(newPt!.toString()).toContain('"futureKnob":{"level":7}');
  });

  it('writes nothing when the old password is wrong; refuses a v1 repository', async () => {
    const store = new MemoryBlobStore();
    await createRepositoryFormat(store, 'old', fast);
    const snapshot = await store.get('kopia.repository');
    expect((await codeOf(changeRepositoryPassword(store, 'wrong', 'new', fast))).code).toBe('WRONG_PASSWORD');
    expect((await store.get('kopia.repository')).equals(snapshot)).toBe(true);
    const v1 = new MemoryBlobStore();
    await writeRawRepository(v1, 'pw', baseFormat({ version: 1, indexVersion: 1, enablePasswordChange: false }));
    const err = await codeOf(changeRepositoryPassword(v1, 'pw', 'new', fast));
    expect(err.code).toBe('UNSUPPORTED');
    expect(err.message).toContain('v0.8');
  });

  it('completes a change that stopped between the two writes when run again', async () => {
    const store = new MemoryBlobStore();
    await createRepositoryFormat(store, 'old', fast);
    const put = store.put.bind(store);
    store.put = async (id, data, o) => {
      if (id === 'kopia.repository') throw new Error('crash');
      return put(id, data, o);
    };
    await expect(changeRepositoryPassword(store, 'old', 'new', fast)).rejects.toThrow('crash');
    store.put = put;
    const half = await codeOf(openRepositoryFormat(store, 'old', fast));
    expect(half.code).toBe('CORRUPT');
    expect(half.hint).toContain('password change was interrupted');
    await changeRepositoryPassword(store, 'old', 'new', fast);
    expect((await openRepositoryFormat(store, 'new', fast)).config.version).toBe(3);
  });
});

describe('with the real password KDFs', () => {
  it('creates and opens with scrypt-65536-8-1', async () => {
    const store = new MemoryBlobStore();
    const created = await createRepositoryFormat(store, 'real password');
    const opened = await openRepositoryFormat(store, 'real password');
    expect(opened.config.masterKey).toEqual(created.config.masterKey);
    expect((await codeOf(openRepositoryFormat(store, 'real passwort'))).code).toBe('WRONG_PASSWORD');
  });

  const kopiaFixture = (dir: string): MemoryBlobStore => {
    const store = new MemoryBlobStore();
    for (const id of ['kopia.repository', 'kopia.blobcfg']) {
      void store.put(id, readFileSync(new URL(`./testdata/${dir}/${id}`, import.meta.url)));
    }
    return store;
  };

  it('opens a repository created by kopia with its defaults (scrypt, BLAKE2B-256-128)', async () => {
    const f = await openRepositoryFormat(kopiaFixture('kopia-0.22.3-default'), 'correct horse battery staple');
    expect(f.hasher.name).toBe('BLAKE2B-256-128');
    expect(f.encryptor.name).toBe('AES256-GCM-HMAC-SHA256');
    expect(f.config.masterKey.toString('hex')).toBe('10d3fc6e7116c7d0569ac68f64df872085ae40ea9ad12d49ed9024c9685b9bca');
    expect(f.config.hmacSecret.toString('hex')).toBe('3317972bbe7f928ef84e97947682019b8340f176d08647ce6be74d86f17e57b2');
    expect(f.uniqueId.toString('hex')).toBe('ec7ce1a8feaa93c2b064d2914988be0faad39e02e458fc412d7909cbf335eec1');
    expect(f.blobStorageConfig.retentionMode).toBe('');
  });

  it('opens a kopia pbkdf2 repository and changes its password', async () => {
    const store = kopiaFixture('kopia-0.22.3-pbkdf2');
    const f = await openRepositoryFormat(store, 'pbkdf2 pässword');
    expect(f.keyAlgo).toBe('pbkdf2-sha256-600000');
    expect(f.hasher.name).toBe('HMAC-SHA256-128');
    await changeRepositoryPassword(store, 'pbkdf2 pässword', 'next');
    const g = await openRepositoryFormat(store, 'next');
    expect(g.config).toEqual(f.config);
    expect(g.keyAlgo).toBe('pbkdf2-sha256-600000');
  });
});
