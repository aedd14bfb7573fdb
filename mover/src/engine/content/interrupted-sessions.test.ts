import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { FaultInjectingBlobStore } from '../blob/test-support/fault-injecting-store.ts';
import { MemoryBlobStore } from '../blob/memory-store.ts';
import { ContentManager } from './content-manager.ts';
import { testRepositoryFormat } from './content-test-support.ts';

const HOUR = 3_600_000;

/** A writer that stores two packs (data and metadata) and then dies at its commit: no index blob. */
async function interruptedRun(store: MemoryBlobStore, format: ReturnType<typeof testRepositoryFormat>, now: Date): Promise<string[]> {
  const faulty = new FaultInjectingBlobStore(store);
  faulty.inject({ op: 'put', match: 'xn', fault: { kind: 'fail', error: () => new Error('killed') } });
  const cm = await ContentManager.open(faulty, format, { sessionUser: 'alice', sessionHost: 'laptop', now: () => now });
  const ids = [
    await cm.writeContent(randomBytes(1000), { prefix: '' }),
    await cm.writeContent(Buffer.from('{"listing":1}'), { prefix: 'k' }),
    await cm.writeContent(Buffer.from('{"entries":[]}'), { prefix: 'm' }),
  ];
  await expect(cm.flush()).rejects.toThrow('killed');
  return ids;
}

describe('resuming interrupted sessions', () => {
  it("indexes the packs of this client's interrupted run, except its manifests, with the next flush", async () => {
    const store = new MemoryBlobStore();
    const format = testRepositoryFormat();
    const t0 = new Date('2026-06-01T00:00:00Z');
    const [data, listing, manifest] = await interruptedRun(store, format, t0);

    const other = await ContentManager.open(store, format, { sessionUser: 'bob', sessionHost: 'laptop', now: () => t0 });
    expect(await other.resumeInterruptedSessions()).toMatchObject({ sessions: 0, packs: 0 });
    const late = await ContentManager.open(store, format, { sessionUser: 'alice', sessionHost: 'laptop', now: () => new Date(t0.getTime() + 25 * HOUR) });
    expect(await late.resumeInterruptedSessions()).toMatchObject({ sessions: 0, packs: 0 });

    const later = new Date(t0.getTime() + HOUR);
    const cm = await ContentManager.open(store, format, { sessionUser: 'alice', sessionHost: 'laptop', now: () => later });
    const stats = await cm.resumeInterruptedSessions();
    expect(stats).toMatchObject({ sessions: 1, packs: 2, contents: 2, skipped: 0 });
    expect(cm.hasContent(data!)).toBe(true);
    expect(cm.hasContent(listing!)).toBe(true);
    expect(cm.hasContent(manifest!)).toBe(false);
    // Writing the same bytes again stores nothing new.
    const before = cm.stats.writtenContents;
    await cm.writeContent(Buffer.from('{"listing":1}'), { prefix: 'k' });
    expect(cm.stats.writtenContents).toBe(before);
    await cm.flush();

    const reader = await ContentManager.open(store, format);
    expect(reader.contentInfo(data!)?.timestampSeconds).toBe(Math.floor(later.getTime() / 1000));
    expect((await reader.getContent(listing!)).toString()).toBe('{"listing":1}');
    expect(reader.contentInfo(manifest!)).toBeUndefined();
  });
});
