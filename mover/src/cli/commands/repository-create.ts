// `cairn repository create`: writes kopia.blobcfg and kopia.repository at the location. Never overwrites.
import { createRepository } from '../../engine/repo/open-repository.ts';
import { setCompressionPolicy } from '../../engine/policy/policy-store.ts';
import { checkCompression } from '../compression-option.ts';
import type { Command } from '../command.ts';

export const repositoryCreate: Command = {
  name: 'repository create',
  summary: 'create a new repository at --repo (refuses if one exists)',
  args: '',
  minArgs: 0,
  maxArgs: 0,
  options: {
    hash: { type: 'string', description: 'content hash (default HMAC-SHA256-128)', valueName: 'NAME' },
    encryption: { type: 'string', description: 'content encryption (default AES256-GCM-HMAC-SHA256)', valueName: 'NAME' },
    compression: { type: 'string', description: 'default compressor for file data, stored as the global policy (kopia reads it too)', valueName: 'NAME' },
  },
  async run(ctx, _args, values) {
    const compression = typeof values['compression'] === 'string' ? checkCompression(values['compression'], '--compression') : undefined;
    const store = await ctx.openStore({ create: true, requireEmpty: true });
    const info = await createRepository(store, await ctx.password(), {
      ...(typeof values['hash'] === 'string' ? { hash: values['hash'] } : {}),
      ...(typeof values['encryption'] === 'string' ? { encryption: values['encryption'] } : {}),
    });
    if (compression !== undefined) {
      await ctx.withRepository({}, async (repo) => {
        await setCompressionPolicy(repo.manifests, { host: '', userName: '', path: '' }, compression);
        await repo.flush();
      });
    }
    if (ctx.json) ctx.output.out(JSON.stringify({ repository: store.description, ...info }));
    else ctx.output.out(`Created repository at ${store.description} (hash ${info.hash}, encryption ${info.encryption}).`);
    return { repository: { uniqueId: info.uniqueId } };
  },
};
