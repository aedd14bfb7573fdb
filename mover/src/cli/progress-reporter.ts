// Shows a running operation: a one-line progress bar redrawn on a terminal, or a structured log line every
// `intervalMs` otherwise (what a mover Job's log shows, and what an SRE greps at 3 a.m.).
import type { CommandContext } from './command-context.ts';
import { formatBytes, formatCount } from './format-units.ts';

export interface ProgressSnapshot {
  readonly files: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
  readonly detail: Readonly<Record<string, number>>;
}

export interface ProgressReporter {
  stop(): void;
}

export function startProgress(ctx: CommandContext, label: string, read: () => ProgressSnapshot, intervalMs = 10_000): ProgressReporter {
  const started = Date.now();
  if (ctx.progress) {
    const draw = (): void => {
      const p = read();
      const secs = (Date.now() - started) / 1000;
      const pct = p.bytesTotal > 0 ? Math.min(100, (100 * p.bytesDone) / p.bytesTotal) : 0;
      const width = 24;
      const fill = Math.round((pct / 100) * width);
      const rate = secs > 0 ? formatBytes(p.bytesDone / secs) : '0 B';
      process.stderr.write(`\r${label} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${pct.toFixed(0).padStart(3)}% ` +
        `${formatCount(p.files)} files ${formatBytes(p.bytesDone)}/${formatBytes(p.bytesTotal)} ${rate}/s   `);
    };
    const t = setInterval(draw, 200);
    t.unref();
    return { stop: () => { clearInterval(t); draw(); process.stderr.write('\n'); } };
  }
  const t = setInterval(() => {
    const p = read();
    ctx.logger.info({ progress: { files: p.files, bytesDone: p.bytesDone, bytesTotal: p.bytesTotal, ...p.detail },
      elapsedSeconds: Math.round((Date.now() - started) / 1000) }, `${label} in progress`);
  }, intervalMs);
  t.unref();
  return { stop: () => clearInterval(t) };
}
