// Factories for audience tests: rows written straight into contacts, accounts and events (the tables the
// segment compiler reads), so these tests do not depend on the single-row repositories.
import { randomBytes } from 'node:crypto';
import type { Store } from '../src/store/db.js';
import { toJson } from '../src/store/json.js';

export const NOW = Date.parse('2027-01-04T12:00:00Z');
export const DAY = 86_400_000;

const rid = (p: string): string => `${p}_${randomBytes(8).toString('hex')}`;

export interface AccountFixture {
  id?: string;
  domain?: string | null;
  name?: string | null;
  industry?: string | null;
  size?: number | null;
  owner?: string | null;
  attributes?: Record<string, unknown>;
  created_at?: number;
}

export interface ContactFixture {
  id?: string;
  external_id?: string | null;
  email?: string | null;
  phone?: string | null;
  first_name?: string | null;
  last_name?: string | null;
  title?: string | null;
  lifecycle_stage?: string | null;
  account_id?: string | null;
  subscription_status?: string;
  sms_consent?: boolean;
  attributes?: Record<string, unknown>;
  created_at?: number;
}

export interface EventFixture {
  contact_id: string | null;
  type: string;
  occurred_at: number;
  properties?: Record<string, unknown>;
}

export async function insertAccounts(
  store: Store,
  ws: string,
  accounts: AccountFixture[],
): Promise<string[]> {
  const rows = accounts.map((a) => ({
    id: a.id ?? rid('acc'),
    workspace_id: ws,
    external_id: null,
    domain: a.domain ?? null,
    name: a.name ?? null,
    industry: a.industry ?? null,
    size: a.size ?? null,
    owner: a.owner ?? null,
    attributes: toJson(a.attributes ?? {}),
    created_at: a.created_at ?? NOW,
    updated_at: a.created_at ?? NOW,
  }));
  for (let i = 0; i < rows.length; i += 200) {
    await store.db
      .insertInto('accounts')
      .values(rows.slice(i, i + 200))
      .execute();
  }
  return rows.map((r) => r.id);
}

export async function insertContacts(
  store: Store,
  ws: string,
  contacts: ContactFixture[],
): Promise<string[]> {
  const rows = contacts.map((c) => ({
    id: c.id ?? rid('con'),
    workspace_id: ws,
    external_id: c.external_id ?? null,
    email: c.email ?? null,
    phone: c.phone ?? null,
    first_name: c.first_name ?? null,
    last_name: c.last_name ?? null,
    title: c.title ?? null,
    time_zone: null,
    lifecycle_stage: c.lifecycle_stage ?? null,
    account_id: c.account_id ?? null,
    subscription_status: c.subscription_status ?? 'subscribed',
    sms_consent: c.sms_consent ? 1 : 0,
    attributes: toJson(c.attributes ?? {}),
    created_at: c.created_at ?? NOW,
    updated_at: c.created_at ?? NOW,
  }));
  for (let i = 0; i < rows.length; i += 200) {
    await store.db
      .insertInto('contacts')
      .values(rows.slice(i, i + 200))
      .execute();
  }
  return rows.map((r) => r.id);
}

export async function insertEvents(store: Store, ws: string, events: EventFixture[]): Promise<void> {
  const rows = events.map((e) => ({
    id: rid('evt'),
    workspace_id: ws,
    message_id: null,
    type: e.type,
    contact_id: e.contact_id,
    account_id: null,
    anonymous_id: null,
    occurred_at: e.occurred_at,
    received_at: e.occurred_at,
    properties: toJson(e.properties ?? {}),
    campaign_id: null,
    touch_id: null,
    step_id: null,
    variant_id: null,
    channel: null,
  }));
  for (let i = 0; i < rows.length; i += 200) {
    await store.db
      .insertInto('events')
      .values(rows.slice(i, i + 200))
      .execute();
  }
}
