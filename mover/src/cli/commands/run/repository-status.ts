// `cairn repository status`: what the repository is and how big.
// The implementation, loaded only when this command runs (the declaration is in repository-status.ts).
import { listSnapshots } from '../../../engine/snapshot/snapshot-manager.ts';
import { formatBytes, formatCount } from '../../format-units.ts';
import type { CommandOutcome } from '../../command.ts';
import type { CommandContext } from '../../command-context.ts';

export async function run(ctx: CommandContext): Promise<CommandOutcome> {
  return ctx.withRepository({ readOnly: true }, async (repo) => {
    const cfg = repo.format.config;
    let contents = 0;
    let packed = 0;
    for (const c of repo.contents.iterateContents()) {
      contents++;
      packed += c.packedLength;
    }
    const snapshots = await listSnapshots(repo.manifests);
    const status = {
      location: repo.blobs.description, uniqueId: repo.format.uniqueId.toString('hex'), formatVersion: cfg.version,
      hash: cfg.hash, encryption: cfg.encryption, indexVersion: cfg.indexVersion, epochs: cfg.epochParameters.enabled,
      maxPackSize: cfg.maxPackSize, splitter: cfg.splitter, contents, packedBytes: packed, snapshots: snapshots.length,
    };
    if (ctx.json) ctx.output.out(JSON.stringify(status));
    else {
      for (const [k, v] of Object.entries({ ...status, packedBytes: formatBytes(packed), contents: formatCount(contents) })) {
        ctx.output.out(`${k.padEnd(14)} ${String(v)}`);
      }
    }
    return { repository: { uniqueId: status.uniqueId, snapshotCount: snapshots.length, sizeBytes: packed } };
  });
}
