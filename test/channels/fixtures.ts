// Fixtures for the webhook and SMS tests: contacts with a phone and SMS consent, running campaigns, and
// the clean-up that keeps other test files' dispatchers on the shared PostgreSQL database off our touches.
import { campaignSchema, type CampaignInput } from '../../src/domain/campaign.js';
import { workspaceSettings } from '../../src/domain/workspace-settings.js';
import { buildRuntime } from '../../src/engine/campaign-runtime.js';
import { CampaignsRepository } from '../../src/store/campaigns.repository.js';
import type { Store } from '../../src/store/db.js';
import { newId } from '../../src/store/ids.js';
import { WorkspacesRepository } from '../../src/store/workspaces.repository.js';

/** Monday 5 January 2026, 10:00 UTC: earlier than the instants other test files dispatch at. */
export const T0 = Date.parse('2026-01-05T10:00:00Z');
export const WINDOW = { start: '2026-01-05T00:00', end: '2026-03-01T00:00', timezone: 'UTC' };
/** Every hour of every day: quiet hours, not the send window, are what an SMS test exercises. */
export const ALL_DAY = { days: [1, 2, 3, 4, 5, 6, 7], start: '00:00', end: '24:00' };

export interface TestContact {
  id: string;
  email: string;
  phone: string | null;
  account_id: null;
  time_zone: string;
}

export async function addContact(
  store: Store,
  ws: string,
  first: string,
  o: { phone?: string | null; smsConsent?: boolean; timeZone?: string } = {},
): Promise<TestContact> {
  const id = newId('ct', T0);
  const email = `${first.toLowerCase()}.${id.slice(-6).toLowerCase()}@customer.example`;
  const timeZone = o.timeZone ?? 'UTC';
  await store.db
    .insertInto('contacts')
    .values({
      id,
      workspace_id: ws,
      email,
      phone: o.phone ?? null,
      first_name: first,
      time_zone: timeZone,
      subscription_status: 'subscribed',
      sms_consent: o.smsConsent ? 1 : 0,
      attributes: JSON.stringify({ plan: 'pro' }),
      created_at: T0,
      updated_at: T0,
    })
    .execute();
  return { id, email, phone: o.phone ?? null, account_id: null, time_zone: timeZone };
}

export async function addRunningCampaign(store: Store, ws: string, input: CampaignInput, now = T0) {
  const spec = campaignSchema.parse(input);
  const repo = new CampaignsRepository(store);
  await repo.insert(ws, spec, now);
  await repo.setStatus(ws, spec.id, 'draft', 'running', now, { launchedAt: now });
  const settings = await new WorkspacesRepository(store).get(ws);
  return buildRuntime(ws, spec, 1, workspaceSettings(settings?.settings ?? {}));
}

export async function setSettings(
  store: Store,
  ws: string,
  settings: Record<string, unknown>,
): Promise<void> {
  await new WorkspacesRepository(store).updateSettings(ws, settings);
}

/** Cancels the workspace's pending touches and running campaigns once a test is over. */
export async function retire(store: Store, ws: string): Promise<void> {
  await store.db
    .updateTable('touches')
    .set({ status: 'cancelled', reason: 'test over', lease_until: null })
    .where('workspace_id', '=', ws)
    .where('status', 'in', ['planned', 'held', 'claimed'])
    .execute();
  await store.db
    .updateTable('campaigns')
    .set({ status: 'cancelled' })
    .where('workspace_id', '=', ws)
    .where('status', 'in', ['scheduled', 'running', 'paused'])
    .execute();
}

export async function touchesOf(store: Store, ws: string) {
  return store.db.selectFrom('touches').selectAll().where('workspace_id', '=', ws).orderBy('id').execute();
}
