// One plain-text table per bench run: a title, aligned columns, and notes underneath.
export type Cell = string | number | undefined;

export function formatCell(c: Cell, digits = 2): string {
  if (c === undefined) return '-';
  if (typeof c === 'number') return Number.isFinite(c) ? c.toFixed(digits) : '-';
  return c;
}

export function printTable(title: string, headers: readonly string[], rows: readonly (readonly Cell[])[], notes: readonly string[] = []): void {
  const text = rows.map((r) => r.map((c) => formatCell(c)));
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  const out = [`\n== ${title}`, line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...text.map(line), ...notes.map((n) => `  ${n}`)];
  console.log(out.join('\n'));
}

/** a / b, or undefined when either is missing. */
export function ratio(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined || b === 0 ? undefined : a / b;
}

export function mib(bytes: number | undefined): number | undefined {
  return bytes === undefined ? undefined : bytes / 2 ** 20;
}
