// Two workers enrolling the same contacts in the same campaign at once (dynamic enrollment runs in every
// worker): both read "no enrollment yet", both insert, and the unique (campaign, contact, cycle) index keeps
// the first row. The one left out must plan no first touch for its unwritten enrollment and count the contact
// as already enrolled. On PostgreSQL the race is played for real with two open transactions; on SQLite, where
// one connection serialises writers, a trigger writes the rival worker's enrollment between the read and the
// insert, through both the prepared-statement queue and the Kysely queue.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaignSchema } from '../../src/domain/campaign.js';
import { workspaceSettings } from '../../src/domain/workspace-settings.js';
import { buildRuntime, type CampaignRuntime } from '../../src/engine/campaign-runtime.js';
import { enrollContacts, type EnrollContact } from '../../src/engine/enroller.js';
import { CampaignsRepository } from '../../src/store/campaigns.repository.js';
import type { Store } from '../../src/store/db.js';
import { newId } from '../../src/store/ids.js';
import { newWorkspace, openTestStore, type TestStore } from '../support/stores.js';

const T0 = Date.parse('2027-01-04T00:00:00Z'); // a Monday
const PEOPLE = 40; // enough that each half has both arms at a 50% holdout (all one arm: about 2^-19)

async function setUp(store: Store): Promise<{ ws: string; rt: CampaignRuntime; contacts: EnrollContact[] }> {
  const ws = await newWorkspace(store, T0);
  const contacts: EnrollContact[] = [];
  for (let i = 0; i < PEOPLE; i++) {
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
    id: 'welcome',
    name: 'Welcome',
    objective: 'retention',
    channels: ['email'],
    measurement: { holdout_percent: 50 },
    sequence: [
      { id: 'hello', channel: 'email', delay: '0d' },
      { id: 'tips', channel: 'email', delay: '2d' },
    ],
  });
  const repo = new CampaignsRepository(store);
  await repo.insert(ws, spec, T0);
  await repo.setStatus(ws, spec.id, 'draft', 'running', T0, { launchedAt: T0 });
  return { ws, rt: buildRuntime(ws, spec, 1, workspaceSettings({})), contacts };
}

/** One enrollment per contact, and every touch belongs to an enrollment that exists. */
async function expectOneEnrollmentEach(store: Store, ws: string, contacts: readonly EnrollContact[]) {
  const enrollments = await store.db
    .selectFrom('enrollments')
    .select(['id', 'contact_id', 'arm'])
    .where('workspace_id', '=', ws)
    .execute();
  expect(enrollments.map((e) => e.contact_id).sort()).toEqual(contacts.map((c) => c.id).sort());
  const orphans = await store.db
    .selectFrom('touches')
    .select(['id', 'enrollment_id'])
    .where('workspace_id', '=', ws)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('enrollments')
            .select('enrollments.id')
            .whereRef('enrollments.id', '=', 'touches.enrollment_id'),
        ),
      ),
    )
    .execute();
  expect(orphans).toEqual([]);
  return enrollments;
}

describe('enrollment race on postgres: two workers enroll the same contacts at once', () => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore('postgres');
  });
  afterAll(() => store.dispose());

  it('keeps the first enrollment; the second worker plans no touch and counts the contacts as enrolled', async () => {
    const { ws, rt, contacts } = await setUp(store);
    const first = await store.db.startTransaction().execute();
    const second = await store.db.startTransaction().execute();
    try {
      const a = await enrollContacts({ db: first, dialect: 'postgres' }, rt, contacts, T0);
      // The second worker reads before the first commits, so it sees no enrollment and inserts its own rows;
      // the insert then waits on the first worker's uncommitted rows in the unique index.
      const pid = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(second)).rows[0]!.pid;
      const pending = enrollContacts({ db: second, dialect: 'postgres' }, rt, contacts, T0);
      let blocked = false;
      for (let i = 0; i < 500 && !blocked; i++) {
        const r = await sql<{ n: number }>`select cardinality(pg_blocking_pids(${pid}::int)) as n`.execute(
          store.db,
        );
        blocked = Number(r.rows[0]!.n) > 0;
        if (!blocked) await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(blocked).toBe(true);
      await first.commit().execute();
      const b = await pending;
      await second.commit().execute();

      const enrollments = await expectOneEnrollmentEach(store, ws, contacts);
      const holdout = enrollments.filter((e) => e.arm === 'holdout').length;
      expect(holdout).toBeGreaterThan(0);
      expect(holdout).toBeLessThan(PEOPLE);
      expect(a).toEqual({
        enrolled: PEOPLE,
        holdout,
        alreadyEnrolled: 0,
        touchesPlanned: PEOPLE - holdout,
        skippedWindowClosed: 0,
      });
      expect(b).toEqual({
        enrolled: 0,
        holdout: 0,
        alreadyEnrolled: PEOPLE,
        touchesPlanned: 0,
        skippedWindowClosed: 0,
      });
      // Only the first worker's touches: one first step per treatment enrollment.
      const touches = await store.db
        .selectFrom('touches')
        .select(['enrollment_id', 'step_id'])
        .where('workspace_id', '=', ws)
        .execute();
      const treatment = enrollments.filter((e) => e.arm !== 'holdout').map((e) => e.id);
      expect(touches.map((t) => t.enrollment_id).sort()).toEqual(treatment.sort());
      expect(new Set(touches.map((t) => t.step_id))).toEqual(new Set(['hello']));
    } finally {
      if (!first.isCommitted && !first.isRolledBack) await first.rollback().execute();
      if (!second.isCommitted && !second.isRolledBack) await second.rollback().execute();
    }
  });
});

