// The commit point of a run (the one index blob write that makes a snapshot visible) behind a gate tied to
// the run's abort signal: once the run is aborted (Ctrl-C, SIGTERM) the gate refuses, so an interrupted
// run commits nothing; a commit already in flight when the signal comes is let through, and its state
// tells the CLI whether exiting now would be honest ("nothing was committed") or must wait.
import { CairnError } from '../errors.ts';

export type CommitState = 'open' | 'committing' | 'committed';

function interrupted(): CairnError {
  return new CairnError('INTERRUPTED', 'interrupted; nothing was committed by this run', {
    hint: 'Run the command again: data already uploaded is reused, earlier snapshots are intact.',
  });
}

export class CommitGate {
  private readonly signal: AbortSignal | undefined;
  private current: CommitState = 'open';

  constructor(signal?: AbortSignal) {
    this.signal = signal;
  }

  get state(): CommitState {
    return this.current;
  }

  /** Throws INTERRUPTED once the run is aborted (before anything was committed). */
  check(): void {
    if (this.signal?.aborted === true && this.current === 'open') throw interrupted();
  }

  /**
   * Waits for `work` unless the run is aborted first: then throws INTERRUPTED at once and leaves `work` to
   * be torn down by its owner (its eventual failure is observed here, never unhandled).
   */
  async race<T>(work: Promise<T>): Promise<T> {
    const signal = this.signal;
    if (signal === undefined) return work;
    work.catch(() => undefined);
    this.check();
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(interrupted());
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([work, aborted]);
    } finally {
      signal.removeEventListener('abort', onAbort!);
    }
  }

  /** Runs the commit write unless the run was aborted; the state says where it stands meanwhile. */
  async pass<T>(commit: () => Promise<T>): Promise<T> {
    this.check();
    this.current = 'committing';
    try {
      const result = await commit();
      this.current = 'committed';
      return result;
    } catch (e) {
      this.current = 'open';
      throw e;
    }
  }
}
