// Every change leaves a trace, on both dialects: deletions of lists, list members, segments, senders and social
// accounts, suppressions added and lifted, credentials set, imports and audience exports over the API; and
// campaign applies, launches, pauses, resumes and ends, and contact imports made from the command line (run
// in this process against the same store), with the operator as actor and the same details the API records.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Command } from 'commander';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { register as registerCampaign } from '../../src/cli/commands/campaign.command.js';
import { register as registerImport } from '../../src/cli/commands/import.command.js';
import { hashIdentifiers } from '../../src/channels/ads/identifiers.js';
import { AdsAudiencesRepository } from '../../src/store/ads-audiences.repository.js';
import { AuditRepository, type AuditRecord } from '../../src/store/audit.repository.js';
import { ContactsRepository } from '../../src/store/contacts.repository.js';
import { openStore, type Store } from '../../src/store/db.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { WorkspacesRepository } from '../../src/store/workspaces.repository.js';
import { apiFor, bearer, T0 } from '../api/api-harness.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from '../support/stores.js';

const trail = async (store: Store, ws: string, action?: string): Promise<AuditRecord[]> =>
  (await new AuditRepository(store).list(ws, { limit: 500, ...(action ? { action } : {}) })).data;

describe.each(dialects)('audit coverage over the API on %s', (dialect) => {
  let store: TestStore;
  let app: FastifyInstance;
  let ws: string;
  let admin: string;

  beforeAll(async () => {
    store = await openTestStore(dialect);
    ({ app } = await apiFor(store));
  });
  afterAll(async () => {
    await app.close();
    await store.dispose();
  });
  beforeEach(async () => {
    ws = await newWorkspace(store, T0);
    admin = await bearer(store, ws, ['admin']);
  });

  const call = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: unknown) =>
    app.inject({
      method,
      url: `/api/v1${url}`,
      headers: { authorization: admin },
      ...(payload === undefined ? {} : { payload: payload as object }),
    });

  it('audits list deletions, member removals and CSV imports into target-account lists', async () => {
    const c1 = await new ContactsRepository(store).create(ws, { email: `m1-${ws}@example.test` }, T0);
    const c2 = await new ContactsRepository(store).create(ws, { email: `m2-${ws}@example.test` }, T0);
    const list = (await call('POST', '/lists', { name: 'VIPs', kind: 'contact' })).json();
    expect((await call('POST', `/lists/${list.id}/members`, { ids: [c1.id, c2.id] })).json().changed).toBe(2);
    const removed = await call('DELETE', `/lists/${list.id}/members`, { ids: [c1.id, 'nobody'] });
    expect(removed.json().changed).toBe(1);
    // Removing nobody changes nothing and records nothing.
    await call('DELETE', `/lists/${list.id}/members`, { ids: [c1.id] });
    expect((await call('DELETE', `/lists/VIPs`)).statusCode).toBe(204);
    expect((await call('DELETE', `/lists/VIPs`)).statusCode).toBe(404);

    await call('POST', '/accounts', { domain: 'acme.example' });
    const targets = (await call('POST', '/lists', { name: 'Targets', kind: 'account' })).json();
    const imported = await call('POST', `/lists/${targets.id}/import`, {
      csv: 'domain\nacme.example\nunknown.example\n',
    });
    expect(imported.json()).toEqual({ changed: 1, unknown: ['unknown.example'] });

    const entries = await trail(store, ws, 'list.');
    expect(entries.map((e) => [e.action, e.target?.id])).toEqual([
      ['list.import', targets.id],
      ['list.create', targets.id],
      ['list.delete', list.id],
      ['list.members_remove', list.id],
      ['list.members_add', list.id],
      ['list.create', list.id],
    ]);
    expect(entries[0]!.details).toEqual({ rows: 2, added: 1, unknown: 1 });
    expect(entries[2]!.details).toEqual({ name: 'VIPs', kind: 'contact', members: 1 });
    expect(entries[3]!.details).toEqual({ removed: 1, requested: 2, ids: [c1.id, 'nobody'] });
    expect(entries[3]!.actor.type).toBe('key');
    expect(entries[4]!.details).toEqual({ added: 2, ids: [c1.id, c2.id], domains: [] });
    expect(entries[5]!.details).toEqual({ name: 'VIPs', kind: 'contact' });
  });

  it('audits segment, sender and social account deletions, and credentials set without their secrets', async () => {
    const seg = await call('POST', '/segments', {
      name: 'Leads',
      rule: { all: [{ attribute: 'lifecycle_stage', op: 'eq', value: 'lead' }] },
    });
    expect(seg.statusCode, seg.body).toBe(201);
    const patched = await call('PATCH', '/segments/Leads', { description: 'stage lead' });
    expect(patched.statusCode, patched.body).toBe(200);
    expect((await call('DELETE', '/segments/Leads')).statusCode).toBe(204);

    const sender = await call('PUT', '/senders', {
      email: 'news@example.com',
      postal_address: '1 Main Street, Springfield',
      smtp_url: 'smtp://mailer:hunter2-secret@smtp.example.net:587',
    });
    expect(sender.statusCode, sender.body).toBe(200);
    expect((await call('DELETE', `/senders/${sender.json().id}`)).statusCode).toBe(204);
    expect((await call('DELETE', `/senders/${sender.json().id}`)).statusCode).toBe(404);

    const social = await call('PUT', '/social/accounts/brand', {
      network: 'linkedin',
      webhook_url: 'https://hooks.example.com/post?token=abc-secret',
    });
    expect(social.statusCode, social.body).toBe(200);
    expect((await call('DELETE', '/social/accounts/brand')).statusCode).toBe(204);

    const entries = await trail(store, ws);
    expect(entries.map((e) => [e.action, e.target])).toEqual([
      ['social_account.delete', { type: 'social_account', id: 'brand' }],
      ['social_account.put', { type: 'social_account', id: 'brand' }],
      ['sender.delete', { type: 'sender', id: sender.json().id }],
      ['sender.put', { type: 'sender', id: sender.json().id }],
      ['segment.delete', { type: 'segment', id: seg.json().id }],
      ['segment.update', { type: 'segment', id: seg.json().id }],
      ['segment.create', { type: 'segment', id: seg.json().id }],
    ]);
    expect(entries[3]!.details).toEqual({ email: 'news@example.com', smtp_host: 'smtp.example.net' });
    expect(entries[4]!.details).toEqual({ name: 'Leads' });
    expect(entries[5]!.details).toEqual({ name: 'Leads', changed: ['description'] });
    const written = JSON.stringify(entries);
    expect(written).not.toContain('hunter2');
    expect(written).not.toContain('abc-secret');
  });

  it('audits a change of the journey map by its stage ids, and not a refused one', async () => {
    const stages = [
      { id: 'aware', name: 'Aware' },
      { id: 'keen', name: 'Keen', criteria: { attribute: 'lifecycle_stage', op: 'eq', value: 'lead' } },
    ];
    const bad = await call('PUT', '/journey/stages', {
      stages: [stages[0], { ...stages[1], criteria: { attribute: 'nope', op: 'eq', value: 1 } }],
    });
    expect(bad.statusCode).toBe(422);
    const put = await call('PUT', '/journey/stages', { stages });
    expect(put.statusCode, put.body).toBe(200);
    const entries = await trail(store, ws);
    expect(entries.map((e) => [e.action, e.details])).toEqual([
      ['journey_map.update', { preset: null, stages: ['aware', 'keen'] }],
    ]);
  });

  it('audits suppressions added and lifted, naming a domain but never an email address', async () => {
    const email = `someone-${ws}@example.test`.toLowerCase();
    const s1 = (await call('POST', '/suppressions', { value: email, reason: 'complaint' })).json();
    const s2 = (await call('POST', '/suppressions', { value: 'competitor.example' })).json();
    expect((await call('DELETE', `/suppressions/${encodeURIComponent(email)}`)).statusCode).toBe(204);
    expect((await call('DELETE', `/suppressions/${encodeURIComponent(email)}`)).statusCode).toBe(404);

    const entries = await trail(store, ws, 'suppression.');
    expect(entries.map((e) => [e.action, e.target?.id, e.details])).toEqual([
      ['suppression.delete', s1.id, { kind: 'email', reason: 'complaint' }],
      ['suppression.add', s2.id, { kind: 'domain', reason: 'manual', value: 'competitor.example' }],
      ['suppression.add', s1.id, { kind: 'email', reason: 'complaint' }],
    ]);
    expect(JSON.stringify(entries)).not.toContain(email);
  });

  it('audits audience exports with their counts and deal imports, and not a rejected import', async () => {
    const contact = await new ContactsRepository(store).create(ws, { email: `aud-${ws}@example.test` }, T0);
    const audiences = new AdsAudiencesRepository(store);
    const audienceId = await audiences.ensure(ws, 'Retarget', T0);
    await audiences.addMembers(
      ws,
      audienceId,
      [
        {
          contactId: contact.id,
          campaignId: null,
          enrollmentId: null,
          identifiers: hashIdentifiers({
            email: contact.email,
            phone: null,
            firstName: null,
            lastName: null,
            country: null,
            zip: null,
          }),
        },
      ],
      T0,
    );
    const full = await call('GET', `/audiences/Retarget/export?format=google`);
    expect(full.statusCode, full.body).toBe(200);
    const delta = await call('GET', `/audiences/${audienceId}/export?format=meta&mode=delta`);
    expect(delta.statusCode, delta.body).toBe(200);

    await call('POST', '/accounts', { domain: 'acme.example' });
    const bad = await call('POST', '/journey/deals/import', {
      csv: 'type,amount,occurred_at,account_domain,deal_id\nDeal Won,lots,2027-01-20T10:00:00Z,acme.example,D-1\n',
    });
    expect(bad.statusCode).toBe(422);
    const good = await call('POST', '/journey/deals/import', {
      csv: 'type,amount,occurred_at,account_domain,deal_id\nDeal Won,300,2027-01-20T10:00:00Z,acme.example,D-1\n',
    });
    expect(good.json()).toEqual({ rows: 1, stored: 1, duplicates: 0 });

    const entries = await trail(store, ws);
    expect(entries.map((e) => [e.action, e.target?.id ?? null])).toEqual([
      ['deal.import', null],
      ['audience.export', audienceId],
      ['audience.export', audienceId],
    ]);
    expect(entries[0]!.details).toEqual({ rows: 1, stored: 1, duplicates: 0 });
    expect(entries[1]!.details).toMatchObject({ format: 'meta', mode: 'delta', added: 1, removed: 0 });
    expect(entries[2]!.details).toEqual({ format: 'google', mode: 'full', members: 1 });
  });
});

