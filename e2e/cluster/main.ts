// `npm run cluster -- up | down | check`: the e2e cluster by hand. `up` builds the images, starts the cluster,
// prints how to reach it and keeps it running until Ctrl-C (then tears it down); `down` removes a cluster a
// crashed run left behind; `check` lists what of a cluster is still on the host (exit 1 if anything).
import { DEFAULT_LAYOUT } from './cluster-layout.ts';
import { startCluster, teardownHost } from './cluster.ts';
import { leftovers } from './host-state.ts';
import { buildClusterImages } from './cluster-images.ts';

const [verb] = process.argv.slice(2);

async function main(): Promise<number> {
  switch (verb) {
    case 'up': {
      const images = await buildClusterImages();
      const cluster = await startCluster({ images: [images.pause, images.cairn] });
      process.stdout.write(`cluster ready: export KUBECONFIG=${cluster.kubeconfig}\nCairn image: ${images.cairnName}\nMinIO: ${cluster.minio.endpoint}\nCtrl-C tears it down.\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      const left = await cluster.stop();
      return left.length === 0 ? 0 : 1;
    }
    case 'down': {
      const left = await teardownHost(DEFAULT_LAYOUT);
      for (const x of left) process.stdout.write(`${x}\n`);
      return left.length === 0 ? 0 : 1;
    }
    case 'check': {
      const left = leftovers(DEFAULT_LAYOUT, [DEFAULT_LAYOUT.base, DEFAULT_LAYOUT.run], undefined);
      for (const x of left) process.stdout.write(`${x}\n`);
      return left.length === 0 ? 0 : 1;
    }
    default:
      process.stderr.write('usage: npm run cluster -- up | down | check\n');
      return 2;
  }
}

process.exitCode = await main();
