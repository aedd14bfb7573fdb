// Safety margins of maintenance (kopia repo/maintenance/maintenance_safety.go, kopia-format.md §10.3), plus
// Cairn's run budget. `full` is kopia's SafetyFull, for repositories other clients write to; `none` is
// kopia's SafetyNone (`--safety=none`), only safe when nothing else uses the repository. Tests shorten
// margins with parseSafety("none,sessionExpirationAge=96h,…"): a base level, then overrides.
import { UsageError } from '../errors.ts';
import type { EpochParameters } from '../format/repository-config.ts';
import { parseDuration } from '../policy/duration.ts';

export interface SafetyParameters {
  /** Contents younger than this are not rewritten (by index timestamp). */
  readonly rewriteMinAgeMs: number;
  /** Snapshot GC leaves unreferenced contents younger than this (relative to the maintenance start). */
  readonly minContentAgeSubjectToGcMs: number;
  /** Two snapshot GCs used for dropping deleted contents must be at least this far apart. */
  readonly marginBetweenSnapshotGcMs: number;
  /** Deleted contents are dropped only after two GC cycles (else: at once). */
  readonly requireTwoGcCycles: boolean;
  /** Subtracted from the safe drop time. */
  readonly dropContentFromIndexExtraMarginMs: number;
  /** Unreferenced pack blobs younger than this (storage time, relative to the start) are kept. */
  readonly packDeleteMinAgeMs: number;
  /** Packs of a session whose marker checkpoint is younger than this are kept. */
  readonly sessionExpirationAgeMs: number;
  /** Orphaned packs are deleted only this long after the last content rewrite ended. */
  readonly minRewriteToOrphanDeletionDelayMs: number;
  /**
   * Cairn: the longest a run may take (storage time since its start) before a destructive step; a slower
   * run stops before deleting anything more, because its view of snapshots, indexes and sessions is older
   * than the margins other clients rely on. 0 = no limit.
   */
  readonly maxRunBeforeDeleteMs: number;
}

const HOUR = 3_600_000;

export const SAFETY_FULL: SafetyParameters = {
  rewriteMinAgeMs: 2 * HOUR,
  minContentAgeSubjectToGcMs: 24 * HOUR,
  marginBetweenSnapshotGcMs: 4 * HOUR,
  requireTwoGcCycles: true,
  dropContentFromIndexExtraMarginMs: HOUR,
  packDeleteMinAgeMs: 24 * HOUR,
  sessionExpirationAgeMs: 96 * HOUR,
  minRewriteToOrphanDeletionDelayMs: HOUR,
  // half the smallest age margin (24 h): decisions made at the start stay inside the margins
  maxRunBeforeDeleteMs: 12 * HOUR,
};

export const SAFETY_NONE: SafetyParameters = {
  rewriteMinAgeMs: 0,
  minContentAgeSubjectToGcMs: 0,
  marginBetweenSnapshotGcMs: 0,
  requireTwoGcCycles: false,
  dropContentFromIndexExtraMarginMs: 0,
  packDeleteMinAgeMs: 0,
  sessionExpirationAgeMs: 0,
  minRewriteToOrphanDeletionDelayMs: 0,
  maxRunBeforeDeleteMs: 0,
};

/** Test-only epoch parameter overrides (`epoch.minEpochDuration=…`); never use them with other writers. */
export type EpochOverrides = Partial<Pick<EpochParameters,
  'minEpochDurationMs' | 'epochAdvanceOnCountThreshold' | 'cleanupSafetyMarginMs' | 'fullCheckpointFrequency'>>;

export interface SafetySpec {
  readonly safety: SafetyParameters;
  readonly epochOverrides: EpochOverrides;
}

const DURATION_KEYS: Readonly<Record<string, keyof SafetyParameters>> = {
  rewriteMinAge: 'rewriteMinAgeMs',
  minContentAgeSubjectToGC: 'minContentAgeSubjectToGcMs',
  marginBetweenSnapshotGC: 'marginBetweenSnapshotGcMs',
  dropContentFromIndexExtraMargin: 'dropContentFromIndexExtraMarginMs',
  packDeleteMinAge: 'packDeleteMinAgeMs',
  sessionExpirationAge: 'sessionExpirationAgeMs',
  minRewriteToOrphanDeletionDelay: 'minRewriteToOrphanDeletionDelayMs',
  maxRunBeforeDelete: 'maxRunBeforeDeleteMs',
};

function usage(message: string): UsageError {
  return new UsageError(message, {
    hint: 'write "full" or "none", optionally followed by ",key=value" overrides such as ",packDeleteMinAge=0s,requireTwoGCCycles=true"',
  });
}

/**
 * Parses a safety level: `full`, `none`, or either followed by comma-separated overrides (durations like
 * 0s, 90m, 96h; requireTwoGCCycles=true|false; epoch.minEpochDuration, epoch.advanceOnCount,
 * epoch.cleanupSafetyMargin, epoch.fullCheckpointFrequency).
 */
export function parseSafety(text: string): SafetySpec {
  const [base, ...overrides] = text.split(',').map((s) => s.trim());
  let safety: SafetyParameters;
  if (base === 'full') safety = SAFETY_FULL;
  else if (base === 'none') safety = SAFETY_NONE;
  else throw usage(`safety level "${base ?? ''}" is not "full" or "none"`);
  const s: Record<string, number | boolean> = { ...safety };
  const epoch: Record<string, number> = {};
  for (const o of overrides) {
    if (o === '') continue;
    const eq = o.indexOf('=');
    if (eq <= 0) throw usage(`safety override "${o}" is not key=value`);
    const key = o.slice(0, eq);
    const value = o.slice(eq + 1);
    const field = DURATION_KEYS[key];
    if (field !== undefined) s[field] = parseDuration(value, `safety ${key}`);
    else if (key === 'requireTwoGCCycles') {
      if (value !== 'true' && value !== 'false') throw usage(`requireTwoGCCycles must be true or false, not "${value}"`);
      s['requireTwoGcCycles'] = value === 'true';
    } else if (key === 'epoch.minEpochDuration') epoch['minEpochDurationMs'] = parseDuration(value, key);
    else if (key === 'epoch.cleanupSafetyMargin') epoch['cleanupSafetyMarginMs'] = parseDuration(value, key);
    else if (key === 'epoch.advanceOnCount' || key === 'epoch.fullCheckpointFrequency') {
      const n = Number(value);
      if (!Number.isSafeInteger(n) || n < 1) throw usage(`${key} must be a positive whole number, not "${value}"`);
      epoch[key === 'epoch.advanceOnCount' ? 'epochAdvanceOnCountThreshold' : 'fullCheckpointFrequency'] = n;
    } else throw usage(`unknown safety override "${key}"`);
  }
  return { safety: s as unknown as SafetyParameters, epochOverrides: epoch as EpochOverrides };
}