const SPEC_YAML = (name: string, target: number) => `id: spring
name: ${name}
objective: leads
goal: { metric: conversions, event: demo_booked, target: ${target}, lookback_days: 30 }
window: { start: 2030-03-01T09:00, end: 2030-04-01T17:00, timezone: UTC }
audience: { segment: { all: [{ attribute: lifecycle_stage, op: eq, value: lead }] } }
channels: [email]
sequence:
  - id: intro
    channel: email
    subject: Hello
    template: templates/intro.liquid
`;

describe.each(dialects)('audit of command-line changes on %s', (dialect) => {
  let store: Store;
  let url: string;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'baton-audit-cli-'));
    if (dialect === 'postgres') {
      url = inject('pgUrl');
      store = await openTestStore('postgres');
    } else {
      url = `sqlite:${join(dir, 'baton.db')}`;
      store = openStore(url);
      await migrateToLatest(store);
    }
    mkdirSync(join(dir, 'templates'));
    writeFileSync(join(dir, 'templates', 'intro.liquid'), 'Hi {{ links.unsubscribe }}');
    writeFileSync(join(dir, 'v1.yaml'), SPEC_YAML('Spring push', 10));
    writeFileSync(join(dir, 'v2.yaml'), SPEC_YAML('Spring push', 12));
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs a CLI command in this process (spawning one per command is slow on a busy machine). */
  async function baton(...args: string[]): Promise<string> {
    const program = new Command('baton').exitOverride();
    registerCampaign(program);
    registerImport(program);
    const lines: string[] = [];
    const log = console.log;
    const env = process.env.BATON_DB;
    console.log = (...a: unknown[]) => void lines.push(a.map(String).join(' '));
    process.env.BATON_DB = url;
    try {
      await program.parseAsync(['node', 'baton', ...args]);
      return lines.join('\n');
    } finally {
      console.log = log;
      process.env.BATON_DB = env;
      process.exitCode = 0;
    }
  }

  it('records applies with the revision diff, each move and imports, with the operator as actor', async () => {
    const name = `cli-${randomBytes(6).toString('hex')}`;
    const ws = (await new WorkspacesRepository(store).ensure(name, T0)).id;
    const csv = join(dir, `${name}.csv`);
    writeFileSync(
      csv,
      `email,lifecycle_stage\nlead1-${name}@example.test,lead\nlead2-${name}@example.test,lead\n`,
    );
    const w = ['--workspace', name];

    expect(await baton('import', 'contacts', csv, ...w)).toMatch(/2 inserted/);
    expect(await baton('apply', join(dir, 'v1.yaml'), ...w)).toMatch(/created/);
    expect(await baton('apply', join(dir, 'v1.yaml'), ...w)).toMatch(/no change/);
    expect(await baton('apply', join(dir, 'v2.yaml'), ...w)).toMatch(/updated to revision 2/);
    expect(await baton('launch', 'spring', ...w)).toMatch(/^spring is scheduled/);
    expect(await baton('pause', 'spring', ...w)).toBe('spring is paused');
    expect(await baton('resume', 'spring', ...w)).toBe('spring is scheduled');
    expect(await baton('end', 'spring', ...w)).toBe('spring is cancelled');

    const entries = await trail(store, ws);
    expect(entries.map((e) => e.action)).toEqual([
      'campaign.end',
      'campaign.resume',
      'campaign.pause',
      'campaign.launch',
      'campaign.update',
      'campaign.create',
      'contact.import',
    ]);
    const operator = { type: 'system', id: `cli:${userInfo().username}`, role: null };
    for (const e of entries) expect(e.actor).toEqual(operator);
    const [end, resume, pause, launch, update, create, imported] = entries;
    expect(create!.details).toEqual({
      revision: 1,
      templates: [{ id: 'templates/intro.liquid', change: 'created' }],
    });
    expect(update!.target).toEqual({ type: 'campaign', id: 'spring' });
    expect(update!.details).toEqual({
      revision: 2,
      diff: [{ path: 'goal.target', before: 10, after: 12 }],
    });
    expect(launch!.details).toMatchObject({ status: 'scheduled', revision: 2 });
    expect(pause!.details).toMatchObject({ status: 'paused' });
    expect(resume!.details).toMatchObject({ status: 'scheduled' });
    expect(end!.details).toMatchObject({ status: 'cancelled' });
    expect(imported!.details).toEqual({ rows: 2, inserted: 2, updated: 0, rejected: 0 });
    expect(entries.every((e) => e.ip === null)).toBe(true);
  });
});
