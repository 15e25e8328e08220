// Temporary channel failures on both stores: the dispatcher retries a touch with exponential backoff and a
// ±20% jitter of its own, a channel's `retryAfterMs` replaces the exponential base, and after `maxAttempts`
// the touch fails for good with a `failed` event. Each dialect gets a database of its own, since a
// dispatcher claims every workspace's due touches and this channel fails all of them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ChannelRegistry,
  type Channel,
  type OutboundMessage,
  type SendResult,
} from '../../src/channels/channel.js';
import { campaignSchema } from '../../src/domain/campaign.js';
import { unitHash } from '../../src/domain/assignment.js';
import { workspaceSettings } from '../../src/domain/workspace-settings.js';
import { buildRuntime } from '../../src/engine/campaign-runtime.js';
import { Dispatcher } from '../../src/engine/dispatcher.js';
import { enrollContacts } from '../../src/engine/enroller.js';
import { CampaignsRepository } from '../../src/store/campaigns.repository.js';
import type { Store } from '../../src/store/db.js';
import { newId } from '../../src/store/ids.js';
import { fromJson } from '../../src/store/json.js';
import { ownStore, type OwnStore } from '../ops/ops-support.js';
import { dialects, newWorkspace } from '../support/stores.js';

const T0 = Date.parse('2027-01-04T10:00:00Z'); // a Monday, inside the default send window
const MIN = 60_000;

/** A provider that is always temporarily unavailable; it notes when each touch was attempted. */
class AlwaysRetry implements Channel {
  readonly name = 'email';
  readonly attempts = new Map<string, number[]>();
  constructor(private readonly retryAfterMs?: number) {}

  async send(batch: OutboundMessage[]): Promise<SendResult[]> {
    return batch.map((m) => {
      const times = this.attempts.get(m.touchId) ?? [];
      times.push(m.now);
      this.attempts.set(m.touchId, times);
      return this.retryAfterMs === undefined
        ? { status: 'retry', error: 'provider busy (503)' }
        : { status: 'retry', error: 'rate limited (429)', retryAfterMs: this.retryAfterMs };
    });
  }
}

/** `n` UTC contacts enrolled in a running one-step email campaign, their touches due at T0. */
async function seed(store: Store, ws: string, n: number): Promise<void> {
  const contacts = [];
  for (let i = 0; i < n; i++) {
    const id = newId('ct', T0);
    await store.db
      .insertInto('contacts')
      .values({
        id,
        workspace_id: ws,
        email: `${id.toLowerCase()}@example.com`,
        time_zone: 'UTC',
        subscription_status: 'subscribed',
        sms_consent: 0,
        attributes: '{}',
        created_at: T0,
        updated_at: T0,
      })
      .execute();
    contacts.push({ id, account_id: null, time_zone: 'UTC' });
  }
  const spec = campaignSchema.parse({
    id: 'flaky',
    name: 'Flaky provider',
    objective: 'awareness',
    window: { start: '2027-01-04T00:00', end: '2027-03-01T00:00', timezone: 'UTC' },
    channels: ['email'],
    sequence: [{ id: 'hello', channel: 'email', delay: '0d' }],
  });
  const repo = new CampaignsRepository(store);
  await repo.insert(ws, spec, T0);
  await repo.setStatus(ws, spec.id, 'draft', 'running', T0, { launchedAt: T0 });
  await enrollContacts(store, buildRuntime(ws, spec, 1, workspaceSettings({})), contacts, T0);
}

/** Runs the dispatcher at each planned touch's due time, earliest first, until none is left planned. */
async function runUntilSettled(store: Store, ws: string, dispatcher: Dispatcher): Promise<void> {
  for (let guard = 0; guard < 1000; guard++) {
    const next = await store.db
      .selectFrom('touches')
      .select((eb) => eb.fn.min('due_at').as('due'))
      .where('workspace_id', '=', ws)
      .where('status', '=', 'planned')
      .executeTakeFirst();
    if (next?.due === null || next?.due === undefined) return;
    await dispatcher.drain(Number(next.due));
  }
  throw new Error('touches still planned after 1000 passes');
}

/** The gaps between successive attempts of each touch. */
function delaysOf(channel: AlwaysRetry): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const [id, times] of channel.attempts)
    out.set(
      id,
      times.slice(1).map((t, k) => t - times[k]!),
    );
  return out;
}

