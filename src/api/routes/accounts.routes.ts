// /api/v1/accounts: create, upsert by key, get, partial update, delete, and cursor-paged filtered lists.
import { z } from 'zod';
import { accountCreateSchema, accountInputSchema } from '../../domain/contact.js';
import { AccountsRepository } from '../../store/accounts.repository.js';
import { auditRequest } from '../audit.js';
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

const accountResponse = z.object({
  id: z.string(),
  external_id: z.string().nullable(),
  domain: z.string().nullable(),
  name: z.string().nullable(),
  industry: z.string().nullable(),
  size: z.number().int().nullable().describe('number of employees'),
  owner: z.string().nullable(),
  attributes: z.record(z.string(), z.unknown()),
  created_at: isoTime,
  updated_at: isoTime,
});

const listQuery = z
  .object({
    limit: limitQuery,
    cursor: cursorQuery,
    domain: z
      .string()
      .trim()
      .min(1)
      .max(253)
      .optional()
      .describe('exact domain (a URL is reduced to its domain)'),
    industry: z.string().min(1).max(200).optional(),
    owner: z.string().min(1).max(200).optional(),
    q: z.string().trim().min(1).max(200).optional().describe('text in the name or the domain'),
    updated_since: updatedSinceQuery,
  })
  .strict();

const tags = ['accounts'];

export const accountsRoutes: RouteModule = (app, ctx) => {
  const accounts = new AccountsRepository(ctx.store);
  const read = { preValidation: requireScope('read') };
  const write = { preValidation: requireScope('write') };

  app.get(
    '/accounts',
    {
      ...read,
      schema: {
        tags,
        summary: 'List accounts, oldest first, a page at a time',
        querystring: listQuery,
        response: { 200: pageOf(accountResponse), ...commonErrors },
      },
    },
    async (req) => {
      const { limit, cursor, updated_since, ...filter } = req.query;
      const ownedBy = await salesRepOwner(ctx.store, req);
      const page = await accounts
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
    '/accounts',
    {
      ...write,
      schema: {
        tags,
        summary:
          'Create an account (409 when its domain or external_id exists); it adopts unlinked contacts of its domain',
        body: accountCreateSchema,
        response: { 201: accountResponse, 409: errorResponse, ...commonErrors },
      },
    },
    async (req, reply) => {
      const account = await accounts
        .create(workspaceOf(req), req.body, ctx.clock.now())
        .catch(inRequest('body'));
      return reply.status(201).send(withIsoTimes(account));
    },
  );

  app.post(
    '/accounts/upsert',
    {
      ...write,
      schema: {
        tags,
        summary: 'Update the account with this external_id or domain, or create it (201 when created)',
        body: accountCreateSchema,
        response: { 200: accountResponse, 201: accountResponse, 409: errorResponse, ...commonErrors },
      },
    },
    async (req, reply) => {
      const { account, created } = await accounts
        .upsert(workspaceOf(req), req.body, ctx.clock.now())
        .catch(inRequest('body'));
      return reply.status(created ? 201 : 200).send(withIsoTimes(account));
    },
  );

  app.get(
    '/accounts/:id',
    {
      ...read,
      schema: {
        tags,
        summary: 'Get an account',
        params: idParams,
        response: { 200: accountResponse, 404: errorResponse, ...commonErrors },
      },
    },
    async (req) => {
      const account = await accounts.get(workspaceOf(req), req.params.id);
      await checkOwned(ctx.store, req, 'account', account.id, account.id);
      return withIsoTimes(account);
    },
  );

  app.patch(
    '/accounts/:id',
    {
      ...write,
      schema: {
        tags,
        summary: 'Change the given fields of an account (attributes merge; a null attribute is removed)',
        params: idParams,
        body: accountInputSchema,
        response: { 200: accountResponse, 404: errorResponse, 409: errorResponse, ...commonErrors },
      },
    },
    async (req) =>
      withIsoTimes(
        await accounts
          .update(workspaceOf(req), req.params.id, req.body, ctx.clock.now())
          .catch(inRequest('body')),
      ),
  );

  app.delete(
    '/accounts/:id',
    {
      ...write,
      schema: {
        tags,
        summary: 'Delete an account (its contacts stay, unlinked)',
        params: idParams,
        response: { 204: z.null().describe('deleted'), 404: errorResponse, ...commonErrors },
      },
    },
    async (req, reply) => {
      await accounts.delete(workspaceOf(req), req.params.id);
      await auditRequest(ctx.store, req, {
        at: ctx.clock.now(),
        action: 'account.delete',
        target: { type: 'account', id: req.params.id },
      });
      return reply.status(204).send(null);
    },
  );
};
