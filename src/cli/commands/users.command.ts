// `baton users create|list`: workspace users who sign in to the web app with a password (hashed with scrypt).
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import type { Command } from 'commander';
import { BatonError } from '../../domain/errors.js';
import { UsersRepository } from '../../store/users.repository.js';
import { WorkspacesRepository } from '../../store/workspaces.repository.js';
import { resolveWorkspace, withContext } from '../context.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  // One trailing newline (from `echo` or a file) is not part of the password.
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** Asks on the terminal without echoing what is typed. */
async function promptHidden(question: string): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk: Buffer, _enc, done) {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  try {
    return await new Promise<string>((resolve) => {
      rl.question(question, (answer) => resolve(answer));
      muted = true;
    });
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}

async function passwordFrom(opts: { passwordStdin?: boolean }): Promise<string> {
  if (opts.passwordStdin) return readStdin();
  if (!process.stdin.isTTY) {
    throw BatonError.invalid([
      { path: '--password-stdin', message: 'no terminal to ask on: pipe the password with --password-stdin' },
    ]);
  }
  const first = await promptHidden('Password: ');
  const again = await promptHidden('Password again: ');
  if (first !== again) throw BatonError.invalid([{ path: 'password', message: 'the two passwords differ' }]);
  return first;
}

export function register(program: Command): void {
  const users = program.command('users').description('manage the users who sign in to the web app');
  users
    .command('create')
    .description('create a user (and the workspace on first use); asks for the password unless piped')
    .requiredOption('--workspace <name>', 'workspace name')
    .requiredOption('--email <email>', 'the email the user signs in with')
    .option('--password-stdin', 'read the password from standard input')
    .action(async (opts: { workspace: string; email: string; passwordStdin?: boolean }) => {
      const password = await passwordFrom(opts);
      await withContext(async ({ store, clock }) => {
        const ws = await new WorkspacesRepository(store).ensure(opts.workspace, clock.now());
        const user = await new UsersRepository(store).create(
          ws.id,
          { email: opts.email, password },
          clock.now(),
        );
        console.log(`User ${user.email} can now sign in to workspace ${ws.name} (${user.id}).`);
      });
    });
  users
    .command('list')
    .description("list a workspace's users")
    .option('--workspace <name>', 'workspace name (default: the only one)')
    .action(async (opts: { workspace?: string }) => {
      await withContext(async ({ store }) => {
        const ws = await resolveWorkspace(store, opts.workspace);
        for (const u of await new UsersRepository(store).list(ws.id)) {
          console.log(`${u.email}\t${new Date(u.createdAt).toISOString()}\t${u.id}`);
        }
      });
    });
}
