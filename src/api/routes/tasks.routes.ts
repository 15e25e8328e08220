// /api/v1/tasks: the sales task inbox (filtered pages, one task, complete / skip / reschedule) and the
// working hours of the users tasks are assigned to (/api/v1/users/:id/working-hours).
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { BatonError } from '../../domain/errors.js';
import { actOnTask, type TaskAction } from '../../engine/tasks.js';
import {
  isOverdue,
  TASK_OUTCOMES,
  TASK_STATUSES,
  TasksRepository,
  type AssigneeUser,
  type Task,
} from '../../store/tasks.repository.js';
import { requireScope, workspaceOf } from '../auth.js';
import type { RouteModule } from './index.js';
import {
  commonErrors,
  cursorQuery,
  errorResponse,
  idParams,
  inRequest,
  isoTime,
  limitQuery,
  pageOf,
} from './resource-schemas.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const isoInput = (what: string) =>
  z.iso
    .datetime({ offset: true, message: `must be an ISO 8601 date-time, e.g. 2027-01-04T12:00:00Z` })
    .describe(what);

const taskResponse = z.object({
  id: z.string(),
  type: z.string().describe('call | linkedin_connect | linkedin_message | manual_email | custom'),
  status: z.enum(TASK_STATUSES),
  overdue: z.boolean().describe('open after the working hours it was due in ended'),
  instructions: z.string().nullable().describe('the step’s instructions rendered for this contact'),
  assignee: z.object({
    user_id: z.string().nullable().describe('null: the assignee names no workspace user (unassigned inbox)'),
    name: z.string().nullable().describe('the user’s email, or the account owner as written'),
  }),
  contact: z.object({
    id: z.string(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    first_name: z.string().nullable(),
    last_name: z.string().nullable(),
    account_id: z.string().nullable(),
  }),
  campaign_id: z.string(),
  step_id: z.string(),
  touch_id: z.string(),
  due_at: isoTime,
  overdue_at: isoTime,
  expires_at: isoTime.describe('still open then, the task expires and the sequence goes on'),
  outcome: z.string().nullable(),
  note: z.string().nullable(),
  resolved_at: isoTime.nullable(),
  resolved_by: z.string().nullable(),
  created_at: isoTime,
  updated_at: isoTime,
});

const listQuery = z
  .object({
    limit: limitQuery,
    cursor: cursorQuery,
    assignee: z
      .string()
      .min(1)
      .max(100)
      .optional()
      .describe('a user id, `me` (the signed-in user) or `unassigned`'),
    status: z.enum(TASK_STATUSES).optional(),
    due_before: isoInput('only tasks due before this instant').optional(),
    campaign: z.string().min(1).max(100).optional(),
    contact: z.string().min(1).max(100).optional(),
    overdue: z
      .enum(['true', 'false'])
      .optional()
      .describe('true: open tasks past the working hours they were due in; false: open ones that are not'),
  })
  .strict();

const completeBody = z
  .object({
    outcome: z.enum(TASK_OUTCOMES).describe('meeting_booked converts the contact and ends its sequence'),
    note: z.string().max(5000).optional(),
  })
  .strict();
const skipBody = z.object({ reason: z.string().max(2000).optional() }).strict();
const rescheduleBody = z.object({ due_at: isoInput('the new due time (not in the past)') }).strict();

const hhmm = z.string().regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'must be a time of day as HH:MM');
const workingHoursBody = z
  .object({
    time_zone: z.string().min(1).max(100).nullable().describe('IANA zone; null: the workspace’s'),
    working_hours: z
      .object({
        days: z.array(z.number().int().min(1).max(7)).min(1).describe('1 = Monday … 7 = Sunday'),
        start: hhmm,
        end: hhmm,
      })
      .strict()
      .nullable()
      .describe('null: Monday–Friday 09:00–17:00'),
  })
  .strict();
const workingHoursResponse = z.object({
  user_id: z.string(),
  email: z.string(),
  time_zone: z.string().nullable(),
  working_hours: z.object({ days: z.array(z.number()), start: z.string(), end: z.string() }).nullable(),
});

function toResponse(t: Task, now: number): z.infer<typeof taskResponse> {
  return {
    id: t.id,
    type: t.type,
    status: t.status,
    overdue: isOverdue(t, now),
    instructions: t.instructions,
    assignee: { user_id: t.assignee_user_id, name: t.assignee },
    contact: t.contact,
    campaign_id: t.campaign_id,
    step_id: t.step_id,
    touch_id: t.touch_id,
    due_at: iso(t.due_at)!,
    overdue_at: iso(t.overdue_at)!,
    expires_at: iso(t.expires_at)!,
    outcome: t.outcome,
    note: t.note,
    resolved_at: iso(t.resolved_at),
    resolved_by: t.resolved_by,
    created_at: iso(t.created_at)!,
    updated_at: iso(t.updated_at)!,
  };
}

const toHours = (u: AssigneeUser): z.infer<typeof workingHoursResponse> => ({
  user_id: u.id,
  email: u.email,
  time_zone: u.time_zone,
  working_hours: u.working_hours,
});

/**
 * The user whose inbox a request is limited to: a signed-in sales rep sees and answers only their own
 * tasks; keys and other roles see the workspace's.
 */
export function inboxOwner(req: FastifyRequest): string | null {
  const auth = req.auth;
  return auth?.userId && auth.role === 'sales_rep' ? auth.userId : null;
}

