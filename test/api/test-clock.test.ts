// The test-mode clock on both dialects: POST /api/v1/test/clock is absent (404) from a normal server; in test
// mode it needs the admin scope, refuses a bad body naming the field without moving the clock, and moves the
// simulated clock the API reads while the worker sends the touches that fall due on the way.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { defaultChannels } from '../../src/channels/registry.js';
import { SimulatedClock } from '../../src/engine/clock.js';
import { processEvents } from '../../src/engine/event-processor.js';
import { Worker } from '../../src/engine/worker.js';
import { apiFor, bearer, T0 } from './api-harness.js';
import type { Store } from '../../src/store/db.js';
import { ownStore, type OwnStore } from '../ops/ops-support.js';
import { dialects, newWorkspace } from '../support/stores.js';

const DAY = 86_400_000;

describe.each(dialects)('test-mode clock on %s', (dialect) => {
  // A database of its own: the worker behind the clock serves every workspace in its database, so on the
  // shared test database it would also run other files' due touches at this file's simulated time.
  let own: OwnStore;
  let store: Store;
  let normal: FastifyInstance;
  let app: FastifyInstance;
  let clock: SimulatedClock;
  let ws: string;
  let admin: string;

  beforeAll(async () => {
    own = await ownStore(dialect);
    store = own.store;
    ({ app: normal } = await apiFor(store));
    clock = new SimulatedClock(T0);
    const worker = new Worker(store, defaultChannels(store), clock, { workerId: 'test', processEvents });
    app = await buildApp(
      { store, clock, secret: 's'.repeat(40), publicUrl: 'http://localhost:4400' },
      { testMode: { clock, worker } },
    );
    await app.ready();
    ws = await newWorkspace(store, T0);
    admin = await bearer(store, ws, ['admin']);
  });
  afterAll(async () => {
    await normal.close();
    await app.close();
    await own.dispose();
  });

  const move = (server: FastifyInstance, payload: object, auth = admin) =>
    server.inject({
      method: 'POST',
      url: '/api/v1/test/clock',
      headers: { authorization: auth },
      payload,
    });

  it('is absent from a server not in test mode, and from its OpenAPI document', async () => {
    const res = await move(normal, { advance_ms: DAY });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('not_found');
    const doc = (await normal.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json() as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(doc.paths)).not.toContain('/api/v1/test/clock');
  });

  it('refuses the test mode on a clock the API does not read', async () => {
    const other = new SimulatedClock(T0);
    await expect(
      buildApp(
        { store, clock, secret: 's'.repeat(40), publicUrl: 'http://localhost:4400' },
        { testMode: { clock: other, worker: null } },
      ),
    ).rejects.toThrow(/clock the API reads/);
  });

  it('needs the admin scope and refuses a bad body without moving the clock', async () => {
    const reader = await bearer(store, ws, ['read', 'write', 'launch']);
    expect((await move(app, { advance_ms: DAY }, reader)).statusCode).toBe(403);
    const both = await move(app, { advance_ms: DAY, to: '2027-02-01T00:00:00Z' });
    expect(both.statusCode).toBe(422);
    expect(both.json().error.details.issues[0]).toMatchObject({ path: 'body' });
    const back = await move(app, { to: '2027-01-01T00:00:00Z' });
    expect(back.statusCode).toBe(422);
    expect(back.json().error.details.issues[0].path).toBe('body.to');
    const negative = await move(app, { advance_ms: -5 });
    expect(negative.statusCode).toBe(422);
    expect(JSON.stringify(negative.json().error)).toContain('advance_ms');
    expect(clock.now()).toBe(T0);
  });

  it('moves the clock the API reads, and the worker sends the touches due on the way', async () => {
    const call = (method: 'GET' | 'POST', url: string, payload?: object) =>
      app.inject({ method, url: `/api/v1${url}`, headers: { authorization: admin }, payload });
    for (const i of [1, 2, 3]) {
      const c = await call('POST', '/contacts', { email: `p${i}@example.test`, lifecycle_stage: 'lead' });
      expect(c.statusCode).toBe(201);
    }
    const spec = {
      id: 'tick',
      name: 'Tick',
      objective: 'leads',
      goal: { metric: 'conversions', event: 'demo_booked', target: 2, lookback_days: 14 },
      window: { start: '2027-01-05T09:00', end: '2027-01-20T17:00', timezone: 'UTC' },
      audience: { segment: { all: [{ attribute: 'lifecycle_stage', op: 'eq', value: 'lead' }] } },
      channels: ['log'],
      sequence: [
        { id: 'hello', channel: 'log' },
        { id: 'again', channel: 'log', delay: '2d' },
      ],
    };
    expect((await call('POST', '/campaigns', spec)).statusCode).toBe(201);
    expect((await call('POST', '/campaigns/tick/launch')).statusCode).toBe(200);
    const sent = async () =>
      Number(
        (
          await store.db
            .selectFrom('touches')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('workspace_id', '=', ws)
            .where('campaign_id', '=', 'tick')
            .where('status', '=', 'sent')
            .executeTakeFirstOrThrow()
        ).n,
      );
    expect(await sent()).toBe(0);

    // To the window's first day: the campaign starts and the first step goes out to all three.
    const first = await move(app, { to: '2027-01-05T12:00:00Z' });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ from: '2027-01-04T12:00:00.000Z', now: '2027-01-05T12:00:00.000Z' });
    expect(first.json().worker.sent).toBe(3);
    expect(first.json().worker.lifecycle_changes).toBeGreaterThan(0);
    expect(clock.now()).toBe(Date.parse('2027-01-05T12:00:00Z'));
    expect((await call('GET', '/campaigns/tick')).json().status).toBe('running');
    expect(await sent()).toBe(3);

    // Three days on: the second step is sent too.
    const later = await move(app, { advance_ms: 3 * DAY });
    expect(later.json()).toMatchObject({ now: '2027-01-08T12:00:00.000Z' });
    expect(later.json().worker.sent).toBe(3);
    expect(await sent()).toBe(6);
  });
});
