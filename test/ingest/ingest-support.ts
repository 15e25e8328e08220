// Shared set-up for the ingestion tests: an app over a test store, an ingest write key and a read key.
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/api/app.js';
import type { Clock } from '../../src/engine/clock.js';
import { ApiKeysRepository } from '../../src/store/api-keys.repository.js';
import type { Store } from '../../src/store/db.js';
import { newWorkspace } from '../support/stores.js';

export interface IngestFixture {
  app: FastifyInstance;
  ws: string;
  writeKey: string;
  /** `Authorization` header for the read API. */
  bearer: string;
  /** `Authorization` header for ingestion (basic auth, empty password). */
  basic: string;
}

export async function ingestFixture(store: Store, clock: Clock, now: number): Promise<IngestFixture> {
  const ws = await newWorkspace(store, now);
  const keys = new ApiKeysRepository(store);
  const { key: writeKey } = await keys.create(ws, { kind: 'ingest', scopes: ['ingest'] }, now);
  const { key: apiKey } = await keys.create(ws, { kind: 'api', scopes: ['read'] }, now);
  const app = await buildApp({ store, clock, secret: 's'.repeat(40), publicUrl: 'http://localhost:4400' });
  await app.ready();
  return {
    app,
    ws,
    writeKey,
    bearer: `Bearer ${apiKey}`,
    basic: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`,
  };
}
