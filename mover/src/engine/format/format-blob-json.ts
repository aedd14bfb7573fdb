// The outer, plaintext JSON of `kopia.repository` (kopia repo/format/format_blob.go KopiaRepositoryJSON):
// written by Go's json.Encoder with SetIndent("", "  "), so pretty-printed with a trailing newline.
import { getBytes, getString, goJsonEncode, goJsonIndent, parseJsonObject, unknownMembers, type JsonObject } from './go-json.ts';

export const FORMAT_BLOB_ID = 'kopia.repository';
export const BLOBCFG_BLOB_ID = 'kopia.blobcfg';
/** The only `encryption` kopia supports for the format blob (DefaultFormatEncryption). */
export const FORMAT_BLOB_ENCRYPTION = 'AES256_GCM';
export const UNIQUE_ID_LENGTH = 32;

export interface FormatBlobJson {
  readonly tool: string;
  readonly buildVersion: string;
  readonly buildInfo: string;
  readonly uniqueId: Buffer;
  /** Password KDF; "" in repositories older than the field (kopia then uses scrypt). */
  readonly keyAlgo: string;
  readonly encryption: string;
  /** nonce ‖ AES-256-GCM(config JSON) ‖ tag; empty when absent. */
  readonly encryptedBlockFormat: Buffer;
  /** Members kopia does not define (yet): written back unchanged after the known ones. */
  readonly unknown: JsonObject;
}

const KEYS = ['tool', 'buildVersion', 'buildInfo', 'uniqueID', 'keyAlgo', 'encryption', 'encryptedBlockFormat'] as const;

export function parseFormatBlob(bytes: Uint8Array, where: string): FormatBlobJson {
  const what = `${FORMAT_BLOB_ID} at ${where}`;
  const o = parseJsonObject(bytes, what);
  return {
    tool: getString(o, 'tool', what),
    buildVersion: getString(o, 'buildVersion', what),
    buildInfo: getString(o, 'buildInfo', what),
    uniqueId: getBytes(o, 'uniqueID', what),
    keyAlgo: getString(o, 'keyAlgo', what),
    encryption: getString(o, 'encryption', what),
    encryptedBlockFormat: getBytes(o, 'encryptedBlockFormat', what),
    unknown: unknownMembers(o, KEYS),
  };
}

export function serializeFormatBlob(j: FormatBlobJson): Buffer {
  const doc: Record<string, unknown> = {
    tool: j.tool,
    buildVersion: j.buildVersion,
    buildInfo: j.buildInfo,
    uniqueID: j.uniqueId.toString('base64'),
    keyAlgo: j.keyAlgo,
    encryption: j.encryption,
  };
  if (j.encryptedBlockFormat.length > 0) doc['encryptedBlockFormat'] = j.encryptedBlockFormat.toString('base64');
  for (const [k, v] of Object.entries(j.unknown)) doc[k] = v;
  return Buffer.from(`${goJsonIndent(goJsonEncode(doc), '  ')}\n`, 'utf8');
}
