// The SQLite prepared-statement queue against the Kysely queue, and a log batch sent inside the claim
// transaction against one sent after it (decision 0020): the same scenario, with the same seeded ids, run
// through each on its own SQLite file, must leave identical touches (after every step), events, enrollments,
// channel log and contacts. The scenario goes through every branch the queue serves: caps and
// priority arbitration between two campaigns, zones, a step condition, an A/B step, temporary failures with
// backoff and a give-up, hard and soft bounces, provider message ids, an unsubscribe at claim time, a paused
// campaign (held touches), an enrollment ended elsewhere, an expired lease, and sequences running to completion.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Channel, OutboundMessage, SendResult } from '../../src/channels/channel.js';
import { ChannelRegistry } from '../../src/channels/channel.js';
import { LogChannel } from '../../src/channels/log.channel.js';
import { campaignSchema, type CampaignInput } from '../../src/domain/campaign.js';
import { workspaceSettings } from '../../src/domain/workspace-settings.js';
import { buildRuntime } from '../../src/engine/campaign-runtime.js';
import { Dispatcher, type BatchStats } from '../../src/engine/dispatcher.js';
import { enrollContacts } from '../../src/engine/enroller.js';
import { CampaignsRepository } from '../../src/store/campaigns.repository.js';
import { openStore, type Store } from '../../src/store/db.js';
import { newId, seedIds } from '../../src/store/ids.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { SuppressionsRepository } from '../../src/store/suppressions.repository.js';
import { WorkspacesRepository } from '../../src/store/workspaces.repository.js';

const T0 = Date.parse('2027-01-04T00:00:00Z'); // a Monday
const HOUR = 3_600_000;
const ZONES = ['UTC', 'America/New_York', 'Europe/Berlin', 'Asia/Tokyo', 'Australia/Lord_Howe'];
const SETTINGS = {
  caps: { per_day: 1, per_7_days: 3, min_gap_hours: { email: 20 }, exempt_channels: ['ads'] },
  time_zone: 'UTC',
};

/** Email by a fixed script per contact: retry once, retry for ever, bounce hard or soft, or send. */
class ScriptedChannel implements Channel {
  readonly name = 'email';
  private readonly attempts = new Map<string, number>();

  async send(batch: OutboundMessage[]): Promise<SendResult[]> {
    return batch.map((m) => {
      const n = (this.attempts.get(m.touchId) ?? 0) + 1;
      this.attempts.set(m.touchId, n);
      const i = Number(m.contact.id.slice(-3));
      if (i % 7 === 3 && n === 1) return { status: 'retry', error: 'try again later' };
      if (i % 17 === 4) return { status: 'retry', error: 'mailbox busy', retryAfterMs: 30 * 60_000 };
      if (i % 11 === 5) return { status: 'failed', error: 'no such user', bounce: 'hard' };
      if (i % 13 === 2) return { status: 'failed', error: 'mailbox full', bounce: 'soft' };
      return { status: 'sent', providerMessageId: `pm-${m.touchId}`, details: { attempt: n } };
    });
  }
}

/** The log channel without its in-transaction mark: its batches are sent and recorded after the claim commits. */
class SeparateLogChannel extends LogChannel {
  override readonly storeOnly = undefined;
}

