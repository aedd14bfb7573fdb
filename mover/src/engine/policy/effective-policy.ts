// Effective policy of a source (kopia snapshot/policy/policy_manager.go GetPolicyHierarchy, policy_merge.go
// MergePolicies): the source's path policy and its parent paths, then user@host, host and global, the most
// specific defined value winning field by field, `noParent` cutting the chain, kopia's built-in defaults last.
import type { Labels } from '../manifest/manifest-store.ts';
import type { SourceInfo } from '../snapshot/source-info.ts';
import { formatSourceInfo } from '../snapshot/source-info.ts';
import { DEFAULT_RETENTION_POLICY } from './retention-policy.ts';
import type { RetentionPolicy } from './retention-policy.ts';
import { RETENTION_INT_KEYS, decodePolicyPayload, policyLabels, policyTypeOf } from './policy-manifest.ts';
import type { PolicyDocument } from './policy-manifest.ts';

/**
 * kopia's lookup order for a source (GetPolicyHierarchy), most specific first: the path and each parent
 * path up to the root, then user@host, host, global. Duplicates (a source without user) appear once.
 */
export function policyLookupOrder(source: SourceInfo): SourceInfo[] {
  const out: SourceInfo[] = [];
  const add = (t: SourceInfo): void => {
    const canonical = canonicalTarget(t);
    if (!out.some((o) => o.host === canonical.host && o.userName === canonical.userName && o.path === canonical.path)) out.push(canonical);
  };
  let path = source.path;
  while (path !== '') {
    add({ ...source, path });
    const parent = parentPolicyPath(path);
    if (parent === path) break;
    path = parent;
  }
  add({ host: source.host, userName: source.userName, path: '' });
  add({ host: source.host, userName: '', path: '' });
  add({ host: '', userName: '', path: '' });
  return out;
}

function canonicalTarget(t: SourceInfo): SourceInfo {
  switch (policyTypeOf(t)) {
    case 'path': return t;
    case 'user': return { host: t.host, userName: t.userName, path: '' };
    case 'host': return { host: t.host, userName: '', path: '' };
    default: return { host: '', userName: '', path: '' };
  }
}

/** kopia's getParentPathOSIndependent: "/a/b" -> "/a" -> "/" -> "/"; "C:\a" -> "C:\"; "a" -> "a". */
export function parentPolicyPath(p: string): string {
  const hasVolume = p.length >= 3 && p[1] === ':' && (p[2] === '/' || p[2] === '\\');
  const vol = hasVolume ? p.slice(0, 2) : '';
  let rest = hasVolume ? p.slice(2) : p;
  const lastSep = (s: string): number => Math.max(s.lastIndexOf('/'), s.lastIndexOf('\\'));
  let last = lastSep(rest);
  if (last === rest.length - 1 && last !== 0) {
    rest = rest.slice(0, last);
    last = lastSep(rest);
  }
  if (last < 0) return p;
  if (last === 0) return vol + rest[0]!;
  return vol + rest.slice(0, last);
}

/** A policy manifest as the manifest store returns it. */
export interface StoredPolicy {
  readonly id: string;
  readonly labels: Labels;
  /** RFC 3339 modification time; among several manifests for one target the newest is applied first. */
  readonly modified: string;
  readonly payload: unknown;
}

export interface EffectiveRetentionPolicy extends RetentionPolicy {
  readonly keepLatest: number;
  readonly keepHourly: number;
  readonly keepDaily: number;
  readonly keepWeekly: number;
  readonly keepMonthly: number;
  readonly keepAnnual: number;
  readonly ignoreIdenticalSnapshots: boolean;
}

export interface EffectiveFilesPolicy {
  readonly ignore: readonly string[];
  readonly noParentIgnore: boolean;
  readonly ignoreDotFiles: readonly string[];
  readonly noParentDotFiles: boolean;
  /** kopia treats an unset value as true (ignorefs OrDefault(true)). */
  readonly ignoreCacheDirs: boolean;
  /** 0 = no limit. */
  readonly maxFileSize: number;
  readonly oneFileSystem: boolean;
}

export interface EffectivePolicy {
  readonly retention: EffectiveRetentionPolicy;
  readonly files: EffectiveFilesPolicy;
  /** Which target defined each retention field; absent = kopia's built-in default. */
  readonly retentionDefinedBy: Readonly<Partial<Record<keyof RetentionPolicy, SourceInfo>>>;
  /** Ids of the manifests that took part, most specific first. */
  readonly applied: readonly string[];
}

