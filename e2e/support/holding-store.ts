// Test support: a blob store that holds a backup's pack uploads after its first pack until a gate file exists,
// so a test can run maintenance next to a backup that is certainly still running (its session open, a pack
// stored and not yet indexed) instead of racing the backup's speed. Reaches the CLI only through the test-only
// entry point (cairn-test-entry.ts), never through the shipped bin/cairn.mjs.
import { existsSync, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { BlobStore, PutOptions } from '../../mover/src/engine/blob/blob-store.ts';
import { ForwardingStore } from './forwarding-store.ts';

/** Resolves once `path` exists (watching its directory, so no polling). */
function whenExists(path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const watcher = watch(dirname(path), (_event, name) => {
      if ((name === null || name === basename(path)) && existsSync(path)) {
        watcher.close();
        resolve();
      }
    });
    watcher.on('error', reject);
    // created before the watcher started
    if (existsSync(path)) {
      watcher.close();
      resolve();
    }
  });
}

export class HoldingStore extends ForwardingStore {
  private packs = 0;
  private gateOpen: Promise<void> | undefined;
  private readonly gate: string;

  constructor(inner: BlobStore, gate: string) {
    super(inner);
    this.gate = gate;
  }

  override async put(id: string, data: Uint8Array, options?: PutOptions): Promise<void> {
    if (id.startsWith('p') && this.packs++ >= 1) await (this.gateOpen ??= whenExists(this.gate));
    await this.inner.put(id, data, options);
  }
}
