// In-memory ManifestStore for unit tests of snapshot logic (no gzip, no contents).
import { randomBytes } from 'node:crypto';
import { NotFoundError } from '../../errors.ts';
import type { Labels, ManifestEntry, ManifestEntryMetadata, ManifestStore } from '../../manifest/manifest-store.ts';

export class MemoryManifestStore implements ManifestStore {
  readonly entries = new Map<string, ManifestEntry>();
  private clock = 0;

  find(labels: Labels): Promise<ManifestEntryMetadata[]> {
    const out: ManifestEntryMetadata[] = [];
    for (const e of this.entries.values()) {
      if (Object.entries(labels).every(([k, v]) => e.labels[k] === v)) {
        out.push({ id: e.id, labels: e.labels, modified: e.modified, length: e.length });
      }
    }
    return Promise.resolve(out);
  }

  get<T>(id: string): Promise<ManifestEntry<T>> {
    const e = this.entries.get(id);
    if (e === undefined) return Promise.reject(new NotFoundError(`manifest ${id} not found`));
    // Round-trip through JSON as the real store does.
    return Promise.resolve({ ...e, payload: JSON.parse(JSON.stringify(e.payload)) as T });
  }

  put(labels: Labels, payload: unknown): Promise<string> {
    const id = randomBytes(16).toString('hex');
    const text = JSON.stringify(payload);
    this.clock++;
    this.entries.set(id, {
      id,
      labels: { ...labels },
      modified: new Date(Date.UTC(2025, 0, 1, 0, 0, this.clock)).toISOString(),
      length: Buffer.byteLength(text),
      payload: JSON.parse(text) as unknown,
    });
    return Promise.resolve(id);
  }

  delete(id: string): Promise<void> {
    this.entries.delete(id);
    return Promise.resolve();
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }
}