/** Effective policy of a source from all stored policy manifests (kopia GetEffectivePolicy + MergePolicies). */
export function resolveEffectivePolicy(source: SourceInfo, stored: readonly StoredPolicy[]): EffectivePolicy {
  const chain: { id: string; target: SourceInfo; doc: PolicyDocument }[] = [];
  for (const target of policyLookupOrder(source)) {
    const wanted = policyLabels(target);
    const matching = stored
      .filter((s) => Object.entries(wanted).every(([k, v]) => s.labels[k] === v))
      .sort((a, b) => (a.modified !== b.modified ? (a.modified > b.modified ? -1 : 1) : a.id < b.id ? -1 : 1));
    for (const s of matching) {
      chain.push({ id: s.id, target, doc: decodePolicyPayload(s.payload, `policy manifest ${s.id} (${formatSourceInfo(target)})`) });
    }
  }
  return mergePolicies(chain);
}

/** kopia's MergePolicies: for each field the most specific defined value wins; noParent stops inheritance. */
export function mergePolicies(chain: readonly { id: string; target: SourceInfo; doc: PolicyDocument }[]): EffectivePolicy {
  const retention: Record<string, number | boolean | undefined> = {};
  const definedBy: Partial<Record<keyof RetentionPolicy, SourceInfo>> = {};
  const files: { -readonly [K in keyof EffectiveFilesPolicy]?: EffectiveFilesPolicy[K] } = {};
  const applied: string[] = [];
  const retentionKeys = [...RETENTION_INT_KEYS, 'ignoreIdenticalSnapshots', 'keepWithinMs'] as const;
  for (const { id, target, doc } of chain) {
    applied.push(id);
    for (const key of retentionKeys) {
      if (retention[key] === undefined && doc.retention[key] !== undefined) {
        retention[key] = doc.retention[key];
        definedBy[key] = target;
      }
    }
    const f = doc.files;
    if (files.ignore === undefined && f.ignore !== undefined && f.ignore.length > 0) files.ignore = f.ignore;
    if (f.noParentIgnore === true) files.noParentIgnore = true;
    if (files.ignoreDotFiles === undefined && f.ignoreDotFiles !== undefined && f.ignoreDotFiles.length > 0) files.ignoreDotFiles = f.ignoreDotFiles;
    if (f.noParentDotFiles === true) files.noParentDotFiles = true;
    if (files.ignoreCacheDirs === undefined && f.ignoreCacheDirs !== undefined) files.ignoreCacheDirs = f.ignoreCacheDirs;
    if (files.maxFileSize === undefined && f.maxFileSize !== undefined && f.maxFileSize !== 0) files.maxFileSize = f.maxFileSize;
    if (files.oneFileSystem === undefined && f.oneFileSystem !== undefined) files.oneFileSystem = f.oneFileSystem;
    if (doc.noParent) break;
  }
  const d = DEFAULT_RETENTION_POLICY;
  return {
    retention: {
      keepLatest: (retention['keepLatest'] as number | undefined) ?? d.keepLatest,
      keepHourly: (retention['keepHourly'] as number | undefined) ?? d.keepHourly,
      keepDaily: (retention['keepDaily'] as number | undefined) ?? d.keepDaily,
      keepWeekly: (retention['keepWeekly'] as number | undefined) ?? d.keepWeekly,
      keepMonthly: (retention['keepMonthly'] as number | undefined) ?? d.keepMonthly,
      keepAnnual: (retention['keepAnnual'] as number | undefined) ?? d.keepAnnual,
      ignoreIdenticalSnapshots: (retention['ignoreIdenticalSnapshots'] as boolean | undefined) ?? d.ignoreIdenticalSnapshots,
      keepWithinMs: retention['keepWithinMs'] as number | undefined,
    },
    files: {
      ignore: files.ignore ?? [],
      noParentIgnore: files.noParentIgnore ?? false,
      ignoreDotFiles: files.ignoreDotFiles ?? ['.kopiaignore'],
      noParentDotFiles: files.noParentDotFiles ?? false,
      ignoreCacheDirs: files.ignoreCacheDirs ?? true,
      maxFileSize: files.maxFileSize ?? 0,
      oneFileSystem: files.oneFileSystem ?? false,
    },
    retentionDefinedBy: definedBy,
    applied,
  };
}
