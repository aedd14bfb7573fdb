// Policy manifests in a repository (kopia snapshot/policy/policy_manager.go): reading every `type=policy`
// manifest, resolving a source's effective policy, and replacing the policy of one target (global, host,
// user@host or user@host:/path) with kopia's ReplaceManifests semantics, so `kopia policy show` reads it.
import type { ManifestStore } from '../manifest/manifest-store.ts';
import { compareRfc3339Nano } from '../manifest/rfc3339-nano.ts';
import { policyLookupOrder, resolveEffectivePolicy, type EffectivePolicy, type StoredPolicy } from './effective-policy.ts';
import {
  EMPTY_POLICY, POLICY_MANIFEST_TYPE, decodePolicyPayload, encodePolicyPayload, policyLabels, withRetention, type PolicyDocument,
} from './policy-manifest.ts';
import type { RetentionPolicy } from './retention-policy.ts';
import { TYPE_LABEL } from '../snapshot/snapshot-manifest.ts';
import { formatSourceInfo, type SourceInfo } from '../snapshot/source-info.ts';

/** Every policy manifest with its payload. */
export async function loadStoredPolicies(manifests: Pick<ManifestStore, 'find' | 'get'>): Promise<StoredPolicy[]> {
  const found = await manifests.find({ [TYPE_LABEL]: POLICY_MANIFEST_TYPE });
  const out: StoredPolicy[] = [];
  for (const f of found) {
    const entry = await manifests.get<unknown>(f.id);
    out.push({ id: f.id, labels: f.labels, modified: f.modified, payload: entry.payload });
  }
  return out;
}

/** The policy stored for exactly this target (the newest manifest), or an empty one. */
export function policyForTarget(stored: readonly StoredPolicy[], target: SourceInfo): { readonly doc: PolicyDocument; readonly ids: readonly string[] } {
  const wanted = policyLabels(target);
  const matching = stored
    .filter((s) => Object.keys(s.labels).length === Object.keys(wanted).length && Object.entries(wanted).every(([k, v]) => s.labels[k] === v))
    .sort((a, b) => compareRfc3339Nano(a.modified, b.modified) || (a.id < b.id ? -1 : 1));
  const latest = matching.at(-1);
  if (latest === undefined) return { doc: EMPTY_POLICY, ids: [] };
  return { doc: decodePolicyPayload(latest.payload, `policy manifest ${latest.id} (${formatSourceInfo(target)})`), ids: matching.map((m) => m.id) };
}

/** The effective policy of a source from the stored manifests and kopia's defaults. */
export function effectivePolicyOf(stored: readonly StoredPolicy[], source: SourceInfo): EffectivePolicy {
  return resolveEffectivePolicy(source, stored);
}

/**
 * Sets retention fields of a target's policy (`undefined` leaves a field, `null`-like clearing is done by
 * passing the field in `clear`), replacing its manifests; the caller flushes. Returns the new document.
 */
export async function setRetentionPolicy(manifests: Pick<ManifestStore, 'find' | 'get' | 'put' | 'delete'>, target: SourceInfo,
  changes: RetentionPolicy, clear: readonly (keyof RetentionPolicy)[] = []): Promise<PolicyDocument> {
  const stored = await loadStoredPolicies(manifests);
  const { doc, ids } = policyForTarget(stored, target);
  const updates: Record<string, number | boolean | undefined> = {};
  for (const [k, v] of Object.entries(changes)) if (v !== undefined) updates[k] = v as number | boolean;
  for (const k of clear) updates[k] = undefined;
  const next = withRetention(doc, updates as RetentionPolicy);
  for (const id of ids) await manifests.delete(id);
  await manifests.put(policyLabels(target), encodePolicyPayload(next));
  return next;
}

/** Sets `compression.compressorName` of a target's policy (kopia's `policy set --compression`); the caller flushes. */
export async function setCompressionPolicy(manifests: Pick<ManifestStore, 'find' | 'get' | 'put' | 'delete'>, target: SourceInfo,
  compressorName: string): Promise<void> {
  const stored = await loadStoredPolicies(manifests);
  const { doc, ids } = policyForTarget(stored, target);
  const compression = { ...(typeof doc.raw['compression'] === 'object' && doc.raw['compression'] !== null ? doc.raw['compression'] : {}), compressorName };
  const next: PolicyDocument = { ...doc, raw: { ...doc.raw, compression } };
  for (const id of ids) await manifests.delete(id);
  await manifests.put(policyLabels(target), encodePolicyPayload(next));
}

/**
 * The compressor the stored policies choose for a source's file data (most specific target first, kopia's
 * inheritance order), or undefined when none sets one.
 */
export function compressionPolicyOf(stored: readonly StoredPolicy[], source: SourceInfo): string | undefined {
  for (const target of policyLookupOrder(source)) {
    const { doc } = policyForTarget(stored, target);
    const c = doc.raw['compression'];
    if (typeof c === 'object' && c !== null) {
      const name = (c as Record<string, unknown>)['compressorName'];
      if (typeof name === 'string' && name !== '') return name;
    }
    if (doc.noParent) break;
  }
  return undefined;
}