describe.each(dialects)('retry backoff on %s', (dialect) => {
  let own: OwnStore;
  beforeAll(async () => {
    own = await ownStore(dialect);
  });
  afterAll(() => own.dispose());

  it('backs off exponentially with a jitter per touch and attempt, then fails the touch after maxAttempts', async () => {
    const store = own.store;
    const ws = await newWorkspace(store, T0);
    const n = 20;
    await seed(store, ws, n);
    const channel = new AlwaysRetry();
    const base = MIN;
    const dispatcher = new Dispatcher(store, new ChannelRegistry().register(channel), {
      workerId: 'retry-test',
      maxAttempts: 5,
      retryBaseMs: base,
    });
    await runUntilSettled(store, ws, dispatcher);

    expect(channel.attempts.size).toBe(n);
    const delays = delaysOf(channel);
    for (const [id, times] of channel.attempts) {
      // Five attempts: the first at the planned time, then four retries, and nothing after the fifth.
      expect(times).toHaveLength(5);
      expect(times[0]).toBe(T0);
      const d = delays.get(id)!;
      for (let k = 0; k < 4; k++) {
        // Attempt k+1 failed with k earlier attempts behind it: base · 2^k, ±20%. The ranges
        // [0.8, 1.2]·2^k minutes do not overlap, so this is growth by doubling, not a constant delay.
        expect(d[k]).toBeGreaterThanOrEqual(0.8 * base * 2 ** k);
        expect(d[k]).toBeLessThanOrEqual(1.2 * base * 2 ** k);
        expect(d[k]).toBe(Math.round(base * 2 ** k * (0.8 + 0.4 * unitHash(id, String(k)))));
      }
    }
    // The jitter spreads the touches: for each attempt, the delays of the 20 touches are not one value,
    // and they cover more than a quarter of the ±20% band (20 draws from it all in one quarter is a ~1e-10
    // chance).
    for (let k = 0; k < 4; k++) {
      const ratios = [...delays.values()].map((d) => d[k]! / (base * 2 ** k));
      expect(new Set(ratios).size).toBeGreaterThan(n / 2);
      expect(Math.max(...ratios) - Math.min(...ratios)).toBeGreaterThan(0.1);
    }
    // Nor is one touch's jitter the same at every attempt.
    const oneTouch = [...delays.values()][0]!.map((d, k) => d / (base * 2 ** k));
    expect(new Set(oneTouch).size).toBeGreaterThan(1);

    const touches = await store.db
      .selectFrom('touches')
      .select(['id', 'status', 'attempts', 'reason'])
      .where('workspace_id', '=', ws)
      .execute();
    expect(touches).toHaveLength(n);
    for (const t of touches) {
      expect(t).toMatchObject({ status: 'failed', attempts: 5 });
      expect(t.reason).toBe('gave up after 5 attempts: provider busy (503)');
    }
    const events = await store.db
      .selectFrom('events')
      .select(['type', 'touch_id', 'properties'])
      .where('workspace_id', '=', ws)
      .where('campaign_id', '=', 'flaky')
      .execute();
    // One `failed` event per touch, and no `sent` ones.
    expect(events.map((e) => e.type)).toEqual(Array.from({ length: n }, () => 'failed'));
    expect(new Set(events.map((e) => e.touch_id))).toEqual(new Set(touches.map((t) => t.id)));
    for (const e of events) {
      expect(fromJson<{ error?: string }>(e.properties, {}).error).toMatch(/gave up after 5 attempts/);
    }
  });

  it('waits what the channel asks (retryAfterMs) instead of the exponential base', async () => {
    const store = own.store;
    const ws = await newWorkspace(store, T0);
    const n = 6;
    await seed(store, ws, n);
    const retryAfter = 30 * MIN;
    const channel = new AlwaysRetry(retryAfter);
    const dispatcher = new Dispatcher(store, new ChannelRegistry().register(channel), {
      workerId: 'retry-after-test',
      maxAttempts: 4,
      retryBaseMs: MIN,
    });
    await runUntilSettled(store, ws, dispatcher);

    expect(channel.attempts.size).toBe(n);
    for (const [id, d] of delaysOf(channel)) {
      expect(d).toHaveLength(3);
      for (let k = 0; k < 3; k++) {
        // The provider's 30 minutes, ±20%, at every attempt: not doubled, and not the one-minute base.
        expect(d[k]).toBeGreaterThanOrEqual(0.8 * retryAfter);
        expect(d[k]).toBeLessThanOrEqual(1.2 * retryAfter);
        expect(d[k]).toBe(Math.round(retryAfter * (0.8 + 0.4 * unitHash(id, String(k)))));
      }
    }
    const touches = await store.db
      .selectFrom('touches')
      .select(['status', 'attempts', 'reason'])
      .where('workspace_id', '=', ws)
      .execute();
    for (const t of touches) {
      expect(t).toMatchObject({ status: 'failed', attempts: 4 });
      expect(t.reason).toBe('gave up after 4 attempts: rate limited (429)');
    }
  });
});
