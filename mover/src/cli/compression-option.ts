// Validates a --compression value against the compressors Cairn can write ("none" stores data as is).
import { SELECTABLE_COMPRESSOR_NAMES } from '../engine/compression/compressors.ts';
import { UsageError } from '../engine/errors.ts';

export const DEFAULT_DATA_COMPRESSION = 'zstd';

export function checkCompression(name: string, flag: string): string {
  if (name === 'none' || SELECTABLE_COMPRESSOR_NAMES.includes(name)) return name;
  throw new UsageError(`${flag} ${name} is not a compressor Cairn can write`, { hint: `use one of: none, ${SELECTABLE_COMPRESSOR_NAMES.join(', ')}` });
}
