// The task inbox and campaign spend over HTTP on both stores: filters and pages, workspace isolation, field
// errors that leave the task as it was, the overdue flag on the simulated clock, a booked meeting that
// converts, and recorded spend feeding the report's cost per result.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelRegistry } from '../../src/channels/channel.js';
import { defaultChannels } from '../../src/channels/registry.js';
import type { SimulatedClock } from '../../src/engine/clock.js';
import { Dispatcher } from '../../src/engine/dispatcher.js';
import { processEvents } from '../../src/engine/event-processor.js';
import { apiFor, bearer } from '../api/api-harness.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from '../support/stores.js';
import { UsersRepository } from '../../src/store/users.repository.js';
import { WorkspacesRepository } from '../../src/store/workspaces.repository.js';
import {
  FRIDAY_1630_NY,
  HOUR,
  MONDAY_0900_NY,
  outbound,
  REP_PASSWORD,
  salesWorld,
  touchesOf,
} from './sales-fixture.js';

interface TaskBody {
  id: string;
  status: string;
  overdue: boolean;
  due_at: string;
  overdue_at: string;
  outcome: string | null;
  assignee: { user_id: string | null; name: string | null };
  contact: { id: string; first_name: string | null };
  instructions: string | null;
}

describe.each(dialects)('task inbox and spend API on %s', (dialect) => {
  let store: TestStore;
  let app: FastifyInstance;
  let clock: SimulatedClock;
  let channels: ChannelRegistry;
  beforeAll(async () => {
    store = await openTestStore(dialect);
    ({ app, clock } = await apiFor(store));
    channels = defaultChannels(store);
    clock.set(FRIDAY_1630_NY + HOUR);
  });
  afterAll(async () => {
    await app.close();
    await store.dispose();
  });

  async function world(contacts: number, campaign = outbound()) {
    const w = await salesWorld(store, { at: FRIDAY_1630_NY, contacts, campaign });
    await new Dispatcher(store, channels, { workerId: `api-${w.ws}` }).drain(FRIDAY_1630_NY);
    const auth = await bearer(store, w.ws, ['read', 'write']);
    return { ...w, auth };
  }

  const get = (url: string, auth: string) =>
    app.inject({ method: 'GET', url, headers: { authorization: auth } });
  const post = (url: string, auth: string, payload: unknown) =>
    app.inject({ method: 'POST', url, headers: { authorization: auth }, payload: payload as object });

  it('lists the inbox by assignee, status and due time, a page at a time', async () => {
    const { repId, auth } = await world(3);
    const all = await get(`/api/v1/tasks?assignee=${repId}`, auth);
    expect(all.statusCode).toBe(200);
    const tasks = all.json<{ data: TaskBody[] }>().data;
    expect(tasks).toHaveLength(3);
    for (const t of tasks) {
      expect(t).toMatchObject({
        status: 'open',
        overdue: false,
        due_at: new Date(MONDAY_0900_NY).toISOString(),
        assignee: { user_id: repId, name: 'rep@acme-sales.com' },
      });
    }
    expect(tasks.find((t) => t.contact.first_name === 'Ada')?.instructions).toBe(
      'Call Ada at Acme about the pilot',
    );

    expect((await get('/api/v1/tasks?assignee=unassigned', auth)).json().data).toHaveLength(0);
    const dueBefore = (iso: string) => get(`/api/v1/tasks?due_before=${encodeURIComponent(iso)}`, auth);
    expect((await dueBefore(new Date(MONDAY_0900_NY).toISOString())).json().data).toHaveLength(0);
    expect((await dueBefore(new Date(MONDAY_0900_NY + 1000).toISOString())).json().data).toHaveLength(3);

    const first = await get('/api/v1/tasks?limit=2', auth);
    const p1 = first.json<{ data: TaskBody[]; next_cursor: string | null }>();
    expect(p1.data).toHaveLength(2);
    expect(p1.next_cursor).not.toBeNull();
    const p2 = (await get(`/api/v1/tasks?limit=2&cursor=${p1.next_cursor}`, auth)).json<{
      data: TaskBody[];
      next_cursor: string | null;
    }>();
    expect(p2.data).toHaveLength(1);
    expect(p2.next_cursor).toBeNull();
    expect(new Set([...p1.data, ...p2.data].map((t) => t.id))).toEqual(new Set(tasks.map((t) => t.id)));

    const skipped = await post(`/api/v1/tasks/${tasks[0]!.id}/skip`, auth, {
      reason: 'not the right person',
    });
    expect(skipped.statusCode).toBe(200);
    expect(skipped.json()).toMatchObject({ status: 'skipped', note: 'not the right person' });
    const bySkipped = (await get('/api/v1/tasks?status=skipped', auth)).json<{ data: TaskBody[] }>().data;
    expect(bySkipped.map((t) => t.id)).toEqual([tasks[0]!.id]);
    expect((await get('/api/v1/tasks?status=open', auth)).json().data).toHaveLength(2);
    expect((await get('/api/v1/tasks?status=later', auth)).statusCode).toBe(422);
  });

  it("answers 404 for another workspace's task and refuses bad input by name, leaving the task as it was", async () => {
    const { ws, auth } = await world(1);
    const [task] = (await get('/api/v1/tasks', auth)).json<{ data: TaskBody[] }>().data;
    const other = await bearer(store, await newWorkspace(store), ['read', 'write']);
    expect((await get(`/api/v1/tasks/${task!.id}`, other)).statusCode).toBe(404);
    const foreign = await post(`/api/v1/tasks/${task!.id}/complete`, other, { outcome: 'connected' });
    expect(foreign.statusCode).toBe(404);

    const bad = await post(`/api/v1/tasks/${task!.id}/complete`, auth, { outcome: 'sold_the_farm' });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error.code).toBe('invalid_input');
    expect(bad.json().error.details.issues[0].path).toBe('body.outcome');
    const past = await post(`/api/v1/tasks/${task!.id}/reschedule`, auth, { due_at: '2027-03-01T09:00:00Z' });
    expect(past.statusCode).toBe(422);
    expect(past.json().error.details.issues[0].path).toBe('body.due_at');

    const after = (await get(`/api/v1/tasks/${task!.id}`, auth)).json<TaskBody>();
    expect(after).toMatchObject({
      status: 'open',
      outcome: null,
      due_at: new Date(MONDAY_0900_NY).toISOString(),
    });
    expect((await touchesOf(store, ws)).map((t) => t.step_id)).toEqual(['call']);
  });

  it('flags a task overdue once the working day it was due in is over, until it is rescheduled', async () => {
    const { auth } = await world(1);
    const [task] = (await get('/api/v1/tasks', auth)).json<{ data: TaskBody[] }>().data;
    clock.set(Date.parse('2027-03-15T20:59:00Z')); // Monday 16:59 EDT
    expect((await get(`/api/v1/tasks/${task!.id}`, auth)).json().overdue).toBe(false);
    expect((await get('/api/v1/tasks?overdue=true', auth)).json().data).toHaveLength(0);
    clock.set(Date.parse('2027-03-15T21:00:00Z')); // Monday 17:00 EDT
    expect((await get(`/api/v1/tasks/${task!.id}`, auth)).json().overdue).toBe(true);
    const overdue = (await get('/api/v1/tasks?overdue=true', auth)).json<{ data: TaskBody[] }>().data;
    expect(overdue.map((t) => t.id)).toEqual([task!.id]);
    expect((await get('/api/v1/tasks?overdue=false', auth)).json().data).toHaveLength(0);

    const moved = await post(`/api/v1/tasks/${task!.id}/reschedule`, auth, {
      due_at: '2027-03-16T14:00:00Z',
    });
    expect(moved.statusCode).toBe(200);
    expect((await get('/api/v1/tasks?overdue=true', auth)).json().data).toHaveLength(0);
    expect(moved.json()).toMatchObject({
      status: 'open',
      overdue: false,
      due_at: '2027-03-16T14:00:00.000Z',
      overdue_at: '2027-03-16T21:00:00.000Z', // Tuesday 17:00 EDT
    });
  });

  it('a booked meeting converts; recorded spend gives the cost per result, in total and per channel', async () => {
    const { ws, auth } = await world(1, outbound({ budget: { amount: 1000, currency: 'USD' } }));
    const [task] = (await get('/api/v1/tasks', auth)).json<{ data: TaskBody[] }>().data;
    const done = await post(`/api/v1/tasks/${task!.id}/complete`, auth, {
      outcome: 'meeting_booked',
      note: 'demo Thu',
    });
    expect(done.statusCode).toBe(200);
    expect(done.json()).toMatchObject({ status: 'completed', outcome: 'meeting_booked', overdue: false });
    expect((await post(`/api/v1/tasks/${task!.id}/skip`, auth, {})).statusCode).toBe(409);
    await processEvents(store, clock.now());

    const s1 = await post('/api/v1/campaigns/outbound/spend', auth, {
      amount: 300,
      currency: 'USD',
      date: '2027-03-10',
      channel: 'task',
      note: 'SDR hours',
    });
    expect(s1.statusCode).toBe(201);
    expect(s1.json()).toMatchObject({ amount: 300, currency: 'USD', date: '2027-03-10', channel: 'task' });
    expect(
      (
        await post('/api/v1/campaigns/outbound/spend', auth, {
          amount: 100,
          currency: 'USD',
          date: '2027-03-11',
        })
      ).statusCode,
    ).toBe(201);
    const euro = await post('/api/v1/campaigns/outbound/spend', auth, {
      amount: 5,
      currency: 'EUR',
      date: '2027-03-11',
    });
    expect(euro.statusCode).toBe(422);
    expect(euro.json().error.details.issues[0].path).toBe('body.currency');
    const badDate = await post('/api/v1/campaigns/outbound/spend', auth, {
      amount: 5,
      currency: 'USD',
      date: '2027-02-30',
    });
    expect(badDate.statusCode).toBe(422);
    expect(badDate.json().error.details.issues[0].path).toBe('body.date');
    expect(
      (await post('/api/v1/campaigns/nope/spend', auth, { amount: 5, currency: 'USD', date: '2027-03-11' }))
        .statusCode,
    ).toBe(404);

    const listed = (await get('/api/v1/campaigns/outbound/spend', auth)).json<{
      data: Array<{ amount: number }>;
    }>();
    expect(listed.data.map((e) => e.amount)).toEqual([300, 100]);

    const report = await get('/api/v1/campaigns/outbound/report', auth);
    expect(report.statusCode).toBe(200);
    const body = report.json();
    expect(body.goal).toMatchObject({ available: true, event: 'meeting_booked', actual: 1 });
    expect(body.cost).toMatchObject({
      available: true,
      currency: 'USD',
      budget: 1000,
      spend: 400,
      results: 1,
      costPerResult: 400,
      basis: 'spend',
    });
    // One touch before the conversion: every model gives the task channel the whole credit.
    expect(body.cost.byChannel).toEqual([{ channel: 'task', spend: 300, credited: 1, costPerResult: 300 }]);
    expect((await touchesOf(store, ws)).map((t) => t.step_id)).toEqual(['call']);
  });

  it('a signed-in sales rep sees and works only their own tasks', async () => {
    const { ws, repId, auth } = await world(2);
    const name = (await new WorkspacesRepository(store).get(ws))!.name;
    await new UsersRepository(store).create(
      ws,
      { email: 'other-rep@acme-sales.com', password: REP_PASSWORD, role: 'sales_rep' },
      clock.now(),
    );
    const session = async (email: string) => {
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/session',
        payload: { email, password: REP_PASSWORD, workspace: name },
      });
      expect(res.statusCode).toBe(200);
      const raw = res.headers['set-cookie'];
      const cookies = (Array.isArray(raw) ? raw : [String(raw)]).map((c) => c.split(';')[0]).join('; ');
      return { cookie: cookies, 'x-csrf-token': res.json().csrf_token as string };
    };
    const mine = await session('rep@acme-sales.com');
    const theirs = await session('other-rep@acme-sales.com');
    const tasks = (await get('/api/v1/tasks', auth)).json<{ data: TaskBody[] }>().data;
    expect(tasks).toHaveLength(2);

    const own = await app.inject({ method: 'GET', url: '/api/v1/tasks', headers: mine });
    expect(own.json().data.map((t: TaskBody) => t.id)).toEqual(tasks.map((t) => t.id));
    const none = await app.inject({ method: 'GET', url: '/api/v1/tasks', headers: theirs });
    expect(none.json().data).toEqual([]);
    const peek = await app.inject({ method: 'GET', url: `/api/v1/tasks?assignee=${repId}`, headers: theirs });
    expect(peek.statusCode).toBe(403);
    const other = await app.inject({ method: 'GET', url: `/api/v1/tasks/${tasks[0]!.id}`, headers: theirs });
    expect(other.statusCode).toBe(404);
    const steal = await app.inject({
      method: 'POST',
      url: `/api/v1/tasks/${tasks[0]!.id}/complete`,
      headers: theirs,
      payload: { outcome: 'connected' },
    });
    expect(steal.statusCode).toBe(404);

    const done = await app.inject({
      method: 'POST',
      url: `/api/v1/tasks/${tasks[0]!.id}/complete`,
      headers: mine,
      payload: { outcome: 'left_voicemail' },
    });
    expect(done.statusCode).toBe(200);
    expect(done.json()).toMatchObject({ status: 'completed', outcome: 'left_voicemail', resolved_by: repId });
    const meOnly = await app.inject({
      method: 'GET',
      url: '/api/v1/tasks?assignee=me&status=open',
      headers: mine,
    });
    expect(meOnly.json().data.map((t: TaskBody) => t.id)).toEqual([tasks[1]!.id]);
  });
});
