// What resolving a sales task does to its sequence. A task step stays open while its task is open; when
// the task is completed, skipped or expires, the next step is planned from that moment (its delay counts
// from the resolution). A completed task with a booked meeting records a `meeting_booked` event (the
// event processor turns it into the goal's conversion when the goal counts meetings) and ends the contact's
// enrollment at once: a booked meeting ends a sales sequence whatever `exit_on` says.
import type { Insertable, Kysely } from 'kysely';
import { workspaceSettings } from '../domain/workspace-settings.js';
import { BatonError } from '../domain/errors.js';
import { parseDelay } from '../planning/delay.js';
import { toHolidays } from '../planning/holidays.js';
import { taskTimes } from '../planning/working-hours.js';
import { CampaignsRepository } from '../store/campaigns.repository.js';
import type { Store } from '../store/db.js';
import { appendEvents } from '../store/events.repository.js';
import { newId } from '../store/ids.js';
import { fromJson } from '../store/json.js';
import type { Database } from '../store/schema.js';
import { TasksRepository, type Task, type TaskOutcome } from '../store/tasks.repository.js';
import { WorkspacesRepository } from '../store/workspaces.repository.js';
import { buildRuntime } from './campaign-runtime.js';
import { planStep } from './enroller.js';
import { activeEnrollmentsOfAccount, exitEnrollments } from './exits.js';

export type TaskAction =
  | { kind: 'complete'; outcome: TaskOutcome; note?: string }
  | { kind: 'skip'; reason?: string }
  | { kind: 'reschedule'; dueAt: number };

/** Who acted: a user id (browser session) or an API key id. */
export type Actor = string | null;

/**
 * Applies a person's answer to a task in one transaction: the task's new state and its effect on the
 * sequence. A task that is no longer open is a `conflict` naming its state.
 */
export async function actOnTask(
  store: Store,
  workspaceId: string,
  taskId: string,
  action: TaskAction,
  actor: Actor,
  now: number,
): Promise<Task> {
  await store.db.transaction().execute(async (trx) => {
    const tasks = new TasksRepository({ db: trx });
    const task = await tasks.get(workspaceId, taskId);
    if (task.status !== 'open') {
      throw new BatonError('conflict', `the task is already ${task.status}; only an open task can change`, {
        field: 'status',
        status: task.status,
      });
    }
    if (action.kind === 'reschedule') {
      if (action.dueAt < now) {
        throw BatonError.invalid([{ path: 'due_at', message: 'is in the past: pick a time from now on' }]);
      }
      const { zone, hours, holidays } = await assigneeCalendar(trx, store, workspaceId, task);
      const campaign = await new CampaignsRepository({ db: trx }).get(workspaceId, task.campaign_id);
      const expireAfter = campaign?.spec.sequence.find((s) => s.id === task.step_id)?.task?.expire_after;
      // The time a person picks is kept as is; overdue and expiry follow from the working period after it.
      const times = taskTimes({
        from: action.dueAt,
        zone,
        hours,
        holidays,
        minLeadMs: 0,
        expireAfter: expireAfter ? parseDelay(expireAfter) : undefined,
      });
      await tasks.reschedule(
        workspaceId,
        taskId,
        {
          dueAt: action.dueAt,
          overdueAt: Math.max(times.overdueAt, action.dueAt),
          expiresAt: times.expiresAt,
        },
        now,
      );
      return;
    }
    const done =
      action.kind === 'complete'
        ? await tasks.resolve(
            workspaceId,
            taskId,
            { status: 'completed', outcome: action.outcome, note: action.note ?? null, by: actor },
            now,
          )
        : await tasks.resolve(
            workspaceId,
            taskId,
            { status: 'skipped', note: action.reason ?? null, by: actor },
            now,
          );
    if (!done) throw new BatonError('conflict', 'the task was resolved by someone else meanwhile');
    if (action.kind === 'complete' && action.outcome === 'meeting_booked') {
      await bookMeeting(trx, workspaceId, task, now);
    } else {
      await continueSequence(trx, store, workspaceId, task, now);
    }
  });
  return new TasksRepository(store).get(workspaceId, taskId);
}

/**
 * Worker tick: open tasks past their expiry expire and their sequences go on; open tasks whose
 * enrollment ended (a reply, an unsubscribe, the campaign's end) are cancelled. Returns how many changed.
 */
export async function tickTasks(store: Store, now: number, limit = 500): Promise<number> {
  const repo = new TasksRepository(store);
  let changed = 0;
  for (const t of await repo.orphaned(limit)) {
    if (
      await repo.resolve(
        t.workspace_id,
        t.id,
        { status: 'cancelled', note: `enrollment_${t.state}`, by: null },
        now,
      )
    )
      changed++;
  }
  for (const t of await repo.expiring(now, limit)) {
    await store.db.transaction().execute(async (trx) => {
      const tasks = new TasksRepository({ db: trx });
      if (!(await tasks.resolve(t.workspace_id, t.id, { status: 'expired', by: null }, now))) return;
      changed++;
      await continueSequence(trx, store, t.workspace_id, await tasks.get(t.workspace_id, t.id), now);
    });
  }
  return changed;
}

