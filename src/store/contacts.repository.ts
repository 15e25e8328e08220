// Contacts of a workspace: create, upsert by email or external id, partial update, delete, cursor lists,
// and the link to an account (explicit id or domain, else the account whose domain is the email's).
import { ownedAccountIds, type AccountOwner } from './account-ownership.js';
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import {
  emailDomain,
  mergeAttributes,
  normalizeEmail,
  type Contact,
  type ContactInput,
  type SUBSCRIPTION_STATUSES,
} from '../domain/contact.js';
import { BatonError } from '../domain/errors.js';
import { toE164 } from '../domain/sms.js';
import { removeContactsFromAudiences } from './ads-audiences.repository.js';
import { checkLimit, decodeCursor, toPage, type Page, type PageRequest } from './cursor.js';
import type { Store } from './db.js';
import { newId } from './ids.js';
import { refuseErasedEmail } from './privacy/erased-emails.js';
import { containsText } from './text-search.js';
import { fromJson, toJson } from './json.js';
import type { ContactsTable, Database } from './schema.js';
import { uniqueViolationColumn } from './unique-violation.js';

type Db = Kysely<Database> | Transaction<Database>;
type ContactRow = Selectable<ContactsTable>;

export interface ContactFilter {
  email?: string;
  lifecycle_stage?: string;
  account_id?: string;
  subscription_status?: string;
  /** Only contacts of the accounts this user owns (what a sales rep sees). */
  ownedBy?: AccountOwner;
  /** Case-insensitive substring of the full name or the email. */
  q?: string;
  /** Contacts updated at or after this time (epoch ms). */
  updated_since?: number;
}

const TEXT_FIELDS = [
  'external_id',
  'email',
  'phone',
  'first_name',
  'last_name',
  'title',
  'time_zone',
  'lifecycle_stage',
] as const;

export class ContactsRepository {
  constructor(private readonly store: Store) {}

  async find(workspaceId: string, id: string): Promise<Contact | undefined> {
    const row = await this.store.db
      .selectFrom('contacts')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toContact(row);
  }

  /** Like `find`, but a missing contact (or one of another workspace) is a `not_found` error. */
  async get(workspaceId: string, id: string): Promise<Contact> {
    const found = await this.find(workspaceId, id);
    if (!found) throw BatonError.notFound('contact', id);
    return found;
  }

  async findByEmail(workspaceId: string, email: string): Promise<Contact | undefined> {
    const row = await byKey(this.store.db, workspaceId, 'email', normalizeEmail(email));
    return row && toContact(row);
  }

  async findByExternalId(workspaceId: string, externalId: string): Promise<Contact | undefined> {
    const row = await byKey(this.store.db, workspaceId, 'external_id', externalId);
    return row && toContact(row);
  }

