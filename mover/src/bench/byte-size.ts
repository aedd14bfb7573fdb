// Sizes on the bench's command line: a number with an optional binary (KiB, MiB, GiB) or decimal (KB, MB, GB)
// unit, e.g. 256MiB, 2GiB, 500MB, 1048576.
const UNITS: Record<string, number> = {
  '': 1, b: 1, k: 1024, kib: 1024, kb: 1e3, m: 1024 ** 2, mib: 1024 ** 2, mb: 1e6, g: 1024 ** 3, gib: 1024 ** 3, gb: 1e9,
};

export function parseByteSize(flag: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const unit = m === null ? undefined : UNITS[m[2]!.toLowerCase()];
  if (m === null || unit === undefined) throw new Error(`--${flag}: "${text}" is not a size (e.g. 256MiB, 2GiB, 500MB)`);
  const bytes = Math.round(Number(m[1]) * unit);
  if (bytes <= 0) throw new Error(`--${flag}: "${text}" must be more than 0 bytes`);
  return bytes;
}

export function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(2)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}
