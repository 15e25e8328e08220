// An SMS STOP sticks to the phone number until that number texts START or UNSTOP (CTIA Messaging Principles
// and Best Practices §5.1; Twilio's default opt-in keywords are START and UNSTOP). Driven through the real
// inbound route, signed as Twilio signs it: afterwards an explicit API update asking for SMS consent is a 409
// naming sms_consent, while an upsert (a CRM sync) and a CSV import keep consent off, for the contact and
// for a new contact written with the same number in another format. START lets consent be set again. A
// "YES" reply is a reply (recorded as `replied`), never an opt-in.
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { SimulatedClock } from '../../src/engine/clock.js';
import { importContacts } from '../../src/store/import/index.js';
import { bearer } from '../api/api-harness.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from '../support/stores.js';

const TOKEN = 'twilio-auth-token-for-opt-out-tests';
const PUBLIC_URL = 'https://baton.test';
const T0 = Date.parse('2027-01-04T12:00:00Z');

/** Twilio's documented signature (HMAC-SHA1 over URL + sorted name/value pairs), written out independently. */
function twilioSign(url: string, params: Record<string, string>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((s, k) => s + k + params[k], url);
  return createHmac('sha1', TOKEN).update(data).digest('base64');
}

describe.each(dialects)('SMS opt-out on %s', (dialect) => {
  let store: TestStore;
  let app: FastifyInstance;
  let dir: string;
  const clock = new SimulatedClock(T0);

  beforeAll(async () => {
    store = await openTestStore(dialect);
    app = await buildApp({
      store,
      clock,
      secret: 's'.repeat(40),
      publicUrl: PUBLIC_URL,
      sms: { authToken: TOKEN },
    });
    await app.ready();
    dir = mkdtempSync(join(tmpdir(), 'baton-sms-opt-out-'));
  });
  afterAll(async () => {
    await app.close();
    await store.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  let sid = 0;
  function reply(ws: string, from: string, body: string) {
    const url = `/sms/inbound/${ws}`;
    const params = { MessageSid: `SMoptout${++sid}`, From: from, To: '+15005550006', Body: body };
    return app.inject({
      method: 'POST',
      url,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilioSign(`${PUBLIC_URL}${url}`, params),
      },
      payload: new URLSearchParams(params).toString(),
    });
  }

  async function setup() {
    const ws = await newWorkspace(store);
    const auth = await bearer(store, ws, ['admin']);
    const call = (method: 'POST' | 'PATCH' | 'GET', url: string, payload?: object) =>
      app.inject({ method, url: `/api/v1${url}`, headers: { authorization: auth }, payload });
    const created = await call('POST', '/contacts', {
      email: 'ada@customer.example',
      phone: '+44 7700 900123',
      sms_consent: true,
    });
    expect(created.statusCode).toBe(201);
    const id = created.json<{ id: string }>().id;
    const consent = async (contactId = id) =>
      (await call('GET', `/contacts/${contactId}`)).json<{ sms_consent: boolean }>().sms_consent;
    return { ws, call, id, consent };
  }

  async function importCsv(ws: string, csv: string) {
    const file = join(dir, `${ws}.csv`);
    writeFileSync(file, csv);
    return importContacts(store, file, { workspaceId: ws, now: T0 + 5000 });
  }

  it('keeps SMS consent off after STOP whatever writes it, until the number texts START', async () => {
    const { ws, call, id, consent } = await setup();
    expect(await consent()).toBe(true);

    expect((await reply(ws, '+447700900123', 'STOP')).statusCode).toBe(200);
    expect(await consent()).toBe(false);

    // An explicit update is refused, naming the field and the reason.
    const patched = await call('PATCH', `/contacts/${id}`, { sms_consent: true });
    expect(patched.statusCode).toBe(409);
    const error = patched.json<{ error: { code: string; message: string } }>().error;
    expect(error.code).toBe('conflict');
    expect(error.message).toMatch(/^sms_consent: .*STOP.*START/);
    expect(await consent()).toBe(false);
    // Other fields of the same contact still change.
    const renamed = await call('PATCH', `/contacts/${id}`, { first_name: 'Ada' });
    expect(renamed.statusCode).toBe(200);
    expect(renamed.json<{ sms_consent: boolean }>().sms_consent).toBe(false);

    // A CRM sync (upsert) keeps consent off, and says so in what it returns.
    const upserted = await call('POST', '/contacts/upsert', {
      email: 'ada@customer.example',
      sms_consent: true,
    });
    expect(upserted.statusCode).toBe(200);
    expect(upserted.json<{ sms_consent: boolean }>().sms_consent).toBe(false);
    expect(await consent()).toBe(false);

    // A CSV re-import keeps it off too, and so does a new contact with the number in another format.
    const imported = await importCsv(
      ws,
      'email,phone,sms_consent\n' +
        'ada@customer.example,+44 7700 900123,true\n' +
        'ada.work@customer.example,0044 (7700) 900-123,true\n' +
        'bob@customer.example,+44 7700 900456,true\n',
    );
    expect(imported).toMatchObject({ committed: true, inserted: 2, updated: 1 });
    expect(await consent()).toBe(false);
    const list = await call('GET', '/contacts?limit=10');
    const byEmail = new Map(
      list.json<{ data: Array<{ email: string; sms_consent: boolean }> }>().data.map((c) => [c.email, c]),
    );
    expect(byEmail.get('ada.work@customer.example')?.sms_consent).toBe(false);
    expect(byEmail.get('bob@customer.example')?.sms_consent).toBe(true);

    // A contact created through the API with the number, or moved onto it, gets no consent either.
    const other = await call('POST', '/contacts', {
      email: 'ada.home@customer.example',
      phone: '+447700900123',
      sms_consent: true,
    });
    expect(other.json<{ sms_consent: boolean }>().sms_consent).toBe(false);
    const bobId = (await call('GET', '/contacts?email=bob@customer.example')).json<{
      data: Array<{ id: string }>;
    }>().data[0]!.id;
    const moved = await call('PATCH', `/contacts/${bobId}`, { phone: '+44-7700-900123' });
    expect(moved.json<{ sms_consent: boolean }>().sms_consent).toBe(false);
    expect(await consent(bobId)).toBe(false);

    // START lifts the opt-out: consent comes back, and can be turned off and on again.
    expect((await reply(ws, '+447700900123', 'start')).statusCode).toBe(200);
    expect(await consent()).toBe(true);
    expect((await call('PATCH', `/contacts/${id}`, { sms_consent: false })).statusCode).toBe(200);
    const again = await call('PATCH', `/contacts/${id}`, { sms_consent: true });
    expect(again.statusCode).toBe(200);
    expect(await consent()).toBe(true);
  });

  it('records STOP for a number no contact has yet, and UNSTOP lifts it', async () => {
    const ws = await newWorkspace(store);
    expect((await reply(ws, '+447700900999', 'Unsubscribe')).statusCode).toBe(200);
    await importCsv(ws, 'email,phone,sms_consent\nnew@customer.example,+447700900999,yes\n');
    const auth = await bearer(store, ws, ['admin']);
    const get = () =>
      app.inject({
        method: 'GET',
        url: '/api/v1/contacts?email=new@customer.example',
        headers: { authorization: auth },
      });
    const first = (await get()).json<{ data: Array<{ id: string; sms_consent: boolean }> }>().data[0]!;
    expect(first.sms_consent).toBe(false);
    expect((await reply(ws, '+447700900999', 'UNSTOP')).statusCode).toBe(200);
    const patched = await app.inject({
      method: 'PATCH',
      url: `/api/v1/contacts/${first.id}`,
      headers: { authorization: auth },
      payload: { sms_consent: true },
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json<{ sms_consent: boolean }>().sms_consent).toBe(true);
  });

  it('records a YES as a reply and changes no consent', async () => {
    const { ws, call, id, consent } = await setup();
    const repliedEvents = () =>
      store.db
        .selectFrom('events')
        .select(['type', 'contact_id'])
        .where('workspace_id', '=', ws)
        .where('type', 'in', ['replied', 'sms_opted_in', 'sms_opted_out'])
        .orderBy('occurred_at')
        .execute();

    expect((await reply(ws, '+447700900123', 'Yes!')).statusCode).toBe(200);
    expect(await repliedEvents()).toEqual([{ type: 'replied', contact_id: id }]);
    expect(await consent()).toBe(true);

    clock.advance(60_000);
    expect((await reply(ws, '+447700900123', 'STOP')).statusCode).toBe(200);
    clock.advance(60_000);
    expect((await reply(ws, '+447700900123', 'YES')).statusCode).toBe(200);
    expect(await repliedEvents()).toEqual([
      { type: 'replied', contact_id: id },
      { type: 'sms_opted_out', contact_id: id },
      { type: 'replied', contact_id: id },
    ]);
    expect(await consent()).toBe(false);
    expect((await call('PATCH', `/contacts/${id}`, { sms_consent: true })).statusCode).toBe(409);
  });
});
