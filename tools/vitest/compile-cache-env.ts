// vitest setupFile of the unit and integration projects: worker threads that tests start find their modules
// in the compile cache filled by compile-cache.ts (they read NODE_COMPILE_CACHE from the environment they
// inherit). Set here, in the test process, rather than in the environment vitest starts it with: there Node
// would turn the cache on for the test process itself too, and the engine would then compile worker modules
// through vitest's module runner for nothing (engine/util/worker-modules.ts).
import { COMPILE_CACHE_DIR } from './compile-cache.ts';

process.env['NODE_COMPILE_CACHE'] = COMPILE_CACHE_DIR;
