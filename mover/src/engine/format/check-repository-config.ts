// What kopia checks before it uses a repository config (repo/format/format_provider.go
// NewFormattingOptionsProvider, repo/open.go handleMissingRequiredFeatures and the upgrade-lock wait),
// plus kopia's read-time defaults for fields older repositories leave empty.
import { isEncryptionAlgorithm, ENCRYPTION_ALGORITHMS } from '../crypto/encryptors.ts';
import { HASH_ALGORITHMS, isHashAlgorithm } from '../crypto/hashers.ts';
import { UnsupportedError } from '../errors.ts';
import { DEFAULT_MAX_PACK_SIZE, FORMAT_VERSION, MIN_FORMAT_VERSION, SUPPORTED_FEATURES } from './format-defaults.ts';
import { UpgradeInProgressError } from './format-errors.ts';
import type { RepositoryConfig, RequiredFeature } from './repository-config.ts';

export interface CheckedConfig {
  readonly config: RepositoryConfig;
  readonly warnings: readonly string[];
}

const UPGRADE_HINT = 'upgrade Cairn, or restore with a kopia release that supports this repository';

/** Returns the config with kopia's read defaults applied, or throws the error kopia's open would raise. */
export function checkRepositoryConfig(raw: RepositoryConfig, where: string): CheckedConfig {
  if (raw.version < MIN_FORMAT_VERSION || raw.version > FORMAT_VERSION) {
    throw new UnsupportedError(`repository at ${where} has format version ${raw.version}; Cairn supports ${MIN_FORMAT_VERSION}..${FORMAT_VERSION}`, {
      hint: UPGRADE_HINT,
    });
  }
  const indexVersion = raw.indexVersion === 0 ? 1 : raw.indexVersion;
  if (indexVersion < 1 || indexVersion > 2) {
    throw new UnsupportedError(`repository at ${where} uses index version ${raw.indexVersion}; Cairn supports 1 and 2`, { hint: UPGRADE_HINT });
  }
  if (!isHashAlgorithm(raw.hash)) {
    throw new UnsupportedError(`repository at ${where} uses unknown hash "${raw.hash}"`, {
      hint: `Cairn knows ${HASH_ALGORITHMS.join(', ')}; ${UPGRADE_HINT}`,
    });
  }
  if (!isEncryptionAlgorithm(raw.encryption)) {
    throw new UnsupportedError(`repository at ${where} uses unknown encryption "${raw.encryption}"`, {
      hint: `Cairn knows ${ENCRYPTION_ALGORITHMS.join(', ')}; ${UPGRADE_HINT}`,
    });
  }
  if (raw.ecc !== '' && raw.eccOverheadPercent > 0) {
    throw new UnsupportedError(`repository at ${where} uses error correction "${raw.ecc}" (${raw.eccOverheadPercent}% overhead)`, {
      hint: 'Cairn cannot read ECC-protected repositories yet; use the kopia CLI for this repository',
    });
  }
  const warnings: string[] = [];
  for (const r of raw.requiredFeatures ?? []) {
    if (SUPPORTED_FEATURES.includes(r.feature)) continue;
    if (r.ifNotUnderstood.warn) warnings.push(featureMessage(r));
    else throw new UnsupportedError(`repository at ${where} requires a feature Cairn does not understand. ${featureMessage(r)}`, { hint: UPGRADE_HINT });
  }
  if (raw.upgradeLock !== undefined) {
    throw new UpgradeInProgressError(where, raw.upgradeLock.ownerId, raw.upgradeLock.message);
  }
  const maxPackSize = raw.maxPackSize === 0 ? DEFAULT_MAX_PACK_SIZE : raw.maxPackSize;
  return { config: { ...raw, indexVersion, maxPackSize }, warnings };
}

/** kopia feature.Required.UnsupportedMessage. */
function featureMessage(r: RequiredFeature): string {
  let msg = `Feature '${r.feature}' is not supported.`;
  if (r.ifNotUnderstood.message !== undefined) msg += ` ${r.ifNotUnderstood.message}`;
  if (r.ifNotUnderstood.url !== undefined) msg += ` See: ${r.ifNotUnderstood.url}`;
  if (r.ifNotUnderstood.upgradeToVersion !== undefined) msg += ` Please upgrade to version ${r.ifNotUnderstood.upgradeToVersion} or newer.`;
  return msg;
}
