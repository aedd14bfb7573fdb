#!/usr/bin/env node
// Entry point for `npx cairn`: Node 24 runs the TypeScript sources directly (type stripping), so there is no
// build step and no build output to ship. The compile cache keeps start-up short on repeated runs.
import module from 'node:module';
module.enableCompileCache?.();
process.removeAllListeners('warning');
process.on('warning', (w) => { if (w.name !== 'ExperimentalWarning') console.error(w.toString()); });
const { main } = await import('../mover/src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
