// `cairn repository change-password`: re-wraps the repository key with a new password. Data is untouched.
import { changeRepositoryPassword } from '../../engine/format/change-password.ts';
import { UsageError } from '../../engine/errors.ts';
import type { Command } from '../command.ts';

export const repositoryChangePassword: Command = {
  name: 'repository change-password',
  summary: 'change the repository password (other clients must use the new one)',
  args: '',
  minArgs: 0,
  maxArgs: 0,
  options: {
    'new-password-file': { type: 'string', description: 'file holding the new password (or CAIRN_NEW_PASSWORD)', valueName: 'PATH' },
  },
  async run(ctx, _args, values) {
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
  },
};
