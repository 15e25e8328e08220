// /api/v1/contacts: create, upsert by key, get, partial update, delete, and cursor-paged filtered lists.
import { z } from 'zod';
import {
  LIFECYCLE_STAGES,
  SUBSCRIPTION_STATUSES,
  contactCreateSchema,
  contactInputSchema,
} from '../../domain/contact.js';
import { ContactsRepository } from '../../store/contacts.repository.js';
import { eraseContact } from '../../store/privacy/index.js';
import { auditActor, auditRequest } from '../audit.js';
import { checkOwned, salesRepOwner } from '../ownership.js';
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
  sinceMs,
  updatedSinceQuery,
  withIsoTimes,
} from './resource-schemas.js';

const contactResponse = z.object({
  id: z.string(),
  external_id: z.string().nullable(),
  email: z.string().nullable(),
  phone: z.string().nullable(),
  first_name: z.string().nullable(),
  last_name: z.string().nullable(),
  title: z.string().nullable(),
  time_zone: z.string().nullable().describe('IANA time zone name'),
  lifecycle_stage: z.string().nullable(),
  account_id: z.string().nullable(),
  subscription_status: z.enum(SUBSCRIPTION_STATUSES),
  sms_consent: z.boolean(),
  attributes: z.record(z.string(), z.unknown()),
  created_at: isoTime,
  updated_at: isoTime,
});

const listQuery = z
  .object({
    limit: limitQuery,
    cursor: cursorQuery,
    email: z
      .string()
      .trim()
      .min(1)
      .max(254)
      .optional()
      .describe('exact email (the domain is case-insensitive)'),
    lifecycle_stage: z.enum(LIFECYCLE_STAGES).optional(),
    account_id: z.string().min(1).max(100).optional(),
    subscription_status: z.enum(SUBSCRIPTION_STATUSES).optional(),
    q: z.string().trim().min(1).max(200).optional().describe('text in the name or the email'),
    updated_since: updatedSinceQuery,
  })
  .strict();

const eraseQuery = z
  .object({
    erase: z
      .enum(['true', 'false'])
      .optional()
      .transform((v) => v === 'true')
      .describe('true: erase the person everywhere (irreversible), keeping only anonymous campaign totals'),
  })
  .strict();

const tags = ['contacts'];

export const contactsRoutes: RouteModule = (app, ctx) => {
  const contacts = new ContactsRepository(ctx.store);
  const read = { preValidation: requireScope('read') };
  const write = { preValidation: requireScope('write') };

  app.get(
    '/contacts',
    {
      ...read,
      schema: {
        tags,
        summary: 'List contacts, oldest first, a page at a time',
        querystring: listQuery,
        response: { 200: pageOf(contactResponse), ...commonErrors },
      },
    },
    async (req) => {
      const { limit, cursor, updated_since, ...filter } = req.query;
      const ownedBy = await salesRepOwner(ctx.store, req);
      const page = await contacts
        .list(
          workspaceOf(req),
          { ...filter, updated_since: sinceMs(updated_since), ...(ownedBy ? { ownedBy } : {}) },
          { limit, cursor },
        )
        .catch(inRequest('querystring'));
      return { data: page.data.map(withIsoTimes), next_cursor: page.next_cursor };
    },
  );

  app.post(
    '/contacts',
    {
      ...write,
      schema: {
        tags,
        summary: 'Create a contact (409 when its email or external_id exists)',
        body: contactCreateSchema,
        response: { 201: contactResponse, 409: errorResponse, ...commonErrors },
      },
    },
    async (req, reply) => {
      const contact = await contacts
        .create(workspaceOf(req), req.body, ctx.clock.now())
        .catch(inRequest('body'));
      return reply.status(201).send(withIsoTimes(contact));
    },
  );

  app.post(
    '/contacts/upsert',
    {
      ...write,
      schema: {
        tags,
        summary: 'Update the contact with this external_id or email, or create it (201 when created)',
        body: contactCreateSchema,
        response: { 200: contactResponse, 201: contactResponse, 409: errorResponse, ...commonErrors },
      },
    },
    async (req, reply) => {
      const { contact, created } = await contacts
        .upsert(workspaceOf(req), req.body, ctx.clock.now())
        .catch(inRequest('body'));
      return reply.status(created ? 201 : 200).send(withIsoTimes(contact));
    },
  );

  app.get(
    '/contacts/:id',
    {
      ...read,
      schema: {
        tags,
        summary: 'Get a contact',
        params: idParams,
        response: { 200: contactResponse, 404: errorResponse, ...commonErrors },
      },
    },
    async (req) => {
      const contact = await contacts.get(workspaceOf(req), req.params.id);
      await checkOwned(ctx.store, req, 'contact', contact.id, contact.account_id ?? null);
      return withIsoTimes(contact);
    },
  );

  app.patch(
    '/contacts/:id',
    {
      ...write,
      schema: {
        tags,
        summary: 'Change the given fields of a contact (attributes merge; a null attribute is removed)',
        params: idParams,
        body: contactInputSchema,
        response: { 200: contactResponse, 404: errorResponse, 409: errorResponse, ...commonErrors },
      },
    },
    async (req) =>
      withIsoTimes(
        await contacts
          .update(workspaceOf(req), req.params.id, req.body, ctx.clock.now())
          .catch(inRequest('body')),
      ),
  );

  app.delete(
    '/contacts/:id',
    {
      ...write,
      schema: {
        tags,
        summary:
          'Delete a contact; `?erase=true` erases everything held about the person (admin; see docs/privacy.md)',
        params: idParams,
        querystring: eraseQuery,
        response: { 204: z.null().describe('deleted'), 404: errorResponse, ...commonErrors },
      },
    },
    async (req, reply) => {
      if (req.query.erase) {
        // Erasure cannot be undone: it needs the admin scope on top of the route's write scope.
        await requireScope('admin')(req, reply);
        await eraseContact(ctx.store, workspaceOf(req), req.params.id, ctx.clock.now(), auditActor(req));
        return reply.status(204).send(null);
      }
      await contacts.delete(workspaceOf(req), req.params.id, ctx.clock.now());
      await auditRequest(ctx.store, req, {
        at: ctx.clock.now(),
        action: 'contact.delete',
        target: { type: 'contact', id: req.params.id },
      });
      return reply.status(204).send(null);
    },
  );
};
