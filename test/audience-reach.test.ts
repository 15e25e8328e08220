// The preview's denominator — contacts of the workspace reachable by email, by SMS, or at all — stays exact
// through every kind of contact write (insert, update of each column the rules read, update of others,
// delete), on both dialects. On SQLite it comes from counters kept by triggers, so this checks them against
// a plain count after random sequences of writes.
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { previewAudience } from '../src/store/audience.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from './support/stores.js';
import { NOW } from './segments-fixtures.js';

type Write =
  | { op: 'insert'; email: boolean; phone: boolean; status: string; sms: boolean }
  | { op: 'email'; at: number; email: boolean }
  | { op: 'status'; at: number; status: string }
  | { op: 'phone'; at: number; phone: boolean }
  | { op: 'sms'; at: number; sms: boolean }
  | { op: 'other'; at: number }
  | { op: 'delete'; at: number };

const status = fc.constantFrom('subscribed', 'unsubscribed', 'bounced');
const at = fc.nat({ max: 50 });
const write: fc.Arbitrary<Write> = fc.oneof(
  fc.record({
    op: fc.constant('insert' as const),
    email: fc.boolean(),
    phone: fc.boolean(),
    status,
    sms: fc.boolean(),
  }),
  fc.record({ op: fc.constant('email' as const), at, email: fc.boolean() }),
  fc.record({ op: fc.constant('status' as const), at, status }),
  fc.record({ op: fc.constant('phone' as const), at, phone: fc.boolean() }),
  fc.record({ op: fc.constant('sms' as const), at, sms: fc.boolean() }),
  fc.record({ op: fc.constant('other' as const), at }),
  fc.record({ op: fc.constant('delete' as const), at }),
);

describe.each(dialects)('reachable contacts on %s', (dialect) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(dialect);
  });
  afterAll(() => store.dispose());

  async function counted(ws: string): Promise<{ all: number; email: number; sms: number }> {
    const r = await sql<{ total: unknown; email: unknown; sms: unknown }>`
      select count(*) as total,
        sum(case when email is not null and subscription_status = 'subscribed' then 1 else 0 end) as email,
        sum(case when phone is not null and sms_consent = 1 then 1 else 0 end) as sms
      from contacts where workspace_id = ${ws}`.execute(store.db);
    const row = r.rows[0]!;
    return { all: Number(row.total), email: Number(row.email ?? 0), sms: Number(row.sms ?? 0) };
  }

  async function previewed(ws: string): Promise<{ all: number; email: number; sms: number }> {
    const spec = { segment: { attribute: 'lifecycle_stage', op: 'exists' } };
    const reach = async (channel: 'none' | 'email' | 'sms'): Promise<number> =>
      (await previewAudience(store, ws, spec, { now: NOW, channel })).reachable;
    return { all: await reach('none'), email: await reach('email'), sms: await reach('sms') };
  }

  it('equals a plain count after any sequence of contact writes', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(write, { maxLength: 30 }), async (writes) => {
        run++;
        const ws = await newWorkspace(store, NOW);
        // Another workspace's writes must not move this one's counters.
        const other = await newWorkspace(store, NOW);
        const ids: string[] = [];
        let inserted = 0;
        for (const w of writes) {
          const target = ids.length > 0 && w.op !== 'insert' ? ids[w.at % ids.length]! : undefined;
          const where = (q: string) => sql`update contacts set ${sql.raw(q)} where id = ${target ?? ''}`;
          if (w.op === 'insert') {
            const id = `con_reach_${dialect}_${run}_${inserted++}`;
            ids.push(id);
            for (const [wsId, suffix] of [
              [ws, ''],
              [other, '_o'],
            ] as const) {
              await store.db
                .insertInto('contacts')
                .values({
                  id: id + suffix,
                  workspace_id: wsId,
                  email: w.email ? `${id}${suffix}@example.com` : null,
                  phone: w.phone ? '+15550100' : null,
                  subscription_status: w.status,
                  sms_consent: w.sms ? 1 : 0,
                  lifecycle_stage: 'lead',
                  attributes: '{}',
                  created_at: NOW,
                  updated_at: NOW,
                })
                .execute();
            }
          } else if (!target) continue;
          else if (w.op === 'email')
            await where(w.email ? `email = id || '@example.org'` : 'email = null').execute(store.db);
          else if (w.op === 'status') await where(`subscription_status = '${w.status}'`).execute(store.db);
          else if (w.op === 'phone')
            await where(w.phone ? `phone = '+15550199'` : 'phone = null').execute(store.db);
          else if (w.op === 'sms') await where(`sms_consent = ${w.sms ? 1 : 0}`).execute(store.db);
          else if (w.op === 'other') await where(`first_name = 'Ada'`).execute(store.db);
          else {
            await store.db.deleteFrom('contacts').where('id', '=', target).execute();
            ids.splice(ids.indexOf(target), 1);
          }
        }
        expect(await previewed(ws)).toEqual(await counted(ws));
      }),
      { numRuns: 20 },
    );
  }, 120_000);
});
