// Event inspection: /api/v1/events (filtered, cursor-paged in arrival order) and a contact's timeline of
// touches and events in one list.
import { z } from 'zod';
import { ContactsRepository } from '../../store/contacts.repository.js';
import { contactTimeline, listEvents, type StoredEvent } from '../../store/events.repository.js';
import { identitiesOf } from '../../store/identity.js';
import { requireScope, workspaceOf } from '../auth.js';
import { checkOwned, visibleEvents } from '../ownership.js';
import type { RouteModule } from './index.js';
import {
  commonErrors,
  cursorQuery,
  errorResponse,
  idParams,
  inRequest,
  isoTime,
  pageOf,
} from './resource-schemas.js';

const instant = z.iso.datetime({
  offset: true,
  message: 'must be an ISO 8601 date-time, e.g. 2027-01-04T12:00:00Z',
});

const eventResponse = z.object({
  id: z.string(),
  type: z
    .string()
    .describe('a customer event name (track) or identify/page/screen/group/alias, or a touch event'),
  message_id: z.string().nullable(),
  contact_id: z.string().nullable(),
  account_id: z.string().nullable(),
  anonymous_id: z.string().nullable(),
  occurred_at: isoTime,
  received_at: isoTime,
  properties: z.record(z.string(), z.unknown()),
  campaign_id: z.string().nullable(),
  touch_id: z.string().nullable(),
  step_id: z.string().nullable(),
  variant_id: z.string().nullable(),
  channel: z.string().nullable(),
});

const listQuery = z
  .object({
    limit: z.coerce.number().int('must be a whole number').min(1).max(1000).default(100),
    cursor: cursorQuery,
    contact: z.string().min(1).max(100).optional().describe('a contact id'),
    type: z.string().min(1).max(200).optional().describe('an event type, e.g. demo_booked or opened'),
    from: instant.optional().describe('events that occurred at or after this instant'),
    to: instant.optional().describe('events that occurred before this instant'),
  })
  .strict();

const timelineItem = z.object({
  kind: z.enum(['event', 'touch']),
  id: z.string(),
  at: isoTime,
  type: z.string().describe('the event type, or the touch status'),
  campaign_id: z.string().nullable(),
  step_id: z.string().nullable(),
  channel: z.string().nullable(),
  touch_id: z.string().nullable(),
  properties: z.record(z.string(), z.unknown()),
});

const iso = (ms: number) => new Date(ms).toISOString();
const eventOut = ({ seq: _seq, ...e }: StoredEvent) => ({
  ...e,
  occurred_at: iso(e.occurred_at),
  received_at: iso(e.received_at),
});

const tags = ['events'];

export const eventsRoutes: RouteModule = (app, ctx) => {
  const read = { preValidation: requireScope('read') };
  const contacts = new ContactsRepository(ctx.store);

  app.get(
    '/events',
    {
      ...read,
      schema: {
        tags,
        summary: 'List events in arrival order, a page at a time',
        querystring: listQuery,
        response: { 200: pageOf(eventResponse), ...commonErrors },
      },
    },
    async (req) => {
      const { limit, cursor, contact, type, from, to } = req.query;
      // A sales rep sees the events of their accounts' contacts; another contact's filter finds nothing.
      const visible = await visibleEvents(ctx.store, req);
      const page = await listEvents(
        ctx.store.db,
        workspaceOf(req),
        {
          contactId: contact,
          type,
          from: from === undefined ? undefined : Date.parse(from),
          to: to === undefined ? undefined : Date.parse(to),
          ...(visible ? { visible } : {}),
        },
        { limit, cursor },
      ).catch(inRequest('querystring'));
      return { data: page.data.map(eventOut), next_cursor: page.next_cursor };
    },
  );

  app.get(
    '/contacts/:id/timeline',
    {
      ...read,
      schema: {
        tags,
        summary: "A contact's touches and events in one list, newest first, with the contact's identities",
        params: idParams,
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(200) }).strict(),
        response: {
          200: z.object({
            contact_id: z.string(),
            identities: z.array(z.object({ kind: z.string(), value: z.string() })),
            items: z.array(timelineItem),
          }),
          404: errorResponse,
          ...commonErrors,
        },
      },
    },
    async (req) => {
      const ws = workspaceOf(req);
      const contact = await contacts.get(ws, req.params.id);
      await checkOwned(ctx.store, req, 'contact', contact.id, contact.account_id ?? null);
      const [identities, items] = await Promise.all([
        identitiesOf(ctx.store.db, ws, contact.id),
        contactTimeline(ctx.store.db, ws, contact.id, req.query.limit),
      ]);
      return { contact_id: contact.id, identities, items: items.map((i) => ({ ...i, at: iso(i.at) })) };
    },
  );
};
