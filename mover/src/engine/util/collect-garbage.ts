// A full garbage collection on demand, for the one moment a run knows most of its old generation just died
// and a large allocation comes next: a backup's walk is over and its index blob is built. V8 would collect
// only after that allocation, and the dead pages would count in the run's peak until then.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type GcFunction = (options: { type: 'minor' | 'major' }) => void;

let gc: GcFunction | undefined;

export function collectAllGarbage(): void {
  if (gc === undefined) {
    // V8 hands out its gc() only behind --expose-gc; the flag takes effect for contexts created after it
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as GcFunction;
  }
  gc({ type: 'major' });
}
