// Preload (node --import) for interrupt.itest.ts: sends SIGTERM to this process while bin/cairn.mjs is
// loading the CLI (when `../mover/src/cli/main.ts` is resolved), i.e. before main() has installed its
// signal handlers. Deterministic where a timer would race the loader.
import module from 'node:module';

let sent = false;
module.registerHooks({
  resolve(specifier, context, nextResolve) {
    if (!sent && specifier.endsWith('/cli/main.ts')) {
      sent = true;
      process.kill(process.pid, 'SIGTERM');
    }
    return nextResolve(specifier, context);
  },
});
