// Sales tasks: the rows a `task` step makes for a person (a call, a LinkedIn touch, a manual email), the
// inbox's filtered pages, and the working hours of the users they are assigned to. Workspace-scoped on
// every call; the engine (src/engine/tasks.ts) decides what a resolution does to the sequence.
import type { Kysely, Selectable } from 'kysely';
import { BatonError } from '../domain/errors.js';
import { sendWindowSchema } from '../domain/campaign.js';
import { isValidTimeZone } from '../domain/time-zones.js';
import { checkLimit, decodeCursor, toPage, type Page, type PageRequest } from './cursor.js';
import { fromJson, toJson } from './json.js';
import type { Database } from './schema.js';

export const TASK_STATUSES = ['open', 'completed', 'skipped', 'expired', 'cancelled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
export const TASK_OUTCOMES = ['connected', 'left_voicemail', 'no_answer', 'meeting_booked'] as const;
export type TaskOutcome = (typeof TASK_OUTCOMES)[number];

export interface WorkingHoursSetting {
  days: number[];
  start: string;
  end: string;
}

export interface Task {
  id: string;
  touch_id: string;
  campaign_id: string;
  enrollment_id: string;
  step_id: string;
  type: string;
  instructions: string | null;
  assignee_user_id: string | null;
  assignee: string | null;
  status: TaskStatus;
  due_at: number;
  overdue_at: number;
  expires_at: number;
  outcome: string | null;
  note: string | null;
  resolved_at: number | null;
  resolved_by: string | null;
  contact: {
    id: string;
    email: string | null;
    phone: string | null;
    first_name: string | null;
    last_name: string | null;
    account_id: string | null;
  };
  created_at: number;
  updated_at: number;
}

export interface TaskFilter {
  /** A user id; `unassigned` for tasks whose assignee names no user. */
  assignee?: string;
  status?: TaskStatus;
  due_before?: number;
  campaign?: string;
  contact?: string;
  /** Only open tasks overdue at this instant (true) or not yet overdue (false). */
  overdue?: { at: number; is: boolean };
}

export interface AssigneeUser {
  id: string;
  email: string;
  time_zone: string | null;
  working_hours: WorkingHoursSetting | null;
}

type Db = Kysely<Database>;

const TASK_COLUMNS = [
  'tasks.id',
  'tasks.touch_id',
  'tasks.campaign_id',
  'tasks.enrollment_id',
  'tasks.step_id',
  'tasks.type',
  'tasks.instructions',
  'tasks.assignee_user_id',
  'tasks.assignee',
  'tasks.status',
  'tasks.due_at',
  'tasks.overdue_at',
  'tasks.expires_at',
  'tasks.outcome',
  'tasks.note',
  'tasks.resolved_at',
  'tasks.resolved_by',
  'tasks.created_at',
  'tasks.updated_at',
  'tasks.contact_id',
  'contacts.email as contact_email',
  'contacts.phone as contact_phone',
  'contacts.first_name as contact_first_name',
  'contacts.last_name as contact_last_name',
  'contacts.account_id as contact_account_id',
] as const;

export class TasksRepository {
  constructor(private readonly store: { db: Db }) {}

  private select(workspaceId: string) {
    return this.store.db
      .selectFrom('tasks')
      .leftJoin('contacts', (j) =>
        j
          .onRef('contacts.id', '=', 'tasks.contact_id')
          .onRef('contacts.workspace_id', '=', 'tasks.workspace_id'),
      )
      .select(TASK_COLUMNS)
      .where('tasks.workspace_id', '=', workspaceId);
  }

  /** The task, or `not_found` (another workspace's task answers exactly like a missing one). */
  async get(workspaceId: string, id: string): Promise<Task> {
    const row = await this.select(workspaceId).where('tasks.id', '=', id).executeTakeFirst();
    if (!row) throw BatonError.notFound('task', id);
    return toTask(row);
  }

  /** The task a touch made, if any. */
  async byTouch(workspaceId: string, touchId: string): Promise<Task | undefined> {
    const row = await this.select(workspaceId).where('tasks.touch_id', '=', touchId).executeTakeFirst();
    return row ? toTask(row) : undefined;
  }

  /** One page in id (creation) order. */
  async list(workspaceId: string, filter: TaskFilter, page: PageRequest): Promise<Page<Task>> {
    let q = this.select(workspaceId);
    if (page.cursor !== undefined) q = q.where('tasks.id', '>', decodeCursor(page.cursor));
    if (filter.assignee === 'unassigned') q = q.where('tasks.assignee_user_id', 'is', null);
    else if (filter.assignee !== undefined) q = q.where('tasks.assignee_user_id', '=', filter.assignee);
    if (filter.status !== undefined) q = q.where('tasks.status', '=', filter.status);
    if (filter.due_before !== undefined) q = q.where('tasks.due_at', '<', filter.due_before);
    if (filter.campaign !== undefined) q = q.where('tasks.campaign_id', '=', filter.campaign);
    if (filter.contact !== undefined) q = q.where('tasks.contact_id', '=', filter.contact);
    if (filter.overdue !== undefined) {
      q = q
        .where('tasks.status', '=', 'open')
        .where('tasks.overdue_at', filter.overdue.is ? '<=' : '>', filter.overdue.at);
    }
    const rows = await q
      .orderBy('tasks.id')
      .limit(checkLimit(page.limit) + 1)
      .execute();
    return toPage(rows.map(toTask), page.limit);
  }

  /** Writes a new task; a second one for the same touch (a re-sent touch) is ignored. */
  async insert(row: Database['tasks']): Promise<void> {
    await this.store.db
      .insertInto('tasks')
      .values(row)
      .onConflict((oc) => oc.columns(['workspace_id', 'touch_id']).doNothing())
      .execute();
  }

  /**
   * Moves an open task to a resolved state. Returns false when it was no longer open (two people
   * answering the same task: the first one wins).
   */
  async resolve(
    workspaceId: string,
    id: string,
    change: {
      status: Exclude<TaskStatus, 'open'>;
      outcome?: string | null;
      note?: string | null;
      by: string | null;
    },
    now: number,
  ): Promise<boolean> {
    const r = await this.store.db
      .updateTable('tasks')
      .set({
        status: change.status,
        outcome: change.outcome ?? null,
        note: change.note ?? null,
        resolved_at: now,
        resolved_by: change.by,
        updated_at: now,
      })
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', id)
      .where('status', '=', 'open')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async reschedule(
    workspaceId: string,
    id: string,
    times: { dueAt: number; overdueAt: number; expiresAt: number },
    now: number,
  ): Promise<boolean> {
    const r = await this.store.db
      .updateTable('tasks')
      .set({
        due_at: times.dueAt,
        overdue_at: times.overdueAt,
        expires_at: times.expiresAt,
        updated_at: now,
      })
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', id)
      .where('status', '=', 'open')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Open tasks (every workspace) whose expiry has passed, oldest first. */
  async expiring(now: number, limit: number): Promise<Array<{ id: string; workspace_id: string }>> {
    return this.store.db
      .selectFrom('tasks')
      .select(['id', 'workspace_id'])
      .where('status', '=', 'open')
      .where('expires_at', '<=', now)
      .orderBy('expires_at')
      .limit(limit)
      .execute();
  }

  /** Open tasks (every workspace) whose enrollment has ended: nobody should call those people now. */
  async orphaned(limit: number): Promise<Array<{ id: string; workspace_id: string; state: string }>> {
    return this.store.db
      .selectFrom('tasks')
      .innerJoin('enrollments', 'enrollments.id', 'tasks.enrollment_id')
      .select(['tasks.id as id', 'tasks.workspace_id as workspace_id', 'enrollments.state as state'])
      .where('tasks.status', '=', 'open')
      .where('enrollments.state', '<>', 'active')
      .limit(limit)
      .execute();
  }

  /** The earliest expiry of an open task (the worker's next wake-up), or null. */
  async nextExpiry(): Promise<number | null> {
    const row = await this.store.db
      .selectFrom('tasks')
      .select((eb) => eb.fn.min('expires_at').as('t'))
      .where('status', '=', 'open')
      .executeTakeFirst();
    return row?.t === null || row?.t === undefined ? null : Number(row.t);
  }

  /**
   * The workspace user a step's assignee names: `account.owner` reads the contact's account owner; the
   * value (or the owner) matches a user's email (case-insensitive) or id. Unmatched, the name is kept
   * and no user is set: the task waits in the workspace's unassigned inbox.
   */
  async resolveAssignee(
    workspaceId: string,
    assignee: string,
    accountOwner: string | null,
  ): Promise<{ name: string | null; user: AssigneeUser | null }> {
    const name = assignee === 'account.owner' ? accountOwner : assignee;
    if (!name || name.trim() === '') return { name: null, user: null };
    const key = name.trim();
    const row = await this.store.db
      .selectFrom('users')
      .select(['id', 'email', 'time_zone', 'working_hours'])
      .where('workspace_id', '=', workspaceId)
      .where((eb) => eb.or([eb('email', '=', key.toLowerCase()), eb('id', '=', key)]))
      .executeTakeFirst();
    return { name: row ? row.email : key, user: row ? toAssignee(row) : null };
  }

  async user(workspaceId: string, userId: string): Promise<AssigneeUser> {
    const row = await this.store.db
      .selectFrom('users')
      .select(['id', 'email', 'time_zone', 'working_hours'])
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', userId)
      .executeTakeFirst();
    if (!row) throw BatonError.notFound('user', userId);
    return toAssignee(row);
  }

  /** Sets a user's zone and working hours (null: back to the workspace zone / Monday–Friday 09:00–17:00). */
  async setWorkingHours(
    workspaceId: string,
    userId: string,
    input: { time_zone: string | null; working_hours: WorkingHoursSetting | null },
    now: number,
  ): Promise<AssigneeUser> {
    if (input.time_zone !== null && !isValidTimeZone(input.time_zone)) {
      throw BatonError.invalid([
        { path: 'time_zone', message: 'is not an IANA time zone name (for example America/New_York)' },
      ]);
    }
    if (input.working_hours !== null) {
      const parsed = sendWindowSchema.safeParse(input.working_hours);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw BatonError.invalid([
          { path: ['working_hours', ...issue.path.map(String)].join('.'), message: issue.message },
        ]);
      }
    }
    const r = await this.store.db
      .updateTable('users')
      .set({
        time_zone: input.time_zone,
        working_hours: input.working_hours === null ? null : toJson(input.working_hours),
        updated_at: now,
      })
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', userId)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) throw BatonError.notFound('user', userId);
    return this.user(workspaceId, userId);
  }
}

function toAssignee(row: {
  id: string;
  email: string;
  time_zone?: string | null;
  working_hours?: unknown;
}): AssigneeUser {
  return {
    id: row.id,
    email: row.email,
    time_zone: row.time_zone ?? null,
    working_hours: fromJson<WorkingHoursSetting | null>(row.working_hours ?? null, null),
  };
}

type TaskRow = Selectable<Database['tasks']> & {
  contact_email: string | null;
  contact_phone: string | null;
  contact_first_name: string | null;
  contact_last_name: string | null;
  contact_account_id: string | null;
};

function toTask(r: Omit<TaskRow, 'workspace_id'>): Task {
  const n = (v: number | null): number | null => (v === null ? null : Number(v));
  return {
    id: r.id,
    touch_id: r.touch_id,
    campaign_id: r.campaign_id,
    enrollment_id: r.enrollment_id,
    step_id: r.step_id,
    type: r.type,
    instructions: r.instructions,
    assignee_user_id: r.assignee_user_id,
    assignee: r.assignee,
    status: r.status as TaskStatus,
    due_at: Number(r.due_at),
    overdue_at: Number(r.overdue_at),
    expires_at: Number(r.expires_at),
    outcome: r.outcome,
    note: r.note,
    resolved_at: n(r.resolved_at),
    resolved_by: r.resolved_by,
    contact: {
      id: r.contact_id,
      email: r.contact_email,
      phone: r.contact_phone,
      first_name: r.contact_first_name,
      last_name: r.contact_last_name,
      account_id: r.contact_account_id,
    },
    created_at: Number(r.created_at),
    updated_at: Number(r.updated_at),
  };
}

/** Whether a task is overdue at `now`: still open after the working period it was due in. */
export function isOverdue(task: Pick<Task, 'status' | 'overdue_at'>, now: number): boolean {
  return task.status === 'open' && now >= task.overdue_at;
}
