// The tracking API's edges with hand-made requests: idempotent messageId, malformed JSON, write keys,
// size limits, gzip, a batch mixing valid and invalid messages, and Segment's timestamp handling.
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../src/engine/clock.js';
import { dialects, openTestStore, type TestStore } from '../support/stores.js';
import { ingestFixture, type IngestFixture } from './ingest-support.js';

const NOW = Date.parse('2027-01-04T12:00:00Z');

describe.each(dialects)('tracking API on %s', (dialect) => {
  let store: TestStore;
  let fx: IngestFixture;
  beforeAll(async () => {
    store = await openTestStore(dialect);
  });
  afterAll(() => store.dispose());

  const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
    fx.app.inject({
      method: 'POST',
      url,
      headers: { authorization: fx.basic, 'content-type': 'application/json', ...headers },
      payload: typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload),
    });
  const events = async (query = '') => {
    const res = await fx.app.inject({
      method: 'GET',
      url: `/api/v1/events?limit=1000${query}`,
      headers: { authorization: fx.bearer },
    });
    expect(res.statusCode, res.body).toBe(200);
    return res.json().data as Array<Record<string, unknown> & { properties: Record<string, unknown> }>;
  };

  beforeAll(async () => {
    fx = await ingestFixture(store, new SimulatedClock(NOW), NOW);
  });
  afterAll(() => fx.app.close());

  it('stores a repeated messageId once and answers both calls with 200', async () => {
    const msg = { userId: 'dup-user', event: 'Signed Up', messageId: 'm-dup-1' };
    const first = await post('/v1/track', msg);
    const second = await post('/v1/track', msg);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ success: true, stored: 1, duplicates: 0 });
    expect(second.statusCode).toBe(200);
    expect(second.json()).toMatchObject({ success: true, stored: 0, duplicates: 1 });
    // In a batch too, and on the Kysely path (identify) as on the fast path.
    const batch = await post('/v1/batch', {
      batch: [
        { type: 'track', ...msg },
        { type: 'identify', userId: 'dup-user', messageId: 'm-dup-2', traits: { plan: 'team' } },
        { type: 'identify', userId: 'dup-user', messageId: 'm-dup-2', traits: { plan: 'team' } },
      ],
    });
    expect(batch.json()).toMatchObject({ stored: 1, duplicates: 2 });
    expect((await events('&type=Signed%20Up')).filter((e) => e.message_id === 'm-dup-1')).toHaveLength(1);
  });

  it('answers 400 to malformed JSON, 401 to a wrong or missing write key, and accepts writeKey in the body', async () => {
    const bad = await post('/v1/track', '{"userId": "u", "event": ');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/not valid JSON/);

    const wrong = await post(
      '/v1/track',
      { userId: 'u', event: 'x' },
      {
        authorization: `Basic ${Buffer.from('bwk_not-a-key:').toString('base64')}`,
      },
    );
    expect(wrong.statusCode).toBe(401);
    const none = await fx.app.inject({
      method: 'POST',
      url: '/v1/track',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ userId: 'u', event: 'x' }),
    });
    expect(none.statusCode).toBe(401);
    const inBody = await fx.app.inject({
      method: 'POST',
      url: '/v1/track',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ writeKey: fx.writeKey, userId: 'body-key', event: 'Body Key Used' }),
    });
    expect(inBody.statusCode).toBe(200);
    expect(await events('&type=Body%20Key%20Used')).toHaveLength(1);

    const missing = await post('/v1/track', { userId: 'u' });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.message).toMatch(/event/);
  });

  it('refuses a call over 500 KB and a message over 32 KB with 413, and accepts gzip bodies', async () => {
    const big = 'x'.repeat(40 * 1024);
    const oneBig = await post('/v1/track', { userId: 'u', event: 'Big', properties: { big } });
    expect(oneBig.statusCode).toBe(413);
    expect(oneBig.json().error.message).toMatch(/32 KB/);

    const huge = {
      batch: Array.from({ length: 20 }, (_, i) => ({
        type: 'track',
        userId: `u${i}`,
        event: 'Huge',
        properties: { big: 'y'.repeat(30 * 1024) },
      })),
    };
    const tooLarge = await post('/v1/batch', huge);
    expect(tooLarge.statusCode).toBe(413);
    expect(tooLarge.json().error.message).toMatch(/500 KB/);
    // Compressed under the limit but over it once inflated: still 413.
    const bomb = await post('/v1/batch', gzipSync(JSON.stringify(huge)), { 'content-encoding': 'gzip' });
    expect(bomb.statusCode).toBe(413);

    const zipped = await post(
      '/v1/batch',
      gzipSync(
        JSON.stringify({ batch: [{ type: 'track', userId: 'gz', event: 'Zipped', messageId: 'gz-1' }] }),
      ),
      { 'content-encoding': 'gzip' },
    );
    expect(zipped.statusCode, zipped.body).toBe(200);
    expect(await events('&type=Zipped')).toHaveLength(1);
  });

  it('stores the valid messages of a mixed batch and reports each invalid one by index', async () => {
    const res = await post('/v1/batch', {
      batch: [
        { type: 'track', userId: 'mix', event: 'Mixed OK', messageId: 'mix-0' },
        { type: 'track', userId: 'mix' },
        { type: 'launch', userId: 'mix' },
        { type: 'track', event: 'No Identity' },
        { type: 'track', userId: 'mix', event: 'Mixed OK', messageId: 'mix-4' },
        { type: 'track', userId: 'mix', event: 'Mixed OK', timestamp: 'yesterday' },
        { type: 'track', userId: 'mix', event: 'Mixed OK', properties: { big: 'z'.repeat(33 * 1024) } },
      ],
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ success: true, stored: 2 });
    expect(body.errors.map((e: { index: number }) => e.index)).toEqual([1, 2, 3, 5, 6]);
    expect(body.errors[0].message).toMatch(/event/);
    expect(body.errors[2].message).toMatch(/userId or anonymousId/);
    expect(body.errors[4].message).toMatch(/32 KB/);
    expect((await events('&type=Mixed%20OK')).map((e) => e.message_id).sort()).toEqual(['mix-0', 'mix-4']);

    const allBad = await post('/v1/batch', { batch: [{ type: 'track' }] });
    expect(allBad.statusCode).toBe(400);
    expect(allBad.json().error.details.errors[0].index).toBe(0);
  });

  it('refuses text no store can keep (NUL, a lone surrogate) by path, and keeps the rest of the batch', async () => {
    // Found by the ingestion fuzz test: a lone surrogate as a property key reached PostgreSQL's jsonb as a 500.
    const page = {
      type: 'page',
      anonymousId: 'anon-u',
      name: 'Pricing',
      properties: { url: { '\ud800': [] } },
    };
    const single = await post('/v1/page', page);
    expect(single.statusCode).toBe(400);
    expect(single.json().error.message).toMatch(/^properties\.url\..*lone UTF-16 surrogate/);
    const res = await post('/v1/batch', {
      batch: [
        page,
        { type: 'track', userId: 'nul', event: 'Kept', messageId: 'nul-1' },
        { type: 'track', userId: 'nul', event: 'Bad\u0000Name', messageId: 'nul-2' },
      ],
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ success: true, stored: 1 });
    expect(
      res.json().errors.map((e: { index: number; message: string }) => [e.index, e.message.split(':')[0]]),
    ).toEqual([
      [0, expect.stringMatching(/^properties\.url\./)],
      [2, 'event'],
    ]);
    expect((await events('&type=Kept')).map((e) => e.message_id)).toEqual(['nul-1']);
  });

  it('corrects clock skew from sentAt, keeps historical timestamps and replaces future ones', async () => {
    // Segment, Spec: Common Fields (segment.com/docs/connections/spec/common/#timestamps): timestamp =
    // receivedAt − (sentAt − originalTimestamp). The client clock here is 65 minutes behind the server's.
    const skewed = await post('/v1/batch', {
      sentAt: '2027-01-04T10:55:00.000Z',
      batch: [{ type: 'track', userId: 'skew', event: 'Skewed', timestamp: '2027-01-04T10:50:00.000Z' }],
    });
    expect(skewed.statusCode).toBe(200);
    const [s] = await events('&type=Skewed');
    expect(s!.occurred_at).toBe('2027-01-04T11:55:00.000Z');
    expect(s!.received_at).toBe('2027-01-04T12:00:00.000Z');

    // Historical import: a timestamp long past is kept as sent.
    await post('/v1/track', { userId: 'old', event: 'Historical', timestamp: '2019-06-01T08:00:00Z' });
    expect((await events('&type=Historical'))[0]!.occurred_at).toBe('2019-06-01T08:00:00.000Z');
    // A timestamp days ahead of the receipt is a wrong device clock: the receipt time is used.
    await post('/v1/track', { userId: 'fut', event: 'Future', timestamp: '2027-01-09T08:00:00Z' });
    expect((await events('&type=Future'))[0]!.occurred_at).toBe('2027-01-04T12:00:00.000Z');
    // Before 2000 is a unit mistake (seconds sent as milliseconds), refused.
    const ancient = await post('/v1/track', {
      userId: 'old',
      event: 'Ancient',
      timestamp: '1970-01-20T00:00:00Z',
    });
    expect(ancient.statusCode).toBe(400);

    const inRange = await events('&from=2027-01-04T11:00:00Z&to=2027-01-04T11:59:00Z&type=Skewed');
    expect(inRange).toHaveLength(1);
  });

  it('pages events with a cursor', async () => {
    await post('/v1/batch', {
      batch: Array.from({ length: 5 }, (_, i) => ({
        type: 'track',
        userId: 'pager',
        event: 'Paged',
        messageId: `p-${i}`,
      })),
    });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await fx.app.inject({
        method: 'GET',
        url: `/api/v1/events?type=Paged&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        headers: { authorization: fx.bearer },
      });
      const page = res.json() as { data: Array<{ message_id: string }>; next_cursor: string | null };
      seen.push(...page.data.map((e) => e.message_id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual(['p-0', 'p-1', 'p-2', 'p-3', 'p-4']);
  });
});
