import { describe, expect, it } from 'vitest';
import {
  decodePolicyPayload,
  encodePolicyPayload,
  policyLabels,
  policyTargetFromLabels,
  withRetention,
  EMPTY_POLICY,
} from './policy-manifest.ts';
import { mergePolicies, parentPolicyPath, policyLookupOrder, resolveEffectivePolicy } from './effective-policy.ts';
import type { StoredPolicy } from './effective-policy.ts';

// The shape kopia writes for its default global policy (json.Marshal of snapshot/policy.Policy).
const KOPIA_GLOBAL = {
  retention: { keepLatest: 10, keepHourly: 48, keepDaily: 7, keepWeekly: 4, keepMonthly: 24, keepAnnual: 3, ignoreIdenticalSnapshots: false },
  files: { ignoreDotFiles: ['.kopiaignore'] },
  errorHandling: { ignoreFileErrors: false, ignoreDirectoryErrors: false, ignoreUnknownTypes: true },
  scheduling: { runMissed: true },
  compression: { compressorName: 'none' },
  metadataCompression: { compressorName: 'zstd-fastest' },
  splitter: {},
  actions: {},
  osSnapshots: { volumeShadowCopy: { enable: 0 } },
  logging: { directories: { snapshotted: 5, ignored: 5 }, entries: { snapshotted: 0, ignored: 5, cacheHit: 0, cacheMiss: 0 } },
  upload: { maxParallelSnapshots: 1, parallelUploadAboveSize: 2147483648 },
};

const GLOBAL = { host: '', userName: '', path: '' };
const SOURCE = { host: 'cluster', userName: 'ns', path: '/data/pvc' };

describe('labels', () => {
  it('match kopia LabelsForSource for each policy type', () => {
    expect(policyLabels(GLOBAL)).toEqual({ type: 'policy', policyType: 'global' });
    expect(policyLabels({ host: 'h', userName: '', path: '' })).toEqual({ type: 'policy', policyType: 'host', hostname: 'h' });
    expect(policyLabels({ host: 'h', userName: 'u', path: '' })).toEqual({ type: 'policy', policyType: 'user', hostname: 'h', username: 'u' });
    expect(policyLabels(SOURCE)).toEqual({ type: 'policy', policyType: 'path', hostname: 'cluster', username: 'ns', path: '/data/pvc' });
    expect(policyTargetFromLabels(policyLabels(SOURCE))).toEqual(SOURCE);
    expect(policyTargetFromLabels(policyLabels(GLOBAL))).toEqual(GLOBAL);
  });
});

describe('payload encode/decode', () => {
  it('decodes kopia default global policy', () => {
    const doc = decodePolicyPayload(KOPIA_GLOBAL, 'policy manifest g');
    expect(doc.retention).toEqual({ keepLatest: 10, keepHourly: 48, keepDaily: 7, keepWeekly: 4, keepMonthly: 24, keepAnnual: 3, ignoreIdenticalSnapshots: false });
    expect(doc.files).toEqual({ ignoreDotFiles: ['.kopiaignore'] });
    expect(doc.noParent).toBe(false);
  });

  it('rewrites retention and keeps every section it does not model', () => {
    const doc = withRetention(decodePolicyPayload(KOPIA_GLOBAL, 'g'), { keepDaily: 14, keepHourly: undefined, keepWithinMs: 7 * 86_400_000 });
    const out = encodePolicyPayload(doc);
    expect(out['retention']).toEqual({
      keepLatest: 10,
      keepDaily: 14,
      keepWeekly: 4,
      keepMonthly: 24,
      keepAnnual: 3,
      ignoreIdenticalSnapshots: false,
      keepWithin: '1w',
    });
    for (const key of ['files', 'errorHandling', 'scheduling', 'compression', 'metadataCompression', 'splitter', 'actions', 'osSnapshots', 'logging', 'upload']) {
      expect(out[key]).toEqual(KOPIA_GLOBAL[key as keyof typeof KOPIA_GLOBAL]);
    }
    expect(Object.keys(out).slice(0, 3)).toEqual(['retention', 'files', 'errorHandling']);
    expect(decodePolicyPayload(JSON.parse(JSON.stringify(out)), 'again').retention.keepWithinMs).toBe(7 * 86_400_000);
  });

  it('omits empty fields and sections (all omitempty)', () => {
    expect(encodePolicyPayload(EMPTY_POLICY)).toEqual({});
    expect(encodePolicyPayload({ ...EMPTY_POLICY, retention: { keepLatest: 0 }, noParent: true })).toEqual({ retention: { keepLatest: 0 }, noParent: true });
    expect(encodePolicyPayload({ ...EMPTY_POLICY, files: { ignore: [], maxFileSize: 0, ignoreCacheDirs: false } })).toEqual({ files: { ignoreCacheDirs: false } });
  });

  it('reads keys case-insensitively and treats null as unset, like Go json', () => {
    const doc = decodePolicyPayload({ Retention: { KeepLatest: 3, keepDaily: null }, NoParent: true }, 'p');
    expect(doc.retention).toEqual({ keepLatest: 3 });
    expect(doc.noParent).toBe(true);
    // A rewrite does not leave the differently-cased duplicate behind.
    expect(encodePolicyPayload(withRetention(doc, { keepLatest: 4 }))).toEqual({ retention: { keepLatest: 4 }, noParent: true });
  });

  it('keeps unknown retention keys (a newer kopia field) through a rewrite', () => {
    const doc = decodePolicyPayload({ retention: { keepLatest: 1, keepFortnightly: 2 } }, 'p');
    expect(encodePolicyPayload(withRetention(doc, { keepLatest: 2 }))).toEqual({ retention: { keepFortnightly: 2, keepLatest: 2 } });
  });

  it('rejects malformed payloads naming the manifest and field', () => {
    expect(() => decodePolicyPayload([], 'policy manifest abc')).toThrow(/policy manifest abc: payload/);
    expect(() => decodePolicyPayload({ retention: { keepDaily: 1.5 } }, 'policy manifest abc')).toThrow(/retention\.keepDaily/);
    expect(() => decodePolicyPayload({ retention: { keepDaily: '3' } }, 'm')).toThrow(expect.objectContaining({ code: 'CORRUPT' }));
    expect(() => decodePolicyPayload({ retention: { keepWithin: 'soon' } }, 'm')).toThrow(/keepWithin/);
    expect(() => decodePolicyPayload({ files: { ignore: 'x' } }, 'm')).toThrow(/files\.ignore/);
    expect(() => decodePolicyPayload({ noParent: 'yes' }, 'm')).toThrow(/noParent/);
  });
});

