// One index entry (kopia repo/content/index/info.go). Content IDs are strings: an optional one-letter
// prefix g..z followed by the lowercase hex hash ("k3f…" directory listing, "x…" indirect, "m…" manifest).
export interface ContentInfo {
  readonly contentId: string;
  readonly packBlobId: string;
  readonly packOffset: number;
  readonly packedLength: number;
  readonly originalLength: number;
  readonly timestampSeconds: number;
  readonly deleted: boolean;
  readonly compressionHeaderId: number;
  readonly formatVersion: number;
  readonly encryptionKeyId: number;
}
