// `baton users create|list|set-role`: workspace users who sign in to the web app with a password (hashed with scrypt).
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import type { Command } from 'commander';
import { BatonError } from '../../domain/errors.js';
import { ROLES, isRole, type Role } from '../../domain/roles.js';
import { recordAudit } from '../../store/audit.repository.js';
import { UsersRepository } from '../../store/users.repository.js';
import { cliActor } from '../audit.js';
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

function roleOption(value: string): Role {
  if (!isRole(value)) {
    throw BatonError.invalid([{ path: '--role', message: `must be one of ${ROLES.join(', ')}` }]);
  }
  return value;
}

export function register(program: Command): void {
  const users = program.command('users').description('manage the users who sign in to the web app');
  users
    .command('create')
    .description('create a user (and the workspace on first use); asks for the password unless piped')
    .requiredOption('--workspace <name>', 'workspace name')
    .requiredOption('--email <email>', 'the email the user signs in with')
    .option('--password-stdin', 'read the password from standard input')
    .option(
      '--role <role>',
      `${ROLES.join(', ')} (default: admin for the workspace's first user, marketer after)`,
    )
    .action(async (opts: { workspace: string; email: string; passwordStdin?: boolean; role?: string }) => {
      const role = opts.role === undefined ? undefined : roleOption(opts.role);
      const password = await passwordFrom(opts);
      await withContext(async ({ store, clock }) => {
        const ws = await new WorkspacesRepository(store).ensure(opts.workspace, clock.now());
        const user = await new UsersRepository(store).create(
          ws.id,
          { email: opts.email, password, ...(role ? { role } : {}) },
          clock.now(),
        );
        await recordAudit(store, {
          workspaceId: ws.id,
          at: clock.now(),
          actor: cliActor(),
          action: 'user.create',
          target: { type: 'user', id: user.id },
          details: { email: user.email, role: user.role },
        });
        console.log(
          `User ${user.email} can now sign in to workspace ${ws.name} as ${user.role} (${user.id}).`,
        );
      });
    });
  users
    .command('set-role <email>')
    .description("change a user's role; it applies to their open sessions at once")
    .requiredOption('--role <role>', ROLES.join(', '))
    .option('--workspace <name>', 'workspace name (default: the only one)')
    .action(async (email: string, opts: { role: string; workspace?: string }) => {
      const role = roleOption(opts.role);
      await withContext(async ({ store, clock }) => {
        const ws = await resolveWorkspace(store, opts.workspace);
        const user = await new UsersRepository(store).setRole(ws.id, email, role, clock.now());
        await recordAudit(store, {
          workspaceId: ws.id,
          at: clock.now(),
          actor: cliActor(),
          action: 'user.set_role',
          target: { type: 'user', id: user.id },
          details: { role },
        });
        console.log(`User ${user.email} is now ${user.role}.`);
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
          console.log(`${u.email}\t${u.role}\t${new Date(u.createdAt).toISOString()}\t${u.id}`);
        }
      });
    });
}