/** The next instant a task expires (for simulations that jump between moments with work), or null. */
export function nextTaskExpiry(store: Store): Promise<number | null> {
  return new TasksRepository(store).nextExpiry();
}

async function assigneeCalendar(db: Kysely<Database>, store: Store, workspaceId: string, task: Task) {
  const settings = workspaceSettings(
    (await new WorkspacesRepository({ ...store, db }).get(workspaceId))?.settings ?? {},
  );
  const user = task.assignee_user_id
    ? await new TasksRepository({ db }).user(workspaceId, task.assignee_user_id).catch(() => null)
    : null;
  return {
    zone: user?.time_zone ?? settings.time_zone,
    hours: user?.working_hours ?? undefined,
    holidays: toHolidays(settings.holidays),
  };
}

async function bookMeeting(
  db: Kysely<Database>,
  workspaceId: string,
  task: Task,
  now: number,
): Promise<void> {
  const touch = await db
    .selectFrom('touches')
    .select(['variant_id'])
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', task.touch_id)
    .executeTakeFirst();
  await appendEvents(db, [
    {
      workspaceId,
      type: 'meeting_booked',
      occurredAt: now,
      receivedAt: now,
      messageId: `task:${task.id}:meeting_booked`,
      contactId: task.contact.id,
      accountId: task.contact.account_id,
      properties: { task_id: task.id, task_type: task.type, assignee: task.assignee },
      campaignId: task.campaign_id,
      touchId: task.touch_id,
      stepId: task.step_id,
      variantId: touch?.variant_id ?? null,
      channel: 'task',
    },
  ]);
  const campaign = await new CampaignsRepository({ db }).get(workspaceId, task.campaign_id);
  const ids = [task.enrollment_id];
  if (campaign?.spec.exit_scope === 'account' && task.contact.account_id) {
    ids.push(
      ...(await activeEnrollmentsOfAccount(db, workspaceId, task.campaign_id, task.contact.account_id)),
    );
  }
  await exitEnrollments(db, workspaceId, [...new Set(ids)], 'meeting_booked', now);
}

/**
 * Plans the step after the task's, counted from `now`, as the dispatcher does after a sent touch; an
 * enrollment that already ended gets nothing, and one whose sequence is over completes.
 */
async function continueSequence(
  db: Kysely<Database>,
  store: Store,
  workspaceId: string,
  task: Task,
  now: number,
): Promise<void> {
  const enrollment = await db
    .selectFrom('enrollments')
    .select(['id', 'state', 'variants'])
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', task.enrollment_id)
    .executeTakeFirst();
  if (!enrollment || enrollment.state !== 'active') return;
  const touch = await db
    .selectFrom('touches')
    .select(['step_index', 'contact_id'])
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', task.touch_id)
    .executeTakeFirst();
  const campaign = await new CampaignsRepository({ db }).get(workspaceId, task.campaign_id);
  if (!touch || !campaign) return;
  const ws = await new WorkspacesRepository({ ...store, db }).get(workspaceId);
  const rt = buildRuntime(
    workspaceId,
    campaign.spec,
    campaign.revision,
    workspaceSettings(ws?.settings ?? {}),
  );
  const contact = await db
    .selectFrom('contacts')
    .select('time_zone')
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', touch.contact_id)
    .executeTakeFirst();
  const index = touch.step_index + 1;
  const plan = planStep(rt, index, now, contact?.time_zone ?? null);
  if ('done' in plan) {
    await completeEnrollment(db, enrollment.id, now);
    return;
  }
  const step = rt.steps[index]!;
  const skipped = 'skip' in plan;
  const variants = fromJson<Record<string, string>>(enrollment.variants, {});
  const row: Insertable<Database['touches']> = {
    id: newId('tch', now),
    workspace_id: workspaceId,
    enrollment_id: enrollment.id,
    campaign_id: task.campaign_id,
    contact_id: touch.contact_id,
    step_id: step.step.id,
    step_index: index,
    channel: step.step.channel,
    variant_id: variants[step.step.id] ?? null,
    priority: rt.priority,
    status: skipped ? 'skipped' : 'planned',
    due_at: skipped ? now : plan.dueAt,
    lease_until: null,
    claimed_by: null,
    attempts: 0,
    deferrals: 0,
    planned_at: now,
    sent_at: null,
    reason: skipped ? 'window_closed' : null,
    message_id: null,
    details: '{}',
  };
  await db
    .insertInto('touches')
    .values(row)
    .onConflict((oc) => oc.doNothing())
    .execute();
  if (skipped) await completeEnrollment(db, enrollment.id, now);
}

async function completeEnrollment(db: Kysely<Database>, id: string, now: number): Promise<void> {
  await db
    .updateTable('enrollments')
    .set({ state: 'completed', exit_reason: 'sequence_done', exited_at: now })
    .where('id', '=', id)
    .where('state', '=', 'active')
    .execute();
}
