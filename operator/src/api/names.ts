// Naming rules for objects the operator creates: deterministic (the same inputs always give the same name,
// so an existing object means "already started"), DNS-1123 labels of at most 63 characters (Job names end
// up in pod labels), shortened with a hash suffix when too long.
import { createHash } from 'node:crypto';

export const MAX_NAME = 63;

export function shortHash(text: string, chars = 8): string {
  return createHash('sha256').update(text).digest('hex').slice(0, chars);
}

/** Join parts with '-' into a valid name of at most `max` characters. */
export function childName(parts: readonly string[], max = MAX_NAME): string {
  const full = parts
    .filter((p) => p !== '')
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-');
  if (full.length <= max) return full.replace(/^-+|-+$/g, '') || shortHash(full);
  const suffix = shortHash(full);
  return `${full.slice(0, max - suffix.length - 1).replace(/-+$/, '')}-${suffix}`;
}

/** Labels the operator puts on everything it creates. */
export const LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  component: 'app.kubernetes.io/component',
  ownerKind: 'cairn.dev/owner-kind',
  ownerName: 'cairn.dev/owner-name',
  purpose: 'cairn.dev/purpose',
  run: 'cairn.dev/run',
  pvc: 'cairn.dev/pvc',
  repository: 'cairn.dev/repository',
  schedule: 'cairn.dev/schedule',
  restore: 'cairn.dev/restore',
} as const;

export const MANAGED_BY = 'cairn-operator';

export const ANNOTATIONS = {
  privilegedMovers: 'cairn.dev/privileged-movers',
  scheduledTime: 'cairn.dev/scheduled-time',
  snapshotId: 'cairn.dev/snapshot-id',
  deleteFromRepository: 'cairn.dev/delete-from-repository',
  securityContextFrom: 'cairn.dev/security-context-from',
} as const;

/** A label value: at most 63 characters, alphanumeric at both ends. */
export function labelValue(text: string): string {
  const cleaned = text.replace(/[^A-Za-z0-9._-]/g, '-');
  if (cleaned.length <= 63) return cleaned.replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  return childName([cleaned.slice(0, 50), shortHash(cleaned)]);
}
