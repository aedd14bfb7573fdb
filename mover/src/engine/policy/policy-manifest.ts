// kopia policy manifests (snapshot/policy/policy.go, policy_manager.go, policy_merge.go, retention_policy.go,
// files_policy.go, policy_tree.go): labels `type=policy`, `policyType` global|host|user|path plus
// hostname/username/path; the payload is kopia's Policy JSON. Cairn models the retention and files sections
// and carries every other key (errorHandling, scheduling, compression, actions, ...) through unchanged, so a
// policy kopia wrote keeps its other settings when Cairn rewrites it.
//
// keep-within (Cairn only) is stored as `retention.keepWithin`, a duration string ("7d", "36h"). kopia decodes
// policies with Go's json.Unmarshal, which ignores unknown keys, so `kopia policy show` and `kopia snapshot
// expire` read such a policy fine and simply do not apply keep-within. kopia does not carry unknown keys through
// its own rewrites: after `kopia policy set` on the same target, keep-within must be set again with Cairn.
import type { Labels } from '../manifest/manifest-store.ts';
import { CorruptionError } from '../errors.ts';
import { goField, isJsonObject } from '../snapshot/snapshot-json.ts';
import { HOSTNAME_LABEL, PATH_LABEL, TYPE_LABEL, USERNAME_LABEL } from '../snapshot/snapshot-manifest.ts';
import type { SourceInfo } from '../snapshot/source-info.ts';
import { formatSourceInfo } from '../snapshot/source-info.ts';
import { DEFAULT_RETENTION_POLICY } from './retention-policy.ts';
import type { RetentionPolicy } from './retention-policy.ts';
import { formatDuration, parseDuration } from './duration.ts';

export const POLICY_MANIFEST_TYPE = 'policy';
export const POLICY_TYPE_LABEL = 'policyType';
export type PolicyType = 'global' | 'host' | 'user' | 'path';

/** kopia's FilesPolicy; `undefined` = not set at this level. */
export interface FilesPolicy {
  readonly ignore?: readonly string[] | undefined;
  readonly noParentIgnore?: boolean | undefined;
  readonly ignoreDotFiles?: readonly string[] | undefined;
  readonly noParentDotFiles?: boolean | undefined;
  readonly ignoreCacheDirs?: boolean | undefined;
  readonly maxFileSize?: number | undefined;
  readonly oneFileSystem?: boolean | undefined;
}

/** One decoded policy payload. */
export interface PolicyDocument {
  readonly retention: RetentionPolicy;
  readonly files: FilesPolicy;
  /** Do not inherit from more general policies. */
  readonly noParent: boolean;
  /** The payload as read; encoding starts from it so sections Cairn does not model survive. */
  readonly raw: Readonly<Record<string, unknown>>;
}

export const EMPTY_POLICY: PolicyDocument = { retention: {}, files: {}, noParent: false, raw: {} };

/** kopia's LabelsForSource: the most specific level the target names decides the policy type. */
export function policyTypeOf(target: SourceInfo): PolicyType {
  if (target.path !== '') return 'path';
  if (target.userName !== '') return 'user';
  if (target.host !== '') return 'host';
  return 'global';
}

export function policyLabels(target: SourceInfo): Labels {
  const type = policyTypeOf(target);
  const labels: Record<string, string> = { [TYPE_LABEL]: POLICY_MANIFEST_TYPE, [POLICY_TYPE_LABEL]: type };
  if (type === 'path') labels[PATH_LABEL] = target.path;
  if (type === 'path' || type === 'user') labels[USERNAME_LABEL] = target.userName;
  if (type !== 'global') labels[HOSTNAME_LABEL] = target.host;
  return labels;
}

/** The target a policy manifest applies to, read from its labels (kopia Policy.Target). */
export function policyTargetFromLabels(labels: Labels): SourceInfo {
  return { host: labels[HOSTNAME_LABEL] ?? '', userName: labels[USERNAME_LABEL] ?? '', path: labels[PATH_LABEL] ?? '' };
}

const RETENTION_INT_KEYS = ['keepLatest', 'keepHourly', 'keepDaily', 'keepWeekly', 'keepMonthly', 'keepAnnual'] as const;
const FILES_KEYS = ['ignore', 'noParentIgnore', 'ignoreDotFiles', 'noParentDotFiles', 'ignoreCacheDirs', 'maxFileSize', 'oneFileSystem'] as const;
const TOP_LEVEL_ORDER = [
  'retention', 'files', 'errorHandling', 'scheduling', 'compression', 'metadataCompression', 'splitter', 'actions',
  'osSnapshots', 'logging', 'upload', 'noParent',
];