describe.each(['prepared statements', 'kysely'])(
  'enrollment race on sqlite through the %s queue',
  (queue) => {
    let store: TestStore;
    beforeAll(async () => {
      store = await openTestStore('sqlite');
    });
    afterAll(() => store.dispose());

    it('leaves out the enrollments the rival wrote first, and their first touches with them', async () => {
      const { ws, rt, contacts } = await setUp(store);
      // The rival enrolls the first half; this worker's rows for the second half go in.
      const rivalled = contacts.slice(0, PEOPLE / 2).map((c) => c.id);
      // The rival worker: its enrollment of the same contact and cycle lands after this worker's read, just
      // before its insert (recursive triggers are off, so the rival's own insert does not fire this again).
      await sql
        .raw(
          `CREATE TEMP TRIGGER rival_worker BEFORE INSERT ON enrollments WHEN NEW.workspace_id = '${ws}'
           AND NEW.contact_id IN (${rivalled.map((id) => `'${id}'`).join(', ')})
         BEGIN
           INSERT INTO enrollments (id, workspace_id, campaign_id, contact_id, account_id, cycle, arm, variants,
             state, exit_reason, enrolled_at, exited_at)
           VALUES (NEW.id || '_rival', NEW.workspace_id, NEW.campaign_id, NEW.contact_id, NEW.account_id,
             NEW.cycle, NEW.arm, NEW.variants, 'active', NULL, NEW.enrolled_at, NULL);
         END`,
        )
        .execute(store.db);
      try {
        // Without the better-sqlite3 handle the enroller uses the Kysely queue.
        const target = queue === 'kysely' ? { db: store.db, dialect: 'sqlite' as const } : store;
        const result = await enrollContacts(target, rt, contacts, T0);
        const enrollments = await expectOneEnrollmentEach(store, ws, contacts);
        const rival = enrollments.filter((e) => e.id.endsWith('_rival'));
        expect(rival.map((e) => e.contact_id).sort()).toEqual([...rivalled].sort());
        const mine = enrollments.filter((e) => !e.id.endsWith('_rival'));
        const holdout = mine.filter((e) => e.arm === 'holdout').length;
        expect(holdout).toBeGreaterThan(0);
        expect(holdout).toBeLessThan(mine.length);
        expect(result).toEqual({
          enrolled: PEOPLE / 2,
          holdout,
          alreadyEnrolled: PEOPLE / 2,
          touchesPlanned: PEOPLE / 2 - holdout,
          skippedWindowClosed: 0,
        });
        // This worker's first touches, for its own treatment enrollments only (the rival plans its own).
        const touches = await store.db
          .selectFrom('touches')
          .select(['enrollment_id', 'step_id'])
          .where('workspace_id', '=', ws)
          .execute();
        const treatment = mine.filter((e) => e.arm !== 'holdout').map((e) => e.id);
        expect(touches.map((t) => t.enrollment_id).sort()).toEqual(treatment.sort());
        expect(new Set(touches.map((t) => t.step_id))).toEqual(new Set(['hello']));
      } finally {
        await sql.raw('DROP TRIGGER rival_worker').execute(store.db);
      }

      // Once the rows are there, a later run reads them and still writes nothing.
      const again = await enrollContacts(store, rt, contacts, T0 + 60_000);
      expect(again.alreadyEnrolled).toBe(PEOPLE);
      expect(again.enrolled).toBe(0);
    });
  },
);
