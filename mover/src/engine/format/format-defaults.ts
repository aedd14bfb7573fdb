// Defaults and limits for new repositories and for reading old ones (kopia repo/initialize.go,
// repo/format/{format_provider,content_format}.go, internal/epoch Parameters, repo/splitter/splitter.go).
import type { EpochParameters } from './repository-config.ts';

export const FORMAT_VERSION = 3;
export const MIN_FORMAT_VERSION = 1;
export const INDEX_VERSION = 2;
export const MIN_PACK_SIZE = 10 << 20;
export const MAX_PACK_SIZE = 120 << 20;
export const DEFAULT_MAX_PACK_SIZE = 20 << 20;
export const DEFAULT_SPLITTER = 'DYNAMIC-4M-BUZHASH';
export const HMAC_SECRET_LENGTH = 32;
export const MASTER_KEY_LENGTH = 32;
/** Features this client understands in `requiredFeatures` (kopia repo/open.go supportedFeatures). */
export const SUPPORTED_FEATURES: readonly string[] = ['index-v1', 'index-v2'];

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** kopia epoch.DefaultParameters(). */
export const DEFAULT_EPOCH_PARAMETERS: EpochParameters = {
  enabled: true,
  epochRefreshFrequencyMs: 20 * MINUTE,
  fullCheckpointFrequency: 7,
  cleanupSafetyMarginMs: 4 * HOUR,
  minEpochDurationMs: 24 * HOUR,
  epochAdvanceOnCountThreshold: 20,
  epochAdvanceOnTotalSizeBytesThreshold: 10 << 20,
  deleteParallelism: 4,
};

/** Every splitter name kopia registers; the object layer decides which it can run. */
export const SPLITTER_NAMES: readonly string[] = [
  'FIXED', 'FIXED-128K', 'FIXED-256K', 'FIXED-512K', 'FIXED-1M', 'FIXED-2M', 'FIXED-4M', 'FIXED-8M',
  'DYNAMIC', 'DYNAMIC-128K-BUZHASH', 'DYNAMIC-256K-BUZHASH', 'DYNAMIC-512K-BUZHASH', 'DYNAMIC-1M-BUZHASH',
  'DYNAMIC-2M-BUZHASH', 'DYNAMIC-4M-BUZHASH', 'DYNAMIC-8M-BUZHASH',
  'DYNAMIC-128K-RABINKARP', 'DYNAMIC-256K-RABINKARP', 'DYNAMIC-512K-RABINKARP', 'DYNAMIC-1M-RABINKARP',
  'DYNAMIC-2M-RABINKARP', 'DYNAMIC-4M-RABINKARP', 'DYNAMIC-8M-RABINKARP',
];

/** kopia epoch.Parameters.Validate; returns the first violated rule, or undefined. */
export function epochParametersProblem(p: EpochParameters): string | undefined {
  if (!p.enabled) return undefined;
  if (p.minEpochDurationMs < 10 * MINUTE) return 'MinEpochDuration must be at least 10 minutes';
  if (p.epochRefreshFrequencyMs * 3 > p.minEpochDurationMs) {
    return 'EpochRefreshFrequency must be at most a third of MinEpochDuration';
  }
  if (p.fullCheckpointFrequency <= 0) return 'FullCheckpointFrequency must be positive';
  if (p.cleanupSafetyMarginMs < p.epochRefreshFrequencyMs * 3) {
    return 'CleanupSafetyMargin must be at least 3 × EpochRefreshFrequency';
  }
  if (p.epochAdvanceOnCountThreshold < 10) return 'EpochAdvanceOnCountThreshold must be at least 10';
  if (p.epochAdvanceOnTotalSizeBytesThreshold < 1 << 20) return 'EpochAdvanceOnTotalSizeBytesThreshold must be at least 1 MiB';
  return undefined;
}
