// Label-addressed manifests (LAMS, kopia repo/manifest). Every manifest has a "type" label.
import type { FlushOptions } from '../content/content-store.ts';

export type Labels = Readonly<Record<string, string>>;

export interface ManifestEntryMetadata {
  readonly id: string;
  readonly labels: Labels;
  readonly modified: string; // RFC 3339 with nanoseconds, as stored
  readonly length: number; // bytes of the JSON payload
}

export interface ManifestEntry<T = unknown> extends ManifestEntryMetadata {
  readonly payload: T;
}

export interface ManifestStore {
  /** All live manifests whose labels include every given label. */
  find(labels: Labels): Promise<ManifestEntryMetadata[]>;
  get<T>(id: string): Promise<ManifestEntry<T>>;
  /** Adds a manifest (written at the next flush); returns its new ID. */
  put(labels: Labels, payload: unknown): Promise<string>;
  delete(id: string): Promise<void>;
  /** Writes pending manifests and commits (the gate guards the commit point, see content-store.ts). */
  flush(options?: FlushOptions): Promise<void>;
}
