// `cairn repository create`: writes kopia.blobcfg and kopia.repository at the location. Never overwrites.
// The implementation, loaded only when this command runs (the declaration is in repository-create.ts).
import { createRepository } from '../../../engine/repo/open-repository.ts';
import { setCompressionPolicy } from '../../../engine/policy/policy-store.ts';
import { checkCompression } from '../../compression-option.ts';
import type { ParsedValues, CommandOutcome } from '../../command.ts';
import type { CommandContext } from '../../command-context.ts';

export async function run(ctx: CommandContext, _args: readonly string[], values: ParsedValues): Promise<CommandOutcome> {
  const compression = typeof values['compression'] === 'string' ? checkCompression(values['compression'], '--compression') : undefined;
  const store = await ctx.openStore({ create: true, requireEmpty: true });
  const keyCache = ctx.keyCache();
  const info = await createRepository(store, await ctx.password(), {
    ...(keyCache === undefined ? {} : { keyCache }),
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
}
