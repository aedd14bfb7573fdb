// Test helper: a scratch directory and a real in-memory repository (createMemoryRepository) for one test
// file, made before its tests and removed after them. Tests read `scratch.work` and `scratch.repo`.
import { afterAll, beforeAll } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryRepository, type MemoryRepository } from './memory-repository.ts';

export interface Scratch {
  readonly work: string;
  readonly repo: MemoryRepository;
}

export function useScratchRepository(prefix: string): Scratch {
  let work: string | undefined;
  let repo: MemoryRepository | undefined;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), `cairn-${prefix}-`));
    repo = await createMemoryRepository();
  }, 60_000);
  afterAll(async () => {
    await repo?.close();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });
  return {
    get work() { if (work === undefined) throw new Error('scratch used outside a test'); return work; },
    get repo() { if (repo === undefined) throw new Error('scratch used outside a test'); return repo; },
  };
}
