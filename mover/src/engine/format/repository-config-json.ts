// The decrypted config inside `kopia.repository`: `{"format": RepositoryConfig}` as Go's json.Marshal writes
// it (compact, struct field order, omitempty where kopia says so). Keys: repo/format/content_format.go,
// object_format.go, repository_config.go, upgrade_lock_intent.go, internal/epoch Parameters (PascalCase keys,
// durations as int64 nanoseconds), internal/feature Required.
import type { EpochParameters, RepositoryConfig, RequiredFeature, UpgradeLockIntent } from './repository-config.ts';
import {
  getArray,
  getBoolean,
  getBytes,
  getInteger,
  getNumber,
  getObject,
  getString,
  goJsonEncode,
  asObject,
  parseJsonObject,
  type JsonObject,
} from './go-json.ts';

const NS_PER_MS = 1_000_000;

const nsToMs = (ns: number): number => ns / NS_PER_MS;
const msToNs = (ms: number): number => Math.round(ms * NS_PER_MS);

export function decodeRepositoryConfig(plaintext: Uint8Array, where: string): RepositoryConfig {
  const what = `repository config in ${where}`;
  const top = parseJsonObject(plaintext, what);
  const f = getObject(top, 'format', what) ?? {};
  const epoch = getObject(f, 'epochParameters', what);
  const lock = getObject(f, 'upgradeLock', what);
  const features = getArray(f, 'requiredFeatures', what);
  return {
    hash: getString(f, 'hash', what),
    encryption: getString(f, 'encryption', what),
    ecc: getString(f, 'ecc', what),
    eccOverheadPercent: getInteger(f, 'eccOverheadPercent', what),
    hmacSecret: getBytes(f, 'secret', what),
    masterKey: getBytes(f, 'masterKey', what),
    version: getInteger(f, 'version', what),
    maxPackSize: getInteger(f, 'maxPackSize', what),
    indexVersion: getInteger(f, 'indexVersion', what),
    epochParameters: decodeEpochParameters(epoch ?? {}, `${what}: epochParameters`),
    enablePasswordChange: getBoolean(f, 'enablePasswordChange', what),
    splitter: getString(f, 'splitter', what),
    ...(lock === undefined ? {} : { upgradeLock: decodeUpgradeLock(lock, `${what}: upgradeLock`) }),
    ...(features === undefined ? {} : { requiredFeatures: features.map((x, i) => decodeFeature(x, `${what}: requiredFeatures[${i}]`)) }),
  };
}

function decodeEpochParameters(o: JsonObject, what: string): EpochParameters {
  return {
    enabled: getBoolean(o, 'Enabled', what),
    epochRefreshFrequencyMs: nsToMs(getNumber(o, 'EpochRefreshFrequency', what)),
    fullCheckpointFrequency: getInteger(o, 'FullCheckpointFrequency', what),
    cleanupSafetyMarginMs: nsToMs(getNumber(o, 'CleanupSafetyMargin', what)),
    minEpochDurationMs: nsToMs(getNumber(o, 'MinEpochDuration', what)),
    epochAdvanceOnCountThreshold: getInteger(o, 'EpochAdvanceOnCountThreshold', what),
    epochAdvanceOnTotalSizeBytesThreshold: getInteger(o, 'EpochAdvanceOnTotalSizeBytesThreshold', what),
    deleteParallelism: getInteger(o, 'DeleteParallelism', what),
  };
}

function decodeUpgradeLock(o: JsonObject, what: string): UpgradeLockIntent {
  return {
    ownerId: getString(o, 'ownerID', what),
    creationTime: getString(o, 'creationTime', what),
    advanceNoticeDurationMs: nsToMs(getNumber(o, 'advanceNoticeDuration', what)),
    ioDrainTimeoutMs: nsToMs(getNumber(o, 'ioDrainTimeout', what)),
    statusPollIntervalMs: nsToMs(getNumber(o, 'statusPollInterval', what)),
    message: getString(o, 'message', what),
    maxPermittedClockDriftMs: nsToMs(getNumber(o, 'maxPermittedClockDrift', what)),
  };
}

