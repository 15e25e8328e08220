// The example campaign files under examples/ apply cleanly (twice: the second time changes nothing) and,
// in a workspace with matching contacts, pass the launch guardrails: their templates render and carry
// an unsubscribe link.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyCampaign, lintCampaignSpec, loadCampaignFile } from '../src/store/campaigns/index.js';
import { newId } from '../src/store/ids.js';
import { ListsRepository } from '../src/store/lists.repository.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from './support/stores.js';

const EXAMPLES = join(import.meta.dirname, '..', 'examples');
const NOW = Date.parse('2027-01-05T12:00:00Z');
const DAY = 86_400_000;

describe.each(dialects)('example campaigns on %s', (dialect) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(dialect);
  });
  afterAll(() => store.dispose());

  async function seed(ws: string): Promise<void> {
    const accountId = newId('acc', NOW);
    await store.db
      .insertInto('accounts')
      .values({
        id: accountId,
        workspace_id: ws,
        domain: `acme-${ws}.example`,
        name: 'Acme',
        attributes: '{}',
        created_at: NOW,
        updated_at: NOW,
      })
      .execute();
    const lists = new ListsRepository(store);
    await lists.create(ws, { name: 'enterprise-targets', kind: 'account' }, NOW);
    await lists.addMembers(ws, 'enterprise-targets', [accountId], NOW);
    const people = Array.from({ length: 12 }, (_, i) => ({
      id: newId('ct', NOW),
      workspace_id: ws,
      email: `p${i}@acme-${ws}.example`,
      first_name: `P${i}`,
      title: i % 2 ? 'Director of Sales' : 'Engineer',
      lifecycle_stage: i < 6 ? 'lead' : 'customer',
      account_id: accountId,
      subscription_status: 'subscribed',
      sms_consent: 0,
      attributes: '{}',
      created_at: NOW - 2 * DAY,
      updated_at: NOW,
    }));
    await store.db.insertInto('contacts').values(people).execute();
    await store.db
      .insertInto('events')
      .values(
        ['pricing_page_viewed', 'demo_booked', 'meeting_booked', 'trial_started'].map((type, i) => ({
          id: newId('ev', NOW),
          workspace_id: ws,
          type,
          contact_id: people[i]!.id,
          occurred_at: NOW - DAY,
          received_at: NOW - DAY,
          properties: '{}',
        })),
      )
      .execute();
  }

  it.each(['product-launch.yaml', 'outbound-target-accounts.yaml', 'nurture.yaml'])(
    '%s applies cleanly and has no blocking finding',
    async (file) => {
      const ws = await newWorkspace(store);
      await seed(ws);
      const loaded = await loadCampaignFile(join(EXAMPLES, file));
      const first = await applyCampaign(store, ws, { spec: loaded.spec, templates: loaded.templates }, NOW);
      expect(first.change).toBe('created');
      expect(first.templates.every((t) => t.change === 'created')).toBe(true);
      const second = await applyCampaign(store, ws, { spec: loaded.spec, templates: loaded.templates }, NOW);
      expect(second.change).toBe('unchanged');

      const findings = await lintCampaignSpec(store, ws, loaded.spec, NOW);
      expect(findings.filter((f) => f.severity === 'blocking')).toEqual([]);
      const codes = findings.map((f) => f.code);
      for (const c of ['template_render_failed', 'template_variable_missing', 'unsubscribe_link_missing']) {
        expect(codes).not.toContain(c);
      }
    },
  );
});