async function scenario(
  kyselyQueue: boolean,
  logInTransaction = true,
): Promise<{ dump: unknown; stats: BatchStats[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'baton-fastpath-'));
  const store: Store = openStore(`sqlite:${join(dir, 'test.db')}`);
  try {
    await migrateToLatest(store);
    seedIds('dispatch-equivalence');
    const wsRepo = new WorkspacesRepository(store);
    const ws = (await wsRepo.ensure('equivalence', T0)).id;
    await wsRepo.updateSettings(ws, SETTINGS);
    const people = [];
    for (let i = 0; i < 60; i++) {
      const id = `ct_${String(i).padStart(3, '0')}`;
      const zone = ZONES[i % ZONES.length]!;
      await store.db
        .insertInto('contacts')
        .values({
          id,
          workspace_id: ws,
          email: i % 19 === 7 ? null : `p${i}@example.com`,
          first_name: `P${i}`,
          time_zone: zone,
          subscription_status: 'subscribed',
          sms_consent: 0,
          attributes: JSON.stringify({ n: i }),
          created_at: T0,
          updated_at: T0,
        })
        .execute();
      people.push({ id, account_id: null, time_zone: zone });
    }
    const repo = new CampaignsRepository(store);
    const window = { start: '2027-01-04T00:00', end: '2027-01-25T00:00', timezone: 'UTC' };
    const campaigns: CampaignInput[] = [
      {
        id: 'launch',
        name: 'Launch',
        objective: 'launch',
        priority: 80,
        window,
        channels: ['email', 'task'],
        sequence: [
          { id: 'intro', channel: 'email', delay: '0d', subject: 'Hello' },
          {
            id: 'pitch',
            channel: 'email',
            delay: '1d',
            variants: [
              { id: 'a', weight: 50, subject: 'A' },
              { id: 'b', weight: 50, subject: 'B' },
            ],
          },
          { id: 'call', channel: 'task', delay: '1bd' },
          { id: 'nudge', channel: 'email', delay: '2d', when: { not: { clicked: 'intro' } } },
        ],
      },
      {
        id: 'newsletter',
        name: 'Newsletter',
        objective: 'awareness',
        priority: 20,
        window,
        channels: ['email'],
        sequence: [
          { id: 'issue-1', channel: 'email', delay: '0d' },
          { id: 'issue-2', channel: 'email', delay: '0d' },
          { id: 'issue-3', channel: 'email', delay: '3d' },
        ],
      },
    ];
    for (const input of campaigns) {
      const spec = campaignSchema.parse(input);
      await repo.insert(ws, spec, T0);
      await repo.setStatus(ws, spec.id, 'draft', 'running', T0, { launchedAt: T0 });
      const rt = buildRuntime(ws, spec, 1, workspaceSettings(SETTINGS));
      await enrollContacts(store, rt, people.slice(input.id === 'launch' ? 0 : 20), T0);
    }
    const channels = new ChannelRegistry()
      .register(new ScriptedChannel())
      .register(logInTransaction ? new LogChannel(store, 'task') : new SeparateLogChannel(store, 'task'));
    const dispatcher = new Dispatcher(store, channels, {
      workerId: 'w1',
      batchSize: 7,
      maxAttempts: 3,
      retryBaseMs: 10 * 60_000,
      kyselyQueue,
    });
    const stats: BatchStats[] = [];
    const snapshots: unknown[] = [];
    for (let t = T0; t <= T0 + 20 * 24 * HOUR; t += 2 * HOUR) {
      if (t === T0 + 20 * HOUR) {
        // A click on one intro (the nudge's condition), an unsubscribe, and a worker that died holding a touch.
        const intro = await store.db
          .selectFrom('touches')
          .select(['id'])
          .where('contact_id', '=', 'ct_001')
          .where('step_id', '=', 'intro')
          .executeTakeFirstOrThrow();
        await store.db
          .insertInto('events')
          .values({
            id: newId('evt', t),
            workspace_id: ws,
            message_id: null,
            type: 'clicked',
            contact_id: 'ct_001',
            account_id: null,
            anonymous_id: null,
            occurred_at: t,
            received_at: t,
            properties: '{}',
            campaign_id: 'launch',
            touch_id: intro.id,
            step_id: 'intro',
            variant_id: null,
            channel: 'email',
          })
          .execute();
        await store.db
          .updateTable('contacts')
          .set({ subscription_status: 'unsubscribed' })
          .where('id', '=', 'ct_012')
          .execute();
        await store.db
          .updateTable('touches')
          .set({ status: 'claimed', lease_until: t - 1, claimed_by: 'dead', sent_at: t - HOUR })
          .where('contact_id', '=', 'ct_030')
          .where('status', '=', 'planned')
          .execute();
        // Suppressions added after enrollment: an address (stored with another case) and a whole domain.
        await store.db
          .updateTable('contacts')
          .set({ email: 'Fourteen@Example.com' })
          .where('id', '=', 'ct_014')
          .execute();
        await store.db
          .updateTable('contacts')
          .set({ email: 'sixteen@blocked.org' })
          .where('id', '=', 'ct_016')
          .execute();
        const suppressions = new SuppressionsRepository(store);
        await suppressions.add(ws, { value: 'fourteen@example.com', reason: 'manual' }, t);
        await suppressions.add(ws, { value: 'blocked.org', reason: 'manual' }, t);
        // An enrollment ended elsewhere with its touch still planned: the claim-time check cancels it.
        await store.db
          .updateTable('enrollments')
          .set({ state: 'exited', exit_reason: 'custom', exited_at: t })
          .where('contact_id', '=', 'ct_041')
          .execute();
      }
      if (t === T0 + 3 * 24 * HOUR)
        await repo.setStatus(ws, 'newsletter', 'running', 'paused', t, { launchedAt: T0 });
      stats.push(await dispatcher.drain(t));
      // The queue after every step, not only at the end: deferral and retry reasons are overwritten later.
      snapshots.push(await store.db.selectFrom('touches').selectAll().orderBy('id').execute());
    }
    const dump = {
      snapshots,
      touches: await store.db.selectFrom('touches').selectAll().orderBy('id').execute(),
      events: await store.db.selectFrom('events').selectAll().orderBy('seq').execute(),
      enrollments: await store.db.selectFrom('enrollments').selectAll().orderBy('id').execute(),
      channelLog: await store.db.selectFrom('channel_log').selectAll().orderBy('touch_id').execute(),
      contacts: await store.db
        .selectFrom('contacts')
        .select(['id', 'subscription_status', 'updated_at'])
        .orderBy('id')
        .execute(),
    };
    return { dump, stats };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('SQLite dispatch: prepared-statement queue and Kysely queue', () => {
  it('leave identical rows for the same scenario', async () => {
    const raw = await scenario(false);
    const kysely = await scenario(true);
    const statuses = new Set(
      (raw.dump as { touches: Array<{ status: string }> }).touches.map((t) => t.status),
    );
    // The scenario reaches every outcome the queue writes, so the comparison below covers each of them.
    expect([...statuses].sort()).toEqual(['cancelled', 'failed', 'held', 'sent', 'skipped']);
    const reasons = new Set(
      (raw.dump as { touches: Array<{ reason: string | null }> }).touches.map((t) => t.reason),
    );
    // …and both claim-time exits: an unsubscribe and a suppression added after enrollment.
    expect(reasons.has('unsubscribed') && reasons.has('suppressed')).toBe(true);
    const total = (s: BatchStats[], k: keyof BatchStats) => s.reduce((a, b) => a + b[k], 0);
    for (const k of ['deferred', 'retried', 'failed', 'reclaimed', 'skipped'] as const)
      expect(total(raw.stats, k), k).toBeGreaterThan(0);
    expect(raw.stats).toEqual(kysely.stats);
    expect(raw.dump).toEqual(kysely.dump);
  });

  it('leave the same rows whether a log batch is sent inside the claim transaction or after it', async () => {
    const inside = await scenario(false, true);
    const after = await scenario(false, false);
    expect(inside.stats).toEqual(after.stats);
    expect(inside.dump).toEqual(after.dump);
  });
});