  async count(workspaceId: string): Promise<number> {
    const r = await this.store.db
      .selectFrom('contacts')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('workspace_id', '=', workspaceId)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /** Creates a contact; an email or external id already in the workspace is a `conflict`. */
  async create(workspaceId: string, input: ContactInput, now: number): Promise<Contact> {
    requireKey(input);
    return conflictsNamed(input, () =>
      this.store.db.transaction().execute((trx) => insertContact(trx, workspaceId, input, now)),
    );
  }

  /**
   * Updates the contact with the input's external id, else the one with its email, else creates one.
   * An external id and an email that point at two different contacts are a `conflict`, as is an email
   * match whose contact already carries a different external id.
   */
  async upsert(
    workspaceId: string,
    input: ContactInput,
    now: number,
  ): Promise<{ contact: Contact; created: boolean }> {
    requireKey(input);
    // A concurrent writer may insert the same key between our read and our insert: read again once.
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.store.db.transaction().execute(async (trx) => {
          const byExternal = input.external_id
            ? await byKey(trx, workspaceId, 'external_id', input.external_id)
            : undefined;
          const byEmail = input.email ? await byKey(trx, workspaceId, 'email', input.email) : undefined;
          if (byExternal && byEmail && byExternal.id !== byEmail.id) {
            throw conflict(
              'email',
              input.email,
              `it belongs to another contact than external_id "${input.external_id}"`,
            );
          }
          const target = byExternal ?? byEmail;
          if (!target) return { contact: await insertContact(trx, workspaceId, input, now), created: true };
          if (
            !byExternal &&
            input.external_id &&
            target.external_id &&
            target.external_id !== input.external_id
          ) {
            throw conflict(
              'external_id',
              input.external_id,
              `the contact with email ${JSON.stringify(target.email)} has external_id ${JSON.stringify(target.external_id)}`,
            );
          }
          return {
            contact: await updateContact(trx, workspaceId, target, input, now, 'keep_off'),
            created: false,
          };
        });
      } catch (e) {
        if (attempt === 0 && uniqueViolationColumn(e)) continue;
        throw asConflict(e, input);
      }
    }
  }

  /** Changes only the fields present in `patch`; attributes merge (a null value removes a key). */
  async update(workspaceId: string, id: string, patch: ContactInput, now: number): Promise<Contact> {
    return conflictsNamed(patch, () =>
      this.store.db.transaction().execute(async (trx) => {
        const existing = await trx
          .selectFrom('contacts')
          .selectAll()
          .where('workspace_id', '=', workspaceId)
          .where('id', '=', id)
          .executeTakeFirst();
        if (!existing) throw BatonError.notFound('contact', id);
        return updateContact(trx, workspaceId, existing, patch, now, 'refuse');
      }),
    );
  }

  /** Erases a contact; given the time, it also leaves every ads audience (kept there only as hashes). */
  async delete(workspaceId: string, id: string, now?: number): Promise<void> {
    const r = await this.store.db
      .deleteFrom('contacts')
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', id)
      .executeTakeFirst();
    if (Number(r.numDeletedRows) === 0) throw BatonError.notFound('contact', id);
    if (now !== undefined) await removeContactsFromAudiences(this.store.db, workspaceId, [id], 'erased', now);
  }

  /**
   * Records an unsubscribe, bounce, complaint or re-subscription. Setting the status the contact already
   * has changes nothing (updated_at stays), so repeated unsubscribe clicks or bounce reports are harmless.
   */
  async setSubscriptionStatus(
    workspaceId: string,
    contactId: string,
    status: (typeof SUBSCRIPTION_STATUSES)[number],
    now: number,
  ): Promise<Contact> {
    await this.store.db
      .updateTable('contacts')
      .set({ subscription_status: status, updated_at: now })
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', contactId)
      .where('subscription_status', '<>', status)
      .execute();
    return this.get(workspaceId, contactId);
  }

  /** One page in id (creation) order. */
  async list(workspaceId: string, filter: ContactFilter, page: PageRequest): Promise<Page<Contact>> {
    let q = this.store.db.selectFrom('contacts').selectAll().where('workspace_id', '=', workspaceId);
    if (page.cursor !== undefined) q = q.where('id', '>', decodeCursor(page.cursor));
    if (filter.email !== undefined) q = q.where('email', '=', normalizeEmail(filter.email));
    if (filter.lifecycle_stage !== undefined) q = q.where('lifecycle_stage', '=', filter.lifecycle_stage);
    if (filter.account_id !== undefined) q = q.where('account_id', '=', filter.account_id);
    if (filter.ownedBy !== undefined) {
      q = q.where('account_id', 'in', ownedAccountIds(this.store.db, workspaceId, filter.ownedBy));
    }
    if (filter.subscription_status !== undefined) {
      q = q.where('subscription_status', '=', filter.subscription_status);
    }
    if (filter.updated_since !== undefined) q = q.where('updated_at', '>=', filter.updated_since);
    if (filter.q !== undefined && filter.q.trim() !== '') {
      const fullName = sql`coalesce(first_name, '') || ' ' || coalesce(last_name, '')`;
      q = q.where(containsText(this.store, [fullName, sql.ref('email')], filter.q.trim()));
    }
    const rows = await q
      .orderBy('id')
      .limit(checkLimit(page.limit) + 1)
      .execute();
    return toPage(rows.map(toContact), page.limit);
  }
}

function requireKey(input: ContactInput): void {
  if (!input.email && !input.external_id) {
    throw BatonError.invalid([{ path: 'email', message: 'needs an email or an external_id' }]);
  }
}

function byKey(
  db: Db,
  workspaceId: string,
  column: 'email' | 'external_id',
  value: string,
): Promise<ContactRow | undefined> {
  return db
    .selectFrom('contacts')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where(column, '=', value)
    .executeTakeFirst();
}

async function insertContact(
  trx: Db,
  workspaceId: string,
  input: ContactInput,
  now: number,
): Promise<Contact> {
  await refuseErasedEmail(trx, workspaceId, input.email);
  const row = {
    id: newId('con', now),
    workspace_id: workspaceId,
    external_id: input.external_id ?? null,
    email: input.email ?? null,
    phone: input.phone ?? null,
    first_name: input.first_name ?? null,
    last_name: input.last_name ?? null,
    title: input.title ?? null,
    time_zone: input.time_zone ?? null,
    lifecycle_stage: input.lifecycle_stage ?? null,
    account_id: (await resolveAccount(trx, workspaceId, input, undefined)) ?? null,
    subscription_status: input.subscription_status ?? 'subscribed',
    sms_consent: input.sms_consent && !(await smsOptedOut(trx, workspaceId, input.phone)) ? 1 : 0,
    attributes: toJson(mergeAttributes({}, input.attributes)),
    created_at: now,
    updated_at: now,
  } satisfies ContactRow;
  await trx.insertInto('contacts').values(row).execute();
  return toContact(row);
}

/**
 * What a write asking for SMS consent does when the contact's phone has texted STOP: an explicit update is
 * refused (the caller asked for something Baton may not do), an upsert — a CRM sync — keeps consent off.
 */
type OptedOutConsent = 'refuse' | 'keep_off';