const tags = ['tasks'];

export const tasksRoutes: RouteModule = (app, ctx) => {
  const tasks = new TasksRepository(ctx.store);
  const read = { preValidation: requireScope('read') };
  // A sales rep's role carries only `read`, but a rep works their own tasks (the routes check whose).
  const write = { preValidation: requireScope('write', { roles: ['admin', 'marketer', 'sales_rep'] }) };

  /** The task, or 404 when it belongs to another workspace or (for a sales rep) another person. */
  async function visibleTask(req: FastifyRequest, id: string): Promise<Task> {
    const task = await tasks.get(workspaceOf(req), id);
    const owner = inboxOwner(req);
    if (owner && task.assignee_user_id !== owner) throw BatonError.notFound('task', id);
    return task;
  }

  app.get(
    '/tasks',
    {
      ...read,
      schema: {
        tags,
        summary: 'List tasks, oldest first, a page at a time (a sales rep sees only their own)',
        querystring: listQuery,
        response: { 200: pageOf(taskResponse), ...commonErrors },
      },
    },
    async (req) => {
      const { limit, cursor, due_before, assignee, overdue, ...filter } = req.query;
      const owner = inboxOwner(req);
      let who = assignee === 'me' ? (req.auth?.userId ?? null) : assignee;
      if (assignee === 'me' && who === null) {
        throw BatonError.invalid([
          { path: 'querystring.assignee', message: '`me` needs a signed-in user; an API key has no inbox' },
        ]);
      }
      if (owner) {
        if (who !== undefined && who !== owner) {
          throw new BatonError('forbidden', 'a sales rep sees only their own tasks');
        }
        who = owner;
      }
      const now = ctx.clock.now();
      const page = await tasks
        .list(
          workspaceOf(req),
          {
            ...filter,
            overdue: overdue === undefined ? undefined : { at: now, is: overdue === 'true' },
            assignee: who ?? undefined,
            due_before: due_before ? Date.parse(due_before) : undefined,
          },
          { limit, cursor },
        )
        .catch(inRequest('querystring'));
      return { data: page.data.map((t) => toResponse(t, now)), next_cursor: page.next_cursor };
    },
  );

  app.get(
    '/tasks/:id',
    {
      ...read,
      schema: {
        tags,
        summary: 'Get a task',
        params: idParams,
        response: { 200: taskResponse, 404: errorResponse, ...commonErrors },
      },
    },
    async (req) => toResponse(await visibleTask(req, req.params.id), ctx.clock.now()),
  );

  const act = async (req: FastifyRequest, id: string, action: TaskAction) => {
    await visibleTask(req, id);
    const now = ctx.clock.now();
    const task = await actOnTask(
      ctx.store,
      workspaceOf(req),
      id,
      action,
      req.auth?.userId ?? req.auth?.keyId ?? null,
      now,
    ).catch(inRequest('body'));
    return toResponse(task, now);
  };
  const actionResponses = { 200: taskResponse, 404: errorResponse, 409: errorResponse, ...commonErrors };

  app.post(
    '/tasks/:id/complete',
    {
      ...write,
      schema: {
        tags,
        summary:
          'Complete an open task with its outcome; the sequence goes on (meeting_booked: the contact converts and leaves it)',
        params: idParams,
        body: completeBody,
        response: actionResponses,
      },
    },
    async (req) =>
      act(req, req.params.id, { kind: 'complete', outcome: req.body.outcome, note: req.body.note }),
  );

  app.post(
    '/tasks/:id/skip',
    {
      ...write,
      schema: {
        tags,
        summary: 'Skip an open task; the sequence goes on',
        params: idParams,
        body: skipBody,
        response: actionResponses,
      },
    },
    async (req) => act(req, req.params.id, { kind: 'skip', reason: req.body.reason }),
  );

  app.post(
    '/tasks/:id/reschedule',
    {
      ...write,
      schema: {
        tags,
        summary: 'Move an open task’s due time (overdue and expiry follow from it)',
        params: idParams,
        body: rescheduleBody,
        response: actionResponses,
      },
    },
    async (req) => act(req, req.params.id, { kind: 'reschedule', dueAt: Date.parse(req.body.due_at) }),
  );

  app.get(
    '/users/:id/working-hours',
    {
      ...read,
      schema: {
        tags,
        summary: 'A user’s time zone and working hours (tasks fall due inside them)',
        params: idParams,
        response: { 200: workingHoursResponse, 404: errorResponse, ...commonErrors },
      },
    },
    async (req) => toHours(await tasks.user(workspaceOf(req), req.params.id)),
  );

  app.put(
    '/users/:id/working-hours',
    {
      ...write,
      schema: {
        tags,
        summary: 'Set a user’s time zone and working hours (null: the defaults)',
        params: idParams,
        body: workingHoursBody,
        response: { 200: workingHoursResponse, 404: errorResponse, ...commonErrors },
      },
    },
    async (req) => {
      const owner = inboxOwner(req);
      if (owner && owner !== req.params.id) {
        throw new BatonError('forbidden', 'a sales rep sets only their own working hours');
      }
      return toHours(
        await tasks
          .setWorkingHours(workspaceOf(req), req.params.id, req.body, ctx.clock.now())
          .catch(inRequest('body')),
      );
    },
  );
};
