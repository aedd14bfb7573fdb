// setupFiles of the e2e project: hands each scenario file the cluster facts the global setup provided.
import { inject } from 'vitest';
import { useE2eInfo, type E2eInfo } from './e2e-cluster.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    e2e: E2eInfo;
  }
}

useE2eInfo(inject('e2e'));