async function updateContact(
  trx: Db,
  workspaceId: string,
  existing: ContactRow,
  patch: ContactInput,
  now: number,
  optedOut: OptedOutConsent,
): Promise<Contact> {
  if (patch.email && patch.email !== existing.email) await refuseErasedEmail(trx, workspaceId, patch.email);
  const next: ContactRow = { ...existing, updated_at: now };
  for (const field of TEXT_FIELDS) {
    const v = patch[field];
    if (v !== undefined) next[field] = v;
  }
  if (!next.email && !next.external_id) {
    throw BatonError.invalid([{ path: 'email', message: 'cannot be removed while external_id is empty' }]);
  }
  if (patch.subscription_status !== undefined) next.subscription_status = patch.subscription_status;
  if (patch.sms_consent !== undefined) next.sms_consent = patch.sms_consent ? 1 : 0;
  // Consent on a number that texted STOP: only the number's START lifts it (the trigger of migration
  // 20261129T0970 holds the same rule for every other write, CSV imports among them).
  if (next.sms_consent === 1 && (await smsOptedOut(trx, workspaceId, next.phone))) {
    if (optedOut === 'refuse' && patch.sms_consent === true) {
      throw new BatonError(
        'conflict',
        `sms_consent: ${next.phone} texted STOP, so it stays off until that number texts START or UNSTOP`,
        { field: 'sms_consent' },
      );
    }
    next.sms_consent = 0;
  }
  const attributes = mergeAttributes(fromJson(existing.attributes, {}), patch.attributes);
  next.attributes = attributes;
  const account = await resolveAccount(trx, workspaceId, patch, existing);
  if (account !== undefined) next.account_id = account;
  const { id: _id, workspace_id: _ws, created_at: _created, ...changes } = next;
  await trx
    .updateTable('contacts')
    .set({ ...changes, attributes: toJson(attributes) })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', existing.id)
    .execute();
  return toContact(next);
}

/** Whether `phone` (as stored) has texted STOP to the workspace and not START since. */
async function smsOptedOut(db: Db, workspaceId: string, phone: string | null | undefined): Promise<boolean> {
  const e164 = phone ? toE164(phone) : undefined;
  if (!e164?.ok) return false;
  const r = await sql<{ one: number }>`select 1 as one from sms_opt_outs
    where workspace_id = ${workspaceId} and phone = ${e164.value}`.execute(db);
  return r.rows.length > 0;
}

/**
 * The account the contact should link to: undefined keeps the current link. An explicit account_id or
 * account_domain must name an account of the workspace; otherwise a new contact, or one without an
 * account whose email changes, links to the account whose domain is the email's domain.
 */
async function resolveAccount(
  db: Db,
  workspaceId: string,
  input: ContactInput,
  existing: ContactRow | undefined,
): Promise<string | null | undefined> {
  const accounts = db.selectFrom('accounts').select('id').where('workspace_id', '=', workspaceId);
  if (input.account_id !== undefined) {
    if (input.account_id === null) return null;
    const hit = await accounts.where('id', '=', input.account_id).executeTakeFirst();
    if (!hit) {
      throw BatonError.invalid([
        { path: 'account_id', message: `no account ${JSON.stringify(input.account_id)} in this workspace` },
      ]);
    }
    return hit.id;
  }
  if (input.account_domain !== undefined) {
    if (!input.account_domain) return null;
    const hit = await accounts.where('domain', '=', input.account_domain).executeTakeFirst();
    if (!hit) {
      throw BatonError.invalid([
        {
          path: 'account_domain',
          message: `no account with domain ${JSON.stringify(input.account_domain)} in this workspace`,
        },
      ]);
    }
    return hit.id;
  }
  const email = input.email;
  const relink = !existing || (existing.account_id === null && email !== existing.email);
  if (!email || !relink) return existing ? undefined : null;
  const hit = await accounts.where('domain', '=', emailDomain(email)).executeTakeFirst();
  return hit ? hit.id : existing ? undefined : null;
}

function conflict(field: string, value: unknown, reason?: string): BatonError {
  return new BatonError(
    'conflict',
    `${field}: a contact with ${field} ${JSON.stringify(value)} already exists${reason ? ` (${reason})` : ''}`,
    { field },
  );
}

function asConflict(e: unknown, input: ContactInput): unknown {
  const column = uniqueViolationColumn(e);
  if (!column) return e;
  return conflict(column, (input as Record<string, unknown>)[column]);
}

async function conflictsNamed<T>(input: ContactInput, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    throw asConflict(e, input);
  }
}

export function toContact(row: ContactRow): Contact {
  return {
    id: row.id,
    external_id: row.external_id,
    email: row.email,
    phone: row.phone,
    first_name: row.first_name,
    last_name: row.last_name,
    title: row.title,
    time_zone: row.time_zone,
    lifecycle_stage: row.lifecycle_stage,
    account_id: row.account_id,
    subscription_status: row.subscription_status as (typeof SUBSCRIPTION_STATUSES)[number],
    sms_consent: Number(row.sms_consent) === 1,
    attributes: fromJson(row.attributes, {}),
    created_at: Number(row.created_at),
    updated_at: Number(row.updated_at),
  };
}
