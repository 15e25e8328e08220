// A real Segment SDK (@segment/analytics-node) pointed at a Baton server started here sends identify,
// track, page, group and alias calls; the test reads them back through the API.
import type { AddressInfo } from 'node:net';
import { Analytics } from '@segment/analytics-node';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { realClock } from '../../src/engine/clock.js';
import { dialects, openTestStore, type TestStore } from '../support/stores.js';
import {
  expectJourneyStored,
  ingestFixture,
  SDK_JOURNEY,
  SDK_JOURNEY_LAST,
  type IngestFixture,
} from './ingest-support.js';

/** Sends one call and waits until the server has answered it (the SDK's per-call callback). */
function send(run: (done: (err?: unknown) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => run((err) => (err ? reject(err as Error) : resolve())));
}

describe.each(dialects)('Segment SDK against the tracking API on %s', (dialect) => {
  let store: TestStore;
  let fx: IngestFixture;
  let analytics: Analytics;
  beforeAll(async () => {
    store = await openTestStore(dialect);
    fx = await ingestFixture(store, realClock, Date.now());
    await fx.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = fx.app.server.address() as AddressInfo;
    analytics = new Analytics({
      writeKey: fx.writeKey,
      host: `http://127.0.0.1:${port}`,
      flushAt: 1,
      maxRetries: 0,
    });
  });
  afterAll(async () => {
    await analytics.closeAndFlush();
    await fx.app.close();
    await store.dispose();
  });

  it('merges the anonymous visitor into the identified user, links the group account, keeps every event', async () => {
    for (const [method, message] of [...SDK_JOURNEY, SDK_JOURNEY_LAST])
      await send((cb) => analytics[method](message as never, cb));
    await expectJourneyStored(fx, '@segment/analytics-node');
  });
});