/** Decodes a policy payload as kopia would (Go json: unknown keys ignored, keys matched case-insensitively). */
export function decodePolicyPayload(payload: unknown, where: string): PolicyDocument {
  if (!isJsonObject(payload)) throw corrupt(where, 'payload', 'is not a JSON object');
  const retentionJson = optionalObject(goField(payload, 'retention'), where, 'retention');
  const filesJson = optionalObject(goField(payload, 'files'), where, 'files');
  const retention: Record<string, number | boolean | undefined> = {};
  for (const key of RETENTION_INT_KEYS) retention[key] = optionalInt(goField(retentionJson, key), where, `retention.${key}`);
  retention['ignoreIdenticalSnapshots'] = optionalBool(goField(retentionJson, 'ignoreIdenticalSnapshots'), where, 'retention.ignoreIdenticalSnapshots');
  const within = retentionJson['keepWithin'];
  if (within !== undefined && within !== null) {
    if (typeof within !== 'string') throw corrupt(where, 'retention.keepWithin', 'is not a duration string');
    try {
      retention['keepWithinMs'] = parseDuration(within, `${where}: retention.keepWithin`);
    } catch (e) {
      throw corrupt(where, 'retention.keepWithin', `${JSON.stringify(within)} is not a duration`, e);
    }
  }
  const files: FilesPolicy = {
    ignore: optionalStrings(goField(filesJson, 'ignore'), where, 'files.ignore'),
    noParentIgnore: optionalBool(goField(filesJson, 'noParentIgnore'), where, 'files.noParentIgnore'),
    ignoreDotFiles: optionalStrings(goField(filesJson, 'ignoreDotFiles'), where, 'files.ignoreDotFiles'),
    noParentDotFiles: optionalBool(goField(filesJson, 'noParentDotFiles'), where, 'files.noParentDotFiles'),
    ignoreCacheDirs: optionalBool(goField(filesJson, 'ignoreCacheDirs'), where, 'files.ignoreCacheDirs'),
    maxFileSize: optionalInt(goField(filesJson, 'maxFileSize'), where, 'files.maxFileSize'),
    oneFileSystem: optionalBool(goField(filesJson, 'oneFileSystem'), where, 'files.oneFileSystem'),
  };
  const noParent = optionalBool(goField(payload, 'noParent'), where, 'noParent') ?? false;
  return { retention: dropUndefined(retention) as RetentionPolicy, files: dropUndefined(files), noParent, raw: payload };
}

/** The payload to store: modeled fields (all omitempty) over the raw payload's other keys. */
export function encodePolicyPayload(doc: PolicyDocument): Record<string, unknown> {
  const retention = withoutKeys(objectOr(doc.raw['retention']), [...RETENTION_INT_KEYS, 'ignoreIdenticalSnapshots', 'keepWithin']);
  const r = doc.retention;
  for (const key of RETENTION_INT_KEYS) if (r[key] !== undefined) retention[key] = r[key];
  if (r.ignoreIdenticalSnapshots !== undefined) retention['ignoreIdenticalSnapshots'] = r.ignoreIdenticalSnapshots;
  if (r.keepWithinMs !== undefined) retention['keepWithin'] = formatDuration(r.keepWithinMs);

  const files = withoutKeys(objectOr(doc.raw['files']), FILES_KEYS);
  const f = doc.files;
  if (f.ignore !== undefined && f.ignore.length > 0) files['ignore'] = [...f.ignore];
  if (f.noParentIgnore === true) files['noParentIgnore'] = true;
  if (f.ignoreDotFiles !== undefined && f.ignoreDotFiles.length > 0) files['ignoreDotFiles'] = [...f.ignoreDotFiles];
  if (f.noParentDotFiles === true) files['noParentDotFiles'] = true;
  if (f.ignoreCacheDirs !== undefined) files['ignoreCacheDirs'] = f.ignoreCacheDirs;
  if (f.maxFileSize !== undefined && f.maxFileSize !== 0) files['maxFileSize'] = f.maxFileSize;
  if (f.oneFileSystem !== undefined) files['oneFileSystem'] = f.oneFileSystem;

  const rest = withoutKeys(doc.raw, ['retention', 'files', 'noParent']);
  const sections: Record<string, unknown> = { ...rest };
  if (Object.keys(retention).length > 0) sections['retention'] = retention;
  if (Object.keys(files).length > 0) sections['files'] = files;
  if (doc.noParent) sections['noParent'] = true;
  const out: Record<string, unknown> = {};
  for (const key of TOP_LEVEL_ORDER) if (key in sections) out[key] = sections[key];
  for (const key of Object.keys(sections)) if (!(key in out)) out[key] = sections[key];
  return out;
}

/** Returns a copy of `doc` with the given retention fields replaced (`undefined` clears a field). */
export function withRetention(doc: PolicyDocument, changes: RetentionPolicy): PolicyDocument {
  return { ...doc, retention: dropUndefined({ ...doc.retention, ...changes }) };
}

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

function corrupt(where: string, field: string, why: string, cause?: unknown): CorruptionError {
  return new CorruptionError(`${where}: ${field} ${why}`, {
    hint: 'Rewrite the policy with `cairn policy set` or `kopia policy set`.',
    ...(cause === undefined ? {} : { cause }),
  });
}

function optionalObject(v: unknown, where: string, field: string): Readonly<Record<string, unknown>> {
  if (v === undefined || v === null) return {};
  if (!isJsonObject(v)) throw corrupt(where, field, 'is not a JSON object');
  return v;
}

function optionalInt(v: unknown, where: string, field: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw corrupt(where, field, `${JSON.stringify(v)} is not an integer`);
  return v;
}

function optionalBool(v: unknown, where: string, field: string): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw corrupt(where, field, `${JSON.stringify(v)} is not a boolean`);
  return v;
}

function optionalStrings(v: unknown, where: string, field: string): readonly string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw corrupt(where, field, 'is not a list of strings');
  return v as string[];
}

function objectOr(v: unknown): Readonly<Record<string, unknown>> {
  return isJsonObject(v) ? v : {};
}

function withoutKeys(obj: Readonly<Record<string, unknown>>, keys: readonly string[]): Record<string, unknown> {
  const lower = new Set(keys.map((k) => k.toLowerCase()));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (!lower.has(k.toLowerCase())) out[k] = v;
  return out;
}

function dropUndefined<T extends object>(obj: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (v !== undefined) out[k] = v;
  return out as T;
}
