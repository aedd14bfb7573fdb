// Go-compatible JSON text and RFC3339Nano timestamps for the snapshot codecs. The implementations live
// below (format/go-json.ts, manifest/rfc3339-nano.ts); this module re-exports what the
// snapshot layer (and the policy layer, which imported it first) uses.
export { fieldReader, type FieldReader, goField, goJsonCompact, goJsonString, isJsonObject } from '../format/go-json.ts';
export {
  canonicalRfc3339,
  EPOCH_RFC3339,
  formatRfc3339Nano,
  parseRfc3339Nano,
  tryParseRfc3339Nano,
} from '../manifest/rfc3339-nano.ts';
