// Stopping a daemon must not leave its grace timer behind: the e2e teardown stops every cluster daemon last,
// and a pending 10 s timer per stop kept vitest's process alive after the run.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startDaemon, waitUntil } from './daemon.ts';

const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('startDaemon', () => {
  let logDir: string;
  beforeEach(async () => {
    logDir = await mkdtemp(join(tmpdir(), 'cairn-daemon-'));
  });
  afterEach(async () => {
    await rm(logDir, { recursive: true, force: true });
  });

  it('stops a daemon that exits on SIGTERM without leaving its grace timer pending', async () => {
    const d = startDaemon('sleeper', 'sleep', ['600'], { logDir });
    const before = timers();
    await d.stop(60_000);
    expect(d.exitCode()).not.toBeNull();
    expect(timers()).toBe(before);
  });

  it('kills a daemon that ignores SIGTERM once the grace time is over', async () => {
    const d = startDaemon('stubborn', 'sh', ['-c', 'trap "" TERM; echo ready; while :; do sleep 0.05; done'], { logDir });
    // the script prints once its trap is set
    await waitUntil('the trap', () => d.tail().includes('ready'), { timeoutMs: 10_000, watch: [d], intervalMs: 10 });
    await d.stop(300);
    expect(d.exitCode()).toBe(128);
  });
});
