// `cairn repository change-password`: re-wraps the repository key with a new password. Data is untouched.
// The implementation, loaded only when this command runs (the declaration is in repository-change-password.ts).
import { changeRepositoryPassword } from '../../../engine/format/change-password.ts';
import { UsageError } from '../../../engine/errors.ts';
import type { ParsedValues, CommandOutcome } from '../../command.ts';
import type { CommandContext } from '../../command-context.ts';

export async function run(ctx: CommandContext, _args: readonly string[], values: ParsedValues): Promise<CommandOutcome> {
  const file = values['new-password-file'];
  const next = typeof file === 'string' ? await ctx.readPasswordFile(file, '--new-password-file') : ctx.env['CAIRN_NEW_PASSWORD'];
  if (next === undefined || next === '') {
    throw new UsageError('no new password given', { hint: 'pass --new-password-file PATH or set CAIRN_NEW_PASSWORD' });
  }
  const store = await ctx.openStore();
  await changeRepositoryPassword(store, await ctx.password(), next);
  if (!ctx.json) ctx.output.out(`Password changed for ${store.description}.`);
  else ctx.output.out(JSON.stringify({ changed: true }));
  return {};
}
