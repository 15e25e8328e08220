// The suppression list holds people back on every channel a campaign can start with: SMS and the channels
// that need no address (tasks, webhooks, ads, social) as well as email. Both dialects.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { previewAudience, resolveAudience } from '../src/store/audience.js';
import { SuppressionsRepository } from '../src/store/suppressions.repository.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from './support/stores.js';
import { NOW, insertContacts } from './segments-fixtures.js';

describe.each(dialects)('suppressions on every channel on %s', (dialect) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(dialect);
  });
  afterAll(() => store.dispose());

  it('removes suppressed addresses and domains from SMS and address-free audiences, and from their reach', async () => {
    const ws = await newWorkspace(store);
    // Everyone can get a text: a phone and SMS consent.
    const text = { phone: '+15550000', sms_consent: true, lifecycle_stage: 'lead' };
    const [ok, byDomain, byAddress, noEmail] = await insertContacts(store, ws, [
      { ...text, email: 'ok@fine.com' },
      { ...text, email: 'Dana@Blocked.org' },
      { ...text, email: 'Sam.Jones@fine.com' },
      { ...text },
      { ...text, email: 'x@notblocked.org', lifecycle_stage: 'customer' },
    ]);
    const sup = new SuppressionsRepository(store);
    await sup.add(ws, { value: 'BLOCKED.org', reason: 'manual' }, NOW);
    await sup.add(ws, { value: 'sam.jones@fine.com', reason: 'unsubscribe' }, NOW);
    const spec = { segment: { attribute: 'lifecycle_stage', op: 'eq', value: 'lead' } };

    for (const channel of ['sms', 'none'] as const) {
      const res = await resolveAudience(store, ws, spec, { now: NOW, channel });
      expect(res.contactIds).toEqual([ok!, noEmail!].sort());
      expect(res.matched).toBe(4);
      expect(res.removed).toEqual([{ reason: 'suppressed', count: 2 }]);

      const preview = await previewAudience(store, ws, spec, { now: NOW, channel });
      expect(preview.count).toBe(2);
      expect(preview.removed).toEqual(res.removed);
      expect(preview.sample.map((c) => c.id)).not.toContain(byDomain);
      expect(preview.sample.map((c) => c.id)).not.toContain(byAddress);
      // Reachable in the workspace: all five can get a text (and any address-free touch), less the two
      // suppressed ones; x@notblocked.org is outside the segment yet reachable.
      expect(preview.reachable).toBe(3);
      expect(preview.share).toBeCloseTo(2 / 3, 12);
    }
  });

  it('leaves SMS and address-free audiences whole when the workspace suppresses no one of them', async () => {
    const ws = await newWorkspace(store);
    const ids = await insertContacts(store, ws, [
      { email: 'a@fine.com', phone: '+15550001', sms_consent: true },
      { email: 'b@fine.com', phone: '+15550002', sms_consent: true },
    ]);
    await new SuppressionsRepository(store).add(ws, { value: 'fine.co', reason: 'manual' }, NOW);
    await new SuppressionsRepository(store).add(ws, { value: 'a@fine.co', reason: 'manual' }, NOW);
    for (const channel of ['sms', 'none'] as const) {
      const res = await resolveAudience(store, ws, {}, { now: NOW, channel });
      expect(res.contactIds).toEqual([...ids].sort());
      expect(res.removed).toEqual([]);
    }
  });
});