describe('hierarchy and merge', () => {
  it('walks parent paths like kopia getParentPathOSIndependent', () => {
    expect(parentPolicyPath('/a/b')).toBe('/a');
    expect(parentPolicyPath('/a')).toBe('/');
    expect(parentPolicyPath('/')).toBe('/');
    expect(parentPolicyPath('/a/b/')).toBe('/a');
    expect(parentPolicyPath('C:\\a\\b')).toBe('C:\\a');
    expect(parentPolicyPath('C:\\a')).toBe('C:\\');
    expect(parentPolicyPath('relative')).toBe('relative');
    expect(policyLookupOrder(SOURCE)).toEqual([
      SOURCE,
      { ...SOURCE, path: '/data' },
      { ...SOURCE, path: '/' },
      { host: 'cluster', userName: 'ns', path: '' },
      { host: 'cluster', userName: '', path: '' },
      GLOBAL,
    ]);
    expect(policyLookupOrder({ host: 'h', userName: '', path: '' })).toEqual([{ host: 'h', userName: '', path: '' }, GLOBAL]);
  });

  const stored = (id: string, target: typeof SOURCE, payload: unknown, modified = '2024-01-01T00:00:00Z'): StoredPolicy => ({
    id,
    labels: policyLabels(target),
    modified,
    payload,
  });

  it('most specific defined value wins, then kopia defaults', () => {
    const eff = resolveEffectivePolicy(SOURCE, [
      stored('g', GLOBAL, { retention: { keepDaily: 30, keepAnnual: 0 }, files: { ignore: ['*.tmp'] } }),
      stored('host', { host: 'cluster', userName: '', path: '' }, { retention: { keepDaily: 14 } }),
      stored('path', SOURCE, { retention: { keepLatest: 2, keepWithin: '36h' } }),
      stored('other', { ...SOURCE, path: '/elsewhere' }, { retention: { keepLatest: 99 } }),
    ]);
    expect(eff.retention).toEqual({
      keepLatest: 2,
      keepHourly: 48,
      keepDaily: 14,
      keepWeekly: 4,
      keepMonthly: 24,
      keepAnnual: 0,
      ignoreIdenticalSnapshots: false,
      keepWithinMs: 36 * 3_600_000,
    });
    expect(eff.retentionDefinedBy.keepLatest).toEqual(SOURCE);
    expect(eff.retentionDefinedBy.keepDaily).toEqual({ host: 'cluster', userName: '', path: '' });
    expect(eff.retentionDefinedBy.keepAnnual).toEqual(GLOBAL);
    expect(eff.retentionDefinedBy.keepHourly).toBeUndefined();
    expect(eff.files.ignore).toEqual(['*.tmp']);
    expect(eff.files.ignoreDotFiles).toEqual(['.kopiaignore']);
    expect(eff.applied).toEqual(['path', 'host', 'g']);
  });

  it('noParent stops inheritance but kopia defaults still apply', () => {
    const eff = resolveEffectivePolicy(SOURCE, [
      stored('g', GLOBAL, { retention: { keepDaily: 30 } }),
      stored('parent', { ...SOURCE, path: '/data' }, { retention: { keepLatest: 1 }, noParent: true }),
    ]);
    expect(eff.retention.keepLatest).toBe(1);
    expect(eff.retention.keepDaily).toBe(7);
    expect(eff.applied).toEqual(['parent']);
  });

  it('with several manifests for one target the newest is applied first', () => {
    const eff = resolveEffectivePolicy(SOURCE, [
      stored('old', SOURCE, { retention: { keepLatest: 1, keepDaily: 2 } }, '2024-01-01T00:00:00Z'),
      stored('new', SOURCE, { retention: { keepLatest: 5 } }, '2024-02-01T00:00:00Z'),
    ]);
    expect(eff.retention.keepLatest).toBe(5);
    expect(eff.retention.keepDaily).toBe(2);
  });

  it('merges files settings with kopia rules (lists replace, flags accumulate)', () => {
    const doc = (files: object) => decodePolicyPayload({ files }, 'x');
    const eff = mergePolicies([
      { id: 'a', target: SOURCE, doc: doc({ ignore: [], noParentIgnore: false, maxFileSize: 0 }) },
      { id: 'b', target: GLOBAL, doc: doc({ ignore: ['b'], noParentDotFiles: true, maxFileSize: 10, oneFileSystem: true, ignoreCacheDirs: false }) },
    ]);
    expect(eff.files).toEqual({
      ignore: ['b'],
      noParentIgnore: false,
      ignoreDotFiles: ['.kopiaignore'],
      noParentDotFiles: true,
      ignoreCacheDirs: false,
      maxFileSize: 10,
      oneFileSystem: true,
    });
  });
});
