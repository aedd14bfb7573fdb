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

export const RETENTION_INT_KEYS = ['keepLatest', 'keepHourly', 'keepDaily', 'keepWeekly', 'keepMonthly', 'keepAnnual'] as const;
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
