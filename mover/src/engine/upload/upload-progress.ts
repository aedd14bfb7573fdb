// Counters of a running backup. The CLI renders them (progress bar on a TTY, periodic JSON otherwise) and
// tests assert on them (an unchanged second snapshot must read zero bytes).
export interface UploadProgress {
  dirs: number;
  files: number;
  /** Files whose previous-snapshot entry was reused without reading them. */
  cachedFiles: number;
  cachedBytes: number;
  /** Files read (new or changed). */
  hashedFiles: number;
  /** Bytes read from the source. */
  bytesRead: number;
  /** Uncompressed bytes of contents the repository did not have. */
  bytesNew: number;
  /** Bytes handed to storage in packs (compressed + encrypted). */
  bytesUploaded: number;
  excluded: number;
  errors: number;
  /** Files that grew, shrank or were replaced while being read (stored as read, size = bytes stored). */
  changedWhileRead: number;
  /** Packs an interrupted earlier run of this client stored, reused instead of uploaded again, and their bytes. */
  resumedPacks: number;
  resumedBytes: number;
  /** Sum of file sizes seen by the walk (total work estimate). */
  bytesTotal: number;
}

export function newUploadProgress(): UploadProgress {
  return { dirs: 0, files: 0, cachedFiles: 0, cachedBytes: 0, hashedFiles: 0, bytesRead: 0, bytesNew: 0,
    bytesUploaded: 0, excluded: 0, errors: 0, changedWhileRead: 0, resumedPacks: 0, resumedBytes: 0, bytesTotal: 0 };
}
