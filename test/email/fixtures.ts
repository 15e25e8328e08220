// Fixtures for the email tests: contacts with an address at customer.example, running campaigns.
import { campaignSchema, type CampaignInput } from '../../src/domain/campaign.js';
import { workspaceSettings } from '../../src/domain/workspace-settings.js';
import { buildRuntime } from '../../src/engine/campaign-runtime.js';
import { CampaignsRepository } from '../../src/store/campaigns.repository.js';
import { newId } from '../../src/store/ids.js';
import type { TestStore } from '../support/stores.js';

const T0 = Date.parse('2027-01-04T10:00:00Z');

export async function addContact(store: TestStore, ws: string, first: string, now = T0) {
  const id = newId('ct', now);
  const email = `${first.toLowerCase()}.${id.slice(-6).toLowerCase()}@customer.example`;
  await store.db
    .insertInto('contacts')
    .values({
      id,
      workspace_id: ws,
      email,
      first_name: first,
      time_zone: 'UTC',
      subscription_status: 'subscribed',
      sms_consent: 0,
      attributes: '{}',
      created_at: now,
      updated_at: now,
    })
    .execute();
  return { id, email, account_id: null, time_zone: 'UTC' };
}

export async function addRunningCampaign(store: TestStore, ws: string, input: CampaignInput, now = T0) {
  const spec = campaignSchema.parse(input);
  const repo = new CampaignsRepository(store);
  await repo.insert(ws, spec, now);
  await repo.setStatus(ws, spec.id, 'draft', 'running', now, { launchedAt: now });
  return buildRuntime(ws, spec, 1, workspaceSettings({}));
}
