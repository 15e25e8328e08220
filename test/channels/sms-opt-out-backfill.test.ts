// Upgrading to per-number SMS opt-outs (migration 20261129T0970) on both stores: a number whose contact's
// latest keyword event is `sms_opted_out` is recorded in E.164 and its contacts lose the consent a sync had
// turned back on; a number that texted START afterwards, and contacts that never texted STOP, keep theirs.
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { appendEvents, type NewEvent } from '../../src/store/events.repository.js';
import { migrateToLatest, migrateUpTo } from '../../src/store/migrate.js';
import { ownStore } from '../ops/ops-support.js';
import { dialects, newWorkspace } from '../support/stores.js';

const T = Date.parse('2027-01-04T12:00:00Z');

describe.each(dialects)('SMS opt-out backfill on %s', (dialect) => {
  it('records the numbers that texted STOP and not START, and turns their consent off', async () => {
    const own = await ownStore(dialect, { migrate: false });
    try {
      const store = own.store;
      await migrateUpTo(store, '20261129T0960-imports');
      const ws = await newWorkspace(store);
      const contacts: Array<[string, string | null, number]> = [
        ['con_resubscribed', '+44 7700 900123', 1], // STOP, then a CRM sync set consent again
        ['con_restarted', '+447700900456', 1], // STOP, then START
        ['con_stopped', '0044 7700-900789', 0], // STOP
        ['con_never', '+447700900321', 1], // no keyword
      ];
      for (const [id, phone, consent] of contacts) {
        await store.db
          .insertInto('contacts')
          .values({
            id,
            workspace_id: ws,
            email: `${id}@customer.example`,
            phone,
            subscription_status: 'subscribed',
            sms_consent: consent,
            attributes: '{}',
            created_at: T,
            updated_at: T,
          })
          .execute();
      }
      const keyword = (contactId: string, type: string, at: number): NewEvent => ({
        workspaceId: ws,
        type,
        occurredAt: at,
        receivedAt: at,
        messageId: `sms-in:${type}:${contactId}`,
        contactId,
        channel: 'sms',
        properties: {},
      });
      await appendEvents(store.db, [
        keyword('con_resubscribed', 'sms_opted_out', T + 1000),
        keyword('con_restarted', 'sms_opted_out', T + 1000),
        keyword('con_restarted', 'sms_opted_in', T + 2000),
        keyword('con_stopped', 'sms_opted_out', T + 3000),
      ]);

      await migrateToLatest(store);

      const optOuts = await sql<{ phone: string; opted_out_at: number | string }>`select phone, opted_out_at
        from sms_opt_outs where workspace_id = ${ws} order by phone`.execute(store.db);
      expect(optOuts.rows.map((o) => [o.phone, Number(o.opted_out_at)])).toEqual([
        ['+447700900123', T + 1000],
        ['+447700900789', T + 3000],
      ]);
      const consent = await store.db
        .selectFrom('contacts')
        .select(['id', 'sms_consent'])
        .where('workspace_id', '=', ws)
        .orderBy('id')
        .execute();
      expect(consent.map((c) => [c.id, Number(c.sms_consent)])).toEqual([
        ['con_never', 1],
        ['con_restarted', 1],
        ['con_resubscribed', 0],
        ['con_stopped', 0],
      ]);
    } finally {
      await own.dispose();
    }
  }, 60_000);
});
