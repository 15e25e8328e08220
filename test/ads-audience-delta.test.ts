// A delta export that follows the previous one re-reads the few minutes before it: a dispatcher batch stamps
// its members with the batch's time and commits a little later, so a member can become visible after an
// export that was made after its stamp. Without the overlap that member is in no delta at all.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvFile, hashIdentifiers } from '../src/channels/ads/identifiers.js';
import {
  AdsAudiencesRepository,
  IN_FLIGHT_MS,
  removeContactsFromAudiences,
} from '../src/store/ads-audiences.repository.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from './support/stores.js';

const T0 = Date.parse('2027-01-04T09:00:00Z');
const MIN = 60_000;

const person = (name: string) =>
  hashIdentifiers({
    email: `${name}@example.com`,
    phone: null,
    firstName: name,
    lastName: null,
    country: 'US',
    zip: null,
  });

describe.each(dialects)('ads audience deltas on %s', (dialect) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(dialect);
  });
  afterAll(() => store.dispose());

  it('lists a member whose batch committed after the previous export, and only the overlap again', async () => {
    expect(IN_FLIGHT_MS).toBe(5 * MIN);
    const ws = await newWorkspace(store);
    const audiences = new AdsAudiencesRepository(store);
    const id = await audiences.ensure(ws, 'Late commits', T0);
    const member = (contactId: string) => ({
      contactId,
      campaignId: null,
      enrollmentId: null,
      identifiers: person(contactId),
    });
    await audiences.addMembers(ws, id, [member('early'), member('leaver')], T0 + MIN);
    const first = await audiences.export(ws, id, { format: 'meta', mode: 'delta' }, T0 + 10 * MIN);
    expect(first.mode === 'delta' && first.added.count).toBe(2);

    // A batch that started at T0 + 8 min commits after that export: its member and its removal carry the
    // earlier time.
    await audiences.addMembers(ws, id, [member('late')], T0 + 8 * MIN);
    await removeContactsFromAudiences(store.db, ws, ['leaver'], 'unsubscribed', T0 + 9 * MIN);
    // And a member added well after the export.
    await audiences.addMembers(ws, id, [member('after')], T0 + 15 * MIN);

    const second = await audiences.export(ws, id, { format: 'meta', mode: 'delta' }, T0 + 20 * MIN);
    // `since` is still the previous export; the files reach back to T0 + 5 min: `late` and the removal of
    // `leaver` are in, `early` (T0 + 1 min, already sent) is not.
    expect(second).toEqual({
      mode: 'delta',
      format: 'meta',
      since: T0 + 10 * MIN,
      until: T0 + 20 * MIN,
      added: { count: 2, csv: csvFile('meta', [person('after'), person('late')]) },
      removed: { count: 1, csv: csvFile('meta', [person('leaver')]) },
    });

    // An explicit `since` is taken as asked, without the overlap.
    const asked = await audiences.export(
      ws,
      id,
      { format: 'meta', mode: 'delta', since: T0 + 10 * MIN },
      T0 + 21 * MIN,
    );
    expect(asked.mode === 'delta' && [asked.added.count, asked.removed.count]).toEqual([1, 0]);
  });
});
