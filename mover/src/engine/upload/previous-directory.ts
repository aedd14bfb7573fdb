// Lazily loaded directory listing of the previous snapshot, consulted by the uploader to reuse entries of
// unchanged files. A listing that cannot be read only costs re-reading files: backups must not fail
// because an old snapshot is damaged.
import type { RepositoryReader } from '../repo/repository.ts';
import type { DirEntry, DirectorySummary } from '../snapshot/dir-entry.ts';
import { decodeDirManifest } from '../snapshot/dir-manifest.ts';

export class PreviousDirectory {
  private readonly repo: RepositoryReader;
  readonly objectId: string;
  private loaded: Promise<Map<string, DirEntry>> | undefined;
  /** The listing's own summary, once loaded. */
  summary: DirectorySummary | undefined;

  private constructor(repo: RepositoryReader, objectId: string) {
    this.repo = repo;
    this.objectId = objectId;
  }

  static forEntry(repo: RepositoryReader, entry: DirEntry): PreviousDirectory | undefined {
    return entry.type === 'd' && entry.obj !== '' ? new PreviousDirectory(repo, entry.obj) : undefined;
  }

  entries(): Promise<Map<string, DirEntry>> {
    this.loaded ??= this.load();
    return this.loaded;
  }

  private async load(): Promise<Map<string, DirEntry>> {
    try {
      const reader = await this.repo.objects.openObject(this.objectId);
      const manifest = decodeDirManifest(await reader.readAll(), this.objectId);
      this.summary = manifest.summary;
      return new Map(manifest.entries.map((e) => [e.name, e]));
    } catch {
      return new Map();
    }
  }
}
