// A sales workspace for the task tests: a rep with their own zone, an account they own, a contact of that
// account enrolled in a running outbound sequence whose first step is a call task.
import { campaignSchema, type CampaignInput } from '../../src/domain/campaign.js';
import { workspaceSettings } from '../../src/domain/workspace-settings.js';
import { buildRuntime } from '../../src/engine/campaign-runtime.js';
import { enrollContacts } from '../../src/engine/enroller.js';
import { AccountsRepository } from '../../src/store/accounts.repository.js';
import { CampaignsRepository } from '../../src/store/campaigns.repository.js';
import type { Store } from '../../src/store/db.js';
import { newId } from '../../src/store/ids.js';
import { TasksRepository } from '../../src/store/tasks.repository.js';
import { UsersRepository } from '../../src/store/users.repository.js';
import { newWorkspace } from '../support/stores.js';

/** Friday 2027-03-12 16:30 in New York (EST, UTC−5): two days before the US spring-forward change. */
export const FRIDAY_1630_NY = Date.parse('2027-03-12T21:30:00Z');
/** Monday 2027-03-15 09:00 in New York (EDT, UTC−4). */
export const MONDAY_0900_NY = Date.parse('2027-03-15T13:00:00Z');
export const HOUR = 3_600_000;
export const REP_PASSWORD = 'a long passphrase';
export const DAY = 24 * HOUR;

export interface SalesWorld {
  ws: string;
  repId: string;
  contactIds: string[];
}

export function outbound(overrides: Partial<CampaignInput> = {}): CampaignInput {
  return {
    id: 'outbound',
    name: 'Outbound Q1',
    objective: 'pipeline',
    goal: { metric: 'conversions', event: 'meeting_booked', target: 5, lookback_days: 30 },
    window: { start: '2027-03-01T00:00', end: '2027-06-01T00:00', timezone: 'UTC' },
    channels: ['task', 'email'],
    // Every hour of every day, so each touch goes out exactly when it is due.
    send_window: { days: [1, 2, 3, 4, 5, 6, 7], start: '00:00', end: '24:00' },
    sequence: [
      {
        id: 'call',
        channel: 'task',
        delay: '0d',
        task: {
          type: 'call',
          instructions: 'Call {{ contact.first_name }} at {{ account.name }} about the pilot',
        },
      },
      { id: 'followup', channel: 'email', delay: '1d', subject: 'Following up', body: 'Hello' },
    ],
    ...overrides,
  } as CampaignInput;
}

export async function salesWorld(
  store: Store,
  opts: { at: number; campaign?: CampaignInput; contacts?: number; owner?: string },
): Promise<SalesWorld> {
  const at = opts.at;
  const ws = await newWorkspace(store, at);
  const rep = await new UsersRepository(store).create(
    ws,
    { email: 'rep@acme-sales.com', password: REP_PASSWORD, role: 'sales_rep' },
    at,
  );
  await new TasksRepository(store).setWorkingHours(
    ws,
    rep.id,
    { time_zone: 'America/New_York', working_hours: null },
    at,
  );
  const account = await new AccountsRepository(store).create(
    ws,
    { domain: 'acme.com', name: 'Acme', owner: opts.owner ?? 'Rep@Acme-Sales.com' },
    at,
  );
  const contactIds: string[] = [];
  for (let i = 0; i < (opts.contacts ?? 1); i++) {
    const id = newId('ct', at);
    contactIds.push(id);
    await store.db
      .insertInto('contacts')
      .values({
        id,
        workspace_id: ws,
        email: `person${i}@acme.com`,
        first_name: i === 0 ? 'Ada' : `P${i}`,
        time_zone: 'Europe/London',
        account_id: account.id,
        subscription_status: 'subscribed',
        sms_consent: 0,
        attributes: '{}',
        created_at: at,
        updated_at: at,
      })
      .execute();
  }
  const spec = campaignSchema.parse(opts.campaign ?? outbound());
  const campaigns = new CampaignsRepository(store);
  await campaigns.insert(ws, spec, at);
  await campaigns.setStatus(ws, spec.id, 'draft', 'running', at, { launchedAt: at });
  const rt = buildRuntime(ws, spec, 1, workspaceSettings({}));
  await enrollContacts(
    store,
    rt,
    contactIds.map((id) => ({ id, account_id: account.id, time_zone: 'Europe/London' })),
    at,
  );
  return { ws, repId: rep.id, contactIds };
}

/** The touches of a workspace by step, in step order. */
export async function touchesOf(store: Store, ws: string) {
  return store.db
    .selectFrom('touches')
    .select(['id', 'step_id', 'status', 'due_at', 'sent_at', 'contact_id', 'reason'])
    .where('workspace_id', '=', ws)
    .orderBy('step_index')
    .orderBy('id')
    .execute();
}
