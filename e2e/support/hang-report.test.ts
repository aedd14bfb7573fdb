import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { diagnoseHang, hangReportOptions } from './hang-report.ts';
import { statCpuSeconds, threadStats } from './proc-stat.ts';

const children: ChildProcess[] = [];

/** A Node process running `code` with the harness's report options, once it has printed "up". */
async function start(code: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', `process.stdout.write('up\\n'); ${code}`], {
    env: { ...process.env, NODE_OPTIONS: hangReportOptions() }, stdio: ['ignore', 'pipe', 'ignore'],
  });
  children.push(child);
  await once(child.stdout!, 'data');
  return child;
}

afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

describe('diagnoseHang', () => {
  it('an idle process with a live handle: its report, with the handle', async () => {
    const child = await start('setInterval(() => {}, 60_000); new Promise(() => {});');
    const d = await diagnoseHang(child.pid!, (s) => child.kill(s));
    expect(d).toMatch(/^threads: MainThread:[RS] /);
    expect(d).toMatch(/report \S+\.json: .*active handles: .*timer/);
  });

  it('a process busy in JavaScript: no report, and says so', async () => {
    const child = await start('for (;;);');
    // past its write of "up" (which may block a moment) and in the loop: its main thread has run for 0.2 s
    const mainCpu = (): number => statCpuSeconds(threadStats(child.pid!).find((t) => t.name === 'MainThread')!.fields) ?? 0;
    while (mainCpu() < 0.2) await new Promise((r) => setImmediate(r));
    const d = await diagnoseHang(child.pid!, (s) => child.kill(s), 500);
    expect(d).toMatch(/MainThread:R /);
    expect(d).toContain('no diagnostic report within 500 ms');
  });
});