function decodeFeature(x: unknown, what: string): RequiredFeature {
  const o = asObject(x, what);
  const inu = getObject(o, 'ifNotUnderstood', what) ?? {};
  const message = getString(inu, 'message', what);
  const url = getString(inu, 'url', what);
  const upgradeToVersion = getString(inu, 'upgradeToVersion', what);
  return {
    feature: getString(o, 'feature', what),
    ifNotUnderstood: {
      warn: getBoolean(inu, 'warn', what),
      ...(message === '' ? {} : { message }),
      ...(url === '' ? {} : { url }),
      ...(upgradeToVersion === '' ? {} : { upgradeToVersion }),
    },
  };
}

/** Encodes as kopia's json.Marshal(&EncryptedRepositoryConfig{Format: c}) does. */
export function encodeRepositoryConfig(c: RepositoryConfig): Buffer {
  const f: Record<string, unknown> = {};
  const put = (key: string, value: unknown, omit: boolean): void => {
    if (!omit) f[key] = value;
  };
  put('hash', c.hash, c.hash === '');
  put('encryption', c.encryption, c.encryption === '');
  put('ecc', c.ecc, c.ecc === '');
  put('eccOverheadPercent', c.eccOverheadPercent, c.eccOverheadPercent === 0);
  put('secret', c.hmacSecret.toString('base64'), c.hmacSecret.length === 0);
  put('masterKey', c.masterKey.toString('base64'), c.masterKey.length === 0);
  put('version', c.version, c.version === 0);
  put('maxPackSize', c.maxPackSize, c.maxPackSize === 0);
  put('indexVersion', c.indexVersion, c.indexVersion === 0);
  const e = c.epochParameters;
  f['epochParameters'] = {
    Enabled: e.enabled,
    EpochRefreshFrequency: msToNs(e.epochRefreshFrequencyMs),
    FullCheckpointFrequency: e.fullCheckpointFrequency,
    CleanupSafetyMargin: msToNs(e.cleanupSafetyMarginMs),
    MinEpochDuration: msToNs(e.minEpochDurationMs),
    EpochAdvanceOnCountThreshold: e.epochAdvanceOnCountThreshold,
    EpochAdvanceOnTotalSizeBytesThreshold: e.epochAdvanceOnTotalSizeBytesThreshold,
    DeleteParallelism: e.deleteParallelism,
  };
  f['enablePasswordChange'] = c.enablePasswordChange;
  put('splitter', c.splitter, c.splitter === '');
  if (c.upgradeLock !== undefined) f['upgradeLock'] = encodeUpgradeLock(c.upgradeLock);
  if (c.requiredFeatures !== undefined && c.requiredFeatures.length > 0) {
    f['requiredFeatures'] = c.requiredFeatures.map((r) => ({ feature: r.feature, ifNotUnderstood: { ...r.ifNotUnderstood } }));
  }
  return Buffer.from(goJsonEncode({ format: f }), 'utf8');
}

function encodeUpgradeLock(l: UpgradeLockIntent): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (l.ownerId !== '') o['ownerID'] = l.ownerId;
  o['creationTime'] = l.creationTime;
  if (l.advanceNoticeDurationMs !== 0) o['advanceNoticeDuration'] = msToNs(l.advanceNoticeDurationMs);
  if (l.ioDrainTimeoutMs !== 0) o['ioDrainTimeout'] = msToNs(l.ioDrainTimeoutMs);
  if (l.statusPollIntervalMs !== 0) o['statusPollInterval'] = msToNs(l.statusPollIntervalMs);
  if (l.message !== '') o['message'] = l.message;
  if (l.maxPermittedClockDriftMs !== 0) o['maxPermittedClockDrift'] = msToNs(l.maxPermittedClockDriftMs);
  return o;
}
