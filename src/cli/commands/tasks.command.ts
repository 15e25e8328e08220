// `baton tasks list`: a workspace's sales tasks from the terminal (the inbox of GET /api/v1/tasks).
import type { Command } from 'commander';
import { BatonError } from '../../domain/errors.js';
import { isOverdue, TASK_STATUSES, TasksRepository, type TaskStatus } from '../../store/tasks.repository.js';
import { resolveWorkspace, withContext } from '../context.js';

interface ListOptions {
  workspace?: string;
  assignee?: string;
  status?: string;
  limit: string;
  json?: boolean;
}

export function register(program: Command): void {
  const tasks = program.command('tasks').description('sales tasks made by task steps');
  tasks
    .command('list')
    .description('list tasks, oldest first: id, status, due time, type, assignee, contact, instructions')
    .option('--workspace <name>', 'workspace name (default: the only one)')
    .option('--assignee <who>', 'a user email or id, or `unassigned`')
    .option('--status <status>', `one of ${TASK_STATUSES.join(', ')}`)
    .option('--limit <n>', 'at most this many', '100')
    .option('--json', 'one JSON object per line')
    .action(async (opts: ListOptions) => {
      if (opts.status !== undefined && !(TASK_STATUSES as readonly string[]).includes(opts.status)) {
        throw BatonError.invalid([
          { path: '--status', message: `must be one of ${TASK_STATUSES.join(', ')}` },
        ]);
      }
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
        throw BatonError.invalid([{ path: '--limit', message: 'must be a whole number from 1 to 1000' }]);
      }
      await withContext(async ({ store, clock }) => {
        const ws = await resolveWorkspace(store, opts.workspace);
        const repo = new TasksRepository(store);
        let assignee: string | undefined;
        if (opts.assignee === 'unassigned') assignee = 'unassigned';
        else if (opts.assignee !== undefined) {
          const { user } = await repo.resolveAssignee(ws.id, opts.assignee, null);
          if (!user) {
            throw BatonError.invalid([
              {
                path: '--assignee',
                message: `no user ${JSON.stringify(opts.assignee)} in workspace ${ws.name}`,
              },
            ]);
          }
          assignee = user.id;
        }
        const now = clock.now();
        const page = await repo.list(
          ws.id,
          { assignee, status: opts.status as TaskStatus | undefined },
          { limit },
        );
        for (const t of page.data) {
          const overdue = isOverdue(t, now);
          if (opts.json) {
            console.log(JSON.stringify({ ...t, overdue, due_at: new Date(t.due_at).toISOString() }));
            continue;
          }
          const who =
            [t.contact.first_name, t.contact.last_name].filter(Boolean).join(' ') || t.contact.email;
          console.log(
            [
              t.id,
              overdue ? `${t.status} (overdue)` : t.status,
              new Date(t.due_at).toISOString(),
              t.type,
              t.assignee ?? '(unassigned)',
              who ?? t.contact.id,
              t.instructions ?? '',
            ].join('\t'),
          );
        }
        if (page.next_cursor) console.error(`… more than ${limit}: raise --limit or filter`);
      });
    });
}
