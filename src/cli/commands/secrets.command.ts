// `baton secrets rotate`: after BATON_SECRET changes (the old one moved to BATON_SECRET_PREVIOUS), re-seals
// every stored credential under the new secret, and seals those stored before sealing existed. Once it has
// run, and links sent under the old secret are old enough, the previous secret can be dropped.
import type { Command } from 'commander';
import { EmailSendersRepository } from '../../store/email-senders.repository.js';
import { withContext } from '../context.js';

export function register(program: Command): void {
  const secrets = program.command('secrets').description('stored credentials and the instance secret');
  secrets
    .command('rotate')
    .description('re-seal stored SMTP URLs and DKIM keys under the current BATON_SECRET')
    .action(async () => {
      await withContext(async (ctx) => {
        const n = await new EmailSendersRepository(ctx.store).reseal();
        const previous = ctx.config.BATON_SECRET_PREVIOUS?.length ?? 0;
        process.stdout.write(
          `Re-sealed ${n} stored credential${n === 1 ? '' : 's'} under the current secret.\n` +
            (previous > 0
              ? `BATON_SECRET_PREVIOUS still lists ${previous} secret${previous === 1 ? '' : 's'}: tracking and unsubscribe links they signed keep working until you remove ${previous === 1 ? 'it' : 'them'}.\n`
              : ''),
        );
      });
    });
}
